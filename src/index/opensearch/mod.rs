//! The OpenSearch backend of the index seam: one OpenSearch index per case (`PREFIX-CASE`), or
//! for large cases one per month of the events' time (`PREFIX-CASE~2026-03`, read through the
//! alias `PREFIX-CASE`), written in `_bulk` batches and read with the query DSL (lookout's
//! queries translated), point-in-time scans and date histograms. Rule hits, sessions and
//! verdicts stay in the store.

mod bulk;
mod client;
mod doc;
mod dsl;
mod mapping;
mod scan;

use std::sync::Arc;

use serde_json::{Value, json};

use self::client::Client;
use self::scan::Scan;
use super::backend::{ActorScan, Bucket, EventWriter, IndexBackend};
use super::query::sort_chronologically;
use super::url::OpenSearchUrl;
use super::{EventMeta, Order, Result, SearchHits};
use crate::event::Event;

pub use dsl::translate as translate_query;

/// OpenSearch returns at most this many hits per request (`index.max_result_window`).
const WINDOW: usize = 10_000;

/// A case's index on an OpenSearch cluster.
pub struct OpenSearchIndex {
    client: Arc<Client>,
    /// The index, or with `monthly` the alias over the case's monthly indexes.
    index: String,
    monthly: bool,
}

/// Between the case's alias and a month in its monthly indexes' names: a character case names
/// cannot hold, so one case's pattern never takes in another case's indexes.
const MONTH_SEPARATOR: char = '~';

/// The monthly index an event of time `ts` goes to (`undated` for events without a time).
pub fn month_index(alias: &str, ts: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match ts {
        Some(t) => format!("{alias}{MONTH_SEPARATOR}{}", t.format("%Y-%m")),
        None => format!("{alias}{MONTH_SEPARATOR}undated"),
    }
}

impl OpenSearchIndex {
    /// The index of case `case`, created with lookout's mapping when absent: one index, or
    /// with `per=month` an index template and alias for monthly indexes. A case found on the
    /// cluster keeps the layout it was made with, whatever the URL asks for.
    pub fn open(url: &OpenSearchUrl, case: &str) -> Result<OpenSearchIndex> {
        let client = Arc::new(Client::new(url));
        let index = url.index_name(case);
        let found = client.json("GET", &format!("/{index}/_alias"), None)?;
        let monthly = if found.status == 404 {
            if url.per_month {
                Self::create_monthly(&client, url, &index)?;
            } else {
                Self::create(&client, &format!("/{index}"), &mapping::index_body(url))?;
            }
            url.per_month
        } else if !found.ok() {
            return Err(client.error(format!("index {index}: HTTP {}", found.status)));
        } else {
            // An alias answers with the indexes behind it, an index with itself.
            found.body.get(&index).is_none()
        };
        // Wait until the index can take reads and writes (its primaries are assigned).
        client.expect(
            "GET",
            &format!("/_cluster/health/{index}?wait_for_status=yellow&timeout=60s"),
            None,
        )?;
        let me = OpenSearchIndex {
            client,
            index,
            monthly,
        };
        // An ingest that died with refresh off left events unseen: make them visible.
        me.reload()?;
        Ok(me)
    }

    /// `PUT path` with `body`; an index another lookout process created meanwhile is fine.
    fn create(client: &Client, path: &str, body: &Value) -> Result<()> {
        let made = client.json("PUT", path, Some(body))?;
        let raced = made.body["error"]["type"] == "resource_already_exists_exception";
        if !made.ok() && !raced {
            return Err(client.error(format!("creating {path}: {}", made.reason())));
        }
        Ok(())
    }

    /// The template every monthly index of the case is made from, and the first of them (for
    /// events without a time), which brings the alias into being so that reads work at once.
    fn create_monthly(client: &Client, url: &OpenSearchUrl, alias: &str) -> Result<()> {
        client.expect(
            "PUT",
            &format!("/_index_template/{alias}"),
            Some(&mapping::monthly_template(
                url,
                alias,
                &format!("{alias}{MONTH_SEPARATOR}*"),
            )),
        )?;
        Self::create(
            client,
            &format!("/{}", month_index(alias, None)),
            &json!({}),
        )
    }

    /// Whether the case is kept one index per month.
    pub fn is_monthly(&self) -> bool {
        self.monthly
    }

    /// The indexes holding the case's events, by name.
    pub fn indexes(&self) -> Result<Vec<String>> {
        let body = self
            .client
            .expect("GET", &format!("/{}/_alias", self.index), None)?;
        let mut names: Vec<String> = body
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        Ok(names)
    }

    /// The index's name on the cluster.
    pub fn name(&self) -> &str {
        &self.index
    }

    /// Deletes the case's index and its events (benchmarks' throw-away cases).
    pub fn delete(self) -> Result<()> {
        if self.monthly {
            for name in self.indexes()? {
                self.client.expect("DELETE", &format!("/{name}"), None)?;
            }
            self.client
                .expect("DELETE", &format!("/_index_template/{}", self.index), None)?;
        } else {
            self.client
                .expect("DELETE", &format!("/{}", self.index), None)?;
        }
        Ok(())
    }

    fn search_body(&self, query: &str) -> Result<Value> {
        dsl::translate(query)
    }

    /// Every event's `EventMeta` in the scan's order (time then key, undated events first or
    /// last), handed to `f` in batches of `batch`. Names are shared within a batch only: a
    /// case's distinct addresses would otherwise all be held by the end of the scan.
    fn meta_in_order(
        &self,
        batch: usize,
        undated_first: bool,
        f: &mut dyn FnMut(Vec<EventMeta>) -> Result<()>,
    ) -> Result<()> {
        let batch = batch.max(1);
        let mut names = doc::Interner::default();
        let mut held = Vec::new();
        let scan = Scan {
            index: &self.index,
            query: json!({ "match_all": {} }),
            source: json!(doc::META_FIELDS),
            order: "asc",
            undated_first,
            limit: None,
        };
        scan::pages(&self.client, &scan, &mut |hits| {
            for h in hits {
                held.push(doc::meta_from_hit(h, &mut names));
                if held.len() >= batch {
                    f(std::mem::take(&mut held))?;
                    names = doc::Interner::default();
                }
            }
            Ok(true)
        })?;
        if !held.is_empty() {
            f(held)?;
        }
        Ok(())
    }

    fn decode_all(hits: &[Value]) -> Result<Vec<Event>> {
        hits.iter().map(doc::from_hit).collect()
    }
}

impl IndexBackend for OpenSearchIndex {
    fn location(&self) -> String {
        let layout = if self.monthly { " (per month)" } else { "" };
        format!("opensearch {}/{}{layout}", self.client.host(), self.index)
    }

    fn writer(&self, _threads: usize, _memory_bytes: usize) -> Result<EventWriter> {
        let w = bulk::BulkWriter::start(self.client.clone(), &self.index, self.monthly)?;
        Ok(EventWriter::new(Box::new(w)))
    }

    fn reload(&self) -> Result<()> {
        self.client
            .expect("POST", &format!("/{}/_refresh", self.index), None)?;
        Ok(())
    }

    fn count(&self) -> Result<u64> {
        let body = self
            .client
            .expect("GET", &format!("/{}/_count", self.index), None)?;
        body["count"]
            .as_u64()
            .ok_or_else(|| self.client.error("_count: no count in the answer"))
    }

    fn search(&self, query: &str, limit: usize, order: Order) -> Result<SearchHits> {
        let q = self.search_body(query)?;
        let counted = self.client.expect(
            "POST",
            &format!("/{}/_count", self.index),
            Some(&json!({ "query": q })),
        )?;
        let total = counted["count"].as_u64().unwrap_or(0) as usize;
        let order = match order {
            Order::NewestFirst => "desc",
            Order::OldestFirst => "asc",
        };
        let limit = limit.max(1);
        let mut events = Vec::with_capacity(limit.min(total));
        if limit <= WINDOW {
            let body = json!({
                "size": limit,
                "query": q,
                "_source": ["doc"],
                "sort": [
                    { "ts_us": { "order": order, "missing": "_last" } },
                    { "key": { "order": order } }
                ],
                "track_total_hits": false
            });
            let page =
                self.client
                    .expect("POST", &format!("/{}/_search", self.index), Some(&body))?;
            let hits = page["hits"]["hits"].as_array().cloned().unwrap_or_default();
            events = Self::decode_all(&hits)?;
        } else {
            let scan = Scan {
                index: &self.index,
                query: q,
                source: json!(["doc"]),
                order,
                undated_first: false,
                limit: Some(limit),
            };
            scan::pages(&self.client, &scan, &mut |hits| {
                events.extend(Self::decode_all(hits)?);
                Ok(true)
            })?;
        }
        Ok(SearchHits { total, events })
    }

    fn events_by_keys(&self, keys: &[u64]) -> Result<Vec<Event>> {
        let mut events = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(WINDOW) {
            let body = json!({
                "size": chunk.len(),
                "query": { "terms": { "key": chunk } },
                "_source": ["doc"]
            });
            let page =
                self.client
                    .expect("POST", &format!("/{}/_search", self.index), Some(&body))?;
            let hits = page["hits"]["hits"].as_array().cloned().unwrap_or_default();
            events.extend(Self::decode_all(&hits)?);
        }
        sort_chronologically(&mut events);
        Ok(events)
    }

    fn event(&self, id: &str) -> Result<Option<Event>> {
        let key = crate::event::key_of_id(id);
        if self.monthly {
            // `_doc` reads one index, not an alias over several: search by key instead.
            return Ok(self
                .events_by_keys(&[key])?
                .into_iter()
                .find(|e| e.id == id));
        }
        let reply = self.client.json(
            "GET",
            &format!("/{}/_doc/{key}?_source=doc", self.index),
            None,
        )?;
        if reply.status == 404 || reply.body["found"] == false {
            return Ok(None);
        }
        if !reply.ok() {
            return Err(self.client.error(format!("_doc/{key}: {}", reply.reason())));
        }
        let ev = doc::from_hit(&reply.body)?;
        Ok((ev.id == id).then_some(ev))
    }

    fn visit_events(&self, f: &mut dyn FnMut(Event)) -> Result<()> {
        let scan = Scan {
            index: &self.index,
            query: json!({ "match_all": {} }),
            source: json!(["doc"]),
            order: "asc",
            undated_first: false,
            limit: None,
        };
        scan::pages(&self.client, &scan, &mut |hits| {
            for h in hits {
                f(doc::from_hit(h)?);
            }
            Ok(true)
        })
    }

    fn scan_meta(&self) -> Result<Vec<EventMeta>> {
        let mut out = Vec::new();
        self.meta_in_order(usize::MAX, false, &mut |batch| {
            out.extend(batch);
            Ok(())
        })?;
        Ok(out)
    }

    fn visit_meta(
        &self,
        chunk: usize,
        f: &mut dyn FnMut(Vec<EventMeta>) -> Result<()>,
    ) -> Result<()> {
        self.meta_in_order(chunk, false, f)
    }

    fn visit_meta_by_time(
        &self,
        window: usize,
        f: &mut dyn FnMut(Vec<EventMeta>) -> Result<()>,
    ) -> Result<()> {
        // The scan's sort (time, undated first, then key) is the order the windows need.
        self.meta_in_order(window, true, f)
    }

    fn scan_actor(&self, actor: &ActorScan, f: &mut dyn FnMut(Event) -> bool) -> Result<()> {
        let mut filter = vec![
            json!({ "term": { "host": actor.host.to_lowercase() } }),
            json!({ "exists": { "field": "ts_us" } }),
        ];
        if let Some(user) = &actor.user {
            filter.push(json!({ "term": { "user": user.to_lowercase() } }));
        }
        let mut range = serde_json::Map::new();
        if let Some(from) = actor.from_us {
            range.insert("gte".into(), json!(from));
        }
        if let Some(to) = actor.to_us {
            range.insert("lt".into(), json!(to));
        }
        if !range.is_empty() {
            filter.push(json!({ "range": { "ts_us": range } }));
        }
        let scan = Scan {
            index: &self.index,
            query: json!({ "bool": { "filter": filter } }),
            source: json!(["doc"]),
            order: "asc",
            undated_first: false,
            limit: None,
        };
        // Events of one microsecond go out in file order, as the tantivy backend sends them:
        // held back until the next timestamp shows up.
        let mut same_time: Vec<Event> = Vec::new();
        let mut go_on = true;
        let mut emit = |group: &mut Vec<Event>, go_on: &mut bool| {
            sort_chronologically(group);
            for ev in group.drain(..) {
                if *go_on && !f(ev) {
                    *go_on = false;
                }
            }
        };
        scan::pages(&self.client, &scan, &mut |hits| {
            for h in hits {
                let ev = doc::from_hit(h)?;
                let ts = ev.timestamp.map(|t| t.timestamp_micros());
                if same_time
                    .first()
                    .map(|e| e.timestamp.map(|t| t.timestamp_micros()))
                    != Some(ts)
                    && !same_time.is_empty()
                {
                    emit(&mut same_time, &mut go_on);
                }
                same_time.push(ev);
            }
            Ok(go_on)
        })?;
        emit(&mut same_time, &mut go_on);
        Ok(())
    }

    fn histogram(&self, query: &str, interval_secs: u32) -> Result<Vec<Bucket>> {
        let body = json!({
            "size": 0,
            "query": self.search_body(query)?,
            "aggs": { "t": { "date_histogram": {
                "field": "@timestamp",
                "fixed_interval": format!("{}s", interval_secs.max(1)),
                "min_doc_count": 1
            }}}
        });
        let reply = self
            .client
            .expect("POST", &format!("/{}/_search", self.index), Some(&body))?;
        let buckets = reply["aggregations"]["t"]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(buckets
            .iter()
            .filter_map(|b| {
                Some(Bucket {
                    start_us: b["key"].as_i64()?.checked_mul(1000)?,
                    count: b["doc_count"].as_u64()?,
                })
            })
            .collect())
    }
}
