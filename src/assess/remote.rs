//! The second engine: an OpenAI-compatible inference server (llama.cpp's `llama-server`,
//! `mistralrs-server`, vLLM) answering the embedded engine's request — the same prompt, the
//! same JSON schema as `response_format`, greedy — at `POST {url}/chat/completions`. Blocking
//! (the assessor is synchronous), with timeouts, retries with exponential backoff, and a limit
//! on the requests this process has in flight. The user-given URL is the only address it
//! contacts: no proxy from the environment, no redirects.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::prompt::Prompt;
use crate::config::ModelConfig;

/// The first words of the note on a verdict the server did not answer (the rules' instead).
pub const UNAVAILABLE: &str = "inference server unavailable";
/// The environment variable that holds the API key when the config names none.
pub const DEFAULT_KEY_ENV: &str = "LOOKOUT_INFERENCE_KEY";
/// The `json_schema.name` sent with the schema (servers that log it show what asked).
const SCHEMA_NAME: &str = "lookout_verdict";
/// The longest wait between two attempts, whatever the backoff or `Retry-After` says.
const MAX_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq)]
pub struct RemoteOptions {
    /// The API base, e.g. `http://127.0.0.1:8089/v1` (no trailing slash).
    pub url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub api_key: Option<String>,
    /// The model to ask for; `None` = the first one the server lists at `/models`.
    pub model: Option<String>,
    /// Connecting, then the whole answer (generation included) of one attempt.
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Attempts after the first on a connect error, HTTP 429 or 5xx.
    pub retries: u32,
    /// The wait before the first retry; doubled for each next one.
    pub backoff: Duration,
    /// Requests in flight at once from this process.
    pub concurrency: usize,
}

impl RemoteOptions {
    /// Defaults for `url` (key from [`DEFAULT_KEY_ENV`]).
    pub fn new(url: &str) -> RemoteOptions {
        RemoteOptions {
            url: url.trim_end_matches('/').to_string(),
            api_key: key_from_env(DEFAULT_KEY_ENV),
            model: None,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(120),
            retries: 3,
            backoff: Duration::from_millis(500),
            concurrency: 4,
        }
    }

    /// The config's `[model] inference_*` settings for `url` (the flag's or the config's).
    pub fn from_config(url: &str, m: &ModelConfig) -> RemoteOptions {
        let key_env = if m.inference_key_env.is_empty() {
            DEFAULT_KEY_ENV
        } else {
            &m.inference_key_env
        };
        RemoteOptions {
            api_key: key_from_env(key_env),
            model: (!m.inference_model.is_empty()).then(|| m.inference_model.clone()),
            timeout: Duration::from_secs(m.inference_timeout_s.max(1)),
            retries: m.inference_retries,
            concurrency: m.inference_concurrency.max(1),
            ..RemoteOptions::new(url)
        }
    }
}

fn key_from_env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|k| !k.trim().is_empty())
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("inference URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("inference server {url} unreachable ({attempts} attempts): {reason}")]
    Unreachable {
        url: String,
        attempts: u32,
        reason: String,
    },
    #[error("inference server {url} answered HTTP {status} ({attempts} attempts): {body}")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
        body: String,
    },
    #[error("inference server {url}: unexpected reply: {reason}")]
    Reply { url: String, reason: String },
}

/// One answer from the server, with its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    /// The model the server says answered (its `model` field; else the one asked for).
    pub model: String,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Prefill and decode speed when the server reports them (llama.cpp's `timings`), else 0.
    pub prompt_tok_per_s: f64,
    pub gen_tok_per_s: f64,
    pub wall_ms: u64,
    pub finish_reason: String,
    pub attempts: u32,
}

/// A counting semaphore: at most `n` holders of a [`Permit`] at once.
struct Semaphore {
    free: Mutex<usize>,
    freed: Condvar,
}

struct Permit<'a>(&'a Semaphore);

impl Semaphore {
    fn new(n: usize) -> Semaphore {
        Semaphore {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        // The count is one integer changed in one statement: a poisoned lock still holds it.
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn acquire(&self) -> Permit<'_> {
        let mut free = self.lock();
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.lock() += 1;
        self.0.freed.notify_one();
    }
}

/// What one attempt came to: an answer, or an error that a later attempt may not repeat.
enum Attempt {
    Done(Value),
    Retry {
        error: RemoteError,
        wait: Option<Duration>,
    },
    Fail(RemoteError),
}

pub struct RemoteEngine {
    agent: ureq::Agent,
    opts: RemoteOptions,
    slots: Semaphore,
    /// The model asked for, once known (configured, or the server's first listed).
    model: Mutex<Option<String>>,
}

impl RemoteEngine {
    /// Checks the URL and sets up the client; contacts nothing yet (an unreachable server is
    /// an error of each assessment, which then gets the rules' verdict).
    pub fn new(opts: RemoteOptions) -> Result<RemoteEngine, RemoteError> {
        let bad = |reason: &str| RemoteError::BadUrl {
            url: opts.url.clone(),
            reason: reason.into(),
        };
        let rest = opts
            .url
            .strip_prefix("http://")
            .or_else(|| opts.url.strip_prefix("https://"))
            .ok_or_else(|| bad("give http://HOST:PORT/v1 or https://…"))?;
        if rest.is_empty() || rest.starts_with('/') {
            return Err(bad("no host"));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(opts.connect_timeout)
            .timeout(opts.timeout)
            .redirects(0)
            .max_idle_connections_per_host(opts.concurrency.max(1))
            .user_agent(concat!("lookout/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(RemoteEngine {
            agent,
            slots: Semaphore::new(opts.concurrency),
            model: Mutex::new(opts.model.clone()),
            opts,
        })
    }

    pub fn url(&self) -> &str {
        &self.opts.url
    }

    pub fn options(&self) -> &RemoteOptions {
        &self.opts
    }

    /// The model to ask for: the configured one, else the first the server lists at
    /// `GET /models` (asked once, then remembered).
    pub fn model(&self) -> Result<String, RemoteError> {
        let mut known = self.model.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = known.as_ref() {
            return Ok(m.clone());
        }
        let (listing, _) = self.call("/models", None)?;
        let id = listing["data"]
            .as_array()
            .and_then(|d| d.first())
            .and_then(|m| m["id"].as_str())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| self.reply_error("GET /models lists no model (no data[0].id)"))?;
        *known = Some(id.to_string());
        Ok(id.to_string())
    }

    /// The provenance of an answer by `model`: `MODEL@URL`.
    pub fn provenance(&self, model: &str) -> String {
        format!("{model}@{}", self.opts.url)
    }

    /// One greedy chat request for `prompt`, constrained by `schema`, at most `max_tokens`
    /// answer tokens.
    pub fn generate(
        &self,
        prompt: &Prompt,
        schema: Value,
        max_tokens: usize,
    ) -> Result<Reply, RemoteError> {
        let start = Instant::now();
        let model = self.model()?;
        let body = chat_body(&model, prompt, schema, max_tokens);
        let (reply, attempts) = self.call("/chat/completions", Some(&body))?;
        let choice = &reply["choices"][0];
        let text = choice["message"]["content"]
            .as_str()
            .ok_or_else(|| self.reply_error("no choices[0].message.content"))?
            .to_string();
        let count = |v: &Value| v.as_u64().unwrap_or(0) as usize;
        let speed = |v: &Value| v.as_f64().unwrap_or(0.0);
        Ok(Reply {
            text,
            model: reply["model"]
                .as_str()
                .filter(|m| !m.is_empty())
                .unwrap_or(&model)
                .to_string(),
            prompt_tokens: count(&reply["usage"]["prompt_tokens"]),
            completion_tokens: count(&reply["usage"]["completion_tokens"]),
            prompt_tok_per_s: speed(&reply["timings"]["prompt_per_second"]),
            gen_tok_per_s: speed(&reply["timings"]["predicted_per_second"]),
            wall_ms: start.elapsed().as_millis() as u64,
            finish_reason: choice["finish_reason"].as_str().unwrap_or("").to_string(),
            attempts,
        })
    }

    fn reply_error(&self, reason: &str) -> RemoteError {
        RemoteError::Reply {
            url: self.opts.url.clone(),
            reason: reason.into(),
        }
    }

    /// `GET` (no body) or `POST` (a JSON body) of `path` under the URL, retried on connect
    /// errors, 429 and 5xx with exponential backoff. Returns the JSON and the attempts made.
    fn call(&self, path: &str, body: Option<&Value>) -> Result<(Value, u32), RemoteError> {
        let url = format!("{}{path}", self.opts.url);
        let body = body.map(Value::to_string);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = {
                let _slot = self.slots.acquire();
                self.attempt(&url, body.as_deref(), attempt)
            };
            match outcome {
                Attempt::Done(v) => return Ok((v, attempt)),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry { error, .. } if attempt > self.opts.retries => return Err(error),
                Attempt::Retry { wait, .. } => {
                    let backoff = self.opts.backoff.saturating_mul(1 << (attempt - 1).min(16));
                    std::thread::sleep(wait.unwrap_or(backoff).min(MAX_WAIT));
                }
            }
        }
    }

    fn attempt(&self, url: &str, body: Option<&str>, attempt: u32) -> Attempt {
        let mut req = match body {
            Some(_) => self.agent.post(url),
            None => self.agent.get(url),
        };
        if let Some(key) = &self.opts.api_key {
            req = req.set("Authorization", &format!("Bearer {key}"));
        }
        let result = match body {
            Some(b) => req.set("Content-Type", "application/json").send_string(b),
            None => req.call(),
        };
        let base = self.opts.url.clone();
        match result {
            Ok(resp) => match resp.into_string() {
                Ok(text) => match serde_json::from_str(&text) {
                    Ok(v) => Attempt::Done(v),
                    Err(e) => Attempt::Fail(self.reply_error(&format!(
                        "not JSON ({e}): {}",
                        crate::text::one_line(&text, 200)
                    ))),
                },
                // The connection broke while the answer was read: as a connect error.
                Err(e) => Attempt::Retry {
                    error: RemoteError::Unreachable {
                        url: base,
                        attempts: attempt,
                        reason: format!("reading the answer: {e}"),
                    },
                    wait: None,
                },
            },
            Err(ureq::Error::Status(status, resp)) => {
                let wait = resp
                    .header("Retry-After")
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let text = resp.into_string().unwrap_or_default();
                let error = RemoteError::Status {
                    url: base,
                    status,
                    attempts: attempt,
                    body: crate::text::one_line(&text, 300),
                };
                if status == 429 || status >= 500 {
                    Attempt::Retry { error, wait }
                } else {
                    Attempt::Fail(error)
                }
            }
            Err(ureq::Error::Transport(t)) => {
                let error = RemoteError::Unreachable {
                    url: base,
                    attempts: attempt,
                    reason: transport_reason(&t),
                };
                if retryable(&t) {
                    Attempt::Retry { error, wait: None }
                } else {
                    Attempt::Fail(error)
                }
            }
        }
    }
}

/// Connect errors and broken connections are retried; a timeout is not (the server is there
/// and busy: asking again would double its work), nor a bad URL or a TLS failure.
fn retryable(t: &ureq::Transport) -> bool {
    use ureq::ErrorKind;
    match t.kind() {
        ErrorKind::ConnectionFailed => true,
        ErrorKind::Io => !std::error::Error::source(t)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|e| {
                matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                )
            }),
        _ => false,
    }
}

fn transport_reason(t: &ureq::Transport) -> String {
    let mut s = t.kind().to_string();
    if let Some(m) = t.message() {
        s.push_str(": ");
        s.push_str(m);
    }
    if let Some(src) = std::error::Error::source(t) {
        s.push_str(": ");
        s.push_str(&src.to_string());
    }
    s
}

/// The chat request: system and user turns, greedy, the schema as a strict
/// `response_format`, at most `max_tokens` answer tokens.
pub fn chat_body(model: &str, prompt: &Prompt, schema: Value, max_tokens: usize) -> Value {
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ],
        "temperature": 0,
        "max_tokens": max_tokens,
        "stream": false,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": true}
        }
    })
}

#[cfg(test)]
#[path = "remote_tests.rs"]
mod tests;
