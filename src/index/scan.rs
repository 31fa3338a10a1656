//! A fast scan of a case's events through the fast columns: the compact per-event facts that
//! sessionization needs, without decompressing stored documents.

use std::sync::Arc;

use tantivy::columnar::StrColumn;

use super::{EventIndex, IndexError, Result};

/// What sessionization needs of an event. Strings are interned (`Arc<str>`) because a case
/// repeats a few hosts and users over millions of events.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMeta {
    pub key: u64,
    /// Microseconds since the Unix epoch (UTC).
    pub ts: Option<i64>,
    pub host: Option<Arc<str>>,
    pub user: Option<Arc<str>>,
    pub process: Option<Arc<str>>,
    pub pid: Option<u64>,
    pub src_ip: Option<Arc<str>>,
    pub dst_ip: Option<Arc<str>>,
    pub format: Option<Arc<str>>,
    pub event_id: Option<Arc<str>>,
    pub label: Option<Arc<str>>,
}

/// Reads one string column through its whole dictionary, read once in order: looking terms
/// up one ordinal at a time decompresses a dictionary block per lookup.
struct StrReader {
    col: Option<StrColumn>,
    terms: Vec<Arc<str>>,
}

impl StrReader {
    fn new(col: Option<StrColumn>) -> Result<Self> {
        let mut terms = Vec::new();
        if let Some(c) = &col {
            terms.reserve(c.num_terms());
            let mut stream = c
                .dictionary()
                .stream()
                .map_err(|e| IndexError::Tantivy(e.into()))?;
            while stream.advance() {
                terms.push(Arc::from(String::from_utf8_lossy(stream.key()).as_ref()));
            }
        }
        Ok(StrReader { col, terms })
    }

    fn get(&self, doc: u32) -> Option<Arc<str>> {
        let ord = self.col.as_ref()?.ords().first(doc)?;
        self.terms.get(usize::try_from(ord).ok()?).cloned()
    }
}

impl EventIndex {
    /// Every live event's `EventMeta`, in no particular order.
    pub fn scan_meta(&self) -> Result<Vec<EventMeta>> {
        let searcher = self.reader.searcher();
        let mut out = Vec::with_capacity(searcher.num_docs() as usize);
        for segment in searcher.segment_readers() {
            let ff = segment.fast_fields();
            let key = ff.u64("key")?;
            let ts = ff.date("ts")?;
            let pid = ff.u64("pid")?;
            let col = |name: &str| -> Result<StrReader> { StrReader::new(ff.str(name)?) };
            let host = col("host")?;
            let user = col("user")?;
            let process = col("process")?;
            let src_ip = col("src_ip")?;
            let dst_ip = col("dst_ip")?;
            let format = col("format")?;
            let event_id = col("event_id")?;
            let label = col("label")?;
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                out.push(EventMeta {
                    key: key.first(doc).unwrap_or(0),
                    ts: ts.first(doc).map(|d| d.into_timestamp_micros()),
                    host: host.get(doc),
                    user: user.get(doc),
                    process: process.get(doc),
                    pid: pid.first(doc),
                    src_ip: src_ip.get(doc),
                    dst_ip: dst_ip.get(doc),
                    format: format.get(doc),
                    event_id: event_id.get(doc),
                    label: label.get(doc),
                });
            }
        }
        Ok(out)
    }
}
