//! Events as OpenSearch documents and back: the searchable fields of the mapping, and the
//! event itself in lookout's stored form (`doc`), which is what reads decode, so an event
//! comes back exactly as it went in.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use serde_json::{Map, Value, json};

use super::super::codec;
use super::super::writer::label_to_string;
use super::super::{EventMeta, IndexError, Result};
use crate::event::Event;

/// Stands for `.` in an original field's name: OpenSearch reads dots in a field name as
/// object paths, which would make `a.b` and `a` (a value) clash and fail the event.
pub const DOT: &str = "%2E";

/// The field of original field `name` (`fields.NAME`, dots replaced).
pub fn field_path(name: &str) -> String {
    format!("fields.{}", name.replace('.', DOT))
}

/// The `_source` fields a scan for sessions reads.
pub const META_FIELDS: [&str; 11] = [
    "key", "ts_us", "host", "user", "process", "pid", "src_ip", "dst_ip", "format", "event_id",
    "label",
];

/// The document of `ev`; `stored` is a reused buffer.
pub fn to_doc(ev: &Event, stored: &mut Vec<u8>) -> Value {
    let mut d = Map::new();
    d.insert("key".into(), json!(ev.key()));
    if let Some(ts) = ev.timestamp {
        d.insert("ts_us".into(), json!(ts.timestamp_micros()));
        // `date` takes years 0-9999 only; an event outside them is still found by `ts`.
        if (0..=9999).contains(&chrono::Datelike::year(&ts)) {
            d.insert(
                "@timestamp".into(),
                json!(ts.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            );
        }
    }
    let label = ev.label.as_ref().map(label_to_string);
    let keywords = [
        ("host", ev.host.as_deref()),
        ("user", ev.user.as_deref()),
        ("process", ev.process.as_deref()),
        ("format", Some(ev.format.as_str())),
        ("event_id", ev.event_id.as_deref()),
        ("channel", ev.channel.as_deref()),
        ("src_ip", ev.src_ip.as_deref()),
        ("dst_ip", ev.dst_ip.as_deref()),
        ("source", Some(ev.source.as_str())),
        ("label", label.as_deref()),
    ];
    // Empty values are left out, as the tantivy writer leaves them out.
    for (name, value) in keywords {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            d.insert(name.into(), json!(v));
        }
    }
    if let Some(pid) = ev.pid {
        d.insert("pid".into(), json!(pid));
    }
    d.insert("message".into(), json!(ev.message));
    if !ev.fields.is_empty() {
        let fields: Map<String, Value> = ev
            .fields
            .iter()
            // A nameless field has no field path (tantivy would index it under ``, which no
            // query names).
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, v)| (k.replace('.', DOT), json!(v)))
            .collect();
        d.insert("fields".into(), Value::Object(fields));
    }
    stored.clear();
    codec::encode(ev, stored);
    d.insert(
        "doc".into(),
        json!(base64::engine::general_purpose::STANDARD.encode(&stored)),
    );
    Value::Object(d)
}

/// The event in a hit (`_source.doc`).
pub fn from_hit(hit: &Value) -> Result<Event> {
    let b64 = hit["_source"]["doc"]
        .as_str()
        .ok_or_else(|| IndexError::Query {
            query: hit["_id"].to_string(),
            reason: "stored event missing".into(),
        })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| codec::CodecError::Corrupt(0))?;
    Ok(codec::decode(&bytes)?)
}

/// Shares one `Arc<str>` per distinct value: a case repeats a few hosts and users over
/// millions of events.
#[derive(Default)]
pub struct Interner(HashMap<String, Arc<str>>);

impl Interner {
    fn get(&mut self, v: &Value) -> Option<Arc<str>> {
        let s = v.as_str().filter(|s| !s.is_empty())?;
        if let Some(a) = self.0.get(s) {
            return Some(a.clone());
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(s.to_string(), a.clone());
        Some(a)
    }
}

/// The `EventMeta` of a hit whose `_source` holds [`META_FIELDS`].
pub fn meta_from_hit(hit: &Value, names: &mut Interner) -> EventMeta {
    let s = &hit["_source"];
    EventMeta {
        key: s["key"].as_u64().unwrap_or(0),
        ts: s["ts_us"].as_i64(),
        host: names.get(&s["host"]),
        user: names.get(&s["user"]),
        process: names.get(&s["process"]),
        pid: s["pid"].as_u64(),
        src_ip: names.get(&s["src_ip"]),
        dst_ip: names.get(&s["dst_ip"]),
        format: names.get(&s["format"]),
        event_id: names.get(&s["event_id"]),
        label: names.get(&s["label"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Format;

    #[test]
    fn a_document_carries_the_event_back_exactly() {
        let mut ev = Event::new(Format::Evtx, "a.evtx", 7, "{\"x\":1}");
        ev.timestamp = "2026-03-02T12:30:00.123456789Z".parse().ok();
        ev.host = Some("WS01".into());
        ev.user = Some(String::new());
        ev.message = "logon failure".into();
        ev.fields.insert("Target.User".into(), "bob".into());
        ev.fields.insert(String::new(), "nameless".into());
        let ev = ev.finish();
        let doc = to_doc(&ev, &mut Vec::new());
        assert_eq!(doc["key"], json!(ev.key()));
        assert_eq!(
            doc["ts_us"],
            json!(ev.timestamp.unwrap().timestamp_micros())
        );
        assert_eq!(doc["@timestamp"], json!("2026-03-02T12:30:00.123456Z"));
        assert_eq!(doc["host"], json!("WS01"));
        assert!(doc.get("user").is_none(), "empty values are left out");
        assert_eq!(doc["fields"]["Target%2EUser"], json!("bob"));
        assert_eq!(doc["fields"].as_object().map(|o| o.len()), Some(1));
        let hit = json!({ "_id": "1", "_source": doc });
        assert_eq!(from_hit(&hit).unwrap(), ev);
        let meta = meta_from_hit(&hit, &mut Interner::default());
        assert_eq!(meta.host.as_deref(), Some("WS01"));
        assert_eq!(meta.user, None);
        assert_eq!(meta.key, ev.key());
    }
}
