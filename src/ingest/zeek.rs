//! Zeek logs, as TSV (with `#separator`/`#fields`/`#types` headers, which may change mid-file)
//! and as JSON lines. The log path (`conn`, `dns`…) becomes the `event_id`, `id.orig_h` and
//! friends the endpoints, and the message says what the record is about.

use super::jsonflat::{Pairs, flatten_object};
use super::parser::{Ctx, LineParser, clean_ip, clean_port, endpoint, first, summary_owned};
use super::time;
use crate::event::{Event, Format};

pub(crate) struct ZeekJsonParser;

impl LineParser for ZeekJsonParser {
    fn whole_records(&self) -> bool {
        true
    }

    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        let mut pairs = Pairs::new();
        flatten_object(line, &mut pairs).map_err(|e| format!("bad JSON: {e}"))?;
        let mut ev = Event::new(Format::ZeekJson, ctx.source.as_str(), record, line);
        ev.fields = pairs.into_iter().collect();
        let path = ev
            .fields
            .get("_path")
            .cloned()
            .unwrap_or_else(|| path_from_name(&ctx.name));
        finish(&mut ev, &path);
        Ok(Some(ev))
    }
}

/// `conn.log`, `conn.log.labeled`, `conn.09:00:00-10:00:00.log` -> `conn`.
pub(crate) fn path_from_name(name: &str) -> String {
    name.split('.').next().unwrap_or(name).to_string()
}

/// The TSV header state.
pub(crate) struct ZeekTsvParser {
    sep: String,
    empty: String,
    unset: String,
    path: Option<String>,
    fields: Vec<String>,
}

impl ZeekTsvParser {
    pub(crate) fn new() -> Self {
        ZeekTsvParser {
            sep: "\t".into(),
            empty: "(empty)".into(),
            unset: "-".into(),
            path: None,
            fields: Vec::new(),
        }
    }
}

/// `\x09` style escapes in header values.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        match rest
            .get(i + 2..i + 4)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            Some(b) if b.is_ascii() => {
                out.push(b as char);
                rest = &rest[i + 4..];
            }
            _ => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl LineParser for ZeekTsvParser {
    fn is_meta(&self, line: &[u8]) -> bool {
        line.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'#')
    }
    fn meta(&mut self, line: &str) -> Result<(), String> {
        let line = line.trim_start();
        if let Some(v) = line.strip_prefix("#separator") {
            let sep = unescape(v.trim());
            if sep.is_empty() {
                return Err("empty #separator".into());
            }
            self.sep = sep;
            return Ok(());
        }
        let (key, value) = match line.split_once(self.sep.as_str()) {
            Some(kv) => kv,
            None => (line, ""),
        };
        match key {
            "#empty_field" => self.empty = value.to_string(),
            "#unset_field" => self.unset = value.to_string(),
            "#path" => self.path = Some(value.to_string()),
            "#fields" => self.fields = value.split(self.sep.as_str()).map(str::to_string).collect(),
            // #set_separator, #types, #open, #close and comments change nothing we use.
            _ => {}
        }
        Ok(())
    }
    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        if self.fields.is_empty() {
            return Err("data before a #fields header".into());
        }
        let mut ev = Event::new(Format::ZeekTsv, ctx.source.as_str(), record, line);
        for (i, value) in line.split(self.sep.as_str()).enumerate() {
            if value == self.unset || value == self.empty || value.is_empty() {
                continue;
            }
            let name = match self.fields.get(i) {
                Some(n) => n.clone(),
                None => format!("col{}", i + 1),
            };
            ev.fields.insert(name, value.to_string());
        }
        let path = self
            .path
            .clone()
            .unwrap_or_else(|| path_from_name(&ctx.name));
        finish(&mut ev, &path);
        Ok(Some(ev))
    }
}

/// What the message shows per log, after the endpoints.
fn detail_keys(path: &str) -> &'static [&'static str] {
    match path {
        "conn" => &[
            "proto",
            "service",
            "conn_state",
            "orig_bytes",
            "resp_bytes",
            "label",
        ],
        "dns" => &["query", "qtype_name", "rcode_name", "answers"],
        "http" => &["method", "host", "uri", "status_code"],
        "ssl" => &["server_name", "version", "validation_status"],
        "x509" => &["certificate.subject"],
        "files" => &["source", "mime_type", "filename"],
        "notice" => &["note", "msg"],
        "weird" => &["name", "addl"],
        "kerberos" => &["request_type", "client", "service", "success"],
        "smtp" => &["mailfrom", "rcptto", "subject"],
        "software" => &["software_type", "name", "unparsed_version"],
        "dhcp" => &["msg_types", "host_name", "assigned_addr", "mac"],
        "ssh" => &["auth_success", "client", "server"],
        "ntlm" => &["username", "domainname", "success"],
        "smb_mapping" => &["path", "share_type"],
        "smb_files" => &["action", "name", "path"],
        "rdp" => &["cookie", "result"],
        "pe" => &["machine", "os", "is_exe"],
        "analyzer" | "dpd" => &["analyzer_name", "analyzer", "failure_reason"],
        "arp" => &["operation", "src_mac", "dst_mac"],
        "capture_loss" => &["peer", "percent_lost"],
        "reporter" => &["level", "message"],
        "loaded_scripts" => &["name"],
        "packet_filter" => &["node", "filter"],
        "tunnel" => &["tunnel_type", "action"],
        _ => &[],
    }
}

/// Fills the normalised fields of a Zeek record whose `fields` are set.
fn finish(ev: &mut Event, path: &str) {
    let f = &ev.fields;
    ev.timestamp = f
        .get("ts")
        .and_then(|t| time::parse_epoch_secs(t).or_else(|| time::parse_iso(t)));
    let ip = |keys: &[&str]| {
        keys.iter()
            .filter_map(|k| f.get(*k))
            .find_map(|v| clean_ip(v))
    };
    ev.src_ip = ip(&["id.orig_h", "orig_h", "client_addr", "host", "src"]);
    ev.dst_ip = ip(&["id.resp_h", "resp_h", "server_addr", "dst"]);
    ev.src_port = first(f, &["id.orig_p", "orig_p"]).and_then(clean_port);
    ev.dst_port = first(f, &["id.resp_p", "resp_p"]).and_then(clean_port);
    // Kerberos writes `client` as `user/REALM`.
    let user = first(f, &["username", "user"]).or_else(|| {
        (path == "kerberos")
            .then(|| first(f, &["client"]))
            .flatten()
            .map(|c| c.split('/').next().unwrap_or(c))
    });
    ev.user = user.map(str::to_string);
    let mut msg = path.to_string();
    if ev.src_ip.is_some() || ev.dst_ip.is_some() {
        let src = endpoint(ev.src_ip.as_deref(), ev.src_port);
        let dst = endpoint(ev.dst_ip.as_deref(), ev.dst_port);
        msg.push_str(&format!(" {src} -> {dst}"));
    }
    let keys = detail_keys(path);
    if keys.is_empty() {
        // Unknown log: its first few values.
        for (k, v) in f
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "ts" | "uid" | "_path"))
            .take(4)
        {
            msg.push_str(&format!(" {k}={v}"));
        }
    } else {
        for v in keys.iter().filter_map(|k| f.get(*k)) {
            msg.push(' ');
            msg.push_str(v);
        }
    }
    ev.event_id = Some(path.to_string());
    ev.message = summary_owned(msg);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn ctx(name: &str) -> Ctx {
        Ctx {
            source: name.into(),
            name: name.into(),
            reference: Utc::now(),
        }
    }

    #[test]
    fn tsv_headers_and_records() {
        let mut p = ZeekTsvParser::new();
        let c = ctx("conn.log.labeled");
        for h in [
            "\t#separator \\x09",
            "#set_separator\t,",
            "#path\tconn",
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tlabel",
        ] {
            assert!(p.is_meta(h.as_bytes()));
            p.meta(h).unwrap();
        }
        let ev = p
            .parse("1677024003.714845\tC6S\t192.168.1.107\t65164\t66.63.168.35\t5888\ttcp\t-\tMalicious", 9, &c)
            .unwrap()
            .unwrap();
        assert_eq!(ev.event_id.as_deref(), Some("conn"));
        assert_eq!(
            ev.endpoints(),
            (
                (Some("192.168.1.107"), Some(65164)),
                (Some("66.63.168.35"), Some(5888))
            )
        );
        assert_eq!(
            ev.timestamp.unwrap().timestamp_micros(),
            1_677_024_003_714_845
        );
        assert!(!ev.fields.contains_key("service"));
        assert_eq!(
            ev.message,
            "conn 192.168.1.107:65164 -> 66.63.168.35:5888 tcp Malicious"
        );
        // Extra columns are kept by position.
        let ev = p
            .parse("1.0\tC\t1.1.1.1\t1\t2.2.2.2\t2\tudp\tdns\tx\textra", 10, &c)
            .unwrap()
            .unwrap();
        assert_eq!(ev.fields["col10"], "extra");
        assert!(ZeekTsvParser::new().parse("1\t2", 1, &c).is_err());
    }

    #[test]
    fn json_records_take_their_path_from_the_name() {
        let ev = ZeekJsonParser
            .parse(r#"{"ts":22.335172,"uid":"C6c","id.orig_h":"fe80::1","id.orig_p":61099,"id.resp_h":"ff02::1:3","id.resp_p":5355,"proto":"udp","query":"wpad","qtype_name":"A"}"#, 1, &ctx("dns.log"))
            .unwrap()
            .unwrap();
        assert_eq!(ev.event_id.as_deref(), Some("dns"));
        assert_eq!(ev.message, "dns [fe80::1]:61099 -> [ff02::1:3]:5355 wpad A");
        assert_eq!(path_from_name("conn.09:00:00-10:00:00.log"), "conn");
    }
}
