//! The single index writer: adds each event once, by id, so that re-ingesting adds no
//! duplicates.

use std::collections::HashSet;

use tantivy::schema::{OwnedValue, TantivyDocument};
use tantivy::{DateTime, IndexWriter, Searcher, Term};

use super::Result;
use super::schema::Fields;
use crate::event::Event;

/// How an event meets the events already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Delete any stored event with the same id first: for a file whose earlier ingest was
    /// interrupted, where many of its events are already there.
    Replace,
    /// Add the event unless one with the same id is stored or was added in this run: for a
    /// file never ingested before, which may still overlap others (a log that has grown since
    /// it was last ingested). Cheaper than `Replace`, whose queued deletes dominate memory.
    SkipExisting,
}

pub struct EventWriter {
    writer: IndexWriter,
    fields: Fields,
    pending: u64,
    /// The committed events when the writer was taken.
    before: Searcher,
    /// Keys of the events added by this writer.
    added: HashSet<u64>,
}

impl EventWriter {
    pub(super) fn new(writer: IndexWriter, fields: Fields, before: Searcher) -> Self {
        EventWriter {
            writer,
            fields,
            pending: 0,
            before,
            added: HashSet::new(),
        }
    }

    /// Adds (or replaces) one event; `Ok(false)` when `SkipExisting` found it already stored.
    pub fn add(&mut self, ev: &Event, mode: Mode) -> Result<bool> {
        let f = &self.fields;
        let id = Term::from_field_text(f.id, &ev.id);
        let key = ev.key();
        match mode {
            Mode::Replace => {
                self.writer.delete_term(id);
            }
            Mode::SkipExisting => {
                if self.added.contains(&key) || self.before.doc_freq(&id)? > 0 {
                    return Ok(false);
                }
            }
        }
        self.added.insert(key);
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &ev.id);
        doc.add_u64(f.key, key);
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
        Ok(true)
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
