//! Queries over a case index: tantivy query syntax, membership lookups and full scans.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, Query, QueryParser, QueryParserError, TermSetQuery};
use tantivy::schema::{TantivyDocument, Value};
use tantivy::{DocAddress, Searcher, Term};

use super::{EventIndex, IndexError, Result};
use crate::event::Event;

/// Result order of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    NewestFirst,
    OldestFirst,
}

pub struct SearchHits {
    /// All matching events, not only those returned.
    pub total: usize,
    pub events: Vec<Event>,
}

impl EventIndex {
    /// Parses a query in tantivy syntax over message and fields (`host:WS01 AND event_id:4625`,
    /// `ts:[2024-01-01T00:00:00Z TO 2024-01-02T00:00:00Z]`, `fields.CommandLine:mimikatz`).
    pub fn parse_query(&self, query: &str) -> Result<Box<dyn Query>> {
        if query.trim().is_empty() || query.trim() == "*" {
            return Ok(Box::new(AllQuery));
        }
        let f = &self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.message, f.fields]);
        parser.set_conjunction_by_default();
        let err = |e: QueryParserError| IndexError::Query {
            query: query.to_string(),
            reason: e.to_string(),
        };
        let ast = super::grammar::parse(query)
            .map_err(|()| err(QueryParserError::SyntaxError(query.to_string())))?;
        parser.build_query_from_user_input_ast(ast).map_err(err)
    }

    pub fn search(&self, query: &str, limit: usize, order: Order) -> Result<SearchHits> {
        let q = self.parse_query(query)?;
        let searcher = self.reader.searcher();
        let total = searcher.search(&q, &Count)?;
        let dir = match order {
            Order::NewestFirst => tantivy::Order::Desc,
            Order::OldestFirst => tantivy::Order::Asc,
        };
        let top =
            TopDocs::with_limit(limit.max(1)).order_by_fast_field::<tantivy::DateTime>("ts", dir);
        let hits = searcher.search(&q, &top)?;
        let mut events = Vec::with_capacity(hits.len());
        for (_, addr) in hits {
            events.push(self.load(&searcher, addr)?);
        }
        Ok(SearchHits { total, events })
    }

    /// The events whose keys are given (a session's members), in time order.
    pub fn events_by_keys(&self, keys: &[u64]) -> Result<Vec<Event>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let terms = keys
            .iter()
            .map(|k| Term::from_field_u64(self.fields.key, *k));
        let q = TermSetQuery::new(terms);
        let searcher = self.reader.searcher();
        let hits = searcher.search(&q, &TopDocs::with_limit(keys.len()))?;
        let mut events = Vec::with_capacity(hits.len());
        for (_, addr) in hits {
            events.push(self.load(&searcher, addr)?);
        }
        sort_chronologically(&mut events);
        Ok(events)
    }

    /// One event by its full id (found by its key, then checked).
    pub fn event(&self, id: &str) -> Result<Option<Event>> {
        let q = tantivy::query::TermQuery::new(
            Term::from_field_u64(self.fields.key, crate::event::key_of_id(id)),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let searcher = self.reader.searcher();
        for (_, addr) in searcher.search(&q, &TopDocs::with_limit(4))? {
            let ev = self.load(&searcher, addr)?;
            if ev.id == id {
                return Ok(Some(ev));
            }
        }
        Ok(None)
    }

    /// Calls `f` for every stored event (any order). Used to re-run rules over a case.
    pub fn for_each_event(&self, mut f: impl FnMut(Event)) -> Result<()> {
        let searcher = self.reader.searcher();
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(64)
                .map_err(|e| IndexError::Tantivy(e.into()))?;
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                let d: TantivyDocument = store.get(doc)?;
                if let Some(ev) = self.decode(&d)? {
                    f(ev);
                }
            }
        }
        Ok(())
    }

    pub(super) fn load(&self, searcher: &Searcher, addr: DocAddress) -> Result<Event> {
        let d: TantivyDocument = searcher.doc(addr)?;
        self.decode(&d)?.ok_or_else(|| IndexError::Query {
            query: format!("{addr:?}"),
            reason: "stored event missing".into(),
        })
    }

    fn decode(&self, d: &TantivyDocument) -> Result<Option<Event>> {
        match d.get_first(self.fields.doc).and_then(|v| v.as_bytes()) {
            Some(bytes) => Ok(Some(super::codec::decode(bytes)?)),
            None => Ok(None),
        }
    }
}

/// Time order, undated events last, ties by source and record number.
pub fn sort_chronologically(events: &mut [Event]) {
    events.sort_by(|a, b| {
        let ta = a
            .timestamp
            .map(|t| t.timestamp_micros())
            .unwrap_or(i64::MAX);
        let tb = b
            .timestamp
            .map(|t| t.timestamp_micros())
            .unwrap_or(i64::MAX);
        ta.cmp(&tb)
            .then_with(|| a.source.cmp(&b.source))
            .then(a.record.cmp(&b.record))
    });
}
