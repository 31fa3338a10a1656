//! `lookout export` and `lookout train`: corrections become a fine-tuning dataset, and the
//! default model is tuned on it on this machine.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::Globals;
use crate::assess::PROMPT_VERSION;
use crate::attack::Catalog;
use crate::case::Case;
use crate::learn::anonymize::{Anonymizer, case_key};
use crate::learn::examples::{ExportSelection, LabelOptions, export_items, label_items};
use crate::learn::export::{ExportFormat, ExportItem, ExportOptions, cap_balanced, write};
use crate::learn::train::{Method, TrainDevice, TrainOptions, train};
use crate::sessions::Session;
use crate::synth::{is_estate_host, vary_estate_names};

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Folder for train.jsonl, val.jsonl and manifest.json.
    #[arg(long, required_unless_present = "preview")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "chat")]
    pub format: ExportFormat,
    /// Fraction of examples (by whole hosts) held out for validation.
    #[arg(long, default_value_t = 0.2)]
    pub val: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Replace user, host, domain, IP, e-mail, SID and home-path values by pseudonyms.
    #[arg(long)]
    pub anonymize: bool,
    /// Accepted verdicts (`y` in review) as well as corrected ones.
    #[arg(long)]
    pub include_confirmed: bool,
    /// Print the first example before and after anonymisation; write nothing.
    #[arg(long)]
    pub preview: bool,
}

pub fn export(g: &Globals, a: ExportArgs) -> Result<ExitCode> {
    anyhow::ensure!(
        (0.0..1.0).contains(&a.val),
        "--val must be in [0, 1), got {}",
        a.val
    );
    let case = Case::open(&g.data_dir, &g.case)?;
    let catalog = Catalog::load_default().context("loading the ATT&CK catalog")?;
    let sel = ExportSelection {
        include_confirmed: a.include_confirmed,
    };
    let items = export_items(&case.view(), &g.config, &catalog, &sel)?;
    if items.is_empty() {
        anyhow::bail!(
            "case `{}` has no corrections to export{} (correct sessions with `lookout correct` \
             or in the workbench)",
            case.name,
            if a.include_confirmed {
                ""
            } else {
                " (confirmations count with --include-confirmed)"
            }
        );
    }
    let anonymizer = (a.anonymize || a.preview)
        .then(|| anonymizer_for(&case))
        .transpose()?;
    if a.preview {
        let (before, after) = (&items[0], anonymize(&items[0], anonymizer.as_ref()));
        // The prompt quotes log text: made visible, never sent raw to the terminal.
        let shown = crate::text::sanitize;
        println!(
            "# before\n{}\n{}\n",
            shown(&before.user),
            shown(&before.answer)
        );
        println!(
            "# after --anonymize\n{}\n{}",
            shown(&after.user),
            shown(&after.answer)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let items: Vec<ExportItem> = items
        .iter()
        .map(|it| {
            if a.anonymize {
                anonymize(it, anonymizer.as_ref())
            } else {
                it.clone()
            }
        })
        .collect();
    let out = a.out.context("--out DIR is required")?;
    let opts = ExportOptions {
        format: a.format,
        val_fraction: a.val,
        seed: a.seed,
        anonymized: a.anonymize,
        model: g.config.model.path.clone(),
        prompt_version: PROMPT_VERSION.into(),
        max_val: 0,
    };
    let m = write(&out, &items, &opts)?;
    println!(
        "exported {} train + {} val examples ({:?}) to {}; by cause {:?}; imbalance {:.1}",
        m.train,
        m.val,
        m.format,
        out.display(),
        m.by_cause,
        m.imbalance_ratio
    );
    if m.skipped_without_model_output > 0 {
        println!(
            "{} corrections had no model verdict to reject and are not in the DPO files",
            m.skipped_without_model_output
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn anonymizer_for(case: &Case) -> Result<Anonymizer> {
    let key = case_key(&crate::case::index_dir(&case.data_dir, &case.name))
        .context("reading the case's anonymisation key")?;
    let sessions = case.sessions()?;
    let mut users: Vec<String> = sessions.iter().filter_map(|s| s.user.clone()).collect();
    let mut hosts: Vec<String> = sessions.iter().map(|s| s.host.clone()).collect();
    users.sort();
    users.dedup();
    hosts.sort();
    hosts.dedup();
    Ok(Anonymizer::new(&key, &users, &hosts))
}

fn anonymize(it: &ExportItem, a: Option<&Anonymizer>) -> ExportItem {
    let Some(a) = a else { return it.clone() };
    ExportItem {
        host: a.apply(&it.host),
        user: a.apply(&it.user),
        answer: a.apply(&it.answer),
        rejected: it.rejected.as_ref().map(|r| a.apply(r)),
        ..it.clone()
    }
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[arg(long, value_enum, default_value = "full")]
    pub method: Method,
    #[arg(long, default_value_t = 1.0)]
    pub epochs: f64,
    /// Labelled cases whose sessions join the training set (their labels as answers).
    #[arg(long = "include-case")]
    pub include_case: Vec<String>,
    /// Cases made by `lookout synth` (`--into-case`) that join the training set: as
    /// `--include-case`, but each label is its session's own, so a short attack session without
    /// a rule hit is taught, and the sessions go to training or validation one by one, not
    /// with their host (every scenario shares synth's few hosts).
    #[arg(long = "include-synthetic")]
    pub include_synthetic: Vec<String>,
    /// The share (0-1) of synthetic sessions whose training prompt shows only the hits of
    /// lookout's built-in rules, as a case ingested with the default config shows them
    /// (synth verifies with whatever rules it is given, e.g. all of SigmaHQ; default 0).
    #[arg(long, default_value_t = 0.0)]
    pub builtin_view: f64,
    /// Name to register the tuned model under (`--model NAME` then uses it).
    #[arg(long, default_value = "tuned")]
    pub out: String,
    /// Train on at most N examples (train + validation), shared out evenly between the causes
    /// (seed 42); 0 = all.
    #[arg(long, default_value_t = 0)]
    pub max_examples: usize,
    /// An export folder to train on; default: export this case's corrections now.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// The GGUF to tune; default: the configured (or default) model.
    #[arg(long)]
    pub base: Option<PathBuf>,
    /// Stop after N optimizer steps.
    #[arg(long)]
    pub steps: Option<usize>,
    /// Train only the top N transformer layers (0 = all, about 3x slower); default 8.
    #[arg(long)]
    pub train_layers: Option<usize>,
    /// Replace a registered model of the same name.
    #[arg(long)]
    pub replace: bool,
    /// Peak learning rate (default: 1e-4 full, 3e-4 LoRA).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Loss weight of the answer tokens that spell the cause, risk level and technique ids
    /// (default 1: every answer token alike; they are a few tokens of ~130).
    #[arg(long)]
    pub decision_weight: Option<f64>,
    /// Tokens per example; longer prompts lose the middle of their timeline (default 1024).
    #[arg(long)]
    pub max_len: Option<usize>,
    /// At most N validation examples (a cause-stratified sample of the held-out hosts'; the
    /// validation loss is computed before and after training); 0 = all.
    #[arg(long, default_value_t = 0)]
    pub max_val: usize,
    /// Labelled sessions of the held-out hosts to evaluate the base and the tuned model on
    /// (a stratified sample; 0 = no evaluation).
    #[arg(long, default_value_t = 24)]
    pub eval_sample: usize,
    /// Give the sessions of synth's fixed estate (WS01…, DC01, web01, alice, `CORP`) other
    /// host, domain, user and subnet names each, in prompt and answer alike.
    #[arg(long)]
    pub vary_names: bool,
    /// Seed of the training run itself: LoRA initialisation and batch order (default 42). The
    /// examples keep their own sample seed, so runs with other seeds train on the same ones.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Check the validation set N times during the run (evenly spaced, the last step included)
    /// and keep the parameters with the best decision score: technique lists and causes of the
    /// validation answers, teacher-forced (training/decisions.py). Default 1: the last step.
    #[arg(long, default_value_t = 1)]
    pub checkpoints: usize,
    /// At each check, N validation prompts (the causes in turn) answered greedily by the model:
    /// the decision score then counts the cause it reaches after its own summary (2-8 s each).
    #[arg(long, default_value_t = 0)]
    pub free_answers: usize,
    /// The share (0-1) of labelled sessions whose training prompt withholds the rule hits (the
    /// rule section and the timeline's `[rule: …]` marks), so the model also learns to name
    /// techniques from the timeline (default 0: every rule shown).
    #[arg(long, default_value_t = 0.0)]
    pub withhold_rules: f64,
    /// Where to train: a CUDA GPU when PyTorch sees one (auto), or the CPU.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: TrainDevice,
    /// Write the training set (as train would) and stop: to train it elsewhere, e.g. on a
    /// machine with a GPU (`training/train.py --train DIR/train.jsonl --val DIR/val.jsonl`).
    #[arg(long, conflicts_with = "dataset")]
    pub export_only: bool,
}

pub fn train_cmd(g: &Globals, a: TrainArgs) -> Result<ExitCode> {
    let case = Case::open(&g.data_dir, &g.case)?;
    let work = g.data_dir.join("train-data").join(&a.out);
    let catalog = Catalog::load_default().context("loading the ATT&CK catalog")?;
    let dataset = match a.dataset {
        Some(d) => d,
        None => {
            let mut items = export_items(
                &case.view(),
                &g.config,
                &catalog,
                &ExportSelection::default(),
            )?;
            // The analyst's corrections always go in; labelled sessions fill the rest of the
            // cap, chosen before their prompts are built (a corpus has thousands).
            let included: Vec<(&String, bool)> = (a.include_case.iter().map(|c| (c, false)))
                .chain(a.include_synthetic.iter().map(|c| (c, true)))
                .collect();
            let others = included
                .iter()
                .map(|(name, _)| Case::open(&g.data_dir, name))
                .collect::<Result<Vec<Case>>>()?;
            // (index in `others`, cause, session) of every labelled session.
            let mut labelled = Vec::new();
            for (i, other) in others.iter().enumerate() {
                for s in other.sessions()? {
                    if let Some(cause) = s.label.as_ref().map(|l| l.cause) {
                        labelled.push((i, cause, s));
                    }
                }
            }
            if a.max_examples > 0 {
                let room = a.max_examples.saturating_sub(items.len());
                labelled = cap_balanced(
                    labelled,
                    room,
                    42,
                    |(_, cause, _)| *cause,
                    |(_, _, s)| &s.id,
                );
            }
            let mut by_case: Vec<Vec<Session>> = vec![Vec::new(); others.len()];
            for (i, _, s) in labelled {
                by_case[i].push(s);
            }
            for ((other, sessions), (_, synthetic)) in others.iter().zip(&by_case).zip(&included) {
                let label_opts = LabelOptions {
                    withhold_rules: a.withhold_rules,
                    synthetic: *synthetic,
                    builtin_view: a.builtin_view,
                };
                let mut labelled =
                    label_items(&other.view(), sessions, &g.config, &catalog, &label_opts)?;
                // Sessions of synth's fixed estate get other names each, so that the model
                // learns to read hosts and users from the prompt, not to recall WS01.
                let estate = |it: &&mut ExportItem| a.vary_names && is_estate_host(&it.host);
                for it in labelled.iter_mut().filter(estate) {
                    let texts = &mut [&mut it.system, &mut it.user, &mut it.answer];
                    vary_estate_names(texts, &it.session_id);
                }
                items.extend(labelled);
            }
            anyhow::ensure!(
                !items.is_empty(),
                "nothing to train on: no corrections in `{}` and no labelled --include-case",
                case.name
            );
            let opts = ExportOptions {
                format: ExportFormat::Chat,
                val_fraction: 0.2,
                seed: 42,
                anonymized: false,
                model: g.config.model.path.clone(),
                prompt_version: PROMPT_VERSION.into(),
                max_val: a.max_val,
            };
            let dir = work.join("dataset");
            let m = write(&dir, &items, &opts)?;
            eprintln!(
                "lookout: training set {} + {} validation examples in {}",
                m.train,
                m.val,
                dir.display()
            );
            dir
        }
    };
    if a.export_only {
        println!("{}", dataset.display());
        return Ok(ExitCode::SUCCESS);
    }
    let base = match a.base {
        Some(b) => b,
        None => crate::assess::model_file::resolve_model(
            &g.data_dir,
            None,
            Some(std::path::Path::new(&g.config.model.path)),
        )?,
    };
    let mut opts = TrainOptions::new(&a.out, &g.data_dir, &dataset, &base);
    opts.method = a.method;
    opts.epochs = a.epochs;
    opts.steps = a.steps;
    if let Some(n) = a.train_layers {
        opts.train_layers = n;
    }
    opts.replace = a.replace;
    opts.lr = a.lr;
    opts.decision_weight = a.decision_weight;
    if let Some(n) = a.max_len {
        opts.max_len = n;
    }
    if let Some(seed) = a.seed {
        opts.seed = seed;
    }
    opts.checkpoints = a.checkpoints;
    opts.free_answers = a.free_answers;
    opts.device = a.device;
    let r = train(&opts)?;
    println!(
        "registered `{}` at {} ({} steps, {:.0} s, peak RSS {:.0} MB, val loss {:?} -> {:?})",
        r.entry.name,
        r.entry.path.display(),
        r.entry.steps,
        r.entry.seconds,
        r.entry.peak_rss_mb,
        r.entry.val_loss_before,
        r.entry.val_loss
    );
    if let (Some(score), Some(step)) = (r.train.decision_score(), r.train.selected_step) {
        println!(
            "validation decision score {score:.3} at step {step} of {} (technique lists and causes: training/decisions.py)",
            r.train.steps
        );
    }
    if a.eval_sample > 0 {
        let mut cases = a.include_case.clone();
        cases.extend(a.include_synthetic.iter().cloned());
        if cases.is_empty() {
            cases.push(case.name.clone());
        }
        super::train_eval::before_after(
            g,
            &cases,
            &dataset,
            &base,
            &r.entry.path,
            &work,
            a.eval_sample,
        )?;
    } else {
        println!(
            "compare: lookout eval --model {} --json > after.json; lookout eval --compare before.json after.json",
            r.entry.name
        );
    }
    Ok(ExitCode::SUCCESS)
}
