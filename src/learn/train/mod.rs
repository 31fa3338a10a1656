//! `lookout train`: fine-tunes the assessing model on the analyst's own CPU, from exported
//! corrections (`lookout export` → `train.jsonl`, `val.jsonl`, `manifest.json`), converts the
//! result to GGUF (Q8_0: re-quantized to Q4_1 a 135M model loses its tuning) and registers it
//! in `<data_dir>/models/registry.json` ([`crate::assess::registry`]) so that `--model NAME`
//! finds it.
//!
//! The training itself is Python (`training/train.py`, PyTorch + transformers, and llama.cpp's
//! converter through `training/convert.py`), in a venv that `scripts/setup-train.sh` makes on
//! first use under `<data_dir>/train-venv` (about 3 GB of downloads: never part of the default
//! set-up). Both are found in the source tree this binary was built from (or `$LOOKOUT_REPO_DIR`).
//! The children's progress (stderr) streams through; each prints its result as a final JSON line.
//!
//! Layout: `options` (what to do, checked), `dataset` (inputs and their provenance), `venv`
//! (the Python side), `child` (the JSON-line protocol), and here the run, step by step.

mod child;
mod dataset;
mod options;
mod venv;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use self::child::run_json;
pub use self::dataset::dataset_hashes;
pub use self::options::{OutType, TrainDevice, TrainOptions};
pub use self::venv::{Venv, default_venv, ensure_venv, repo_dir, venv_ready};
/// The registry's types, re-exported: a run is asked for a [`Method`] and reports its entry.
pub use crate::assess::registry::{Method, RegistryEntry};

use crate::assess::registry::{is_registered, models_dir, register};
use crate::fsutil::move_file;

/// train.py's final JSON line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainStats {
    pub steps: usize,
    pub train_loss: Option<f64>,
    pub first_loss: Option<f64>,
    pub val_loss: Option<f64>,
    pub val_loss_before: Option<f64>,
    pub examples: usize,
    pub val_examples: usize,
    pub train_tokens: usize,
    pub answer_tokens: usize,
    pub cut: usize,
    pub shared_prefix_tokens: usize,
    pub train_layers: usize,
    pub train_seconds: f64,
    pub seconds: f64,
    pub peak_rss_mb: f64,
    pub hf_dir: String,
    /// The LoRA factors alone (`adapter.safetensors` in the work dir; LoRA runs only): what
    /// ships as the tuned default model (scripts/make-model.sh).
    pub adapter: Option<String>,
    /// The loss weight of the answer tokens that spell the decisions (cause, risk level,
    /// technique ids), and how many training tokens it applied to.
    pub decision_weight: Option<f64>,
    pub decision_tokens: Option<usize>,
    /// The validation answers' decisions (technique list, cause, risk) checked with teacher
    /// forcing at the kept parameters, and before training (training/decisions.py): its
    /// `score` is what chooses between checkpoints and runs.
    pub decision: Option<serde_json::Value>,
    pub decision_before: Option<serde_json::Value>,
    /// The step whose parameters were kept, and every validation check of the run.
    pub selected_step: Option<usize>,
    pub checkpoints: Vec<serde_json::Value>,
}

impl TrainStats {
    /// The kept parameters' validation decision score (None without a validation set).
    pub fn decision_score(&self) -> Option<f64> {
        self.decision.as_ref()?.get("score")?.as_f64()
    }
}

/// convert.py's final JSON line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConvertStats {
    pub gguf: String,
    pub outtype: String,
    pub seconds: f64,
    pub size_mb: f64,
    pub architecture: Option<String>,
    pub tensors: usize,
    pub tokenizer_matches_base: Option<bool>,
    pub mismatches: Vec<String>,
}

/// What `train` did.
#[derive(Debug, Clone)]
pub struct TrainReport {
    pub entry: RegistryEntry,
    pub train: TrainStats,
    pub convert: ConvertStats,
    /// The run's dir under `<data_dir>/train-runs` (report.json; the HF dir with `keep_work`).
    pub work_dir: PathBuf,
}

/// What a run has checked and found before it starts training.
struct Prepared {
    /// The base model, canonical (the registry records it).
    base: PathBuf,
    dataset_sha256: BTreeMap<String, String>,
    extra_sha256: BTreeMap<String, String>,
    train_py: PathBuf,
    convert_py: PathBuf,
    venv: Venv,
}

/// Trains, converts and registers; see the module doc. Everything that can be refused is
/// refused before the (long) training starts.
pub fn train(opts: &TrainOptions) -> Result<TrainReport> {
    let ready = prepare(opts)?;
    let started = Instant::now();
    let stamp = Utc::now();
    let work = make_work_dir(opts, stamp)?;
    let (train_input, examples) =
        dataset::training_set(&opts.train_file(), &opts.extra_train, &work)?;
    let mut cmd = train_command(opts, &ready, &train_input, &work)?;
    eprintln!(
        "train: {} fine-tune of {} on {examples} examples (work dir {})",
        opts.method.as_str(),
        ready.base.display(),
        work.display()
    );
    let stats: TrainStats = run_json(&mut cmd, "training/train.py")?;
    let (conv, gguf, arch) = convert(opts, &ready, &stats, &work)?;
    let entry = install(opts, ready, &gguf, &stats, stamp, started)?;
    eprintln!(
        "train: registered {:?} ({arch}, {:.0} MB) as {}",
        opts.out_name,
        conv.size_mb,
        entry.path.display()
    );
    write_report(&work, &entry, &stats, &conv);
    if !opts.keep_work {
        let _ = fs::remove_dir_all(work.join("hf"));
        let _ = fs::remove_file(work.join("train.jsonl"));
    }
    Ok(TrainReport {
        entry,
        train: stats,
        convert: conv,
        work_dir: work,
    })
}

/// The checks and look-ups before a run: options, base model, dataset, name not taken,
/// provenance hashes, the scripts and the venv (set up when allowed).
fn prepare(opts: &TrainOptions) -> Result<Prepared> {
    opts.check()?;
    let base = fs::canonicalize(&opts.base_gguf)
        .with_context(|| format!("base model {}", opts.base_gguf.display()))?;
    let train_file = opts.train_file();
    if !train_file.is_file() {
        bail!(
            "{} not found: `lookout export --format chat --out {}` writes it",
            train_file.display(),
            opts.dataset_dir.display()
        );
    }
    if !opts.replace && is_registered(&opts.data_dir, &opts.out_name)? {
        bail!(
            "a model named {:?} is already registered (choose another --out, or replace it)",
            opts.out_name
        );
    }
    Ok(Prepared {
        base,
        dataset_sha256: dataset_hashes(&opts.dataset_dir)?,
        extra_sha256: dataset::extra_hashes(&opts.extra_train)?,
        train_py: venv::repo_file("training/train.py")?,
        convert_py: venv::repo_file("training/convert.py")?,
        venv: ensure_venv(&opts.venv_dir(), opts.allow_setup)?,
    })
}

/// `<data_dir>/train-runs/NAME-<stamp>`, created.
fn make_work_dir(opts: &TrainOptions, stamp: DateTime<Utc>) -> Result<PathBuf> {
    let work = opts.data_dir.join("train-runs").join(format!(
        "{}-{}",
        opts.out_name,
        stamp.format("%Y%m%dT%H%M%S")
    ));
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    Ok(work)
}

/// train.py's command line: the options as flags, the validation set when it has examples.
fn train_command(
    opts: &TrainOptions,
    ready: &Prepared,
    train_input: &Path,
    work: &Path,
) -> Result<Command> {
    let mut cmd = ready.venv.python_command(&ready.train_py);
    cmd.arg("--base")
        .arg(&ready.base)
        .arg("--base-cache")
        .arg(opts.data_dir.join("train-cache"))
        .arg("--train")
        .arg(train_input)
        .arg("--out")
        .arg(work)
        .args(["--method", opts.method.as_str()])
        .args(["--epochs", &opts.epochs.to_string()])
        .args(["--batch", &opts.batch.to_string()])
        .args(["--grad-accum", &opts.grad_accum.to_string()])
        .args(["--max-len", &opts.max_len.to_string()])
        .args(["--train-layers", &opts.train_layers.to_string()])
        .args(["--seed", &opts.seed.to_string()])
        .args(["--checkpoints", &opts.checkpoints.to_string()])
        .args(["--free-answers", &opts.free_answers.to_string()])
        .args(["--device", opts.device.as_str()]);
    let val = opts.dataset_dir.join("val.jsonl");
    if val.is_file() && dataset::count_lines(&val)? > 0 {
        cmd.arg("--val").arg(&val);
    }
    if let Some(s) = opts.steps {
        cmd.args(["--steps", &s.to_string()]);
    }
    if let Some(lr) = opts.lr {
        cmd.args(["--lr", &lr.to_string()]);
    }
    if let Some(w) = opts.decision_weight {
        cmd.args(["--decision-weight", &w.to_string()]);
    }
    cmd.args(&opts.extra_args);
    Ok(cmd)
}

/// Converts the tuned HF model to `work/NAME.gguf`; returns convert.py's result, the GGUF and
/// its architecture. A tokenizer that differs from the base model's is refused: the prompts
/// would not mean the same to it.
fn convert(
    opts: &TrainOptions,
    ready: &Prepared,
    stats: &TrainStats,
    work: &Path,
) -> Result<(ConvertStats, PathBuf, String)> {
    let gguf = work.join(format!("{}.gguf", opts.out_name));
    let mut cmd = ready.venv.python_command(&ready.convert_py);
    cmd.arg("--hf")
        .arg(&stats.hf_dir)
        .arg("--out")
        .arg(&gguf)
        .args(["--outtype", opts.outtype.as_str()])
        .arg("--convert")
        .arg(&ready.venv.convert)
        .arg("--base")
        .arg(&ready.base)
        .args(["--name", &opts.out_name]);
    let conv: ConvertStats = run_json(&mut cmd, "training/convert.py")?;
    let arch = crate::assess::gguf::architecture(&gguf)?;
    if conv.tokenizer_matches_base == Some(false) {
        bail!(
            "the converted model's tokenizer differs from the base model's ({}); not registered",
            conv.mismatches.join(", ")
        );
    }
    Ok((conv, gguf, arch))
}

/// Moves the GGUF to `<data_dir>/models/NAME.gguf` and registers it with its provenance.
fn install(
    opts: &TrainOptions,
    ready: Prepared,
    gguf: &Path,
    stats: &TrainStats,
    created: DateTime<Utc>,
    started: Instant,
) -> Result<RegistryEntry> {
    let dir = models_dir(&opts.data_dir);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dest = dir.join(format!("{}.gguf", opts.out_name));
    move_file(gguf, &dest)
        .with_context(|| format!("moving {} to {}", gguf.display(), dest.display()))?;
    let entry = RegistryEntry {
        name: opts.out_name.clone(),
        path: dest,
        base: ready.base,
        created,
        method: opts.method,
        epochs: opts.epochs,
        steps: stats.steps,
        examples: stats.examples,
        val_examples: stats.val_examples,
        train_loss: stats.train_loss,
        val_loss: stats.val_loss,
        val_loss_before: stats.val_loss_before,
        // Tenths of a second: the registry is read by people.
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        peak_rss_mb: stats.peak_rss_mb,
        outtype: opts.outtype.as_str().to_string(),
        train_layers: stats.train_layers,
        dataset_sha256: ready.dataset_sha256,
        extra_sha256: ready.extra_sha256,
    };
    register(&opts.data_dir, entry.clone(), opts.replace)?;
    Ok(entry)
}

/// `work/report.json`: the entry and both children's results. Best effort: the model is
/// registered already, and a missing report loses nothing the registry does not hold.
fn write_report(work: &Path, entry: &RegistryEntry, stats: &TrainStats, conv: &ConvertStats) {
    let report = serde_json::json!({"entry": entry, "train": stats, "convert": conv});
    let _ = fs::write(
        work.join("report.json"),
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    );
}
