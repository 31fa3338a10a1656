//! Index: a case's events behind one seam ([`IndexBackend`]): the per-case tantivy index
//! (schema, the single writer, queries; the default) or an OpenSearch cluster (a team's cases
//! larger than one machine). The only module that imports tantivy; the rest of the crate sees
//! `Event`s and `EventMeta`s.

mod actor;
mod backend;
mod codec;
mod grammar;
mod ledger;
pub mod opensearch;
mod query;
mod scan;
mod scan_time;
mod schema;
mod url;
mod writer;

use std::path::{Path, PathBuf};

use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy};

use crate::event::Event;

// The stored-event codec, public for its fuzz target (fuzz/src/lib.rs).
pub use backend::{ActorScan, BatchWriter, Bucket, EventWriter, IndexBackend, Mode as WriteMode};
pub use codec::{CodecError, decode as decode_event, encode as encode_event};
pub use query::{Order, SearchHits};
pub use scan::EventMeta;
pub use url::{IndexUrl, OpenSearchUrl, chosen as chosen_url, set_default_url};

use schema::Fields;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index at {path}: {source}")]
    Open {
        path: String,
        source: tantivy::TantivyError,
    },
    #[error(
        "index {path} is being written by another lookout process (an ingest of this case is \
         running): try again when it has finished"
    )]
    Locked { path: String },
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("query `{query}`: {reason}")]
    Query { query: String, reason: String },
    #[error("index at {path} was not made by lookout: {reason}")]
    Schema { path: String, reason: String },
    #[error("{0}")]
    Stored(#[from] codec::CodecError),
    #[error("index URL `{url}`: {reason}")]
    Url { url: String, reason: String },
    #[error("opensearch {location}: {reason}")]
    Remote { location: String, reason: String },
    #[error("index ledger {path}: {reason}")]
    Ledger { path: String, reason: String },
    /// A scan stopped by its caller's error, which the caller gets back in its place (never
    /// seen outside the index's scans).
    #[error("stopped by the caller")]
    Stopped,
}

pub type Result<T> = std::result::Result<T, IndexError>;

/// A case's event index. Readers are cheap and many; there is at most one writer at a time.
pub struct EventIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
    ledger: ledger::Ledger,
}

impl EventIndex {
    /// Opens the index in `dir`, creating it when absent.
    pub fn open(dir: &Path) -> Result<EventIndex> {
        let open_err = |source| IndexError::Open {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| open_err(tantivy::TantivyError::IoError(std::sync::Arc::new(e))))?;
        let mmap =
            MmapDirectory::open(dir).map_err(|e| open_err(tantivy::TantivyError::from(e)))?;
        // An existing index keeps the schema it was made with (earlier versions had more
        // fields); a new one gets the current schema.
        let existed = Index::exists(&mmap).map_err(|e| open_err(e.into()))?;
        let index = if existed {
            Index::open(mmap).map_err(open_err)?
        } else {
            Index::create(mmap, schema::build(), Default::default()).map_err(open_err)?
        };
        let ledger = ledger::Ledger::open(dir, !existed)?;
        let fields = Fields::of(&index.schema()).map_err(|reason| IndexError::Schema {
            path: dir.display().to_string(),
            reason,
        })?;
        schema::register_tokenizers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(open_err)?;
        Ok(EventIndex {
            index,
            reader,
            fields,
            path: dir.to_path_buf(),
            ledger,
        })
    }

    /// Takes the index's single writer (fails clearly if another process holds it).
    pub fn writer(&self, threads: usize, memory_bytes: usize) -> Result<EventWriter> {
        let w = self
            .index
            .writer_with_num_threads(threads.max(1), memory_bytes)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => IndexError::Locked {
                    path: self.path.display().to_string(),
                },
                other => IndexError::Tantivy(other),
            })?;
        w.set_merge_policy(Box::new(merge_policy()));
        Ok(EventWriter::new(Box::new(writer::TantivyWriter::new(
            w,
            self.fields,
            self.reader.clone(),
        ))))
    }

    /// Sees the latest commit (after an ingest in this or another process).
    pub fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }

    pub fn num_events(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Files of the committed index whose checksum does not match their content (damage on
    /// disk); empty when the index is sound.
    pub fn corrupt_files(&self) -> Result<Vec<String>> {
        let mut bad: Vec<String> = self
            .index
            .validate_checksum()?
            .into_iter()
            .map(|p| p.display().to_string())
            .collect();
        bad.sort();
        Ok(bad)
    }
}

/// Segments stop growing at about a million events: a merge reads the segments it joins through
/// the memory map, so merges of a multi-gigabyte case held that much index in the process's
/// resident memory (half of a 256 MiB log's 539 MiB peak). Searches then visit a segment per
/// million events or so, which costs little next to reading the hits.
const MAX_DOCS_MERGED: usize = 1_000_000;

fn merge_policy() -> tantivy::indexer::LogMergePolicy {
    let mut p = tantivy::indexer::LogMergePolicy::default();
    p.set_max_docs_before_merge(MAX_DOCS_MERGED);
    p
}

/// The index of case `case` where this process keeps them ([`set_default_url`]): the tantivy
/// index in `local_dir`, or the case's index on an OpenSearch cluster.
pub fn open_case(local_dir: &Path, case: &str) -> Result<Box<dyn IndexBackend>> {
    open_case_at(&url::chosen(), local_dir, case)
}

/// [`open_case`] at a given place.
pub fn open_case_at(at: &IndexUrl, local_dir: &Path, case: &str) -> Result<Box<dyn IndexBackend>> {
    Ok(match at {
        IndexUrl::Local => Box::new(EventIndex::open(local_dir)?),
        IndexUrl::OpenSearch(u) => Box::new(opensearch::OpenSearchIndex::open(u, case)?),
    })
}

/// The tantivy index through the seam: the inherent methods above and in `query`, `scan` and
/// `actor`, which tests and the benchmarks also call directly.
impl IndexBackend for EventIndex {
    fn location(&self) -> String {
        format!("tantivy {}", self.path.display())
    }

    fn writer(&self, threads: usize, memory_bytes: usize) -> Result<EventWriter> {
        EventIndex::writer(self, threads, memory_bytes)
    }

    fn reload(&self) -> Result<()> {
        EventIndex::reload(self)
    }

    fn count(&self) -> Result<u64> {
        Ok(EventIndex::num_events(self))
    }

    fn num_events(&self) -> u64 {
        EventIndex::num_events(self)
    }

    fn search(&self, query: &str, limit: usize, order: Order) -> Result<SearchHits> {
        EventIndex::search(self, query, limit, order)
    }

    fn events_by_keys(&self, keys: &[u64]) -> Result<Vec<Event>> {
        EventIndex::events_by_keys(self, keys)
    }

    fn event(&self, id: &str) -> Result<Option<Event>> {
        EventIndex::event(self, id)
    }

    fn visit_events(&self, f: &mut dyn FnMut(Event)) -> Result<()> {
        EventIndex::for_each_event(self, f)
    }

    fn scan_meta(&self) -> Result<Vec<EventMeta>> {
        EventIndex::scan_meta(self)
    }

    fn visit_meta(
        &self,
        chunk: usize,
        f: &mut dyn FnMut(Vec<EventMeta>) -> Result<()>,
    ) -> Result<()> {
        EventIndex::for_each_meta(self, chunk, f)
    }

    fn visit_meta_by_time(
        &self,
        window: usize,
        f: &mut dyn FnMut(Vec<EventMeta>) -> Result<()>,
    ) -> Result<()> {
        EventIndex::for_each_meta_by_time(self, window, f)
    }

    fn scan_actor(&self, actor: &ActorScan, f: &mut dyn FnMut(Event) -> bool) -> Result<()> {
        EventIndex::scan_actor(self, actor, f)
    }

    fn histogram(&self, query: &str, interval_secs: u32) -> Result<Vec<Bucket>> {
        EventIndex::histogram(self, query, interval_secs)
    }

    fn corrupt_files(&self) -> Result<Vec<String>> {
        EventIndex::corrupt_files(self)
    }
    fn holds_file(&self, sha256: &str) -> Result<bool> {
        Ok(self.ledger.holds(sha256))
    }
    fn files_committed(&self, sha256: &[String]) -> Result<()> {
        self.ledger.add(sha256)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{STORED, STRING, TantivyDocument};

    use super::*;
    use crate::event::Format;

    /// An index as lookout 0.1 wrote it: the current fields plus an indexed text `id`, and
    /// each event stored as JSON.
    fn write_old_index(dir: &Path, ev: &Event) {
        let current = schema::build();
        let mut sb = tantivy::schema::Schema::builder();
        let id = sb.add_text_field("id", STRING | STORED);
        for (_, entry) in current.fields() {
            sb.add_field(entry.clone());
        }
        let schema = sb.build();
        let index = Index::create_in_dir(dir, schema.clone()).unwrap();
        schema::register_tokenizers(&index);
        let f = |n: &str| schema.get_field(n).unwrap();
        let mut doc = TantivyDocument::default();
        doc.add_text(id, &ev.id);
        doc.add_u64(f("key"), ev.key());
        doc.add_text(f("host"), ev.host.as_deref().unwrap());
        doc.add_text(f("message"), &ev.message);
        doc.add_bytes(f("doc"), &serde_json::to_vec(ev).unwrap());
        let mut w: tantivy::IndexWriter = index.writer_with_num_threads(1, 20 << 20).unwrap();
        w.add_document(doc).unwrap();
        w.commit().unwrap();
    }

    fn event(line: &str, record: u64) -> Event {
        let mut ev = Event::new(Format::Text, "old.log", record, line);
        ev.host = Some("WS01".into());
        ev.finish()
    }

    #[test]
    fn time_ranges_select_by_timestamp_and_combine_with_terms() {
        let dir = tempfile::tempdir().unwrap();
        let index = EventIndex::open(dir.path()).unwrap();
        let mut w = index.writer(1, 20 << 20).unwrap();
        for (i, at) in [
            "2026-03-01T23:59:59.999999Z",
            "2026-03-02T00:00:00Z",
            "2026-03-02T12:30:00.5Z",
            "2026-03-03T00:00:00Z",
        ]
        .iter()
        .enumerate()
        {
            let mut ev = Event::new(Format::Text, "t.log", i as u64 + 1, "logon failure");
            ev.host = Some(if i == 2 { "WS02" } else { "WS01" }.into());
            ev.timestamp = Some(at.parse().unwrap());
            let ev = ev.finish();
            assert!(w.admit(&ev, WriteMode::SkipExisting).unwrap());
            w.add(ev).unwrap();
        }
        w.finish().unwrap();
        index.reload().unwrap();
        let count = |q: &str| index.search(q, 10, Order::OldestFirst).unwrap().total;
        // Inclusive bounds, microsecond precision at the edges.
        assert_eq!(
            count("ts:[2026-03-02T00:00:00Z TO 2026-03-03T00:00:00Z]"),
            3
        );
        assert_eq!(
            count("ts:[2026-03-02T00:00:00Z TO 2026-03-03T00:00:00Z}"),
            2
        );
        assert_eq!(count("ts:[2026-03-01T23:59:59.999999Z TO *]"), 4);
        assert_eq!(
            count("ts:[2026-03-02T00:00:00Z TO 2026-03-03T00:00:00Z] AND host:ws01"),
            2
        );
        let hits = index
            .search(
                "failure AND ts:{2026-03-02T00:00:00Z TO 2026-03-03T00:00:00Z}",
                10,
                Order::OldestFirst,
            )
            .unwrap();
        assert_eq!(hits.total, 1);
        assert_eq!(hits.events[0].host.as_deref(), Some("WS02"));
        // A negation joined by AND excludes, as `-` does (it used to match nothing).
        assert_eq!(count("failure AND NOT host:ws02"), 3);
        assert_eq!(count("failure -host:ws02"), 3);
        assert_eq!(count("NOT host:ws02 AND NOT host:ws03 AND logon"), 3);
        assert_eq!(count("host:ws02 OR (failure AND NOT host:ws01)"), 1);
        assert!(
            index
                .search("NOT host:ws02", 10, Order::OldestFirst)
                .is_err()
        );
        // What the refusal advises instead.
        assert_eq!(count("* AND NOT host:ws02"), 3);
    }

    #[test]
    fn an_index_of_the_previous_version_still_opens_reads_and_takes_new_events() {
        let dir = tempfile::tempdir().unwrap();
        let old = event("failed password for bob", 1);
        write_old_index(dir.path(), &old);

        let index = EventIndex::open(dir.path()).unwrap();
        assert_eq!(index.num_events(), 1);
        assert_eq!(index.event(&old.id).unwrap(), Some(old.clone()));
        assert_eq!(
            index
                .search("host:ws01", 5, Order::NewestFirst)
                .unwrap()
                .total,
            1
        );

        // The old event is recognised as stored; a new one is added in the new stored form.
        let new = event("accepted password for bob", 2);
        let mut w = index.writer(1, 20 << 20).unwrap();
        assert!(!w.admit(&old, WriteMode::SkipExisting).unwrap());
        assert!(w.admit(&new, WriteMode::SkipExisting).unwrap());
        w.add(new.clone()).unwrap();
        w.finish().unwrap();
        index.reload().unwrap();
        assert_eq!(index.num_events(), 2);
        assert_eq!(index.event(&new.id).unwrap(), Some(new));
        assert_eq!(index.scan_meta().unwrap().len(), 2);
    }
}
