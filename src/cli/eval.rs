//! `lookout eval`: every method's verdicts on a labelled case, scored by `crate::eval`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::Globals;
use crate::assess::input;
use crate::assess::run::load_assessor;
use crate::case::Case;
use crate::eval::split::host_key;
use crate::eval::{
    EvalOptions, LabelTable, Prediction, Report, SameTechnique, Split, TacticMap, Truth, evaluate,
    kfold_by_host, parse_methods, parse_prevalences, rules_note, rules_prediction,
    truths_for_sessions,
};
use crate::event::{Cause, Risk};
use crate::learn::Prior;
use crate::learn::examples::prior_examples;
use crate::sessions::Session;
use crate::store::Store;

#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// Labels TSV (path glob, session id, or host + time range; cause; techniques; risk);
    /// default: the labels attached at ingest.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Methods to score: rules, learned, model, combined, model+fewshot.
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

/// Scores the methods of `a` on the labelled sessions of `g.case` (only those of `hosts` when
/// given, as [`host_key`]s: `train` evaluates on the hosts it held out).
pub fn report(g: &Globals, a: &EvalArgs, hosts: Option<&BTreeSet<String>>) -> Result<Report> {
    let methods = parse_methods(&a.methods).map_err(anyhow::Error::msg)?;
    let prevalences = parse_prevalences(&a.prevalence).map_err(anyhow::Error::msg)?;
    let case = Case::open(&g.data_dir, &g.case)?;
    let sessions = case.sessions()?;
    let table = a.labels.as_deref().map(LabelTable::read).transpose()?;
    let (mut truths, sources) =
        truths_for_sessions(&sessions, table.as_ref(), |s| session_sources(&case, s));
    if let Some(hosts) = hosts {
        truths.retain(|t| hosts.contains(&host_key(&t.host)));
    }
    anyhow::ensure!(
        !truths.is_empty(),
        "case `{}` has no labelled sessions{}: ingest with --label/--labels or pass --labels FILE",
        case.name,
        if hosts.is_some() {
            " on the held-out hosts"
        } else {
            ""
        }
    );
    let truths = sample(truths, a.sample, a.seed);
    let by_id: BTreeMap<&str, &Session> = sessions.iter().map(|s| (s.id.as_str(), s)).collect();
    let folds = kfold_by_host(&truths, a.folds, a.seed);
    let split = if folds.is_empty() {
        Split::Other {
            description: "one host only: no by-host split possible, learned methods left out"
                .into(),
        }
    } else {
        Split::KfoldByHost {
            k: folds.len(),
            seed: a.seed,
        }
    };
    let (tactics, same_technique) = technique_lookup();
    let mut opts = EvalOptions {
        prevalences,
        seed: a.seed,
        description: Some(format!(
            "case `{}`: {} labelled sessions ({} from a labels file, {} from ingest labels, {} \
             unlabelled left out){}",
            case.name,
            truths.len(),
            sources.from_file,
            sources.from_ingest,
            sources.unlabelled,
            if a.sample > 0 {
                format!(
                    "; a stratified sample of at most {} (seed {})",
                    a.sample, a.seed
                )
            } else {
                String::new()
            }
        )),
        tactics,
        same_technique,
        ..Default::default()
    };
    let mut results: Vec<(String, Vec<Prediction>)> = Vec::new();
    // The fold priors are shared by `learned` and `combined`.
    let examples = prior_examples(&case.view())?;
    let fold_priors: Vec<(BTreeSet<String>, Prior)> = folds
        .iter()
        .map(|(_, test)| {
            let test_ids: BTreeSet<String> = test.iter().cloned().collect();
            let test_hosts: BTreeSet<String> = truths
                .iter()
                .filter(|t| test_ids.contains(&t.session_id))
                .map(|t| host_key(&t.host))
                .collect();
            let train = examples
                .iter()
                .filter(|e| !test_ids.contains(&e.session_id))
                .filter(|e| !test_hosts.contains(&host_key(&e.host)))
                .cloned()
                .collect();
            (test_ids, Prior::train(train))
        })
        .collect();
    let prior_of = |id: &str| {
        fold_priors
            .iter()
            .find(|(t, _)| t.contains(id))
            .map(|(_, p)| p)
    };
    for m in &methods {
        match m.as_str() {
            "rules" => {
                opts.notes.insert(m.clone(), rules_note(Risk::Medium));
                let preds = truths
                    .iter()
                    .filter_map(|t| by_id.get(t.session_id.as_str()))
                    .map(|s| timed(|| rules_prediction(s)))
                    .collect();
                results.push((m.clone(), preds));
            }
            "learned" => {
                opts.splits.insert(m.clone(), split.clone());
                opts.notes.insert(
                    m.clone(),
                    "k nearest labelled or corrected sessions (TF-IDF over session features); \
                     no neighbour: legitimate"
                        .into(),
                );
                let preds = truths
                    .iter()
                    .filter_map(|t| by_id.get(t.session_id.as_str()))
                    .filter_map(|s| prior_of(&s.id).map(|p| timed(|| learned_prediction(p, s))))
                    .collect();
                results.push((m.clone(), preds));
            }
            "model" | "combined" if results.iter().any(|(n, _)| n == m) => {}
            "model" | "combined" => {
                let (model, combined) = model_predictions(
                    g,
                    a,
                    &case,
                    &truths,
                    &by_id,
                    &prior_of,
                    g.config.model.fewshot,
                )?;
                opts.splits.insert("combined".into(), split.clone());
                opts.notes.insert(
                    "model".into(),
                    "the model's own answer (the prompt carries rule hits and the fold's prior)"
                        .into(),
                );
                opts.notes.insert(
                    "combined".into(),
                    "the shown verdict: rule floor, prior and model combined".into(),
                );
                if methods.iter().any(|x| x == "model") {
                    results.push(("model".into(), model));
                }
                if methods.iter().any(|x| x == "combined") {
                    results.push(("combined".into(), combined));
                }
            }
            "model+fewshot" => {
                let n = if g.config.model.fewshot > 0 {
                    g.config.model.fewshot
                } else {
                    FEWSHOT_EXAMPLES
                };
                opts.splits.insert(m.clone(), split.clone());
                opts.notes.insert(
                    m.clone(),
                    format!(
                        "the model's own answer with the {n} nearest labelled or corrected \
                         sessions of the fold (other hosts) and their verdicts as worked examples \
                         in the prompt"
                    ),
                );
                let (model, _) = model_predictions(g, a, &case, &truths, &by_id, &prior_of, n)?;
                results.push((m.clone(), model));
            }
            _ => {}
        }
    }
    // Report order follows --methods.
    results.sort_by_key(|(n, _)| methods.iter().position(|m| m == n));
    Ok(evaluate(&truths, &results, &opts))
}

/// The source files of a session's events (for `path` rows of a labels file).
fn session_sources(case: &Case, s: &Session) -> Vec<String> {
    let mut out: Vec<String> = case
        .session_events(s)
        .map(|evs| evs.into_iter().map(|e| e.source).collect())
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// At most `n` truths, stratified by cause (each cause keeps its share, at least one).
fn sample(mut truths: Vec<Truth>, n: usize, seed: u64) -> Vec<Truth> {
    if n == 0 || truths.len() <= n {
        return truths;
    }
    let mut rng = StdRng::seed_from_u64(seed);
    truths.shuffle(&mut rng);
    let total = truths.len() as f64;
    let mut by_cause: BTreeMap<Cause, Vec<Truth>> = BTreeMap::new();
    for t in truths {
        by_cause.entry(t.cause).or_default().push(t);
    }
    let mut out = Vec::new();
    for (_, ts) in by_cause {
        let keep = ((ts.len() as f64 / total) * n as f64).round().max(1.0) as usize;
        out.extend(ts.into_iter().take(keep));
    }
    out
}

fn timed(f: impl FnOnce() -> Prediction) -> Prediction {
    let t = Instant::now();
    let mut p = f();
    p.latency_ms = t.elapsed().as_secs_f64() * 1000.0;
    p
}

fn learned_prediction(prior: &Prior, s: &Session) -> Prediction {
    match prior.predict(s) {
        Some(v) => Prediction {
            session_id: s.id.clone(),
            cause: v.cause,
            risk: v.risk,
            techniques: v
                .techniques
                .iter()
                .filter(|(_, share)| *share >= 0.5)
                .map(|(t, _)| t.clone())
                .collect(),
            latency_ms: 0.0,
        },
        None => Prediction {
            session_id: s.id.clone(),
            cause: Cause::Legitimate,
            risk: Some(Risk::Low),
            techniques: vec![],
            latency_ms: 0.0,
        },
    }
}

type Preds = Vec<Prediction>;

/// Worked examples `model+fewshot` puts in the prompt when `model.fewshot` is 0.
const FEWSHOT_EXAMPLES: usize = 2;

/// Runs the assessor once per session (prompt with the fold's prior, and `fewshot` of its
/// nearest examples): the model's own answer and the combined verdict.
fn model_predictions<'a>(
    g: &Globals,
    a: &EvalArgs,
    case: &Case,
    truths: &[Truth],
    by_id: &BTreeMap<&str, &Session>,
    prior_of: &dyn Fn(&str) -> Option<&'a Prior>,
    fewshot: usize,
) -> Result<(Preds, Preds)> {
    let model = a
        .model
        .as_deref()
        .map(|m| super::assess::resolve_model(g, m))
        .transpose()?;
    let store = Store::open(&crate::case::store_path(&case.data_dir))?;
    let assessor = load_assessor(&g.config, &model, false)?.with_store(store);
    anyhow::ensure!(
        assessor.has_model(),
        "the model could not be loaded (see above); run `make setup` or pass --model"
    );
    let (mut model_preds, mut combined) = (Vec::new(), Vec::new());
    let total = truths.len();
    for (i, t) in truths.iter().enumerate() {
        let Some(s) = by_id.get(t.session_id.as_str()) else {
            continue;
        };
        let prior = prior_of(&s.id).map(|p| p as &dyn crate::model::PriorSource);
        let input = input::build(&case.view(), s, &g.config, prior, fewshot)?;
        match assessor.assess(&input) {
            Ok(asm) => {
                let latency = asm.latency_ms as f64;
                if let Some(mv) = &asm.model_verdict {
                    model_preds.push(Prediction {
                        session_id: s.id.clone(),
                        cause: mv.cause,
                        risk: Some(mv.risk_level),
                        techniques: mv.techniques.clone(),
                        latency_ms: latency,
                    });
                }
                combined.push(Prediction {
                    session_id: s.id.clone(),
                    cause: asm.verdict.cause,
                    risk: Some(asm.verdict.risk_level),
                    techniques: asm.verdict.techniques.clone(),
                    latency_ms: latency,
                });
            }
            Err(e) => eprintln!("lookout: session {}: {e}", s.id),
        }
        if (i + 1) % 10 == 0 || i + 1 == total {
            eprintln!("lookout: model {}/{} sessions", i + 1, total);
        }
    }
    Ok((model_preds, combined))
}

/// Technique -> tactics from the ATT&CK catalog, for the tactic-level match, and the ids
/// that name one technique across ATT&CK versions (a v19 rule tag and a v18 label).
fn technique_lookup() -> (Option<TacticMap>, SameTechnique) {
    let Ok(cat) = crate::attack::Catalog::load_default() else {
        return (None, SameTechnique::new());
    };
    let tactics = cat
        .iter()
        .map(|t| (t.id.clone(), t.tactics.clone()))
        .collect();
    (Some(tactics), cat.equivalent_ids())
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
