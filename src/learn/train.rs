//! `lookout train`: fine-tunes the assessing model on the analyst's own CPU, from exported
//! corrections (`lookout export` → `train.jsonl`, `val.jsonl`, `manifest.json`), converts the
//! result to GGUF (Q8_0: re-quantized to Q4_1 a 135M model loses its tuning) and registers it
//! in `<data_dir>/models/registry.json` so that `--model NAME` finds it.
//!
//! The training itself is Python (`training/train.py`, PyTorch + transformers, and llama.cpp's
//! converter through `training/convert.py`), in a venv that `scripts/setup-train.sh` makes on
//! first use under `<data_dir>/train-venv` (about 3 GB of downloads: never part of the default
//! set-up). Both are found in the source tree this binary was built from (or `$LOOKOUT_REPO_DIR`).
//! The children's progress (stderr) streams through; each prints its result as a final JSON line.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::ValueEnum;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How the weights are tuned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// All weights of the trained layers.
    #[default]
    Full,
    /// Low-rank adapters on the trained layers' projections, merged into the weights.
    Lora,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Full => "full",
            Method::Lora => "lora",
        }
    }
}

/// GGUF type of the tuned model's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutType {
    #[default]
    #[value(name = "q8_0")]
    #[serde(rename = "q8_0")]
    Q8_0,
    F16,
}

impl OutType {
    pub fn as_str(self) -> &'static str {
        match self {
            OutType::Q8_0 => "q8_0",
            OutType::F16 => "f16",
        }
    }
}

/// Everything `train` needs. `TrainOptions::new` fills in the defaults measured on a 2-core CPU.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub method: Method,
    pub epochs: f64,
    /// Name the tuned model is registered under (`--model NAME`): letters, digits, `-_.`.
    pub out_name: String,
    /// lookout's data dir: the venv, the registry and the models live under it.
    pub data_dir: PathBuf,
    /// An export dir: `train.jsonl` (required), `val.jsonl` and `manifest.json` (optional).
    pub dataset_dir: PathBuf,
    /// More chat-format JSONL files appended to the training set (e.g. labelled cases).
    pub extra_train: Vec<PathBuf>,
    /// The model to tune (a GGUF transformers can read: Q4_1, Q8_0, F16 ...).
    pub base_gguf: PathBuf,
    /// Stop after this many optimizer steps (tests, quick looks).
    pub steps: Option<usize>,
    /// Peak learning rate; None = train.py's default for the method.
    pub lr: Option<f64>,
    /// Examples per forward pass: they share the computation of the common prompt prefix.
    pub batch: usize,
    pub grad_accum: usize,
    /// Tokens per example; longer prompts lose their middle.
    pub max_len: usize,
    /// Train only the top N transformer layers (0 = all, about 3x slower).
    pub train_layers: usize,
    pub seed: u64,
    pub outtype: OutType,
    /// The training venv; None = `$LOOKOUT_TRAIN_VENV` or `<data_dir>/train-venv`.
    pub venv: Option<PathBuf>,
    /// May run `scripts/setup-train.sh` (downloads ~3 GB the first time).
    pub allow_setup: bool,
    /// Replace a registered model of the same name.
    pub replace: bool,
    /// Keep the run's work dir (the HF model dir, ~550 MB) after registering.
    pub keep_work: bool,
    /// More arguments passed to train.py as they are (e.g. `--grad-ckpt`, `--lora-r 8`).
    pub extra_args: Vec<String>,
}

impl TrainOptions {
    pub fn new(out_name: &str, data_dir: &Path, dataset_dir: &Path, base_gguf: &Path) -> Self {
        TrainOptions {
            method: Method::Full,
            epochs: 1.0,
            out_name: out_name.to_string(),
            data_dir: data_dir.to_path_buf(),
            dataset_dir: dataset_dir.to_path_buf(),
            extra_train: Vec::new(),
            base_gguf: base_gguf.to_path_buf(),
            steps: None,
            lr: None,
            batch: 4,
            grad_accum: 1,
            max_len: 1024,
            train_layers: 8,
            seed: 42,
            outtype: OutType::Q8_0,
            venv: None,
            allow_setup: true,
            replace: false,
            keep_work: false,
            extra_args: Vec::new(),
        }
    }
}

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

/// One tuned model in `<data_dir>/models/registry.json` (a JSON array of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryEntry {
    pub name: String,
    pub path: PathBuf,
    pub base: PathBuf,
    pub created: DateTime<Utc>,
    pub method: Method,
    pub epochs: f64,
    pub steps: usize,
    pub examples: usize,
    pub val_examples: usize,
    pub train_loss: Option<f64>,
    pub val_loss: Option<f64>,
    pub val_loss_before: Option<f64>,
    /// Training and conversion, wall-clock (venv set-up excluded).
    pub seconds: f64,
    /// train.py's peak resident memory.
    pub peak_rss_mb: f64,
    pub outtype: String,
    pub train_layers: usize,
    /// sha256 of each dataset file, as `manifest.json` lists them (checked against the files).
    pub dataset_sha256: BTreeMap<String, String>,
    /// sha256 of each extra training file, by path.
    #[serde(default)]
    pub extra_sha256: BTreeMap<String, String>,
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

/// The training venv and llama.cpp's converter in it, as setup-train.sh reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct Venv {
    pub dir: PathBuf,
    pub python: PathBuf,
    pub convert: PathBuf,
}

pub fn models_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models")
}

pub fn registry_path(data_dir: &Path) -> PathBuf {
    models_dir(data_dir).join("registry.json")
}

/// `$LOOKOUT_TRAIN_VENV`, else `<data_dir>/train-venv`.
pub fn default_venv(data_dir: &Path) -> PathBuf {
    match std::env::var_os("LOOKOUT_TRAIN_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => data_dir.join("train-venv"),
    }
}

/// True when setup-train.sh has completed in `venv` (it writes its stamp last).
pub fn venv_ready(venv: &Path) -> bool {
    venv.join(".lookout-train-stamp").is_file()
        && venv.join("bin").join("python").exists()
        && venv
            .join("llama.cpp")
            .join("convert_hf_to_gguf.py")
            .is_file()
}

/// The source tree holding `scripts/` and `training/`: `$LOOKOUT_REPO_DIR`, else the tree this
/// binary was built from.
pub fn repo_dir() -> PathBuf {
    match std::env::var_os("LOOKOUT_REPO_DIR") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    }
}

fn repo_file(rel: &str) -> Result<PathBuf> {
    let p = repo_dir().join(rel);
    if p.is_file() {
        Ok(p)
    } else {
        bail!(
            "{} not found: `lookout train` runs the Python in lookout's source tree \
             (set LOOKOUT_REPO_DIR to a checkout of it)",
            p.display()
        )
    }
}

/// Makes sure the venv is set up, running setup-train.sh when it is not (and `allow_setup`).
pub fn ensure_venv(venv: &Path, allow_setup: bool) -> Result<Venv> {
    if !venv_ready(venv) && !allow_setup {
        bail!(
            "the training venv {} is not set up: run scripts/setup-train.sh {} (downloads ~3 GB)",
            venv.display(),
            venv.display()
        );
    }
    let script = repo_file("scripts/setup-train.sh")?;
    if !venv_ready(venv) {
        eprintln!(
            "train: setting up the training venv in {} (first time: ~3 GB download)",
            venv.display()
        );
    }
    let out = Command::new("bash")
        .arg(&script)
        .arg(venv)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!("{} failed ({})", script.display(), out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let get = |key: &str| -> Result<PathBuf> {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
            .map(|v| PathBuf::from(v.trim()))
            .ok_or_else(|| anyhow!("{} printed no `{key}=` line", script.display()))
    };
    Ok(Venv {
        dir: get("venv")?,
        python: get("python")?,
        convert: get("convert")?,
    })
}

/// Names that are safe as file names and cannot be taken for a path.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        bail!(
            "model name {name:?}: use 1-64 letters, digits, '-', '_' or '.', not starting with '.'"
        )
    }
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The dataset files' sha256 as `manifest.json` lists them, checked against the files present
/// (a file changed since the export would make the registry's provenance wrong). Without a
/// manifest, the hashes of train.jsonl and val.jsonl as found.
pub fn dataset_hashes(dataset_dir: &Path) -> Result<BTreeMap<String, String>> {
    let manifest = dataset_dir.join("manifest.json");
    let mut out = BTreeMap::new();
    if manifest.is_file() {
        let text = fs::read_to_string(&manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", manifest.display()))?;
        if let Some(files) = v.get("files").and_then(|f| f.as_object()) {
            for (name, sha) in files {
                let Some(sha) = sha.as_str() else { continue };
                let path = dataset_dir.join(name);
                if Path::new(name).components().count() != 1 || !path.is_file() {
                    continue; // another format's file, or not in this dir
                }
                let got = sha256_file(&path)?;
                if got != sha {
                    bail!(
                        "{} changed since the export (sha256 {got}, manifest.json says {sha}): export again",
                        path.display()
                    );
                }
                out.insert(name.clone(), got);
            }
        }
    }
    for name in ["train.jsonl", "val.jsonl"] {
        let path = dataset_dir.join(name);
        if !out.contains_key(name) && path.is_file() {
            out.insert(name.to_string(), sha256_file(&path)?);
        }
    }
    Ok(out)
}

fn count_lines(path: &Path) -> Result<usize> {
    let f = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut n = 0;
    for line in BufReader::new(f).lines() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if !line.trim().is_empty() {
            n += 1;
        }
    }
    Ok(n)
}

/// Runs a child whose stderr streams through and whose last stdout line that parses as `T` is
/// its result; other stdout lines are passed on to stderr.
pub fn run_json<T: DeserializeOwned>(cmd: &mut Command, what: &str) -> Result<T> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("{what}: no stdout"))?;
    let mut last: Option<String> = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.with_context(|| format!("reading {what}'s output"))?;
        if line.trim_start().starts_with('{') {
            if let Some(prev) = last.replace(line) {
                eprintln!("{prev}");
            }
        } else if !line.trim().is_empty() {
            eprintln!("{line}");
        }
    }
    let status = child
        .wait()
        .with_context(|| format!("waiting for {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status}); its messages are above");
    }
    let line = last.ok_or_else(|| anyhow!("{what} printed no JSON result"))?;
    serde_json::from_str(&line)
        .with_context(|| format!("{what}'s result is not what was expected: {line}"))
}

/// Reads the registry (an absent file is an empty registry).
pub fn load_registry(data_dir: &Path) -> Result<Vec<RegistryEntry>> {
    let path = registry_path(data_dir);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Adds `entry` (replacing one of the same name when `replace`), written atomically.
pub fn register(data_dir: &Path, entry: RegistryEntry, replace: bool) -> Result<()> {
    let mut all = load_registry(data_dir)?;
    if let Some(i) = all.iter().position(|e| e.name == entry.name) {
        if !replace {
            bail!("a model named {:?} is already registered", entry.name);
        }
        all.remove(i);
    }
    all.push(entry);
    let path = registry_path(data_dir);
    let dir = models_dir(data_dir);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(".registry.json.{}", std::process::id()));
    {
        let mut f = fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        serde_json::to_writer_pretty(&mut f, &all)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
}

/// What `--model X` names: an existing file path, else a registered model's GGUF, else
/// `<data_dir>/models/X.gguf`.
pub fn resolve_model(data_dir: &Path, name_or_path: &str) -> Option<PathBuf> {
    let p = Path::new(name_or_path);
    if p.is_file() {
        return Some(p.to_path_buf());
    }
    if validate_name(name_or_path).is_err() {
        return None;
    }
    if let Ok(all) = load_registry(data_dir)
        && let Some(e) = all.iter().rev().find(|e| e.name == name_or_path)
        && e.path.is_file()
    {
        return Some(e.path.clone());
    }
    let f = models_dir(data_dir).join(format!("{name_or_path}.gguf"));
    f.is_file().then_some(f)
}

/// `general.architecture` of a GGUF file (checks the magic and reads the header's key-values).
pub fn gguf_architecture(path: &Path) -> Result<String> {
    let f = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut r = std::io::BufReader::new(f);
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)
        .with_context(|| format!("reading {}", path.display()))?;
    if &magic != b"GGUF" {
        bail!("{} is not a GGUF file", path.display());
    }
    let version = read_u32(&mut r)?;
    if !(2..=3).contains(&version) {
        bail!("{}: GGUF version {version} not supported", path.display());
    }
    let _tensors = read_u64(&mut r)?;
    let kvs = read_u64(&mut r)?;
    for _ in 0..kvs {
        let key = read_string(&mut r)?;
        let ty = read_u32(&mut r)?;
        if key == "general.architecture" && ty == 8 {
            return read_string(&mut r);
        }
        skip_value(&mut r, ty)?;
    }
    bail!("{} has no general.architecture", path.display())
}

fn read_u32(r: &mut impl Read) -> Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).context("truncated GGUF header")?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b).context("truncated GGUF header")?;
    Ok(u64::from_le_bytes(b))
}

fn read_string(r: &mut impl Read) -> Result<String> {
    let n = read_u64(r)?;
    if n > 1 << 24 {
        bail!("GGUF string of {n} bytes: not a sane header");
    }
    let mut b = vec![0u8; n as usize];
    r.read_exact(&mut b).context("truncated GGUF header")?;
    Ok(String::from_utf8_lossy(&b).into_owned())
}

fn skip_value(r: &mut impl Read, ty: u32) -> Result<()> {
    let size = match ty {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        8 => {
            let n = read_u64(r)?;
            std::io::copy(&mut r.take(n), &mut std::io::sink()).context("truncated GGUF header")?;
            return Ok(());
        }
        9 => {
            let sub = read_u32(r)?;
            let n = read_u64(r)?;
            for _ in 0..n {
                skip_value(r, sub)?;
            }
            return Ok(());
        }
        other => bail!("unknown GGUF value type {other}"),
    };
    std::io::copy(&mut r.take(size), &mut std::io::sink()).context("truncated GGUF header")?;
    Ok(())
}

/// Moves a file, copying when it has to cross file systems.
fn move_file(from: &Path, to: &Path) -> Result<()> {
    if fs::rename(from, to).is_ok() {
        return Ok(());
    }
    let tmp = to.with_extension("gguf.part");
    fs::copy(from, &tmp)
        .with_context(|| format!("copying {} to {}", from.display(), tmp.display()))?;
    fs::rename(&tmp, to).with_context(|| format!("writing {}", to.display()))?;
    let _ = fs::remove_file(from);
    Ok(())
}

/// Trains, converts and registers; see the module doc.
pub fn train(opts: &TrainOptions) -> Result<TrainReport> {
    validate_name(&opts.out_name)?;
    if opts.batch == 0 || opts.grad_accum == 0 || opts.max_len < 128 {
        bail!("batch and grad_accum must be at least 1, max_len at least 128");
    }
    if opts.epochs.is_nan() || opts.epochs <= 0.0 {
        bail!("epochs must be positive");
    }
    let base = fs::canonicalize(&opts.base_gguf)
        .with_context(|| format!("base model {}", opts.base_gguf.display()))?;
    let train_file = opts.dataset_dir.join("train.jsonl");
    if !train_file.is_file() {
        bail!(
            "{} not found: `lookout export --format chat --out {}` writes it",
            train_file.display(),
            opts.dataset_dir.display()
        );
    }
    if !opts.replace
        && load_registry(&opts.data_dir)?
            .iter()
            .any(|e| e.name == opts.out_name)
    {
        bail!(
            "a model named {:?} is already registered (choose another --out, or replace it)",
            opts.out_name
        );
    }
    let dataset_sha256 = dataset_hashes(&opts.dataset_dir)?;
    let mut extra_sha256 = BTreeMap::new();
    for p in &opts.extra_train {
        extra_sha256.insert(p.display().to_string(), sha256_file(p)?);
    }
    let train_py = repo_file("training/train.py")?;
    let convert_py = repo_file("training/convert.py")?;
    let venv = ensure_venv(
        &opts
            .venv
            .clone()
            .unwrap_or_else(|| default_venv(&opts.data_dir)),
        opts.allow_setup,
    )?;

    let started = Instant::now();
    let stamp = Utc::now();
    let work = opts.data_dir.join("train-runs").join(format!(
        "{}-{}",
        opts.out_name,
        stamp.format("%Y%m%dT%H%M%S")
    ));
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;

    // The training set: the export's train.jsonl, then the extra files.
    let train_input = if opts.extra_train.is_empty() {
        train_file.clone()
    } else {
        let combined = work.join("train.jsonl");
        let mut out = fs::File::create(&combined)
            .with_context(|| format!("writing {}", combined.display()))?;
        for p in std::iter::once(&train_file).chain(opts.extra_train.iter()) {
            let mut text =
                fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            out.write_all(text.as_bytes())
                .with_context(|| format!("writing {}", combined.display()))?;
        }
        combined
    };
    let examples = count_lines(&train_input)?;
    if examples == 0 {
        bail!("{} has no examples", train_input.display());
    }

    let mut cmd = Command::new(&venv.python);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .arg(&train_py)
        .arg("--base")
        .arg(&base)
        .arg("--base-cache")
        .arg(opts.data_dir.join("train-cache"))
        .arg("--train")
        .arg(&train_input)
        .arg("--out")
        .arg(&work)
        .args(["--method", opts.method.as_str()])
        .args(["--epochs", &opts.epochs.to_string()])
        .args(["--batch", &opts.batch.to_string()])
        .args(["--grad-accum", &opts.grad_accum.to_string()])
        .args(["--max-len", &opts.max_len.to_string()])
        .args(["--train-layers", &opts.train_layers.to_string()])
        .args(["--seed", &opts.seed.to_string()]);
    let val = opts.dataset_dir.join("val.jsonl");
    if val.is_file() && count_lines(&val)? > 0 {
        cmd.arg("--val").arg(&val);
    }
    if let Some(s) = opts.steps {
        cmd.args(["--steps", &s.to_string()]);
    }
    if let Some(lr) = opts.lr {
        cmd.args(["--lr", &lr.to_string()]);
    }
    cmd.args(&opts.extra_args);
    eprintln!(
        "train: {} fine-tune of {} on {examples} examples (work dir {})",
        opts.method.as_str(),
        base.display(),
        work.display()
    );
    let stats: TrainStats = run_json(&mut cmd, "training/train.py")?;

    let gguf_tmp = work.join(format!("{}.gguf", opts.out_name));
    let mut cmd = Command::new(&venv.python);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .arg(&convert_py)
        .arg("--hf")
        .arg(&stats.hf_dir)
        .arg("--out")
        .arg(&gguf_tmp)
        .args(["--outtype", opts.outtype.as_str()])
        .arg("--convert")
        .arg(&venv.convert)
        .arg("--base")
        .arg(&base)
        .args(["--name", &opts.out_name]);
    let conv: ConvertStats = run_json(&mut cmd, "training/convert.py")?;
    let arch = gguf_architecture(&gguf_tmp)?;
    if conv.tokenizer_matches_base == Some(false) {
        bail!(
            "the converted model's tokenizer differs from the base model's ({}); not registered",
            conv.mismatches.join(", ")
        );
    }

    let dir = models_dir(&opts.data_dir);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dest = dir.join(format!("{}.gguf", opts.out_name));
    move_file(&gguf_tmp, &dest)?;
    let entry = RegistryEntry {
        name: opts.out_name.clone(),
        path: dest.clone(),
        base: base.clone(),
        created: stamp,
        method: opts.method,
        epochs: opts.epochs,
        steps: stats.steps,
        examples: stats.examples,
        val_examples: stats.val_examples,
        train_loss: stats.train_loss,
        val_loss: stats.val_loss,
        val_loss_before: stats.val_loss_before,
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        peak_rss_mb: stats.peak_rss_mb,
        outtype: opts.outtype.as_str().to_string(),
        train_layers: stats.train_layers,
        dataset_sha256,
        extra_sha256,
    };
    register(&opts.data_dir, entry.clone(), opts.replace)?;
    eprintln!(
        "train: registered {:?} ({arch}, {:.0} MB) as {}",
        opts.out_name,
        conv.size_mb,
        dest.display()
    );

    let report = serde_json::json!({"entry": &entry, "train": &stats, "convert": &conv});
    let _ = fs::write(
        work.join("report.json"),
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, path: &Path) -> RegistryEntry {
        RegistryEntry {
            name: name.into(),
            path: path.to_path_buf(),
            base: PathBuf::from("/base.gguf"),
            created: Utc::now(),
            method: Method::Lora,
            epochs: 1.0,
            steps: 3,
            examples: 6,
            val_examples: 2,
            train_loss: Some(1.5),
            val_loss: Some(1.2),
            val_loss_before: Some(2.0),
            seconds: 10.0,
            peak_rss_mb: 2000.0,
            outtype: "q8_0".into(),
            train_layers: 8,
            dataset_sha256: BTreeMap::new(),
            extra_sha256: BTreeMap::new(),
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(validate_name("tuned-1.v2_a").is_ok());
        for bad in ["", ".hidden", "a/b", "../x", "a b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn registry_appends_refuses_duplicates_and_resolves() {
        let d = tempfile::tempdir().unwrap();
        let models = models_dir(d.path());
        fs::create_dir_all(&models).unwrap();
        let g = models.join("tuned.gguf");
        fs::write(&g, b"GGUF").unwrap();
        assert!(load_registry(d.path()).unwrap().is_empty());
        register(d.path(), entry("tuned", &g), false).unwrap();
        assert!(register(d.path(), entry("tuned", &g), false).is_err());
        register(d.path(), entry("tuned", &g), true).unwrap();
        register(d.path(), entry("other", &g), false).unwrap();
        let all = load_registry(d.path()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].method, Method::Lora);
        assert_eq!(resolve_model(d.path(), "tuned"), Some(g.clone()));
        // A path is taken as it is; an unknown name is None.
        assert_eq!(
            resolve_model(d.path(), g.to_str().unwrap()),
            Some(g.clone())
        );
        assert_eq!(resolve_model(d.path(), "nope"), None);
        assert_eq!(resolve_model(d.path(), "../no-such-dir/tuned"), None);
        // Without a registry entry, <data_dir>/models/NAME.gguf.
        fs::write(models.join("loose.gguf"), b"GGUF").unwrap();
        assert_eq!(
            resolve_model(d.path(), "loose"),
            Some(models.join("loose.gguf"))
        );
    }

    #[test]
    fn manifest_hashes_are_checked() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("train.jsonl"), "{}\n").unwrap();
        let sha = sha256_file(&d.path().join("train.jsonl")).unwrap();
        let manifest = serde_json::json!({"files": {"train.jsonl": sha, "gone.jsonl": "00"}});
        fs::write(d.path().join("manifest.json"), manifest.to_string()).unwrap();
        let h = dataset_hashes(d.path()).unwrap();
        assert_eq!(h.get("train.jsonl"), Some(&sha));
        fs::write(d.path().join("train.jsonl"), "{\"changed\":1}\n").unwrap();
        assert!(dataset_hashes(d.path()).is_err());
    }

    fn gguf_bytes(kvs: &[(&str, u32, Vec<u8>)]) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend(3u32.to_le_bytes());
        b.extend(0u64.to_le_bytes());
        b.extend((kvs.len() as u64).to_le_bytes());
        for (k, ty, v) in kvs {
            b.extend((k.len() as u64).to_le_bytes());
            b.extend(k.as_bytes());
            b.extend(ty.to_le_bytes());
            b.extend(v);
        }
        b
    }

    fn gguf_str(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u64).to_le_bytes().to_vec();
        v.extend(s.as_bytes());
        v
    }

    #[test]
    fn reads_the_architecture_after_other_keys() {
        let d = tempfile::tempdir().unwrap();
        let mut arr = 8u32.to_le_bytes().to_vec(); // array of 2 strings
        arr.extend(2u64.to_le_bytes());
        arr.extend(gguf_str("a"));
        arr.extend(gguf_str("bc"));
        let bytes = gguf_bytes(&[
            (
                "general.quantization_version",
                4,
                2u32.to_le_bytes().to_vec(),
            ),
            ("general.tags", 9, arr),
            ("general.size", 10, 7u64.to_le_bytes().to_vec()),
            ("general.architecture", 8, gguf_str("llama")),
        ]);
        let p = d.path().join("m.gguf");
        fs::write(&p, &bytes).unwrap();
        assert_eq!(gguf_architecture(&p).unwrap(), "llama");
        fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        assert!(gguf_architecture(&p).is_err());
        fs::write(&p, b"NOPE....").unwrap();
        assert!(gguf_architecture(&p).is_err());
    }

    #[test]
    fn run_json_takes_the_last_json_line() {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo 'progress'; echo '{\"steps\": 1}'; echo '{\"steps\": 3, \"train_loss\": 0.5}'",
        ]);
        let s: TrainStats = run_json(&mut cmd, "sh").unwrap();
        assert_eq!(s.steps, 3);
        assert_eq!(s.train_loss, Some(0.5));
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo '{\"steps\": 1}'; exit 3"]);
        assert!(run_json::<TrainStats>(&mut cmd, "sh").is_err());
    }
}
