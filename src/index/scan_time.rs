//! The case's events in (time, key) order, a window of events at a time, for sessionization
//! of a case too large to hold: windows are planned from histograms of the events' order
//! values, then each is read by one pass over the fast columns.

use super::scan::{EventMeta, SegmentMeta};
use super::{EventIndex, IndexError};

/// Buckets of one histogram pass.
const BUCKETS: usize = 1 << 16;

impl EventIndex {
    /// Every live event's `EventMeta`, in (time, key) order ([`EventMeta::order`]), in windows
    /// of at most `window` events (more only where that many share one time and key); every
    /// event of a window comes before every event of the next. The first error of `each` stops
    /// the scan and is returned.
    pub fn for_each_meta_by_time<E: From<IndexError>>(
        &self,
        window: usize,
        mut each: impl FnMut(Vec<EventMeta>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let searcher = self.reader.searcher();
        let segments = searcher
            .segment_readers()
            .iter()
            .map(SegmentMeta::new)
            .collect::<Result<Vec<_>, _>>()?;
        for (lo, hi) in plan(&segments, window.max(1)) {
            let mut batch = Vec::new();
            for seg in &segments {
                let docs: Vec<u32> = seg
                    .live_docs()
                    .filter(|&d| (lo..=hi).contains(&seg.order(d)))
                    .collect();
                batch.extend(seg.metas(&docs)?);
            }
            batch.sort_unstable_by_key(EventMeta::order);
            each(batch)?;
        }
        Ok(())
    }
}

/// The windows (inclusive ranges of order values, ascending) that hold the live events in
/// groups of at most `max`.
fn plan(segments: &[SegmentMeta], max: usize) -> Vec<(u128, u128)> {
    let (mut lo, mut hi, mut n) = (u128::MAX, 0u128, 0usize);
    for seg in segments {
        for doc in seg.live_docs() {
            let v = seg.order(doc);
            lo = lo.min(v);
            hi = hi.max(v);
            n += 1;
        }
    }
    let mut out = Vec::new();
    if n > 0 {
        split(segments, (lo, hi), n, max, &mut out);
    }
    out
}

/// Appends windows for the `count` events in `range`: the range itself when they fit, else
/// consecutive histogram buckets gathered up to `max`, a bucket over `max` split again.
fn split(
    segments: &[SegmentMeta],
    (lo, hi): (u128, u128),
    count: usize,
    max: usize,
    out: &mut Vec<(u128, u128)>,
) {
    if count <= max || lo == hi {
        out.push((lo, hi));
        return;
    }
    let width = (hi - lo) / BUCKETS as u128 + 1;
    let mut counts = vec![0usize; BUCKETS];
    for seg in segments {
        for doc in seg.live_docs() {
            let v = seg.order(doc);
            if (lo..=hi).contains(&v) {
                counts[((v - lo) / width) as usize] += 1;
            }
        }
    }
    let (mut start, mut gathered) = (lo, 0usize);
    for (b, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let b_lo = lo + width * b as u128;
        let b_hi = b_lo.saturating_add(width - 1).min(hi);
        if gathered > 0 && gathered + c > max {
            out.push((start, b_lo - 1));
            gathered = 0;
        }
        if gathered == 0 {
            start = b_lo;
        }
        if c > max {
            split(segments, (b_lo, b_hi), c, max, out);
            start = b_hi.saturating_add(1);
            continue;
        }
        gathered += c;
    }
    if gathered > 0 {
        out.push((start, hi));
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{Event, Format};
    use crate::index::{EventIndex, IndexError, WriteMode};

    #[test]
    fn windows_come_in_time_order_and_hold_every_event_once() {
        let dir = tempfile::tempdir().unwrap();
        let index = EventIndex::open(dir.path()).unwrap();
        let mut w = index.writer(1, 15 << 20).unwrap();
        let base = chrono::DateTime::from_timestamp(1_772_442_000, 0).unwrap();
        // Two commits make two segments; some events share a second, a few have no time.
        for part in 0..2u32 {
            for i in 0..500u32 {
                let mut ev = Event::new(
                    Format::Text,
                    "t.log",
                    u64::from(i),
                    format!("line {part} {i}"),
                );
                ev.timestamp = (i % 97 != 0)
                    .then(|| base + chrono::Duration::seconds(i64::from((i * 7919 + part) % 300)));
                let ev = ev.finish();
                if w.admit(&ev, WriteMode::SkipExisting).unwrap() {
                    w.add(ev).unwrap();
                }
            }
            w.commit().unwrap();
        }
        w.finish().unwrap();
        index.reload().unwrap();
        let mut want: Vec<u128> = index
            .scan_meta()
            .unwrap()
            .iter()
            .map(|m| m.order())
            .collect();
        want.sort_unstable();
        assert_eq!(want.len(), 1000);
        for window in [1, 7, 64, 10_000] {
            let mut got = Vec::new();
            let mut sizes = Vec::new();
            index
                .for_each_meta_by_time(window, |batch| {
                    sizes.push(batch.len());
                    got.extend(batch.iter().map(|m| m.order()));
                    Ok::<_, IndexError>(())
                })
                .unwrap();
            assert_eq!(got, want, "window {window}");
            assert!(
                sizes.iter().all(|&n| n <= window),
                "window {window}: {sizes:?}"
            );
        }
    }
}
