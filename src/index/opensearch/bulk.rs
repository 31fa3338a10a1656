//! The OpenSearch writer of one ingest: events go out in `_bulk` batches from a thread of
//! their own, so parsing goes on while a batch is indexed; the channel to it holds two
//! batches, which is the back-pressure (a slow cluster slows the reader, memory stays
//! bounded). Each event's key is its `_id`, so re-ingesting adds nothing; items the cluster
//! refuses for now (429, 503) are sent again; refresh is off while the load runs.

use std::collections::{BTreeMap, HashSet};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

use super::client::Client;
use super::doc::to_doc;
use crate::event::Event;
use crate::index::backend::{BatchWriter, Mode};
use crate::index::{IndexError, Result};

/// Events per `_bulk` request, and the size that closes a batch early: a few MB per request
/// is where OpenSearch's bulk throughput levels off.
const BATCH_EVENTS: usize = 2_000;
const BATCH_BYTES: usize = 8 << 20;

/// How often one batch's refused items are sent again before the ingest fails.
const ITEM_RETRIES: u32 = 30;

/// One event's two lines (action, document).
struct Item {
    lines: Vec<u8>,
}

enum Job {
    Batch(Vec<Item>),
    /// Answers once every batch sent before it is indexed.
    Flush(SyncSender<Result<()>>),
}

/// What the bulk thread saw, read at the end.
#[derive(Default)]
struct Tally {
    /// Events whose `_id` was already there (`create` answered 409).
    existing: u64,
    /// Events refused for good, by the cluster's reason.
    rejected: BTreeMap<String, u64>,
    /// The first failure of a whole request; every later flush reports it.
    failure: Option<String>,
}

pub struct BulkWriter {
    client: Arc<Client>,
    /// The case's index, or the alias over its monthly indexes.
    index: String,
    /// Each event goes to the index of its month (`super::month_index`).
    monthly: bool,
    tx: Option<SyncSender<Job>>,
    worker: Option<JoinHandle<()>>,
    tally: Arc<Mutex<Tally>>,
    batch: Vec<Item>,
    batch_bytes: usize,
    pending: u64,
    /// Keys admitted by this writer.
    added: HashSet<u64>,
    /// The mode of the event admitted last, which `add` writes.
    mode: Mode,
    stored: Vec<u8>,
}

impl BulkWriter {
    pub fn start(client: Arc<Client>, index: &str, monthly: bool) -> Result<BulkWriter> {
        // Refreshing every second during a load makes segments nobody reads yet; commit
        // refreshes once.
        client.expect(
            "PUT",
            &format!("/{index}/_settings"),
            Some(&json!({ "index": { "refresh_interval": "-1" } })),
        )?;
        let (tx, rx) = sync_channel::<Job>(2);
        let tally = Arc::new(Mutex::new(Tally::default()));
        let worker = {
            // Monthly: each action names its index; the alias cannot take writes.
            let path = if monthly {
                "/_bulk".to_string()
            } else {
                format!("/{index}/_bulk")
            };
            let (client, tally) = (client.clone(), tally.clone());
            std::thread::Builder::new()
                .name("lookout-bulk".into())
                .spawn(move || run(&client, &path, rx, &tally))
                .map_err(|e| client_error(&format!("starting the bulk thread: {e}")))?
        };
        Ok(BulkWriter {
            client,
            index: index.to_string(),
            monthly,
            tx: Some(tx),
            worker: Some(worker),
            tally,
            batch: Vec::new(),
            batch_bytes: 0,
            pending: 0,
            added: HashSet::new(),
            mode: Mode::SkipExisting,
            stored: Vec::new(),
        })
    }

    fn send(&mut self, job: Job) -> Result<()> {
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| client_error("writer closed"))?;
        tx.send(job)
            .map_err(|_| client_error("the bulk thread stopped"))
    }

    fn send_batch(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        self.send(Job::Batch(batch))
    }

    /// Sends what is buffered and waits until the cluster has all of it.
    fn flush(&mut self) -> Result<()> {
        self.send_batch()?;
        let (done_tx, done_rx) = sync_channel(1);
        self.send(Job::Flush(done_tx))?;
        done_rx
            .recv()
            .map_err(|_| client_error("the bulk thread stopped"))?
    }

    fn failure(&self) -> Option<String> {
        self.tally.lock().ok().and_then(|t| t.failure.clone())
    }

    fn stop_worker(&mut self) {
        self.tx.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn client_error(reason: &str) -> IndexError {
    IndexError::Remote {
        location: String::new(),
        reason: reason.to_string(),
    }
}

impl BatchWriter for BulkWriter {
    /// `SkipExisting` is decided by the cluster (`create` refuses a known `_id`), which
    /// saves a lookup per event; within this run the writer skips repeats itself.
    fn admit(&mut self, ev: &Event, mode: Mode) -> Result<bool> {
        self.mode = mode;
        Ok(self.added.insert(ev.key()))
    }

    fn add(&mut self, ev: Event) -> Result<()> {
        if let Some(f) = self.failure() {
            return Err(client_error(&f));
        }
        let doc = to_doc(&ev, &mut self.stored);
        // `index` replaces an event an interrupted run left behind; `create` keeps the one
        // there (409). Both leave one copy per key.
        let op = match self.mode {
            Mode::Replace => "index",
            Mode::SkipExisting => "create",
        };
        let mut action = json!({ "_id": ev.key().to_string() });
        if self.monthly {
            action["_index"] = json!(super::month_index(&self.index, ev.timestamp));
        }
        let mut lines = json!({ op: action }).to_string();
        lines.push('\n');
        lines.push_str(&doc.to_string());
        lines.push('\n');
        self.batch_bytes += lines.len();
        self.batch.push(Item {
            lines: lines.into_bytes(),
        });
        self.pending += 1;
        if self.batch.len() >= BATCH_EVENTS || self.batch_bytes >= BATCH_BYTES {
            self.send_batch()?;
        }
        Ok(())
    }

    fn pending(&self) -> u64 {
        self.pending
    }

    fn commit(&mut self) -> Result<()> {
        self.flush()?;
        self.client
            .expect("POST", &format!("/{}/_refresh", self.index), None)?;
        self.pending = 0;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        let flushed = self.flush();
        self.stop_worker();
        // Back to the index's default refresh, whatever happened.
        let reset = self.client.expect(
            "PUT",
            &format!("/{}/_settings", self.index),
            Some(&json!({ "index": { "refresh_interval": null } })),
        );
        flushed?;
        reset?;
        self.client
            .expect("POST", &format!("/{}/_refresh", self.index), None)?;
        let t = self
            .tally
            .lock()
            .map_err(|_| client_error("bulk tally poisoned"))?;
        for (reason, n) in &t.rejected {
            eprintln!("lookout: {n} events refused by OpenSearch: {reason}");
        }
        Ok(t.existing)
    }
}

impl Drop for BulkWriter {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

/// The bulk thread: batches in order; a flush is answered once those before it are in.
fn run(client: &Client, path: &str, rx: Receiver<Job>, tally: &Mutex<Tally>) {
    for job in rx {
        match job {
            Job::Batch(items) => {
                let failed = tally.lock().map(|t| t.failure.is_some()).unwrap_or(true);
                if failed {
                    continue;
                }
                if let Err(e) = index_batch(client, path, items, tally)
                    && let Ok(mut t) = tally.lock()
                {
                    t.failure.get_or_insert(e.to_string());
                }
            }
            Job::Flush(done) => {
                let result = match tally.lock().ok().and_then(|t| t.failure.clone()) {
                    Some(f) => Err(client_error(&f)),
                    None => Ok(()),
                };
                let _ = done.send(result);
            }
        }
    }
}

/// One batch, its refused-for-now items sent again with a growing pause.
fn index_batch(client: &Client, path: &str, items: Vec<Item>, tally: &Mutex<Tally>) -> Result<()> {
    let mut todo = items;
    let mut wait = Duration::from_millis(200);
    for _ in 0..ITEM_RETRIES {
        let body: Vec<u8> = todo.iter().flat_map(|i| i.lines.iter().copied()).collect();
        let reply = client.ndjson(path, &body)?;
        if !reply.ok() {
            return Err(client.error(format!("_bulk: {}", reply.reason())));
        }
        let results = reply.body["items"].as_array().cloned().unwrap_or_default();
        if results.len() != todo.len() {
            return Err(client.error(format!(
                "_bulk answered {} items for {} sent",
                results.len(),
                todo.len()
            )));
        }
        let mut again = Vec::new();
        let mut t = tally
            .lock()
            .map_err(|_| client_error("bulk tally poisoned"))?;
        for (item, result) in todo.into_iter().zip(results) {
            let r = result
                .as_object()
                .and_then(|o| o.values().next())
                .cloned()
                .unwrap_or(Value::Null);
            match r["status"].as_u64().unwrap_or(0) {
                200..=299 => {}
                409 => t.existing += 1,
                429 | 502 | 503 | 504 => again.push(item),
                _ => {
                    let reason = r["error"]["type"].as_str().unwrap_or("unknown error");
                    *t.rejected.entry(reason.to_string()).or_default() += 1;
                }
            }
        }
        drop(t);
        if again.is_empty() {
            return Ok(());
        }
        todo = again;
        std::thread::sleep(wait);
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    Err(client.error(format!(
        "_bulk: {} events still refused after {ITEM_RETRIES} tries",
        todo.len()
    )))
}
