//! Web server access logs in the NCSA common / combined shapes (Apache, nginx, with an
//! optional leading virtual host): client, user, request, status, size, referer, user agent.

use super::parser::{Ctx, LineParser, clean_ip, summary};
use super::time;
use crate::event::{Event, Format};

pub(crate) struct AccessParser;

/// One parsed access-log line, borrowing from it.
#[derive(Debug, PartialEq)]
pub(crate) struct Access<'a> {
    pub vhost: Option<&'a str>,
    pub client: &'a str,
    pub ident: &'a str,
    pub user: &'a str,
    pub time: chrono::DateTime<chrono::Utc>,
    pub request: &'a str,
    pub status: &'a str,
    pub bytes: &'a str,
    pub referer: Option<&'a str>,
    pub agent: Option<&'a str>,
}

/// The text of a `"…"` string (backslash escapes skipped over, not decoded) starting right
/// after its opening quote, and what follows the closing quote.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some((&s[..i], &s[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

pub(crate) fn parse_access(line: &str) -> Option<Access<'_>> {
    let lb = line.find(" [")?;
    let pre: Vec<&str> = line[..lb].split(' ').collect();
    let (vhost, client, ident, user) = match pre.as_slice() {
        [c, i, u] => (None, *c, *i, *u),
        [v, c, i, u] => (Some(*v), *c, *i, *u),
        _ => return None,
    };
    let after = &line[lb + 2..];
    let (time, used) = time::apache_access(after)?;
    let rest = after[used..].strip_prefix("] \"")?;
    let (request, rest) = quoted(rest)?;
    let mut words = rest.trim_start().splitn(3, ' ');
    let status = words.next()?;
    if !(status.len() == 3 && status.bytes().all(|c| c.is_ascii_digit()) || status == "-") {
        return None;
    }
    let bytes = words.next().unwrap_or("-");
    let tail = words.next().unwrap_or("").trim_start();
    let (referer, agent) = match tail.strip_prefix('"').and_then(quoted) {
        Some((r, rest)) => (
            Some(r),
            rest.trim_start()
                .strip_prefix('"')
                .and_then(quoted)
                .map(|(a, _)| a),
        ),
        None => (None, None),
    };
    Some(Access {
        vhost,
        client,
        ident,
        user,
        time,
        request,
        status,
        bytes,
        referer,
        agent,
    })
}

/// True when `line` is an access-log line.
pub(crate) fn looks_like(line: &str) -> bool {
    parse_access(line).is_some()
}

impl LineParser for AccessParser {
    fn text_fallback(&self) -> bool {
        true
    }
    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        let a = parse_access(line).ok_or("not an access-log line")?;
        let mut ev = Event::new(Format::WebAccess, ctx.source.as_str(), record, line);
        ev.timestamp = Some(a.time);
        ev.src_ip = clean_ip(a.client);
        let mut put = |k: &str, v: &str| {
            if !v.is_empty() && v != "-" {
                ev.fields.insert(k.to_string(), v.to_string());
            }
        };
        put("client", a.client);
        put("ident", a.ident);
        put("remote_user", a.user);
        put("request", a.request);
        put("status", a.status);
        put("bytes", a.bytes);
        put("referer", a.referer.unwrap_or(""));
        put("user_agent", a.agent.unwrap_or(""));
        let mut parts = a.request.splitn(3, ' ');
        if let (Some(m), Some(p)) = (parts.next(), parts.next()) {
            put("method", m);
            put("path", p);
            put("protocol", parts.next().unwrap_or(""));
        }
        if let Some(v) = a.vhost {
            let (host, port) = v.rsplit_once(':').unwrap_or((v, ""));
            ev.host = Some(host.to_string());
            ev.dst_port = port.parse().ok();
            ev.fields.insert("vhost".into(), v.to_string());
        }
        ev.user = (a.user != "-" && !a.user.is_empty()).then(|| a.user.to_string());
        ev.event_id = Some(a.status.to_string());
        let size = if a.bytes == "-" {
            String::new()
        } else {
            format!(" ({} bytes)", a.bytes)
        };
        ev.message = summary(&format!(
            "{} {} from {}{size}",
            a.status, a.request, a.client
        ));
        Ok(Some(ev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn combined_and_vhost_lines() {
        let ctx = Ctx {
            source: "access.log".into(),
            name: "access.log".into(),
            reference: Utc::now(),
        };
        let line = r#"203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /a\"b.gif HTTP/1.0" 200 2326 "http://ex.com/" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;
        let ev = AccessParser.parse(line, 1, &ctx).unwrap().unwrap();
        assert_eq!(
            ev.timestamp,
            Some(Utc.with_ymd_and_hms(2000, 10, 10, 20, 55, 36).unwrap())
        );
        assert_eq!(
            (ev.src_ip.as_deref(), ev.user.as_deref()),
            (Some("203.0.113.9"), Some("alice"))
        );
        assert_eq!(ev.fields["path"], r#"/a\"b.gif"#);
        assert_eq!(ev.fields["user_agent"], "Mozilla/4.08 [en] (Win98; I ;Nav)");
        assert_eq!(ev.fields["referer"], "http://ex.com/");
        assert_eq!(ev.event_id.as_deref(), Some("200"));
        let ev = AccessParser
            .parse(
                r#"www.ex.com:443 10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "-" 408 - "-" "-""#,
                2,
                &ctx,
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            (ev.host.as_deref(), ev.dst_port, ev.user),
            (Some("www.ex.com"), Some(443), None)
        );
        assert!(!ev.fields.contains_key("referer"));
        assert!(!looks_like("Dec 10 06:55:46 LabSZ sshd[24200]: x [y]"));
        assert!(
            AccessParser
                .parse("1.2.3.4 - - [bad] \"GET /\" 200 1", 3, &ctx)
                .is_err()
        );
    }
}
