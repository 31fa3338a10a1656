//! A fast scan of a case's events through the fast columns: the compact per-event facts that
//! sessionization needs, without decompressing stored documents.

use std::sync::Arc;

use tantivy::columnar::StrColumn;

use super::{EventIndex, Result};

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

/// Reads one string column with an ord -> string cache.
struct StrReader {
    col: Option<StrColumn>,
    cache: Vec<Option<Arc<str>>>,
    buf: String,
}

impl StrReader {
    fn new(col: Option<StrColumn>) -> Self {
        let n = col.as_ref().map(|c| c.num_terms()).unwrap_or(0);
        StrReader {
            col,
            cache: vec![None; n],
            buf: String::new(),
        }
    }

    fn get(&mut self, doc: u32) -> Option<Arc<str>> {
        let col = self.col.as_ref()?;
        let ord = col.ords().first(doc)?;
        let slot = self.cache.get_mut(ord as usize)?;
        if let Some(s) = slot {
            return Some(s.clone());
        }
        self.buf.clear();
        if !col.ord_to_str(ord, &mut self.buf).ok()? {
            return None;
        }
        let s: Arc<str> = Arc::from(self.buf.as_str());
        *slot = Some(s.clone());
        Some(s)
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
            let mut col = |name: &str| -> Result<StrReader> { Ok(StrReader::new(ff.str(name)?)) };
            let mut host = col("host")?;
            let mut user = col("user")?;
            let mut process = col("process")?;
            let mut src_ip = col("src_ip")?;
            let mut dst_ip = col("dst_ip")?;
            let mut format = col("format")?;
            let mut event_id = col("event_id")?;
            let mut label = col("label")?;
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
