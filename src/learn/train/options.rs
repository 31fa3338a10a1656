//! What a `lookout train` run is asked to do: [`TrainOptions`], their defaults (measured on a
//! 2-core CPU) and the checks made before anything is started.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::assess::registry::Method;
use crate::fsutil::validate_name;

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

/// Where train.py runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainDevice {
    /// A CUDA GPU when PyTorch sees one (PyPI's torch is the CUDA build), else the CPU.
    #[default]
    Auto,
    Cpu,
    Cuda,
}

impl TrainDevice {
    pub fn as_str(self) -> &'static str {
        match self {
            TrainDevice::Auto => "auto",
            TrainDevice::Cpu => "cpu",
            TrainDevice::Cuda => "cuda",
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
    /// Loss weight of the answer tokens that spell the cause, risk level and technique ids
    /// (None = train.py's default, 1: every answer token alike).
    pub decision_weight: Option<f64>,
    /// Examples per forward pass: they share the computation of the common prompt prefix.
    pub batch: usize,
    pub grad_accum: usize,
    /// Tokens per example; longer prompts lose their middle.
    pub max_len: usize,
    /// Train only the top N transformer layers (0 = all, about 3x slower).
    pub train_layers: usize,
    pub seed: u64,
    /// Validation checks during the run (evenly spaced, the last step included); the
    /// parameters of the one with the best decision score are kept.
    pub checkpoints: usize,
    /// Validation prompts the model answers greedily at each check: the cause it reaches after
    /// its own summary is what the decision score counts (0: the teacher-forced cause).
    pub free_answers: usize,
    pub outtype: OutType,
    pub device: TrainDevice,
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
            checkpoints: 1,
            free_answers: 0,
            outtype: OutType::Q8_0,
            device: TrainDevice::Auto,
            venv: None,
            allow_setup: true,
            replace: false,
            keep_work: false,
            extra_args: Vec::new(),
            decision_weight: None,
        }
    }

    /// The export's training file.
    pub fn train_file(&self) -> PathBuf {
        self.dataset_dir.join("train.jsonl")
    }

    /// The venv to train in: the one given, else the default one.
    pub fn venv_dir(&self) -> PathBuf {
        self.venv
            .clone()
            .unwrap_or_else(|| super::venv::default_venv(&self.data_dir))
    }

    /// The checks that need no file: the name, the batch shape, the epochs.
    pub fn check(&self) -> Result<()> {
        validate_name("model", &self.out_name)?;
        if self.batch == 0 || self.grad_accum == 0 || self.checkpoints == 0 || self.max_len < 128 {
            bail!("batch, grad_accum and checkpoints must be at least 1, max_len at least 128");
        }
        if self.epochs.is_nan() || self.epochs <= 0.0 {
            bail!("epochs must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_before_any_work() {
        let p = Path::new("/nowhere");
        let ok = TrainOptions::new("tuned-1", p, p, p);
        assert!(ok.check().is_ok());
        assert_eq!(ok.train_file(), p.join("train.jsonl"));
        let mut bad = ok.clone();
        bad.out_name = "../x".into();
        assert!(bad.check().unwrap_err().to_string().contains("model name"));
        for f in [
            |o: &mut TrainOptions| o.batch = 0,
            |o: &mut TrainOptions| o.grad_accum = 0,
            |o: &mut TrainOptions| o.checkpoints = 0,
            |o: &mut TrainOptions| o.max_len = 127,
            |o: &mut TrainOptions| o.epochs = 0.0,
            |o: &mut TrainOptions| o.epochs = f64::NAN,
        ] {
            let mut o = ok.clone();
            f(&mut o);
            assert!(o.check().is_err(), "{o:?}");
        }
    }
}
