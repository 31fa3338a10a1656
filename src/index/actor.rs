//! Time-ordered reads of the tantivy index: one actor's events in time order, and a histogram
//! of a query's hits over time.

use std::ops::Bound;

use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DateTime, Term};

use super::backend::{ActorScan, Bucket};
use super::{EventIndex, Result};
use crate::event::Event;

impl EventIndex {
    /// The events of `actor.host` (and `actor.user`) in its time range, oldest first.
    pub fn scan_actor(&self, actor: &ActorScan, f: &mut dyn FnMut(Event) -> bool) -> Result<()> {
        // Keyword fields are indexed lower-cased (schema::KEYWORD_TOKENIZER).
        let term = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, &value.to_lowercase()),
                IndexRecordOption::Basic,
            ))
        };
        let mut clauses = vec![(Occur::Must, term(self.fields.host, &actor.host))];
        if let Some(user) = &actor.user {
            clauses.push((Occur::Must, term(self.fields.user, user)));
        }
        let at =
            |us: i64| Term::from_field_date(self.fields.ts, DateTime::from_timestamp_micros(us));
        let lower = actor
            .from_us
            .map_or(Bound::Unbounded, |us| Bound::Included(at(us)));
        let upper = actor
            .to_us
            .map_or(Bound::Unbounded, |us| Bound::Excluded(at(us)));
        if lower != Bound::Unbounded || upper != Bound::Unbounded {
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        let q = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let total = searcher.search(&q, &Count)?;
        let top = TopDocs::with_limit(total.max(1))
            .order_by_fast_field::<DateTime>("ts", tantivy::Order::Asc);
        let mut events = Vec::with_capacity(total);
        for (_, addr) in searcher.search(&q, &top)? {
            let ev = self.load(&searcher, addr)?;
            if ev.timestamp.is_some() {
                events.push(ev);
            }
        }
        // Equal timestamps in the order of their files, as session timelines show them.
        super::query::sort_chronologically(&mut events);
        for ev in events {
            if !f(ev) {
                break;
            }
        }
        Ok(())
    }

    /// Counts of `query`'s hits per `interval_secs`, oldest bucket first.
    pub fn histogram(&self, query: &str, interval_secs: u32) -> Result<Vec<Bucket>> {
        let q = self.parse_query(query)?;
        let searcher = self.reader.searcher();
        let width = i64::from(interval_secs.max(1)) * 1_000_000;
        let mut counts = std::collections::BTreeMap::<i64, u64>::new();
        let docs = searcher.search(&q, &DocSetCollector)?;
        let mut columns = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            columns.push(segment.fast_fields().date("ts")?);
        }
        for addr in docs {
            let Some(col) = columns.get(addr.segment_ord as usize) else {
                continue;
            };
            if let Some(ts) = col.first(addr.doc_id) {
                let us = ts.into_timestamp_micros();
                *counts.entry(us.div_euclid(width) * width).or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|(start_us, count)| Bucket { start_us, count })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Format;
    use crate::index::WriteMode;

    #[test]
    fn an_actor_scan_is_in_time_order_and_histograms_bin_by_interval() {
        let dir = tempfile::tempdir().unwrap();
        let index = EventIndex::open(dir.path()).unwrap();
        let mut w = index.writer(1, 20 << 20).unwrap();
        let rows = [
            ("WS01", "bob", Some("2026-03-02T10:00:30Z")),
            ("WS01", "bob", Some("2026-03-02T09:59:59Z")),
            ("ws01", "BOB", Some("2026-03-02T10:00:01Z")),
            ("WS01", "eve", Some("2026-03-02T10:00:02Z")),
            ("WS02", "bob", Some("2026-03-02T10:00:03Z")),
            ("WS01", "bob", None),
        ];
        for (i, (host, user, at)) in rows.iter().enumerate() {
            let mut ev = Event::new(Format::Text, "t.log", i as u64 + 1, "logon");
            ev.host = Some((*host).into());
            ev.user = Some((*user).into());
            ev.timestamp = at.map(|t| t.parse().unwrap());
            let ev = ev.finish();
            assert!(w.admit(&ev, WriteMode::SkipExisting).unwrap());
            w.add(ev).unwrap();
        }
        w.finish().unwrap();
        index.reload().unwrap();
        let scan = |actor: &ActorScan| {
            let mut records = Vec::new();
            index
                .scan_actor(actor, &mut |e| {
                    records.push(e.record);
                    true
                })
                .unwrap();
            records
        };
        let mut actor = ActorScan {
            host: "ws01".into(),
            user: Some("bob".into()),
            ..Default::default()
        };
        // Case-insensitive, oldest first, the undated event left out.
        assert_eq!(scan(&actor), [2, 3, 1]);
        actor.from_us = Some(1_772_445_601_000_000); // 10:00:01, inclusive
        actor.to_us = Some(1_772_445_630_000_000); // 10:00:30, exclusive
        assert_eq!(scan(&actor), [3]);
        actor.user = None;
        assert_eq!(scan(&actor), [3, 4]);

        let h = index.histogram("logon", 60).unwrap();
        let minute = |m: i64| 1_772_445_540_000_000 + m * 60_000_000; // 09:59
        assert_eq!(
            h,
            [
                Bucket {
                    start_us: minute(0),
                    count: 1
                },
                Bucket {
                    start_us: minute(1),
                    count: 4
                },
            ]
        );
    }
}
