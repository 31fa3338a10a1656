//! Slips alerts (`alerts.json`): IDEA0 JSON lines with `DetectTime`, `Category`, `Source` and
//! `Target` lists of addresses and ports, and the evidence text in `Attach[].Content` or
//! `Note`. Few and small, so a `serde_json::Value` is fine here.

use serde_json::Value;

use super::jsonflat::flatten_value;
use super::parser::{Ctx, LineParser, clean_ip, endpoint, summary_owned};
use super::time;
use crate::event::{Event, Format};

pub(crate) struct SlipsParser;

/// The first element of `v[list][0][key]` as text (`Source[0].IP4[0]`).
fn first_in(v: &Value, list: &str, keys: &[&str]) -> Option<String> {
    let entry = v.get(list)?.get(0)?;
    keys.iter().find_map(|k| {
        let x = entry.get(*k)?;
        let x = x.get(0).unwrap_or(x);
        match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

impl LineParser for SlipsParser {
    fn whole_records(&self) -> bool {
        true
    }

    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("bad JSON: {e}"))?;
        if !v.is_object() {
            return Err("not a JSON object".into());
        }
        let mut ev = Event::new(Format::Slips, ctx.source.as_str(), record, line);
        let mut pairs = Vec::new();
        flatten_value(&v, &mut String::new(), &mut pairs);
        ev.fields = pairs.into_iter().collect();
        let text = |k: &str| v.get(k).and_then(Value::as_str);
        ev.timestamp = ["EventTime", "DetectTime", "CreateTime"]
            .iter()
            .find_map(|k| text(k).and_then(time::parse_iso));
        ev.src_ip = first_in(&v, "Source", &["IP4", "IP6"]).and_then(|s| clean_ip(&s));
        ev.dst_ip = first_in(&v, "Target", &["IP4", "IP6"]).and_then(|s| clean_ip(&s));
        ev.src_port = first_in(&v, "Source", &["Port"]).and_then(|p| p.parse().ok());
        ev.dst_port = first_in(&v, "Target", &["Port"]).and_then(|p| p.parse().ok());
        ev.host = first_in(&v, "Target", &["Hostname"]);
        let category = v
            .get("Category")
            .and_then(|c| c.get(0).or(Some(c)))
            .and_then(Value::as_str);
        ev.event_id = category.map(str::to_string);
        let what = v
            .get("Attach")
            .and_then(|a| a.get(0))
            .and_then(|a| a.get("Content"))
            .and_then(Value::as_str)
            .or_else(|| text("Note"))
            .or_else(|| text("Description"))
            .unwrap_or("");
        let src = endpoint(ev.src_ip.as_deref(), ev.src_port);
        let dst = ev
            .dst_ip
            .as_deref()
            .map(|d| format!(" -> {}", endpoint(Some(d), ev.dst_port)))
            .unwrap_or_default();
        ev.message = summary_owned(format!(
            "{} {src}{dst}: {what}",
            category.unwrap_or("alert")
        ));
        Ok(Some(ev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn idea_alert() {
        let ctx = Ctx {
            source: "alerts.json".into(),
            name: "alerts.json".into(),
            reference: Utc::now(),
        };
        let line = r#"{"Format":"IDEA0","ID":"a1","DetectTime":"2023-05-01T10:00:00+02:00","EventTime":"2023-05-01T10:00:00+02:00","Category":["Recon.Scanning"],"Confidence":0.8,"Source":[{"IP4":["192.168.1.107"],"Port":[65164],"Proto":["tcp"]}],"Target":[{"IP4":["66.63.168.35"],"Port":[5888]}],"Attach":[{"Content":"horizontal port scan to port 5888/TCP","ContentType":"text/plain"}]}"#;
        let ev = SlipsParser.parse(line, 3, &ctx).unwrap().unwrap();
        assert_eq!(ev.event_id.as_deref(), Some("Recon.Scanning"));
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2023-05-01T08:00:00+00:00"
        );
        assert_eq!(
            ev.endpoints(),
            (
                (Some("192.168.1.107"), Some(65164)),
                (Some("66.63.168.35"), Some(5888))
            )
        );
        assert_eq!(
            ev.message,
            "Recon.Scanning 192.168.1.107:65164 -> 66.63.168.35:5888: horizontal port scan to port 5888/TCP"
        );
        assert!(SlipsParser.parse("[1]", 1, &ctx).is_err());
    }
}
