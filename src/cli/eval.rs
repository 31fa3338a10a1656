//! `lookout eval`: every method's verdicts on a labelled case, scored by `crate::eval`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

use super::Globals;
use crate::assess::input;
use crate::assess::run::load_assessor;
use crate::assess::{AssessInput, Assessor};
use crate::case::Case;
use crate::detect::candidates::{self, CandidateIndex};
use crate::eval::run::{EvalCase, RunOptions};
use crate::eval::{Report, SessionOutcome, parse_methods, parse_prevalences};
use crate::event::Event;
use crate::learn::examples::prior_examples;
use crate::learn::{Example, Prior};
use crate::sessions::Session;
use crate::store::Store;

#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// Labels TSV (path glob, session id, or host + time range; cause; techniques; risk);
    /// default: the labels attached at ingest.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Methods to score: rules, learned, model, combined, model+fewshot, retrieval (technique
    /// candidates from ATT&CK procedure knowledge, no model).
    #[arg(long, default_value = "rules,learned,model,combined")]
    pub methods: String,
    /// Prevalences of malicious sessions for the resampled precision/recall.
    #[arg(long, default_value = "0.01,0.1,0.5")]
    pub prevalence: String,
    /// The model for `model` and `combined` (a GGUF path or a name registered by `train`).
    #[arg(long)]
    pub model: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write the Markdown report to FILE (default: printed when not --json).
    #[arg(long)]
    pub md: Option<PathBuf>,
    /// Print the difference between two JSON reports and exit.
    #[arg(long, num_args = 2, value_names = ["A.json", "B.json"])]
    pub compare: Option<Vec<PathBuf>>,
    /// Folds of the by-host split that keeps `learned` and `combined` free of leakage.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Evaluate a sample of N labelled sessions (stratified by cause, fixed seed) for every
    /// method: the model takes seconds per session. 0 = all.
    #[arg(long, default_value_t = 0)]
    pub sample: usize,
    /// An Atomic Red Team `atomics/` folder for the `retrieval` method's index (default: the
    /// config's `candidates.atomics`).
    #[arg(long, value_name = "DIR")]
    pub atomics: Option<PathBuf>,
    /// The techniques the model was trained on, one id a line (`make model` writes
    /// models/lookout-tuned/trained-techniques.txt): technique figures are also given over
    /// the sessions whose true techniques are all unseen in training.
    #[arg(long, value_name = "FILE")]
    pub trained_techniques: Option<PathBuf>,
    /// Write one JSON line per labelled session to FILE: its truth, the techniques its rule
    /// hits name, and each method's answer with whether its cause, a technique and a tactic
    /// were right.
    #[arg(long, value_name = "FILE")]
    pub per_session: Option<PathBuf>,
    /// Score one session per labelled source file (capture): the one an analyst opens first
    /// (highest rule level, then most rule hits, then most events). A capture's label
    /// reaches all its sessions, most of them background activity.
    #[arg(long)]
    pub per_capture: bool,
}

impl EvalArgs {
    /// The arguments `lookout eval` gets with no options: clap's defaults, stated once above.
    pub fn defaults() -> EvalArgs {
        use clap::{Command, FromArgMatches};
        let matches = EvalArgs::augment_args(Command::new("eval")).get_matches_from(["eval"]);
        EvalArgs::from_arg_matches(&matches).expect("the defaults parse")
    }
}

pub fn eval(g: &Globals, a: EvalArgs) -> Result<ExitCode> {
    if let Some(files) = &a.compare {
        let read = |p: &PathBuf| -> Result<Report> {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Report::from_json(&text)
                .with_context(|| format!("{} is not an eval report", p.display()))
        };
        print!(
            "{}",
            crate::eval::compare(&read(&files[0])?, &read(&files[1])?)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let report = report(g, &a, None)?;
    if let Some(path) = &a.per_session {
        write_outcomes(path, &report.sessions)?;
        eprintln!(
            "lookout: {} sessions' outcomes written to {}",
            report.sessions.len(),
            path.display()
        );
    }
    let md = report.to_markdown();
    if let Some(path) = &a.md {
        std::fs::write(path, &md).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("lookout: Markdown report written to {}", path.display());
    }
    if a.json {
        println!("{}", report.to_json());
    } else if a.md.is_none() {
        print!("{md}");
    }
    Ok(ExitCode::SUCCESS)
}

/// One JSON line per session outcome. Session text is not in them, but host names are log
/// data: written inert, like every JSON lookout prints.
fn write_outcomes(path: &Path, sessions: &[SessionOutcome]) -> Result<()> {
    let write = || -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        for s in sessions {
            crate::text::write_inert_json(&mut w, s).map_err(std::io::Error::other)?;
            w.write_all(b"\n")?;
        }
        w.flush()
    };
    write().with_context(|| format!("writing {}", path.display()))
}

/// Scores the methods of `a` on the labelled sessions of `g.case` (only those of `hosts` when
/// given, as host keys: `train` evaluates on the hosts it held out).
pub fn report(g: &Globals, a: &EvalArgs, hosts: Option<&BTreeSet<String>>) -> Result<Report> {
    let trained = a
        .trained_techniques
        .as_deref()
        .map(read_techniques)
        .transpose()?;
    let opts = RunOptions {
        methods: parse_methods(&a.methods).map_err(anyhow::Error::msg)?,
        prevalences: parse_prevalences(&a.prevalence).map_err(anyhow::Error::msg)?,
        labels: a.labels.as_deref(),
        folds: a.folds,
        seed: a.seed,
        sample: a.sample,
        fewshot: g.config.model.fewshot,
        hosts,
        trained_techniques: trained.as_ref(),
        per_capture: a.per_capture,
    };
    let case = Case::open(&g.data_dir, &g.case)?;
    crate::eval::run::report(
        &CaseEval {
            g,
            case: &case,
            model: a.model.as_deref(),
            atomics: a
                .atomics
                .as_deref()
                .or(g.config.candidates.atomics.as_deref()),
        },
        &opts,
    )
}

/// The case as the evaluation reads it, with `--model` for the model methods.
struct CaseEval<'a> {
    g: &'a Globals,
    case: &'a Case,
    model: Option<&'a str>,
    atomics: Option<&'a std::path::Path>,
}

impl EvalCase for CaseEval<'_> {
    fn name(&self) -> &str {
        &self.case.name
    }

    fn sessions(&self) -> Result<Vec<Session>> {
        self.case.sessions()
    }

    fn session_events(&self, session: &Session) -> Result<Vec<Event>> {
        Ok(self.case.view().session_events(session)?)
    }

    fn prior_examples(&self) -> Result<Vec<Example>> {
        prior_examples(&self.case.view())
    }

    fn input(
        &self,
        session: &Session,
        prior: Option<&Prior>,
        fewshot: usize,
    ) -> Result<AssessInput> {
        let prior = prior.map(|p| p as &dyn crate::model::PriorSource);
        Ok(input::build(
            &self.case.view(),
            session,
            &self.g.config,
            prior,
            fewshot,
        )?)
    }

    fn assessor(&self) -> Result<Assessor> {
        let model = super::assess::model_arg(self.g, self.model)?;
        let store = Store::open_data_dir(&self.case.data_dir)?;
        Ok(load_assessor(&self.g.config, &model, false)?.with_store(store))
    }

    fn candidate_index(&self) -> Result<(Arc<CandidateIndex>, usize)> {
        let index = candidates::shared(self.atomics)?;
        Ok((index, self.g.config.candidates.top_k))
    }
}

/// Technique ids from a file, one a line (blank lines and `#` comments skipped).
fn read_techniques(path: &std::path::Path) -> Result<BTreeSet<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the trained techniques in {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_ascii_uppercase)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::EvalArgs;

    #[test]
    fn defaults_are_the_command_lines() {
        let d = EvalArgs::defaults();
        assert_eq!(d.methods, "rules,learned,model,combined");
        assert_eq!(d.prevalence, "0.01,0.1,0.5");
        assert_eq!((d.folds, d.seed, d.sample), (5, 42, 0));
        assert!(d.labels.is_none() && d.model.is_none() && !d.json);
    }
}
