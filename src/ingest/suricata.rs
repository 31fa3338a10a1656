//! Suricata EVE JSON lines: `event_type` becomes the `event_id`, the flow 5-tuple the
//! endpoints, and the message leads with what matters for the type (alert signature, DNS
//! name, HTTP request, TLS name…).

use super::jsonflat::{Pairs, flatten_object};
use super::parser::{Ctx, LineParser, clean_ip, clean_port, endpoint, first, summary_owned};
use super::time;
use crate::event::{Event, Format};

pub(crate) struct EveParser;

impl LineParser for EveParser {
    fn whole_records(&self) -> bool {
        true
    }

    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        let mut pairs = Pairs::new();
        flatten_object(line, &mut pairs).map_err(|e| format!("bad JSON: {e}"))?;
        let mut ev = Event::new(Format::SuricataEve, ctx.source.as_str(), record, line);
        ev.fields = pairs.into_iter().collect();
        let f = &ev.fields;
        ev.timestamp = f.get("timestamp").and_then(|t| time::parse_iso(t));
        ev.src_ip = f.get("src_ip").and_then(|v| clean_ip(v));
        ev.dst_ip = f.get("dest_ip").and_then(|v| clean_ip(v));
        ev.src_port = f.get("src_port").and_then(|v| clean_port(v));
        ev.dst_port = f.get("dest_port").and_then(|v| clean_port(v));
        ev.user =
            first(f, &["http.http_user", "smb.ntlmssp.user", "krb5.cname"]).map(str::to_string);
        let kind = f.get("event_type").map(String::as_str).unwrap_or("event");
        let g = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
        let what = match kind {
            "alert" => format!(
                "[{}] {} (sid {})",
                g("alert.severity"),
                g("alert.signature"),
                g("alert.signature_id")
            ),
            "dns" => format!("{} {} {}", g("dns.type"), g("dns.rrname"), g("dns.rrtype")),
            "http" => format!(
                "{} {}{} {}",
                g("http.http_method"),
                g("http.hostname"),
                g("http.url"),
                g("http.status")
            ),
            "tls" => format!("{} {}", g("tls.sni"), g("tls.version")),
            "fileinfo" => format!("{} {}", g("fileinfo.filename"), g("fileinfo.magic")),
            "anomaly" => format!("{} {}", g("anomaly.type"), g("anomaly.event")),
            "flow" | "netflow" => format!("{} {}", g("flow.state"), g("flow.reason")),
            "ssh" => format!(
                "{} / {}",
                g("ssh.client.software_version"),
                g("ssh.server.software_version")
            ),
            _ => String::new(),
        };
        let flow = if ev.src_ip.is_some() || ev.dst_ip.is_some() {
            let src = endpoint(ev.src_ip.as_deref(), ev.src_port);
            let dst = endpoint(ev.dst_ip.as_deref(), ev.dst_port);
            format!(" {src} -> {dst} {}", g("proto"))
        } else {
            String::new()
        };
        ev.message = summary_owned(format!("{kind} {}{flow}", what.trim()));
        ev.event_id = Some(kind.to_string());
        Ok(Some(ev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn alert_record() {
        let ctx = Ctx {
            source: "eve.json".into(),
            name: "eve.json".into(),
            reference: Utc::now(),
        };
        let line = r#"{"timestamp":"2021-06-06T15:59:46.457984+0200","flow_id":1,"event_type":"alert","src_ip":"78.36.196.213","src_port":51698,"dest_ip":"192.168.1.129","dest_port":445,"proto":"TCP","alert":{"action":"allowed","signature_id":2403388,"signature":"ET CINS Active Threat Intelligence Poor Reputation IP group 89","severity":2},"host":"stratosphere.org"}"#;
        let ev = EveParser.parse(line, 1, &ctx).unwrap().unwrap();
        assert_eq!(ev.event_id.as_deref(), Some("alert"));
        assert_eq!(
            ev.timestamp.unwrap(),
            Utc.with_ymd_and_hms(2021, 6, 6, 13, 59, 46).unwrap()
                + chrono::Duration::microseconds(457984)
        );
        assert_eq!(
            (ev.src_ip.as_deref(), ev.dst_port),
            (Some("78.36.196.213"), Some(445))
        );
        assert_eq!(
            ev.message,
            "alert [2] ET CINS Active Threat Intelligence Poor Reputation IP group 89 (sid 2403388) 78.36.196.213:51698 -> 192.168.1.129:445 TCP"
        );
        assert_eq!(ev.fields["alert.signature_id"], "2403388");
    }
}
