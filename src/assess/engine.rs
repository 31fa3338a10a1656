//! The mistral.rs engine (the only file that imports `mistralrs`): loads a local GGUF fully
//! offline and runs schema-constrained, greedy chat requests: one with token streaming, or
//! several at once (the engine's scheduler decodes the sequences in flight as one batch).

use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mistralrs::{
    Constraint, GgufModelBuilder, Model, RequestBuilder, Response, StopTokens, TextMessageRole,
    TokenSource,
};
use serde::{Deserialize, Serialize};

use super::model_file::ModelFile;
use super::prompt::Prompt;

/// Finished sequences whose KV caches the engine keeps for prefix reuse. Every prompt starts
/// with the same instructions, so a recent one serves the next (the engine reuses the longest
/// shared prefix); two keep a hit at hand while batched sequences finish in turn. Each holds
/// ~60-90 MB (135M model, ~1,300 tokens, f32).
const PREFIX_CACHES: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("loading model {path}: {reason}")]
    Load { path: PathBuf, reason: String },
    #[error("model runtime: {0}")]
    Runtime(String),
    #[error("generation failed: {0}")]
    Generate(String),
}

/// How to run the engine.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// CPU threads for the matrix kernels; 0 = all cores.
    pub threads: usize,
    /// Where the engine may create its (unused) Hugging Face home; default: the model's
    /// folder's `cache/hf`, so nothing is created in the user's home.
    pub hf_home: Option<PathBuf>,
    /// Sequences the engine decodes together (requests beyond it wait); 0 = 1.
    pub max_seqs: usize,
}

/// One finished (or cancelled) generation with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub prompt_tok_per_s: f64,
    pub gen_tok_per_s: f64,
    /// Wall-clock time of the whole request.
    pub wall_ms: u64,
    pub finish_reason: String,
    pub cancelled: bool,
}

pub struct Engine {
    model: Model,
    rt: tokio::runtime::Runtime,
    file: ModelFile,
    stop_ids: Vec<u32>,
    load_time: Duration,
}

impl Engine {
    /// Loads the checked model file. The header check has already refused architectures the
    /// engine cannot build; the panic guard is the second line for anything else it trips on.
    pub fn load(file: ModelFile, opts: &EngineOptions) -> Result<Engine, EngineError> {
        let start = Instant::now();
        let load_err = |reason: String| EngineError::Load {
            path: file.path.clone(),
            reason,
        };
        let dir = file
            .path
            .parent()
            .map(|d| {
                if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d.to_path_buf()
                }
            })
            .ok_or_else(|| load_err("no parent folder".into()))?;
        prepare_env(opts, &dir);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| EngineError::Runtime(e.to_string()))?;
        // A local folder and a bare file name: the builder then never asks a hub; no token.
        let builder = GgufModelBuilder::new(dir.to_string_lossy(), vec![file.file_name()])
            .with_token_source(TokenSource::None)
            .with_force_cpu()
            .with_max_num_seqs(opts.max_seqs.max(1))
            // The fixed instructions are every prompt's prefix, so one finished sequence's
            // cache serves the next; each kept cache holds ~60-90 MB of KV.
            .with_prefix_cache_n(Some(PREFIX_CACHES));
        let built = catch_unwind(AssertUnwindSafe(|| rt.block_on(builder.build())));
        let model = match built {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => return Err(load_err(format!("{e:#}"))),
            Err(panic) => {
                return Err(load_err(format!(
                    "the engine panicked: {}",
                    panic_text(&panic)
                )));
            }
        };
        // The constraint ends a finished JSON with the text's end token, the chat template
        // with the turn's: stop on every end token the file declares, or runs go to max_len.
        let stop_ids = file.info.end_token_ids.clone();
        Ok(Engine {
            model,
            rt,
            file,
            stop_ids,
            load_time: start.elapsed(),
        })
    }

    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    /// Runs one greedy request constrained by `schema`; `on_token` sees each piece of text and
    /// may stop the generation (`ControlFlow::Break`), which then returns `cancelled`.
    /// Must not be called from inside an async runtime (it blocks on its own).
    pub fn generate(
        &self,
        prompt: &Prompt,
        schema: serde_json::Value,
        max_tokens: usize,
        on_token: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation, EngineError> {
        let fut = self.run(prompt, schema, max_tokens, on_token);
        catch_unwind(AssertUnwindSafe(|| self.rt.block_on(fut))).map_err(|p| {
            EngineError::Generate(format!("the engine panicked: {}", panic_text(&p)))
        })?
    }

    /// Runs every prompt, up to `width` in flight at once: a new request joins as soon as one
    /// finishes (continuous batching; the engine must have been loaded with `max_seqs` ≥
    /// `width` to decode them together). `on_done(i, result)` gets each prompt's generation
    /// as it finishes, in completion order, on the calling thread; it may stop the ones not
    /// yet finished or started (`ControlFlow::Break`: the engine cancels those in flight).
    /// `cancelled(i)`, asked at every token, drops one prompt alone: it finishes `cancelled`
    /// and the others go on. Must not be called from inside an async runtime (it blocks on
    /// its own).
    #[allow(clippy::type_complexity)]
    pub fn generate_many(
        &self,
        prompts: &[Prompt],
        schema: &serde_json::Value,
        max_tokens: usize,
        width: usize,
        cancelled: &dyn Fn(usize) -> bool,
        on_done: &mut dyn FnMut(usize, Result<Generation, EngineError>) -> ControlFlow<()>,
    ) -> Result<(), EngineError> {
        use futures::StreamExt;
        let fut = async {
            let mut runs = futures::stream::iter(prompts.iter().enumerate())
                .map(|(i, p)| async move {
                    let mut go_on = |_: &str| {
                        if cancelled(i) {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    };
                    (i, self.run(p, schema.clone(), max_tokens, &mut go_on).await)
                })
                .buffer_unordered(width.max(1));
            while let Some((i, r)) = runs.next().await {
                if on_done(i, r).is_break() {
                    // Dropping the stream drops the requests in flight: the engine cancels them.
                    break;
                }
            }
        };
        catch_unwind(AssertUnwindSafe(|| self.rt.block_on(fut)))
            .map_err(|p| EngineError::Generate(format!("the engine panicked: {}", panic_text(&p))))
    }

    /// One request, streamed to `on_token`.
    async fn run(
        &self,
        prompt: &Prompt,
        schema: serde_json::Value,
        max_tokens: usize,
        on_token: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation, EngineError> {
        let start = Instant::now();
        let req = RequestBuilder::new()
            .add_message(TextMessageRole::System, &prompt.system)
            .add_message(TextMessageRole::User, &prompt.user)
            .set_constraint(Constraint::JsonSchema(schema))
            .set_deterministic_sampler()
            .set_sampler_stop_toks(StopTokens::Ids(self.stop_ids.clone()))
            .set_sampler_max_len(max_tokens);
        let mut stream = self
            .model
            .stream_chat_request(req)
            .await
            .map_err(|e| EngineError::Generate(e.to_string()))?;
        let mut g = Generation {
            text: String::new(),
            prompt_tokens: 0,
            completion_tokens: 0,
            prompt_tok_per_s: 0.0,
            gen_tok_per_s: 0.0,
            wall_ms: 0,
            finish_reason: String::new(),
            cancelled: false,
        };
        while let Some(r) = stream.next().await {
            match r {
                Response::Chunk(c) => {
                    for ch in c.choices {
                        if let Some(t) = ch.delta.content.filter(|t| !t.is_empty()) {
                            g.text.push_str(&t);
                            if on_token(&t).is_break() {
                                // Dropping the stream makes the engine cancel the sequence.
                                g.cancelled = true;
                                g.finish_reason = "cancelled".into();
                                g.wall_ms = start.elapsed().as_millis() as u64;
                                return Ok(g);
                            }
                        }
                        if let Some(f) = ch.finish_reason {
                            g.finish_reason = f;
                        }
                    }
                    if let Some(u) = c.usage {
                        g.prompt_tokens = u.prompt_tokens;
                        g.completion_tokens = u.completion_tokens;
                        g.prompt_tok_per_s = u.avg_prompt_tok_per_sec as f64;
                        g.gen_tok_per_s = u.avg_compl_tok_per_sec as f64;
                    }
                    if !g.finish_reason.is_empty() {
                        break;
                    }
                }
                Response::Done(done) => {
                    if let Some(ch) = done.choices.first() {
                        if g.text.is_empty() {
                            g.text = ch.message.content.clone().unwrap_or_default();
                        }
                        g.finish_reason = ch.finish_reason.clone();
                    }
                    let u = done.usage;
                    g.prompt_tokens = u.prompt_tokens;
                    g.completion_tokens = u.completion_tokens;
                    g.prompt_tok_per_s = u.avg_prompt_tok_per_sec as f64;
                    g.gen_tok_per_s = u.avg_compl_tok_per_sec as f64;
                    break;
                }
                Response::ModelError(e, _) => return Err(EngineError::Generate(e)),
                Response::InternalError(e) | Response::ValidationError(e) => {
                    return Err(EngineError::Generate(e.to_string()));
                }
                _ => {}
            }
        }
        g.wall_ms = start.elapsed().as_millis() as u64;
        Ok(g)
    }
}

/// Points the engine's Hugging Face home away from the user's home and sets the kernel
/// thread count, each only when the user has not set it.
fn prepare_env(opts: &EngineOptions, model_dir: &std::path::Path) {
    let hf_home = opts
        .hf_home
        .clone()
        .unwrap_or_else(|| model_dir.join("cache").join("hf"));
    // SAFETY: set_var is unsound only if another thread reads or writes the environment at
    // the same time. This runs before the engine's threads exist, and lookout's own threads
    // do not touch the environment while a model loads (one engine per process).
    unsafe {
        if std::env::var_os("HF_HOME").is_none() {
            std::env::set_var("HF_HOME", &hf_home);
        }
        if opts.threads > 0 && std::env::var_os("RAYON_NUM_THREADS").is_none() {
            std::env::set_var("RAYON_NUM_THREADS", opts.threads.to_string());
        }
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
