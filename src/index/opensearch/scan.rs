//! Reading a whole case index, or one actor's part of it, in pages: a point-in-time (one view
//! of the index for the whole scan, whatever ingests run meanwhile) and `search_after` on a
//! sort that orders every event once (time, then key, which is unique).

use serde_json::{Value, json};

use super::client::Client;
use crate::index::Result;

/// Events per page of a scan.
const PAGE: usize = 5_000;

/// How long the point-in-time lives between two pages.
const KEEP_ALIVE: &str = "5m";

/// What to scan and how.
pub struct Scan<'a> {
    pub index: &'a str,
    pub query: Value,
    /// `_source` filter: the fields each hit carries.
    pub source: Value,
    /// `asc` or `desc` on time (then key).
    pub order: &'a str,
    /// Undated events before the dated ones (the order sessionization reads, as
    /// `EventMeta::order` has it) instead of after them.
    pub undated_first: bool,
    /// Stop after this many hits (`None`: all).
    pub limit: Option<usize>,
}

/// Calls `f` with each page of hits in order, until the hits run out, `limit` is reached or
/// `f` returns false.
pub fn pages(
    client: &Client,
    scan: &Scan,
    f: &mut dyn FnMut(&[Value]) -> Result<bool>,
) -> Result<()> {
    let created = client.expect(
        "POST",
        &format!(
            "/{}/_search/point_in_time?keep_alive={KEEP_ALIVE}",
            scan.index
        ),
        None,
    )?;
    let pit = created["pit_id"]
        .as_str()
        .ok_or_else(|| client.error("point in time: no pit_id in the answer"))?
        .to_string();
    let result = walk(client, scan, &pit, f);
    // A point-in-time holds segments until it expires; free it now.
    let _ = client.json(
        "DELETE",
        "/_search/point_in_time",
        Some(&json!({ "pit_id": [pit] })),
    );
    result
}

fn walk(
    client: &Client,
    scan: &Scan,
    pit: &str,
    f: &mut dyn FnMut(&[Value]) -> Result<bool>,
) -> Result<()> {
    let mut after: Option<Value> = None;
    let mut seen = 0usize;
    loop {
        let size = scan
            .limit
            .map_or(PAGE, |l| l.saturating_sub(seen).min(PAGE));
        if size == 0 {
            return Ok(());
        }
        let missing = if scan.undated_first {
            "_first"
        } else {
            "_last"
        };
        let mut body = json!({
            "size": size,
            "query": scan.query,
            "_source": scan.source,
            "pit": { "id": pit, "keep_alive": KEEP_ALIVE },
            "sort": [
                { "ts_us": { "order": scan.order, "missing": missing } },
                { "key": { "order": scan.order } }
            ],
            "track_total_hits": false
        });
        if let Some(a) = &after {
            body["search_after"] = a.clone();
        }
        let page = client.expect("POST", "/_search", Some(&body))?;
        let hits = page["hits"]["hits"].as_array().cloned().unwrap_or_default();
        if hits.is_empty() {
            return Ok(());
        }
        seen += hits.len();
        if !f(&hits)? {
            return Ok(());
        }
        after = hits.last().map(|h| h["sort"].clone());
        if hits.len() < size {
            return Ok(());
        }
    }
}
