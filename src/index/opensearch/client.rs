//! The HTTP side of the OpenSearch backend: JSON requests to one of the cluster's nodes, with
//! retries on the answers that mean "later" (429, 502-504) and on a node that cannot be
//! reached (the next node of the URL is tried), so a busy or restarting cluster slows an
//! ingest down instead of failing it.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

use super::super::url::OpenSearchUrl;
use super::super::{IndexError, Result};

/// How long one request keeps retrying before it fails: long enough for a node to restart
/// (a JVM start takes 10-30 s) or a merge storm to pass.
const RETRY_FOR: Duration = Duration::from_secs(120);

/// One cluster, shared by the readers and the bulk thread (ureq's agent pools connections).
pub struct Client {
    agent: ureq::Agent,
    hosts: Vec<String>,
    auth: Option<String>,
    /// The node that answered last: requests go there first.
    current: AtomicUsize,
}

/// An answer: its status and JSON body (`Null` when the body is empty or not JSON).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The server's own reason (`error.type: error.reason`), for messages.
    pub fn reason(&self) -> String {
        let e = &self.body["error"];
        match (e["type"].as_str(), e["reason"].as_str()) {
            (Some(t), Some(r)) => format!("{t}: {r}"),
            _ if e.is_string() => e.as_str().unwrap_or_default().to_string(),
            _ => format!("HTTP {}", self.status),
        }
    }
}

fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

impl Client {
    pub fn new(url: &OpenSearchUrl) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            // A bulk request into a busy node, or a scan page of large records, takes time.
            .timeout(Duration::from_secs(300))
            .build();
        let auth = url.auth.as_ref().map(|(u, p)| {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            format!("Basic {token}")
        });
        Client {
            agent,
            hosts: url.hosts.clone(),
            auth,
            current: AtomicUsize::new(0),
        }
    }

    /// The node requests go to now, for messages.
    pub fn host(&self) -> &str {
        let i = self.current.load(Ordering::Relaxed) % self.hosts.len().max(1);
        self.hosts.get(i).map_or("", String::as_str)
    }

    /// `method path` with a JSON body (or none); retried as the module says. An answer that
    /// is not retried (any status) is returned for the caller to judge.
    pub fn json(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Reply> {
        let bytes = body.map(|b| b.to_string().into_bytes());
        self.send(method, path, "application/json", bytes.as_deref())
    }

    /// Like [`Client::json`], failing on any status outside 2xx.
    pub fn expect(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let reply = self.json(method, path, body)?;
        if reply.ok() {
            Ok(reply.body)
        } else {
            Err(self.error(format!("{method} {path}: {}", reply.reason())))
        }
    }

    /// `_bulk` bodies are newline-delimited JSON.
    pub fn ndjson(&self, path: &str, body: &[u8]) -> Result<Reply> {
        self.send("POST", path, "application/x-ndjson", Some(body))
    }

    pub fn error(&self, reason: impl Into<String>) -> IndexError {
        IndexError::Remote {
            location: self.host().to_string(),
            reason: reason.into(),
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Option<&[u8]>,
    ) -> Result<Reply> {
        let started = Instant::now();
        let mut wait = Duration::from_millis(100);
        let mut last_problem;
        loop {
            let host_ix = self.current.load(Ordering::Relaxed) % self.hosts.len().max(1);
            let host = self.hosts.get(host_ix).map_or("", String::as_str);
            let mut req = self
                .agent
                .request(method, &format!("{host}{path}"))
                .set("content-type", content_type);
            if let Some(a) = &self.auth {
                req = req.set("authorization", a);
            }
            let result = match body {
                Some(b) => req.send_bytes(b),
                None => req.call(),
            };
            match result {
                Ok(resp) => return read_reply(resp),
                Err(ureq::Error::Status(status, resp)) => {
                    let reply = read_reply(resp)?;
                    if !retryable_status(status) {
                        return Ok(reply);
                    }
                    last_problem = reply.reason();
                }
                Err(ureq::Error::Transport(t)) => {
                    last_problem = t.to_string();
                    // Another node of the cluster may answer while this one is down.
                    let _ = self.current.compare_exchange(
                        host_ix,
                        host_ix + 1,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                }
            }
            if started.elapsed() + wait > RETRY_FOR {
                return Err(IndexError::Remote {
                    location: host.to_string(),
                    reason: format!(
                        "{method} {path}: still failing after {} s: {last_problem}",
                        started.elapsed().as_secs()
                    ),
                });
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(5));
        }
    }
}

fn read_reply(resp: ureq::Response) -> Result<Reply> {
    let status = resp.status();
    // Not `into_string`, which stops at 10 MB: a page of stored events can be larger.
    let mut bytes = Vec::new();
    resp.into_reader()
        .read_to_end(&mut bytes)
        .map_err(|e| IndexError::Remote {
            location: String::new(),
            reason: format!("reading an answer: {e}"),
        })?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Reply { status, body })
}
