//! The synchronous assessor: prompt -> cache lookup -> constrained generation -> catalog check
//! -> combination with the evidence -> cache. The generation is the embedded engine's or an
//! inference server's ([`super::remote`]); without either (or without the `model` feature and
//! no server) it gives the rules-only verdict through the same API.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use sha2::{Digest, Sha256};

use super::combine::{combine, rules_only, rules_only_because};
use super::input::AssessInput;
use super::model_file::{ModelFile, ModelFileError, default_model};
use super::prompt::{PROMPT_VERSION, Prompt, build_prompt};
use super::remote::{RemoteEngine, RemoteError};
use super::schema::{AnswerError, known_techniques, parse_answer};
use super::schema::{MAX_ANSWER_TOKENS, verdict_schema};
use super::tidy::tidy_verdict;
use crate::attack::Catalog;
use crate::model::Assessment;
use crate::store::{AssessmentKey, Store, StoreError};

#[cfg(feature = "model")]
use super::engine::{Engine, EngineError, EngineOptions};

/// The model id of rules-only verdicts (also their cache key's model hash).
pub const RULES_ONLY: &str = "rules-only";

#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    #[error(transparent)]
    ModelFile(#[from] ModelFileError),
    #[cfg(feature = "model")]
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("this build of lookout has no model support (built without the `model` feature)")]
    NoModelFeature,
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("assessment cache: {0}")]
    Store(#[from] StoreError),
    #[error("assessment cancelled")]
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct AssessOptions {
    /// CPU threads for the model; 0 = all cores.
    pub threads: usize,
    /// Upper bound of answer tokens.
    pub max_answer_tokens: usize,
    /// Where the engine may create its (unused) Hugging Face home.
    pub hf_home: Option<std::path::PathBuf>,
    /// Sessions the engine decodes together ([`Assessor::assess_many`]); 0 = 1.
    pub batch: usize,
}

impl Default for AssessOptions {
    fn default() -> Self {
        AssessOptions {
            threads: 0,
            max_answer_tokens: MAX_ANSWER_TOKENS,
            hf_home: None,
            batch: 1,
        }
    }
}

enum Backend {
    #[cfg(feature = "model")]
    Model(Box<Engine>),
    /// An inference server, shared by the assessors of one process (its request limit too).
    Remote(Arc<RemoteEngine>),
    RulesOnly,
}

pub struct Assessor {
    backend: Backend,
    catalog: Catalog,
    model_id: String,
    model_hash: String,
    /// Only a model writes an answer; rules-only verdicts have no token limit.
    max_answer_tokens: usize,
    store: Option<Store>,
    stats: std::sync::Mutex<EngineStats>,
}

/// Running totals of the engine's work, for the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EngineStats {
    pub requests: usize,
    pub prompt_tokens: usize,
    pub prompt_s: f64,
    pub gen_tokens: usize,
    pub gen_s: f64,
}

impl EngineStats {
    /// Prefill speed as the engine counts it (prompt tokens served from the prefix cache
    /// count as read, so a shared prefix raises this figure).
    pub fn prompt_tok_per_s(&self) -> f64 {
        if self.prompt_s > 0.0 {
            self.prompt_tokens as f64 / self.prompt_s
        } else {
            0.0
        }
    }

    pub fn gen_tok_per_s(&self) -> f64 {
        if self.gen_s > 0.0 {
            self.gen_tokens as f64 / self.gen_s
        } else {
            0.0
        }
    }
}

/// The model's raw output with its figures, kept for the cache.
struct Raw {
    text: String,
    prompt_tokens: usize,
    completion_tokens: usize,
    /// Who answered, when not the assessor's own model id (an inference server's model).
    model: Option<String>,
}

impl Raw {
    fn none(model: Option<String>) -> Raw {
        Raw {
            text: String::new(),
            prompt_tokens: 0,
            completion_tokens: 0,
            model,
        }
    }
}

impl Assessor {
    /// Loads the model at `model_path` (or the default one) for assessing.
    pub fn new(
        model_path: Option<&Path>,
        catalog: Catalog,
        opts: AssessOptions,
    ) -> Result<Assessor, AssessError> {
        let path = default_model(model_path)?;
        let file = ModelFile::open(&path)?;
        Self::with_model_file(file, catalog, opts)
    }

    #[cfg(feature = "model")]
    fn with_model_file(
        file: ModelFile,
        catalog: Catalog,
        opts: AssessOptions,
    ) -> Result<Assessor, AssessError> {
        let model_id = file.model_id();
        let model_hash = file.hash.clone();
        let engine = Engine::load(
            file,
            &EngineOptions {
                threads: opts.threads,
                hf_home: opts.hf_home,
                max_seqs: opts.batch,
            },
        )?;
        Ok(Assessor {
            backend: Backend::Model(Box::new(engine)),
            catalog,
            model_id,
            model_hash,
            max_answer_tokens: opts.max_answer_tokens,
            store: None,
            stats: Default::default(),
        })
    }

    #[cfg(not(feature = "model"))]
    fn with_model_file(
        _: ModelFile,
        _: Catalog,
        _: AssessOptions,
    ) -> Result<Assessor, AssessError> {
        Err(AssessError::NoModelFeature)
    }

    /// An assessor that gives rules-only verdicts (no model).
    pub fn rules_only(catalog: Catalog) -> Assessor {
        Assessor {
            backend: Backend::RulesOnly,
            catalog,
            model_id: RULES_ONLY.into(),
            model_hash: RULES_ONLY.into(),
            max_answer_tokens: MAX_ANSWER_TOKENS,
            store: None,
            stats: Default::default(),
        }
    }

    /// An assessor whose answers come from an inference server (see [`super::remote`]).
    /// Its model id is the server's URL until an answer names the model.
    pub fn remote(engine: Arc<RemoteEngine>, catalog: Catalog, opts: AssessOptions) -> Assessor {
        Assessor {
            model_id: engine.provenance("remote"),
            model_hash: String::new(),
            backend: Backend::Remote(engine),
            catalog,
            max_answer_tokens: opts.max_answer_tokens,
            store: None,
            stats: Default::default(),
        }
    }

    /// Caches assessments in `store`: each is computed once per session content, model,
    /// prompt version and prior version.
    pub fn with_store(mut self, store: Store) -> Assessor {
        self.store = Some(store);
        self
    }

    /// The store assessments are cached in, if any.
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    pub fn has_model(&self) -> bool {
        !matches!(self.backend, Backend::RulesOnly)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Model load time in milliseconds (0 without a model).
    pub fn load_ms(&self) -> u64 {
        match &self.backend {
            #[cfg(feature = "model")]
            Backend::Model(e) => e.load_time().as_millis() as u64,
            Backend::Remote(_) | Backend::RulesOnly => 0,
        }
    }

    /// Totals of the engine's work so far.
    pub fn stats(&self) -> EngineStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds one answer's tokens and speeds (tokens per second, 0 = not reported).
    fn record(&self, prompt: (usize, f64), answer: (usize, f64)) {
        let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        s.requests += 1;
        s.prompt_tokens += prompt.0;
        s.gen_tokens += answer.0;
        if prompt.1 > 0.0 {
            s.prompt_s += prompt.0 as f64 / prompt.1;
        }
        if answer.1 > 0.0 {
            s.gen_s += answer.0 as f64 / answer.1;
        }
    }

    /// Prefill speed on one fresh prompt of about `tokens` tokens: synthetic auth.log lines
    /// under a system prompt no earlier request had (so the prefix cache serves none of it),
    /// answered with a single token. Aims at `tokens` with shorter probes of the characters
    /// per token. Returns the prompt tokens the engine counted and the prompt tokens per
    /// second of wall time; `None` without a model.
    pub fn prefill_probe(&self, tokens: usize) -> Result<Option<(usize, f64)>, AssessError> {
        match &self.backend {
            #[cfg(feature = "model")]
            Backend::Model(engine) => {
                let mut ignore = |_: &str| ControlFlow::Continue(());
                let mut run = |chars: usize, round: u32| {
                    let prompt = probe_prompt(chars, round);
                    engine.generate(&prompt, verdict_schema(), 1, &mut ignore)
                };
                // Characters for `tokens`: two probes, then a secant step if still off by
                // more than 2 % (the system prompt is a constant share of the count).
                let (c1, g1) = (tokens, run(tokens, 0)?);
                let c2 = (c1 as f64 * tokens as f64 / g1.prompt_tokens.max(1) as f64) as usize;
                let mut g = run(c2, 1)?;
                let off = g.prompt_tokens.abs_diff(tokens) as f64 / tokens as f64;
                if off > 0.02 && g.prompt_tokens != g1.prompt_tokens {
                    let slope = (c2 as f64 - c1 as f64)
                        / (g.prompt_tokens as f64 - g1.prompt_tokens as f64);
                    let c3 = c2 as f64 + (tokens as f64 - g.prompt_tokens as f64) * slope;
                    g = run(c3.max(1.0) as usize, 2)?;
                }
                // Wall time of the request (tokenising, one answer token included): the
                // engine's own prefill figure is not reported for one-token answers.
                let secs = (g.wall_ms as f64 / 1000.0).max(1e-3);
                Ok(Some((g.prompt_tokens, g.prompt_tokens as f64 / secs)))
            }
            Backend::Remote(_) | Backend::RulesOnly => {
                let _ = tokens;
                Ok(None)
            }
        }
    }

    /// Assesses one session (from the cache when it holds the same question).
    pub fn assess(&self, input: &AssessInput) -> Result<Assessment, AssessError> {
        let mut ignore = |_: &str| ControlFlow::Continue(());
        self.assess_streaming(input, &mut ignore)?
            .ok_or(AssessError::Cancelled)
    }

    /// Like [`Assessor::assess`], streaming the model's tokens to `on_token`, which may cancel
    /// (then `Ok(None)`). Cache hits and rules-only verdicts stream nothing.
    pub fn assess_streaming(
        &self,
        input: &AssessInput,
        on_token: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<Assessment>, AssessError> {
        let start = Instant::now();
        let prompt = build_prompt(input, &self.catalog);
        let model_hash = match &self.backend {
            // The server's model is part of the question: another model, another answer.
            Backend::Remote(remote) => match remote.model() {
                Ok(m) => remote.provenance(&m),
                Err(e) => return Ok(Some(self.server_unavailable(input, &e, start))),
            },
            _ => self.model_hash.clone(),
        };
        let key = self.key_with(&model_hash, input, &prompt);
        if let Some(store) = &self.store
            && let Some(mut a) = store.cached_assessment(&key)?
        {
            a.from_cache = true;
            // The model's answer is what the cache saves; the tidying and the combination
            // are recomputed, so a change to either applies to every cached answer without
            // asking the model again.
            if let Some(model_verdict) = &mut a.model_verdict {
                tidy_verdict(model_verdict);
                let c = combine(model_verdict, input, &self.catalog);
                a.verdict = c.verdict;
                a.adjustments = c.adjustments;
            }
            return Ok(Some(a));
        }
        let (assessment, raw) = match &self.backend {
            #[cfg(feature = "model")]
            Backend::Model(engine) => {
                let g =
                    engine.generate(&prompt, verdict_schema(), self.max_answer_tokens, on_token)?;
                if g.cancelled {
                    return Ok(None);
                }
                let raw = self.recorded(g);
                (self.assessment_from_answer(input, &raw, start)?, raw)
            }
            Backend::Remote(remote) => {
                let r = match remote.generate(&prompt, verdict_schema(), self.max_answer_tokens) {
                    Ok(r) => r,
                    // Not cached: the next request may find the server back.
                    Err(e) => return Ok(Some(self.server_unavailable(input, &e, start))),
                };
                // The answer arrives whole: the caller sees it as one piece and may still
                // drop it.
                if on_token(&r.text).is_break() {
                    return Ok(None);
                }
                self.record(
                    (r.prompt_tokens, r.prompt_tok_per_s),
                    (r.completion_tokens, r.gen_tok_per_s),
                );
                let raw = Raw {
                    model: Some(remote.provenance(&r.model)),
                    text: r.text,
                    prompt_tokens: r.prompt_tokens,
                    completion_tokens: r.completion_tokens,
                };
                (self.assessment_from_answer(input, &raw, start)?, raw)
            }
            Backend::RulesOnly => {
                let _ = on_token;
                let c = rules_only(input, &self.catalog);
                let raw = Raw::none(None);
                (
                    self.assessment(input, c.verdict, None, c.adjustments, vec![], &raw, start),
                    raw,
                )
            }
        };
        if let Some(store) = &self.store {
            store.put_assessment(&key, &assessment, &raw.text)?;
        }
        Ok(Some(assessment))
    }

    /// The embedded engine's answer as the cache keeps it, its tokens and speeds added to the
    /// running totals.
    #[cfg(feature = "model")]
    fn recorded(&self, g: super::engine::Generation) -> Raw {
        self.record(
            (g.prompt_tokens, g.prompt_tok_per_s),
            (g.completion_tokens, g.gen_tok_per_s),
        );
        Raw {
            text: g.text,
            prompt_tokens: g.prompt_tokens,
            completion_tokens: g.completion_tokens,
            model: None,
        }
    }

    fn assessment_from_answer(
        &self,
        input: &AssessInput,
        raw: &Raw,
        start: Instant,
    ) -> Result<Assessment, AssessError> {
        let answer = match parse_answer(&raw.text) {
            Ok(a) => a,
            // A cut-off or malformed answer must not lose the session: it gets the verdict of
            // the rules and the prior, says why, and keeps the raw answer in the cache.
            Err(e) => return Ok(self.unusable_answer(input, raw, &e, start)),
        };
        let (mut model_verdict, dropped) = known_techniques(answer, &self.catalog);
        tidy_verdict(&mut model_verdict);
        let c = combine(&model_verdict, input, &self.catalog);
        Ok(self.assessment(
            input,
            c.verdict,
            Some(model_verdict),
            c.adjustments,
            dropped,
            raw,
            start,
        ))
    }

    /// The verdict of a session whose answer could not be read: rules and prior only, with a
    /// note naming the reason (cut off at the token limit, or not the schema's JSON).
    fn unusable_answer(
        &self,
        input: &AssessInput,
        raw: &Raw,
        error: &AnswerError,
        start: Instant,
    ) -> Assessment {
        let reason = if raw.completion_tokens >= self.max_answer_tokens {
            format!("cut off at the {}-token limit", self.max_answer_tokens)
        } else {
            match error {
                AnswerError::Json { source, .. } => format!("not the schema's JSON ({source})"),
                other => other.to_string(),
            }
        };
        let mut c = rules_only_because(input, &self.catalog, "model answer unusable");
        c.adjustments.insert(
            0,
            format!("model answer unusable: {reason}; the verdict is the rules' and the prior's"),
        );
        self.assessment(input, c.verdict, None, c.adjustments, vec![], raw, start)
    }

    /// The verdict of a session the inference server did not answer (unreachable, an HTTP
    /// error, a reply without an answer): rules and prior only, the reason noted first, and
    /// the rules as its provenance.
    fn server_unavailable(
        &self,
        input: &AssessInput,
        error: &RemoteError,
        start: Instant,
    ) -> Assessment {
        let mut c = rules_only_because(input, &self.catalog, super::remote::UNAVAILABLE);
        c.adjustments.insert(
            0,
            format!(
                "{}: {error}; the verdict is the rules' and the prior's",
                super::remote::UNAVAILABLE
            ),
        );
        let raw = Raw::none(Some(RULES_ONLY.into()));
        self.assessment(input, c.verdict, None, c.adjustments, vec![], &raw, start)
    }

    #[allow(clippy::too_many_arguments)]
    fn assessment(
        &self,
        input: &AssessInput,
        verdict: super::Verdict,
        model_verdict: Option<super::Verdict>,
        adjustments: Vec<String>,
        dropped_techniques: Vec<String>,
        raw: &Raw,
        start: Instant,
    ) -> Assessment {
        Assessment {
            session_id: input.session.id.clone(),
            verdict,
            model_verdict,
            adjustments,
            dropped_techniques,
            model_id: raw.model.clone().unwrap_or_else(|| self.model_id.clone()),
            prompt_version: PROMPT_VERSION.into(),
            latency_ms: start.elapsed().as_millis() as u64,
            created: Utc::now(),
            from_cache: false,
            prompt_tokens: raw.prompt_tokens,
            completion_tokens: raw.completion_tokens,
        }
    }

    /// The cache key of `input`: session content, model file, prompt version, prior version,
    /// and a hash of the exact prompt and schema.
    pub fn cache_key(&self, input: &AssessInput, prompt: &Prompt) -> AssessmentKey {
        self.key_with(&self.model_hash, input, prompt)
    }

    fn key_with(&self, model_hash: &str, input: &AssessInput, prompt: &Prompt) -> AssessmentKey {
        let mut h = Sha256::new();
        for part in [&prompt.system, &prompt.user, &verdict_schema().to_string()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        AssessmentKey {
            content_hash: input.session.content_hash.clone(),
            model_hash: model_hash.to_string(),
            prompt_version: PROMPT_VERSION.into(),
            prior_version: input
                .prior
                .as_ref()
                .map(|p| p.version.clone())
                .unwrap_or_default(),
            input_hash: hex::encode(h.finalize()),
        }
    }
}

/// A prompt of about `chars` characters of auth.log lines for [`Assessor::prefill_probe`]; the
/// time and `round` make its first tokens differ from every cached prefix.
#[cfg(feature = "model")]
fn probe_prompt(chars: usize, round: u32) -> Prompt {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut user = String::with_capacity(chars + 128);
    let mut i = 0u32;
    while user.len() < chars {
        let _ = std::fmt::Write::write_fmt(
            &mut user,
            format_args!(
                "Mar  2 10:{:02}:{:02} web01 sshd[{}]: Failed password for invalid user u{} from 10.0.{}.{} port {} ssh2\n",
                (i / 60) % 60,
                i % 60,
                2000 + i * 7 % 900,
                i * 13 % 997,
                i % 7,
                i * 31 % 254 + 1,
                40000 + i * 17 % 20000
            ),
        );
        i += 1;
    }
    Prompt {
        system: format!("Prefill probe {nonce}-{round}.\n{}", super::prompt::SYSTEM),
        user,
    }
}

#[path = "assessor_batch.rs"]
mod batch;

#[cfg(all(test, feature = "model"))]
#[path = "assessor_tests.rs"]
mod tests;
