//! The single index writer: upserts events by id so that re-ingesting adds no duplicates.

use tantivy::schema::{OwnedValue, TantivyDocument};
use tantivy::{DateTime, IndexWriter, Term};

use super::Result;
use super::schema::Fields;
use crate::event::Event;

pub struct EventWriter {
    writer: IndexWriter,
    fields: Fields,
    pending: u64,
}

impl EventWriter {
    pub(super) fn new(writer: IndexWriter, fields: Fields) -> Self {
        EventWriter {
            writer,
            fields,
            pending: 0,
        }
    }

    /// Adds (or replaces) one event. Deleting by id first makes ingest idempotent: a file that
    /// was half ingested before a crash can simply be ingested again.
    pub fn upsert(&mut self, ev: &Event) -> Result<()> {
        let f = &self.fields;
        self.writer.delete_term(Term::from_field_text(f.id, &ev.id));
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &ev.id);
        doc.add_u64(f.key, ev.key());
        if let Some(ts) = ev.timestamp {
            doc.add_date(f.ts, DateTime::from_timestamp_micros(ts.timestamp_micros()));
        }
        let keywords = [
            (f.host, ev.host.as_deref()),
            (f.user, ev.user.as_deref()),
            (f.process, ev.process.as_deref()),
            (f.format, Some(ev.format.as_str())),
            (f.event_id, ev.event_id.as_deref()),
            (f.channel, ev.channel.as_deref()),
            (f.src_ip, ev.src_ip.as_deref()),
            (f.dst_ip, ev.dst_ip.as_deref()),
            (f.source, Some(ev.source.as_str())),
        ];
        for (field, value) in keywords {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                doc.add_text(field, v);
            }
        }
        if let Some(label) = &ev.label {
            doc.add_text(f.label, label_to_string(label));
        }
        if let Some(pid) = ev.pid {
            doc.add_u64(f.pid, u64::from(pid));
        }
        doc.add_text(f.message, &ev.message);
        if !ev.fields.is_empty() {
            let obj = ev
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), OwnedValue::Str(v.clone())))
                .collect();
            doc.add_field_value(f.fields, &OwnedValue::Object(obj));
        }
        doc.add_bytes(f.doc, &serde_json::to_vec(ev)?);
        self.writer.add_document(doc)?;
        self.pending += 1;
        Ok(())
    }

    /// Events added since the last commit.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// Makes everything added so far durable and visible.
    pub fn commit(&mut self) -> Result<()> {
        self.writer.commit()?;
        self.pending = 0;
        Ok(())
    }

    /// Commits and waits for background merges, releasing the writer lock.
    pub fn finish(mut self) -> Result<()> {
        self.commit()?;
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

/// `malicious:T1003.001,T1059.001`, the same syntax as `--label`.
pub fn label_to_string(label: &crate::event::Label) -> String {
    if label.techniques.is_empty() {
        label.cause.as_str().to_string()
    } else {
        format!("{}:{}", label.cause, label.techniques.join(","))
    }
}
