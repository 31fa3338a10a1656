//! The plain-text fallback: one event per line with a best-effort leading timestamp (and level),
//! plus Linux audit records (`type=SYSCALL msg=audit(…)`), whose key=value pairs are kept.

use super::parser::{Ctx, LineParser};
use super::time;
use crate::event::{Event, Format};

pub(crate) struct TextParser;

impl LineParser for TextParser {
    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        Ok(Some(line_event(line, record, ctx)))
    }
}

const LEVELS: [&str; 12] = [
    "trace", "debug", "info", "notice", "warn", "warning", "error", "err", "fatal", "critical",
    "crit", "alert",
];

/// A text event for `line`: never fails.
pub(crate) fn line_event(line: &str, record: u64, ctx: &Ctx) -> Event {
    let mut ev = Event::new(Format::Text, ctx.source.as_str(), record, line);
    if let Some((t, used)) = time::text_prefix(line, ctx.reference) {
        ev.timestamp = Some(t);
        if let Some(level) = level_after(&line[used..]) {
            ev.fields.insert("level".into(), level.to_string());
        }
    } else if line.starts_with("type=") || line.starts_with("node=") {
        audit(line, &mut ev);
    }
    ev
}

/// A log level word right after the timestamp (`, Info`, ` [ERROR]`, ` WARN:`).
fn level_after(rest: &str) -> Option<&str> {
    let rest = rest.trim_start_matches([' ', ',', ';', '|', '-', ']', '[', '\t']);
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let word = &rest[..end];
    LEVELS
        .iter()
        .any(|l| l.eq_ignore_ascii_case(word))
        .then_some(word)
}

/// Linux audit records met in a text file (read as text by choice or as a cut line): the
/// record's fields, as the audit format reads them, without merging.
fn audit(line: &str, ev: &mut Event) {
    if let Some(h) = super::auditd_record::header(line) {
        super::auditd_record::fill(&h, ev);
        super::auditd_record::normalise(ev);
    }
}

/// `key=value` pairs separated by spaces; values may be "double" or 'single' quoted.
pub(crate) fn key_values(s: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = &rest[..eq];
        if key.contains(' ') {
            // Not a pair: skip the word.
            let next = key.find(' ').unwrap_or(key.len());
            rest = rest[next..].trim_start();
            continue;
        }
        let after = &rest[eq + 1..];
        let (value, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => match after[1..].find(q) {
                Some(end) => (&after[1..1 + end], &after[(2 + end).min(after.len())..]),
                None => (&after[1..], ""),
            },
            _ => {
                let end = after.find(' ').unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        out.push((key, value));
        rest = next.trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ctx() -> Ctx {
        Ctx {
            source: "t.log".into(),
            name: "t.log".into(),
            reference: Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn timestamp_and_level() {
        let ev = line_event(
            "2016-09-28 04:30:30, Info                  CBS    Loaded",
            1,
            &ctx(),
        );
        assert_eq!(
            ev.timestamp,
            Some(Utc.with_ymd_and_hms(2016, 9, 28, 4, 30, 30).unwrap())
        );
        assert_eq!(ev.fields["level"], "Info");
        let ev = line_event("no time here", 2, &ctx());
        assert_eq!(ev.timestamp, None);
        assert_eq!(ev.record, 2);
    }

    #[test]
    fn audit_records() {
        let ev = line_event(
            r#"type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes ppid=29002 pid=1631 auid=1000 comm="arp" exe="/usr/sbin/arp" key=(null)"#,
            1,
            &ctx(),
        );
        assert_eq!(ev.event_id.as_deref(), Some("SYSCALL"));
        assert_eq!(ev.process.as_deref(), Some("/usr/sbin/arp"));
        assert_eq!(ev.pid, Some(1631));
        assert_eq!(ev.fields["comm"], "arp");
        assert_eq!(ev.timestamp.unwrap().timestamp_millis(), 1_604_994_496_155);
        let ev = line_event(
            r#"type=EXECVE msg=audit(1604994496.155:92733): argc=2 a0="arp" a1="-a""#,
            2,
            &ctx(),
        );
        assert_eq!(ev.command_line.as_deref(), Some("arp -a"));
        let ev = line_event(
            "type=PROCTITLE msg=audit(1604994496.155:92733): proctitle=617270002D61",
            3,
            &ctx(),
        );
        assert_eq!(ev.command_line.as_deref(), Some("arp -a"));
    }

    #[test]
    fn key_values_handle_quotes_and_junk() {
        let kv = key_values(r#"a=1 b="x y" junk c='q' d="#);
        assert_eq!(kv, vec![("a", "1"), ("b", "x y"), ("c", "q"), ("d", "")]);
        assert!(key_values("=== ==").iter().all(|(k, _)| k.is_empty()));
    }
}
