//! Syslog lines: BSD / RFC 3164 (`Mar  3 10:00:01 host prog[pid]: msg`, year inferred, also
//! with an ISO stamp as rsyslog writes) and RFC 5424 (`<34>1 2003-10-11T22:14:15Z host app …`).
//! Auth semantics (sshd, sudo, su, PAM…) are added by [`super::authlog`] for every line.

use chrono::{DateTime, Utc};

use super::authlog;
use super::parser::{Ctx, LineParser, parse_pid, summary, summary_owned};
use super::time;
use crate::event::{Event, Format};

pub(crate) struct SyslogParser {
    /// `Format::Syslog` or `Format::AuthLog` (same parsing, different label).
    pub format: Format,
}

impl LineParser for SyslogParser {
    fn text_fallback(&self) -> bool {
        true
    }
    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        let h = parse_header(line, ctx.reference).ok_or("not a syslog line")?;
        let mut ev = Event::new(self.format, ctx.source.as_str(), record, line);
        ev.timestamp = h.time;
        ev.host = h.host.map(str::to_string);
        if let Some(pri) = h.pri {
            ev.fields.insert(
                "facility".into(),
                FACILITIES
                    .get(pri as usize >> 3)
                    .unwrap_or(&"?")
                    .to_string(),
            );
            ev.fields
                .insert("severity".into(), SEVERITIES[pri as usize & 7].to_string());
        }
        if let Some(id) = h.msgid {
            ev.fields.insert("msgid".into(), id.to_string());
        }
        if let Some(sd) = h.sd {
            ev.fields.insert("structured_data".into(), sd.to_string());
        }
        let base = h.app.map(program_base);
        if let Some(app) = h.app {
            ev.fields.insert("program".into(), app.to_string());
            ev.process = Some(app.to_string());
        }
        if let Some(pid) = h.pid {
            ev.fields.insert("pid".into(), pid.to_string());
            ev.pid = parse_pid(pid);
        }
        ev.message = match (h.rfc5424, h.app, h.pid) {
            // `app[pid]: msg`, as BSD syslog shows it, rather than the raw header fields.
            (true, Some(app), Some(pid)) => summary_owned(format!("{app}[{pid}]: {}", h.msg)),
            (true, Some(app), None) => summary_owned(format!("{app}: {}", h.msg)),
            _ => summary(h.body),
        };
        let base = base.unwrap_or_default();
        if !base.is_empty() {
            ev.event_id = Some(base.clone());
        }
        authlog::enrich(&mut ev, &base, h.msg);
        Ok(Some(ev))
    }
}

const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];
const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// The parts of a syslog line.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Header<'a> {
    pub pri: Option<u8>,
    pub time: Option<DateTime<Utc>>,
    pub host: Option<&'a str>,
    pub app: Option<&'a str>,
    pub pid: Option<&'a str>,
    pub msgid: Option<&'a str>,
    pub sd: Option<&'a str>,
    /// The message after the tag.
    pub msg: &'a str,
    /// Everything after the host (`prog[pid]: msg`), as a readable summary.
    pub body: &'a str,
    /// An RFC 5424 line (header fields separated, `-` for none).
    pub rfc5424: bool,
}

/// `sshd(pam_unix)` -> `sshd`, `CRON` -> `cron`, `/usr/sbin/cron` -> `cron`.
pub(crate) fn program_base(app: &str) -> String {
    let name = app.split('(').next().unwrap_or(app);
    let name = name.rsplit('/').next().unwrap_or(name);
    name.to_ascii_lowercase()
}

pub(crate) fn parse_header(line: &str, reference: DateTime<Utc>) -> Option<Header<'_>> {
    let (pri, rest) = match line.strip_prefix('<') {
        Some(r) => {
            let end = r.find('>')?;
            let pri: u8 = r[..end].parse().ok().filter(|p| *p < 192)?;
            (Some(pri), &r[end + 1..])
        }
        None => (None, line),
    };
    if let Some(r) = rest.strip_prefix("1 ") {
        return rfc5424(pri, r);
    }
    let (time, used) = if let Some((mo, d, secs, nanos, used)) = time::syslog_stamp(rest) {
        (time::infer_year(reference, mo, d, secs, nanos), used)
    } else {
        let (t, used) = time::iso_prefix(rest)?;
        (Some(t), used)
    };
    let rest = rest[used..].strip_prefix(' ')?;
    let (host, rest) = rest.split_once(' ')?;
    if host.is_empty() || host.ends_with(':') {
        return None;
    }
    let (app, pid, msg) = tag(rest);
    Some(Header {
        pri,
        time,
        host: Some(host),
        app,
        pid,
        msg,
        body: rest,
        ..Default::default()
    })
}

/// `prog[pid]: msg`, `prog: msg`, `prog(sub)[pid]: msg`, or a line without a tag.
fn tag(s: &str) -> (Option<&str>, Option<&str>, &str) {
    let end = s.find([' ', '[', ':']).unwrap_or(s.len());
    let app = &s[..end];
    if app.is_empty() || app.len() > 64 {
        return (None, None, s);
    }
    let rest = &s[end..];
    if let Some(r) = rest.strip_prefix('[')
        && let Some(close) = r.find(']')
    {
        let pid = &r[..close];
        let msg = r[close + 1..].strip_prefix(':').unwrap_or(&r[close + 1..]);
        return (Some(app), Some(pid), msg.strip_prefix(' ').unwrap_or(msg));
    }
    match rest.strip_prefix(':') {
        Some(msg) => (Some(app), None, msg.strip_prefix(' ').unwrap_or(msg)),
        // `syslogd 1.4.1: restart.`: the first word is the program.
        None => (Some(app), None, rest.trim_start()),
    }
}

/// `TIMESTAMP HOST APP PROCID MSGID SD MSG`, each header field `-` when absent.
fn rfc5424<'a>(pri: Option<u8>, s: &'a str) -> Option<Header<'a>> {
    let mut parts = s.splitn(6, ' ');
    let stamp = parts.next()?;
    let host = parts.next()?;
    let app = parts.next()?;
    let procid = parts.next()?;
    let msgid = parts.next()?;
    let rest = parts.next().unwrap_or("");
    let nil = |v: &'a str| (v != "-" && !v.is_empty()).then_some(v);
    let time = if stamp == "-" {
        None
    } else {
        Some(time::parse_iso(stamp)?)
    };
    let (sd, msg) = structured_data(rest);
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    let body = s.splitn(3, ' ').nth(2).unwrap_or("");
    Some(Header {
        pri,
        time,
        host: nil(host),
        app: nil(app),
        pid: nil(procid),
        msgid: nil(msgid),
        sd,
        msg,
        body,
        rfc5424: true,
    })
}

/// Splits `[id k="v"][…] msg` (or `- msg`) into the structured data and the message.
fn structured_data(s: &str) -> (Option<&str>, &str) {
    if let Some(rest) = s.strip_prefix('-') {
        return (None, rest.strip_prefix(' ').unwrap_or(rest));
    }
    let b = s.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let mut in_quotes = false;
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 1,
                b'"' => in_quotes = !in_quotes,
                b']' if !in_quotes => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    let i = i.min(s.len());
    if i == 0 || !s.is_char_boundary(i) {
        return (None, s);
    }
    let msg = &s[i..];
    (Some(&s[..i]), msg.strip_prefix(' ').unwrap_or(msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn reference() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn bsd_lines() {
        let h = parse_header(
            "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster",
            reference(),
        )
        .unwrap();
        assert_eq!(h.host, Some("LabSZ"));
        assert_eq!(
            (h.app, h.pid, h.msg),
            (Some("sshd"), Some("24200"), "Invalid user webmaster")
        );
        assert_eq!(
            h.time,
            Some(Utc.with_ymd_and_hms(2023, 12, 10, 6, 55, 46).unwrap())
        );
        let h = parse_header(
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: auth failure",
            reference(),
        )
        .unwrap();
        assert_eq!((h.app, h.pid), (Some("sshd(pam_unix)"), Some("19939")));
        let h = parse_header("Jun 15 04:06:18 combo syslogd 1.4.1: restart.", reference()).unwrap();
        assert_eq!((h.app, h.msg), (Some("syslogd"), "1.4.1: restart."));
        let h = parse_header("<38>Mar  3 10:00:01 web01 kernel: x", reference()).unwrap();
        assert_eq!((h.pri, h.app, h.msg), (Some(38), Some("kernel"), "x"));
        let h = parse_header("2023-03-03T10:00:01.5+01:00 web01 su: y", reference()).unwrap();
        assert_eq!(
            h.time,
            Some(
                Utc.with_ymd_and_hms(2023, 3, 3, 9, 0, 1).unwrap()
                    + chrono::Duration::milliseconds(500)
            )
        );
        assert!(parse_header("hello world", reference()).is_none());
        assert!(parse_header("<999>junk", reference()).is_none());
    }

    #[test]
    fn rfc5424_lines() {
        let line = r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event"#;
        let h = parse_header(line, reference()).unwrap();
        assert_eq!(h.host, Some("mymachine.example.com"));
        assert_eq!(
            (h.app, h.pid, h.msgid),
            (Some("evntslog"), None, Some("ID47"))
        );
        assert_eq!(
            h.sd,
            Some(r#"[exampleSDID@32473 iut="3" eventSource="Application"]"#)
        );
        assert_eq!(h.msg, "An application event");
        let h = parse_header("<34>1 - - su - - - 'su root' failed", reference()).unwrap();
        assert_eq!(
            (h.time, h.host, h.app, h.msg),
            (None, None, Some("su"), "'su root' failed")
        );
    }

    #[test]
    fn program_names() {
        assert_eq!(program_base("sshd(pam_unix)"), "sshd");
        assert_eq!(program_base("CRON"), "cron");
        assert_eq!(program_base("/usr/sbin/cron"), "cron");
    }
}
