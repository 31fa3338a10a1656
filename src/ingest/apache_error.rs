//! Web server error logs: Apache 2.2 (`[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] …`),
//! Apache 2.4 (`[… 2000] [core:error] [pid 35708:tid 43] [client 1.2.3.4:5] AH00128: …`) and
//! nginx (`2024/01/01 10:00:00 [error] 1234#0: *1 …, client: 1.2.3.4, server: …`).

use super::parser::{Ctx, LineParser, clean_ip, clean_port, parse_pid, summary};
use super::time;
use crate::event::{Event, Format};

pub(crate) struct ErrorLogParser;

/// True when `line` is an Apache or nginx error-log line.
pub(crate) fn looks_like(line: &str) -> bool {
    apache_prefix(line).is_some() || nginx_prefix(line).is_some()
}

/// `[ctime] ` and the rest.
fn apache_prefix(line: &str) -> Option<(chrono::DateTime<chrono::Utc>, &str)> {
    let inner = line.strip_prefix('[')?;
    let (t, used) = time::ctime_prefix(inner)?;
    let rest = inner[used..].strip_prefix("] [")?;
    Some((t, rest))
}

/// `yyyy/mm/dd hh:mm:ss [level] pid#tid: ` and the level and rest.
fn nginx_prefix(line: &str) -> Option<(chrono::DateTime<chrono::Utc>, &str, &str)> {
    let (t, used) = time::iso_prefix(line)?;
    let rest = line[used..].strip_prefix(" [")?;
    let (level, rest) = rest.split_once("] ")?;
    let hash = rest.find('#')?;
    rest[..hash]
        .bytes()
        .all(|c| c.is_ascii_digit())
        .then_some((t, level, rest))
}

impl LineParser for ErrorLogParser {
    fn text_fallback(&self) -> bool {
        true
    }
    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        let mut ev = Event::new(Format::ApacheError, ctx.source.as_str(), record, line);
        if let Some((t, rest)) = apache_prefix(line) {
            ev.timestamp = Some(t);
            apache(&mut ev, rest);
        } else if let Some((t, level, rest)) = nginx_prefix(line) {
            ev.timestamp = Some(t);
            nginx(&mut ev, level, rest);
        } else {
            return Err("not an error-log line".into());
        }
        Ok(Some(ev))
    }
}

/// `level] [pid …] [client …] message` (the first `[` already taken).
fn apache(ev: &mut Event, rest: &str) {
    let (level, mut rest) = rest.split_once(']').unwrap_or((rest, ""));
    let (module, level) = level
        .rsplit_once(':')
        .map(|(m, l)| (Some(m), l))
        .unwrap_or((None, level));
    ev.fields.insert("level".into(), level.to_string());
    if let Some(m) = module {
        ev.fields.insert("module".into(), m.to_string());
    }
    while let Some(group) = rest.strip_prefix(" [") {
        let Some((inner, after)) = group.split_once(']') else {
            break;
        };
        if let Some(pid) = inner.strip_prefix("pid ") {
            let (p, tid) = pid.split_once(":tid ").unwrap_or((pid, ""));
            ev.pid = parse_pid(p);
            if !tid.is_empty() {
                ev.fields.insert("tid".into(), tid.to_string());
            }
        } else if let Some(c) = inner
            .strip_prefix("client ")
            .or_else(|| inner.strip_prefix("remote "))
        {
            client(ev, c);
        } else {
            break;
        }
        rest = after;
    }
    let msg = rest.trim_start();
    if let Some((code, _)) = msg
        .split_once(": ")
        .filter(|(c, _)| c.starts_with("AH") && c.len() == 7)
    {
        ev.fields.insert("code".into(), code.to_string());
    }
    ev.event_id = Some(level.to_string());
    ev.message = summary(&format!("{level}: {msg}"));
}

/// `1.2.3.4` or `1.2.3.4:5678` (v6 addresses keep their colons: the port is after the last).
fn client(ev: &mut Event, c: &str) {
    if let Some(ip) = clean_ip(c) {
        ev.src_ip = Some(ip);
    } else if let Some((ip, port)) = c.rsplit_once(':') {
        ev.src_ip = clean_ip(ip);
        ev.src_port = clean_port(port);
    }
    ev.fields.insert("client".into(), c.to_string());
}

/// `1234#0: *1 message, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"`
fn nginx(ev: &mut Event, level: &str, rest: &str) {
    let (ids, msg) = rest.split_once(": ").unwrap_or((rest, ""));
    let (pid, tid) = ids.split_once('#').unwrap_or((ids, ""));
    ev.pid = parse_pid(pid);
    ev.fields.insert("tid".into(), tid.to_string());
    ev.fields.insert("level".into(), level.to_string());
    for key in [
        "client", "server", "request", "upstream", "host", "referrer",
    ] {
        let pat = format!(", {key}: ");
        if let Some(i) = msg.find(&pat) {
            let v = &msg[i + pat.len()..];
            let v = match v.strip_prefix('"') {
                Some(q) => q.split('"').next().unwrap_or(q),
                None => v.split(',').next().unwrap_or(v),
            };
            ev.fields.insert(key.to_string(), v.to_string());
        }
    }
    if let Some(c) = ev.fields.get("client").cloned() {
        client(ev, &c);
    }
    ev.event_id = Some(level.to_string());
    ev.message = summary(&format!("{level}: {msg}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn parse(line: &str) -> Event {
        let ctx = Ctx {
            source: "error_log".into(),
            name: "error_log".into(),
            reference: Utc::now(),
        };
        ErrorLogParser.parse(line, 1, &ctx).unwrap().unwrap()
    }

    #[test]
    fn apache_22_and_24() {
        let ev = parse(
            "[Sun Dec 04 04:47:44 2005] [error] [client 81.199.21.119] Directory index forbidden by rule: /var/www/html/",
        );
        assert_eq!(
            ev.timestamp,
            Some(Utc.with_ymd_and_hms(2005, 12, 4, 4, 47, 44).unwrap())
        );
        assert_eq!(
            (ev.event_id.as_deref(), ev.src_ip.as_deref()),
            (Some("error"), Some("81.199.21.119"))
        );
        assert_eq!(
            ev.message,
            "error: Directory index forbidden by rule: /var/www/html/"
        );
        let ev = parse(
            "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:4242] AH00128: File does not exist: /x",
        );
        assert_eq!((ev.pid, ev.src_port), (Some(35708), Some(4242)));
        assert_eq!(
            (ev.fields["module"].as_str(), ev.fields["code"].as_str()),
            ("core", "AH00128")
        );
        let ev = parse(
            "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        );
        assert_eq!(
            ev.message,
            "notice: workerEnv.init() ok /etc/httpd/conf/workers2.properties"
        );
    }

    #[test]
    fn nginx_error() {
        let ev = parse(
            r#"2024/01/01 10:00:00 [error] 1234#0: *1 open() "/x" failed (2: No such file), client: 10.0.0.9, server: localhost, request: "GET /x HTTP/1.1", host: "localhost""#,
        );
        assert_eq!(
            (ev.pid, ev.src_ip.as_deref()),
            (Some(1234), Some("10.0.0.9"))
        );
        assert_eq!(ev.fields["request"], "GET /x HTTP/1.1");
        assert!(looks_like("2024/01/01 10:00:00 [warn] 99#99: x"));
        assert!(!looks_like("2024/01/01 10:00:00 [warn] x"));
    }
}
