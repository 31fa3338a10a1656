//! What every format parser shares: the per-source context, the line-parser contract and small
//! helpers to fill normalised fields from raw values.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::event::Event;

/// Facts about the source being parsed.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The event source (`file`, or `archive.zip!member`).
    pub source: String,
    /// The last path component of the file or member, for hints (`conn.log` -> `conn`).
    pub name: String,
    /// The moment year-less dates (BSD syslog) are placed relative to: the file's mtime.
    pub reference: DateTime<Utc>,
}

/// A format read one line at a time. Parsing a line must not depend on other data lines, so
/// lines can be parsed in parallel; lines that change how later ones parse (a Zeek `#fields`
/// header, a CSV header) are "meta" lines, handed over in order.
pub(crate) trait LineParser: Sync {
    /// A cheap test, run on every line in order: does it change the parser's state?
    fn is_meta(&self, _line: &[u8]) -> bool {
        false
    }

    /// Takes a meta line; `Err` counts it as a bad record.
    fn meta(&mut self, _line: &str) -> Result<(), String> {
        Ok(())
    }

    /// Whether a line this parser rejects is still kept as a plain-text event (line-oriented
    /// text formats, where an odd line is still log text) rather than counted as bad.
    fn text_fallback(&self) -> bool {
        false
    }

    /// Whether a record is only meaningful whole (JSON): a line cut at `max_line_bytes` is
    /// then refused as a bad record instead of being kept as cut text.
    fn whole_records(&self) -> bool {
        false
    }

    /// Parses one record. `Ok(None)`: the line is not a record (a comment) and is not counted.
    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String>;

    /// Takes each parsed record in file order and hands events to `out`: a format whose
    /// events span several lines (audit records sharing a serial) merges them here, after the
    /// parallel parse. The default hands every record on as it is.
    fn combine(&mut self, record: Event, out: &mut dyn FnMut(Event)) {
        out(record)
    }

    /// The end of the stream: hands on what [`LineParser::combine`] still holds.
    fn finish(&mut self, _out: &mut dyn FnMut(Event)) {}
}

/// An IP address as text: `-`, empty and non-addresses give `None`; IPv4-mapped IPv6
/// (`::ffff:10.0.0.7`, as Windows writes) is unmapped; `[v6]` brackets are removed.
pub(crate) fn clean_ip(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    if s.is_empty() || s == "-" {
        return None;
    }
    let s = s.strip_prefix("::ffff:").unwrap_or(s);
    // Zone ids (`fe80::1%eth0`) are kept but not validated.
    let bare = s.split('%').next().unwrap_or(s);
    bare.parse::<IpAddr>().ok().map(|_| s.to_string())
}

/// A port as text; `-`, `0`-less junk and out-of-range values give `None`.
pub(crate) fn clean_port(s: &str) -> Option<u16> {
    s.trim().parse().ok()
}

/// A process id, decimal or `0x`-prefixed hex (Windows Security events write hex).
pub(crate) fn parse_pid(s: &str) -> Option<u32> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The first of `keys` present in `fields` with a meaningful value (not empty, not `-`).
pub(crate) fn first<'a>(fields: &'a BTreeMap<String, String>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .filter_map(|k| fields.get(*k))
        .map(|v| v.trim())
        .find(|v| !v.is_empty() && *v != "-")
}

/// Like [`first`], owned.
pub(crate) fn first_owned(fields: &BTreeMap<String, String>, keys: &[&str]) -> Option<String> {
    first(fields, keys).map(str::to_string)
}

/// Fills src/dst ip and port from the first keys present.
pub(crate) fn fill_endpoints(
    ev: &mut Event,
    src_ip: &[&str],
    src_port: &[&str],
    dst_ip: &[&str],
    dst_port: &[&str],
) {
    let f = &ev.fields;
    let sip = src_ip
        .iter()
        .filter_map(|k| f.get(*k))
        .find_map(|v| clean_ip(v));
    let sport = first(f, src_port).and_then(clean_port);
    let dip = dst_ip
        .iter()
        .filter_map(|k| f.get(*k))
        .find_map(|v| clean_ip(v));
    let dport = first(f, dst_port).and_then(clean_port);
    ev.src_ip = ev.src_ip.take().or(sip);
    ev.src_port = ev.src_port.or(sport);
    ev.dst_ip = ev.dst_ip.take().or(dip);
    ev.dst_port = ev.dst_port.or(dport);
}

/// `ip:port` (or just `ip`) for messages.
pub(crate) fn endpoint(ip: Option<&str>, port: Option<u16>) -> String {
    match (ip, port) {
        (Some(ip), Some(p)) if ip.contains(':') => format!("[{ip}]:{p}"),
        (Some(ip), Some(p)) => format!("{ip}:{p}"),
        (Some(ip), None) => ip.to_string(),
        (None, Some(p)) => format!("?:{p}"),
        (None, None) => "?".to_string(),
    }
}

/// Most summary length, in characters.
const SUMMARY_CHARS: usize = 400;

/// A one-line, control-free summary of at most 400 characters ([`crate::text::one_line`]).
pub(crate) fn summary(s: &str) -> String {
    if is_plain(s) {
        s.to_string()
    } else {
        crate::text::one_line(s, SUMMARY_CHARS)
    }
}

/// [`summary`] of a string already owned: kept as is when it needs no change (the common case,
/// and messages are built for every record).
/// The message of a record that has no message field: `EVENT by USER from IP`, and with
/// `with_command` the command line (or process) after a colon; summarised like a message.
/// Empty when the record has none of these (`Event::finish` then falls back to the raw record).
pub(crate) fn fallback_message(ev: &Event, with_command: bool) -> String {
    let mut m = ev.event_id.clone().unwrap_or_default();
    if let Some(u) = &ev.user {
        m.push_str(&format!(" by {u}"));
    }
    if let Some(ip) = &ev.src_ip {
        m.push_str(&format!(" from {ip}"));
    }
    if with_command && let Some(p) = ev.command_line.as_ref().or(ev.process.as_ref()) {
        m.push_str(&format!(": {p}"));
    }
    summary(m.trim())
}

pub(crate) fn summary_owned(s: String) -> String {
    if is_plain(&s) {
        s
    } else {
        crate::text::one_line(&s, SUMMARY_CHARS)
    }
}

/// True when `one_line` would return `s` unchanged: short printable ASCII with single spaces
/// and no space at either end.
fn is_plain(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() <= SUMMARY_CHARS
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && b.iter().all(|&c| (0x20..0x7f).contains(&c))
        && !b.windows(2).any(|w| w == b"  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_match_one_line() {
        let long = "x".repeat(500);
        for s in [
            "plain text",
            " lead",
            "trail ",
            "two  spaces",
            "tab\there",
            "caf\u{e9}",
            "ctl\x1b[0m",
            long.as_str(),
            "",
        ] {
            assert_eq!(summary(s), crate::text::one_line(s, 400), "{s:?}");
            assert_eq!(
                summary_owned(s.to_string()),
                crate::text::one_line(s, 400),
                "{s:?}"
            );
        }
    }

    #[test]
    fn ips_ports_pids() {
        assert_eq!(clean_ip("::ffff:10.0.0.7").as_deref(), Some("10.0.0.7"));
        assert_eq!(clean_ip(" 10.0.0.7 ").as_deref(), Some("10.0.0.7"));
        assert_eq!(
            clean_ip("fe80::1cf4:44d2:904a:14f7").as_deref(),
            Some("fe80::1cf4:44d2:904a:14f7")
        );
        assert_eq!(clean_ip("-"), None);
        assert_eq!(clean_ip("host.example"), None);
        assert_eq!(clean_port("443"), Some(443));
        assert_eq!(clean_port("0x0008"), None);
        assert_eq!(clean_port("70000"), None);
        assert_eq!(parse_pid("0x1a4"), Some(420));
        assert_eq!(parse_pid("3188"), Some(3188));
        assert_eq!(parse_pid("-"), None);
        assert_eq!(endpoint(Some("::1"), Some(22)), "[::1]:22");
    }
}
