//! A fast scan of a case's events through the fast columns: the compact per-event facts that
//! sessionization needs, without decompressing stored documents. Read a chunk of events at a
//! time, whose strings are looked up in the column dictionaries for that chunk only: holding
//! a segment's whole dictionary (every source address of a large auth.log) grew with the case.

use std::sync::Arc;

use tantivy::columnar::{Column, StrColumn};
use tantivy::fastfield::AliveBitSet;
use tantivy::{DateTime, SegmentReader};

use super::{EventIndex, IndexError, Result};

/// What sessionization needs of an event. Strings are shared (`Arc<str>`) within a chunk
/// because a case repeats a few hosts and users over millions of events.
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

impl EventMeta {
    /// The event's place in (time, key) order as one number: undated events first (as
    /// `i64::MIN`, the order sessionization uses), then by key.
    pub fn order(&self) -> u128 {
        order_of(self.ts, self.key)
    }
}

pub(super) fn order_of(ts: Option<i64>, key: u64) -> u128 {
    let t = (i128::from(ts.unwrap_or(i64::MIN)) - i128::from(i64::MIN)) as u128;
    (t << 64) | u128::from(key)
}

/// The string columns of [`EventMeta`], in the order `SegmentMeta::strs` holds them.
const STR_COLUMNS: [&str; 8] = [
    "host", "user", "process", "src_ip", "dst_ip", "format", "event_id", "label",
];

/// One segment's fast columns.
pub(super) struct SegmentMeta {
    key: Column<u64>,
    ts: Column<DateTime>,
    pid: Column<u64>,
    strs: Vec<Option<StrColumn>>,
    alive: Option<AliveBitSet>,
    max_doc: u32,
}

impl SegmentMeta {
    pub(super) fn new(segment: &SegmentReader) -> Result<SegmentMeta> {
        let ff = segment.fast_fields();
        Ok(SegmentMeta {
            key: ff.u64("key")?,
            ts: ff.date("ts")?,
            pid: ff.u64("pid")?,
            strs: STR_COLUMNS
                .iter()
                .map(|name| ff.str(name))
                .collect::<std::result::Result<_, _>>()?,
            alive: segment.alive_bitset().cloned(),
            max_doc: segment.max_doc(),
        })
    }

    /// The documents not deleted, in doc order.
    pub(super) fn live_docs(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.max_doc).filter(|&d| self.alive.as_ref().is_none_or(|a| a.is_alive(d)))
    }

    /// A document's place in (time, key) order ([`EventMeta::order`]).
    pub(super) fn order(&self, doc: u32) -> u128 {
        let ts = self.ts.first(doc).map(|d| d.into_timestamp_micros());
        order_of(ts, self.key.first(doc).unwrap_or(0))
    }

    /// The metadata of `docs`, in their order. Each string column's terms are read once per
    /// call, for the ordinals these documents use.
    pub(super) fn metas(&self, docs: &[u32]) -> Result<Vec<EventMeta>> {
        let mut strs: Vec<Vec<Option<Arc<str>>>> = Vec::with_capacity(self.strs.len());
        for col in &self.strs {
            strs.push(match col {
                Some(c) => terms_of(c, docs)?,
                None => vec![None; docs.len()],
            });
        }
        let mut strs = strs.into_iter().map(Vec::into_iter).collect::<Vec<_>>();
        let mut next = |c: usize| strs[c].next().flatten();
        Ok(docs
            .iter()
            .map(|&doc| EventMeta {
                key: self.key.first(doc).unwrap_or(0),
                ts: self.ts.first(doc).map(|d| d.into_timestamp_micros()),
                pid: self.pid.first(doc),
                host: next(0),
                user: next(1),
                process: next(2),
                src_ip: next(3),
                dst_ip: next(4),
                format: next(5),
                event_id: next(6),
                label: next(7),
            })
            .collect())
    }
}

/// The term of `col` for each of `docs` (None where it has none): the distinct ordinals sorted
/// and read from the dictionary in one sweep, each term allocated once.
fn terms_of(col: &StrColumn, docs: &[u32]) -> Result<Vec<Option<Arc<str>>>> {
    let ords: Vec<Option<u64>> = docs.iter().map(|&d| col.ords().first(d)).collect();
    let mut distinct: Vec<u64> = ords.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut terms: Vec<Arc<str>> = Vec::with_capacity(distinct.len());
    col.dictionary()
        .sorted_ords_to_term_cb(distinct.iter().copied(), |bytes| {
            terms.push(Arc::from(String::from_utf8_lossy(bytes).as_ref()));
            Ok(())
        })
        .map_err(|e| IndexError::Tantivy(e.into()))?;
    Ok(ords
        .into_iter()
        .map(|o| {
            let at = distinct.binary_search(&o?).ok()?;
            terms.get(at).cloned()
        })
        .collect())
}

impl EventIndex {
    /// Every live event's `EventMeta`, in no particular order. Holds them all: for small
    /// cases and tests; a large case is read with [`EventIndex::for_each_meta`].
    pub fn scan_meta(&self) -> Result<Vec<EventMeta>> {
        let mut out = Vec::new();
        self.for_each_meta(CHUNK, |chunk| {
            out.extend(chunk);
            Ok::<_, IndexError>(())
        })?;
        Ok(out)
    }

    /// Every live event's `EventMeta` in chunks of at most `chunk` events, in no particular
    /// order. The first error of `each` stops the scan and is returned.
    pub fn for_each_meta<E: From<IndexError>>(
        &self,
        chunk: usize,
        mut each: impl FnMut(Vec<EventMeta>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let searcher = self.reader.searcher();
        for segment in searcher.segment_readers() {
            let seg = SegmentMeta::new(segment)?;
            let mut live = seg.live_docs();
            loop {
                let part: Vec<u32> = live.by_ref().take(chunk.max(1)).collect();
                if part.is_empty() {
                    break;
                }
                each(seg.metas(&part)?)?;
            }
        }
        Ok(())
    }
}

/// Events per chunk of a plain scan.
const CHUNK: usize = 1 << 16;
