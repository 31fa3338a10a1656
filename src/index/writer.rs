//! The tantivy index's single writer: adds each event once, by key (the low 64 bits of its
//! content hash), so that re-ingesting adds no duplicates.

use std::collections::HashSet;

use tantivy::schema::{OwnedValue, TantivyDocument};
use tantivy::{DateTime, IndexReader, IndexWriter, Searcher, Term};

use super::Result;
use super::backend::{BatchWriter, Mode};
use super::schema::Fields;
use crate::event::Event;

pub struct TantivyWriter {
    writer: IndexWriter,
    fields: Fields,
    pending: u64,
    /// The case's reader, reloaded at each commit.
    reader: IndexReader,
    /// The events committed before the last commit of this writer (or before it was taken).
    before: Searcher,
    /// Keys of the events added since then. Cleared at each commit, when `before` takes them
    /// over: a set of every key of a 2 GB ingest held hundreds of MB.
    added: HashSet<u64>,
    /// Reused buffer for the stored form of an event.
    stored: Vec<u8>,
}

impl TantivyWriter {
    pub(super) fn new(writer: IndexWriter, fields: Fields, reader: IndexReader) -> Self {
        TantivyWriter {
            writer,
            fields,
            pending: 0,
            before: reader.searcher(),
            reader,
            added: HashSet::new(),
            stored: Vec::new(),
        }
    }
}

impl BatchWriter for TantivyWriter {
    /// Whether `ev` is to be written: not when an event with its key was admitted since the
    /// last commit (a duplicate record; callers may add admitted events later, in batches);
    /// else always for `Replace` (its stored copy is deleted now), and for `SkipExisting`
    /// unless an event with its key is stored. Call `add` with every admitted event before
    /// the next commit.
    fn admit(&mut self, ev: &Event, mode: Mode) -> Result<bool> {
        let key = ev.key();
        let key_term = Term::from_field_u64(self.fields.key, key);
        if self.added.contains(&key) {
            return Ok(false);
        }
        match mode {
            Mode::Replace => {
                self.writer.delete_term(key_term);
            }
            Mode::SkipExisting => {
                if self.before.doc_freq(&key_term)? > 0 {
                    return Ok(false);
                }
            }
        }
        self.added.insert(key);
        Ok(true)
    }

    /// Indexes an admitted event. Takes it by value so that its original fields move into
    /// the document instead of being copied.
    fn add(&mut self, ev: Event) -> Result<()> {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        if let Some(id) = f.id {
            doc.add_text(id, &ev.id);
        }
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
        self.stored.clear();
        super::codec::encode(&ev, &mut self.stored);
        doc.add_bytes(f.doc, &self.stored);
        if !ev.fields.is_empty() {
            let obj = ev
                .fields
                .into_iter()
                .map(|(k, v)| (k, OwnedValue::Str(v)))
                .collect();
            doc.add_field_value(f.fields, &OwnedValue::Object(obj));
        }
        self.writer.add_document(doc)?;
        self.pending += 1;
        Ok(())
    }

    /// Events added since the last commit.
    fn pending(&self) -> u64 {
        self.pending
    }

    /// Makes everything added so far durable and visible.
    fn commit(&mut self) -> Result<()> {
        self.writer.commit()?;
        self.pending = 0;
        self.reader.reload()?;
        self.before = self.reader.searcher();
        self.added.clear();
        Ok(())
    }

    /// Commits and waits for background merges, releasing the writer lock. `admit` saw every
    /// stored key, so nothing added was stored already.
    fn finish(mut self: Box<Self>) -> Result<u64> {
        self.commit()?;
        self.writer.wait_merging_threads()?;
        Ok(0)
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
