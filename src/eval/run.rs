//! One evaluation of a case (`lookout eval`, and `lookout train`'s before/after): the
//! predictions of every method over the case's labelled sessions, scored into a [`Report`].
//! `rules` reads the sessions' hits, `learned` and `combined` use a prior trained per by-host
//! fold, and the model methods run the assessor once per session. The case comes in through
//! [`EvalCase`], since `eval` sits below `case`.

use super::grounding::check_summary;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::split::host_key;
use super::types::normalise_techniques;
use super::{
    EvalOptions, LabelTable, Prediction, Report, SameTechnique, Split, TacticMap, Truth, evaluate,
    kfold_by_host, rules_note, rules_prediction, truths_for_sessions,
};
use crate::assess::{AssessInput, Assessor};
use crate::detect::candidates::CandidateIndex;
use crate::event::{Cause, Event, Risk};
use crate::learn::{Example, Prior};
use crate::sessions::Session;

/// What an evaluation reads from a case. Each is asked for only when needed (the model methods
/// load the assessor once per method that runs it), so errors surface in the same order as
/// the work.
pub trait EvalCase {
    fn name(&self) -> &str;
    fn sessions(&self) -> Result<Vec<Session>>;
    /// A session's member events (their sources match `path` rows of a labels file).
    fn session_events(&self, session: &Session) -> Result<Vec<Event>>;
    /// The labelled and corrected sessions the fold priors learn from.
    fn prior_examples(&self) -> Result<Vec<Example>>;
    /// The assessment input of `session` with `prior` and `fewshot` of its nearest examples.
    fn input(
        &self,
        session: &Session,
        prior: Option<&Prior>,
        fewshot: usize,
    ) -> Result<AssessInput>;
    /// The assessor of the model methods.
    fn assessor(&self) -> Result<Assessor>;
    /// The technique-candidate index of the `retrieval` method, with `k` candidates a session.
    fn candidate_index(&self) -> Result<(Arc<CandidateIndex>, usize)>;
}

/// The parsed options of one evaluation.
#[derive(Debug, Clone)]
pub struct RunOptions<'a> {
    /// Methods to score, in report order (see [`super::parse_methods`]).
    pub methods: Vec<String>,
    pub prevalences: Vec<f64>,
    /// A labels file; `None`: the labels attached at ingest.
    pub labels: Option<&'a Path>,
    /// Folds of the by-host split that keeps `learned` and `combined` free of leakage.
    pub folds: usize,
    pub seed: u64,
    /// A stratified sample of at most this many labelled sessions; 0 = all.
    pub sample: usize,
    /// Worked examples in the model's prompt (the config's `model.fewshot`).
    pub fewshot: usize,
    /// Only the sessions of these hosts, as [`host_key`]s (`train` evaluates on the hosts it
    /// held out).
    pub hosts: Option<&'a BTreeSet<String>>,
    /// Techniques the model was trained on: figures over the unseen ones are added.
    pub trained_techniques: Option<&'a BTreeSet<String>>,
    /// One session per labelled source file (capture): its lead, see [`leads_per_source`].
    pub per_capture: bool,
}

/// Worked examples `model+fewshot` puts in the prompt when `model.fewshot` is 0.
const FEWSHOT_EXAMPLES: usize = 2;

/// Scores the methods of `opts` on the labelled sessions of `case`.
pub fn report(case: &dyn EvalCase, opts: &RunOptions) -> Result<Report> {
    let methods = &opts.methods;
    let sessions = case.sessions()?;
    let table = opts.labels.map(LabelTable::read).transpose()?;
    let (mut truths, sources) =
        truths_for_sessions(&sessions, table.as_ref(), |s| session_sources(case, s));
    if let Some(hosts) = opts.hosts {
        truths.retain(|t| hosts.contains(&host_key(&t.host)));
    }
    anyhow::ensure!(
        !truths.is_empty(),
        "case `{}` has no labelled sessions{}: ingest with --label/--labels or pass --labels FILE",
        case.name(),
        if opts.hosts.is_some() {
            " on the held-out hosts"
        } else {
            ""
        }
    );
    let by_id: BTreeMap<&str, &Session> = sessions.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut captures = None;
    if opts.per_capture {
        let all = truths.len();
        truths = leads_per_source(truths, &by_id, |s| session_sources(case, s));
        captures = Some((all, truths.len()));
    }
    let truths = sample(truths, opts.sample, opts.seed);
    let folds = kfold_by_host(&truths, opts.folds, opts.seed);
    let split = if folds.is_empty() {
        Split::Other {
            description: "one host only: no by-host split possible, learned methods left out"
                .into(),
        }
    } else {
        Split::KfoldByHost {
            k: folds.len(),
            seed: opts.seed,
        }
    };
    let (tactics, same_technique) = technique_lookup();
    let rule_techniques = truths
        .iter()
        .filter_map(|t| by_id.get(t.session_id.as_str()))
        .map(|s| (s.id.clone(), normalise_techniques(&s.rule_techniques())))
        .collect();
    let mut eval_opts = EvalOptions {
        prevalences: opts.prevalences.clone(),
        seed: opts.seed,
        description: Some(format!(
            "case `{}`: {} labelled sessions ({} from a labels file, {} from ingest labels, {} \
             unlabelled left out){}{}",
            case.name(),
            truths.len(),
            sources.from_file,
            sources.from_ingest,
            sources.unlabelled,
            match captures {
                Some((all, leads)) => format!(
                    "; per capture: the lead session of each labelled source file (highest \
                     rule level, then most rule hits, then most events), {leads} of {all}"
                ),
                None => String::new(),
            },
            if opts.sample > 0 {
                format!(
                    "; a stratified sample of at most {} (seed {})",
                    opts.sample, opts.seed
                )
            } else {
                String::new()
            }
        )),
        trained_techniques: opts.trained_techniques.map(|t| {
            t.iter()
                .map(|x| same_technique.get(x).unwrap_or(x).clone())
                .collect()
        }),
        rule_techniques: Some(rule_techniques),
        tactics,
        same_technique,
        ..Default::default()
    };
    let mut results: Vec<(String, Vec<Prediction>)> = Vec::new();
    // The fold priors are shared by `learned` and `combined`.
    let examples = case.prior_examples()?;
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
    let labelled = Labelled {
        case,
        truths: &truths,
        by_id: &by_id,
        prior_of: &prior_of,
    };
    for m in methods {
        match m.as_str() {
            "rules" => {
                eval_opts.notes.insert(m.clone(), rules_note(Risk::Medium));
                let preds = labelled
                    .sessions()
                    .map(|s| timed(|| rules_prediction(s)))
                    .collect();
                results.push((m.clone(), preds));
            }
            "learned" => {
                eval_opts.splits.insert(m.clone(), split.clone());
                eval_opts.notes.insert(
                    m.clone(),
                    "k nearest labelled or corrected sessions (TF-IDF over session features); \
                     no neighbour: legitimate"
                        .into(),
                );
                let preds = labelled
                    .sessions()
                    .filter_map(|s| prior_of(&s.id).map(|p| timed(|| learned_prediction(p, s))))
                    .collect();
                results.push((m.clone(), preds));
            }
            "retrieval" => {
                let (index, k) = case.candidate_index()?;
                eval_opts.notes.insert(m.clone(), retrieval_note(&index, k));
                let mut preds = Vec::new();
                for s in labelled.sessions() {
                    let events = case.session_events(s)?;
                    preds.push(timed(|| retrieval_prediction(&index, s, &events, k)));
                }
                results.push((m.clone(), preds));
            }
            "model" | "combined" if results.iter().any(|(n, _)| n == m) => {}
            "model" | "combined" => {
                let (model, combined) = labelled.model_predictions(opts.fewshot)?;
                eval_opts.splits.insert("combined".into(), split.clone());
                eval_opts.notes.insert(
                    "model".into(),
                    "the model's own answer (the prompt carries rule hits and the fold's prior)"
                        .into(),
                );
                eval_opts.notes.insert(
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
                let n = if opts.fewshot > 0 {
                    opts.fewshot
                } else {
                    FEWSHOT_EXAMPLES
                };
                eval_opts.splits.insert(m.clone(), split.clone());
                eval_opts.notes.insert(
                    m.clone(),
                    format!(
                        "the model's own answer with the {n} nearest labelled or corrected \
                         sessions of the fold (other hosts) and their verdicts as worked examples \
                         in the prompt"
                    ),
                );
                let (model, _) = labelled.model_predictions(n)?;
                results.push((m.clone(), model));
            }
            _ => {}
        }
    }
    // Report order follows the methods' order.
    results.sort_by_key(|(n, _)| methods.iter().position(|m| m == n));
    Ok(evaluate(&truths, &results, &eval_opts))
}

/// The source files of a session's events (for `path` rows of a labels file).
fn session_sources(case: &dyn EvalCase, s: &Session) -> Vec<String> {
    let mut out: Vec<String> = case
        .session_events(s)
        .map(|evs| evs.into_iter().map(|e| e.source).collect())
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// The truth of each source file's lead session: the one an analyst opens first for that
/// capture (highest rule level, then most rule hits, then most events, then id). A capture's
/// label reaches every session of it, most of them background activity; this scores one
/// verdict per capture, as the capture's label means. A session leading several files counts
/// once; sessions without a source are left out.
fn leads_per_source(
    truths: Vec<Truth>,
    by_id: &BTreeMap<&str, &Session>,
    sources_of: impl Fn(&Session) -> Vec<String>,
) -> Vec<Truth> {
    let rank = |s: &Session| {
        let hits: u64 = s.detections.iter().map(|d| d.count).sum();
        (
            s.max_rule_level(),
            hits,
            s.events,
            std::cmp::Reverse(s.id.clone()),
        )
    };
    let mut lead: BTreeMap<String, (&Session, usize)> = BTreeMap::new();
    for (i, t) in truths.iter().enumerate() {
        let Some(&s) = by_id.get(t.session_id.as_str()) else {
            continue;
        };
        for source in sources_of(s) {
            match lead.get(&source) {
                Some((best, _)) if rank(best) >= rank(s) => {}
                _ => {
                    lead.insert(source, (s, i));
                }
            }
        }
    }
    let keep: BTreeSet<usize> = lead.values().map(|(_, i)| *i).collect();
    truths
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, t)| t)
        .collect()
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
            summary: None,
        },
        None => Prediction {
            session_id: s.id.clone(),
            cause: Cause::Legitimate,
            risk: Some(Risk::Low),
            techniques: vec![],
            latency_ms: 0.0,
            summary: None,
        },
    }
}

/// A candidate this close to the best one is predicted with it (at most
/// [`RETRIEVAL_PREDICTED`]): near ties are one answer in different words.
const RETRIEVAL_SHARE: f64 = 0.8;
const RETRIEVAL_PREDICTED: usize = 3;

/// The `retrieval` method: techniques = the top candidates (the best, and those within
/// [`RETRIEVAL_SHARE`] of its score); malicious iff the session has a candidate at all.
/// Retrieval is a technique method: its malicious-or-not figures only say how often public
/// procedures match at all.
fn retrieval_prediction(
    index: &CandidateIndex,
    s: &Session,
    events: &[Event],
    k: usize,
) -> Prediction {
    let cands = index.candidates(events, k.max(1));
    let best = cands.first().map_or(0.0, |c| c.score);
    let techniques = cands
        .iter()
        .filter(|c| c.score >= best * RETRIEVAL_SHARE)
        .take(RETRIEVAL_PREDICTED)
        .map(|c| c.technique.clone())
        .collect();
    Prediction {
        session_id: s.id.clone(),
        cause: if cands.is_empty() {
            Cause::Legitimate
        } else {
            Cause::Malicious
        },
        risk: None,
        techniques,
        latency_ms: 0.0,
        summary: None,
    }
}

fn retrieval_note(index: &CandidateIndex, k: usize) -> String {
    let src = &index.sources;
    format!(
        "BM25 over {} ATT&CK procedure documents{}{}; techniques = the best candidate and those \
         within {:.0}% of its score (≤ {RETRIEVAL_PREDICTED}, of top {k}); malicious iff any \
         candidate",
        src.documents,
        src.procedures
            .as_ref()
            .map_or(" (catalog names only)".to_string(), |(_, n)| format!(
                " ({n} catalog procedure texts)"
            )),
        src.atomics.as_ref().map_or(String::new(), |(d, n)| format!(
            ", {n} atomics from {}",
            d.display()
        )),
        RETRIEVAL_SHARE * 100.0
    )
}

type Preds = Vec<Prediction>;

/// The evaluated sessions with their case and fold priors: what every method reads.
struct Labelled<'a, 'p> {
    case: &'a dyn EvalCase,
    truths: &'a [Truth],
    by_id: &'a BTreeMap<&'a str, &'a Session>,
    prior_of: &'a dyn Fn(&str) -> Option<&'p Prior>,
}

impl Labelled<'_, '_> {
    /// The sessions of the truths, in the truths' order.
    fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.truths
            .iter()
            .filter_map(|t| self.by_id.get(t.session_id.as_str()).copied())
    }

    /// Runs the assessor once per session (prompt with the fold's prior, and `fewshot` of its
    /// nearest examples): the model's own answer and the combined verdict.
    fn model_predictions(&self, fewshot: usize) -> Result<(Preds, Preds)> {
        let assessor = self.case.assessor()?;
        anyhow::ensure!(
            assessor.has_model(),
            "the model could not be loaded (see above); run `make setup` or pass --model"
        );
        let (mut model_preds, mut combined) = (Vec::new(), Vec::new());
        let total = self.truths.len();
        for (i, t) in self.truths.iter().enumerate() {
            let Some(s) = self.by_id.get(t.session_id.as_str()) else {
                continue;
            };
            let input = self.case.input(s, (self.prior_of)(&s.id), fewshot)?;
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
                            summary: Some(check_summary(&mv.summary, s)),
                        });
                    }
                    combined.push(Prediction {
                        session_id: s.id.clone(),
                        cause: asm.verdict.cause,
                        risk: Some(asm.verdict.risk_level),
                        techniques: asm.verdict.techniques.clone(),
                        latency_ms: latency,
                        summary: Some(check_summary(&asm.verdict.summary, s)),
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
    use super::*;

    fn truth(id: usize, cause: Cause) -> Truth {
        Truth {
            session_id: format!("s{id}"),
            host: format!("h{}", id % 3),
            cause,
            risk: None,
            techniques: vec![],
        }
    }

    #[test]
    fn a_sample_keeps_each_cause_with_its_share() {
        let truths: Vec<Truth> = (0..100)
            .map(|i| {
                truth(
                    i,
                    if i < 10 {
                        Cause::Malicious
                    } else {
                        Cause::Legitimate
                    },
                )
            })
            .collect();
        assert_eq!(sample(truths.clone(), 0, 42).len(), 100);
        let s = sample(truths, 20, 42);
        let malicious = s.iter().filter(|t| t.is_malicious()).count();
        assert_eq!((malicious, s.len() - malicious), (2, 18));
    }

    #[test]
    fn per_capture_keeps_each_files_lead_session() {
        use crate::model::SessionDetection;
        let t0 = chrono::DateTime::UNIX_EPOCH;
        let hit = |level, count| SessionDetection {
            rule_id: "r".into(),
            title: "r".into(),
            level,
            techniques: vec![],
            count,
            event_ids: vec![],
        };
        // a.evtx: s0 (medium x1, 9 events), s1 (high x1), s2 (high x3: the lead).
        // b.evtx: s3 (no hit, 40 events: the lead), s4 (no hit, 2 events); s5: no source.
        let mut sessions: Vec<Session> = (0..6)
            .map(|i| Session::blank(&format!("s{i}"), "h", t0))
            .collect();
        sessions[0].detections = vec![hit(Risk::Medium, 1)];
        sessions[0].events = 9;
        sessions[1].detections = vec![hit(Risk::High, 1)];
        sessions[2].detections = vec![hit(Risk::High, 3)];
        sessions[3].events = 40;
        sessions[4].events = 2;
        let by_id: BTreeMap<&str, &Session> = sessions.iter().map(|s| (s.id.as_str(), s)).collect();
        let sources = |s: &Session| match s.id.as_str() {
            "s0" | "s1" | "s2" => vec!["a.evtx".to_string()],
            "s3" | "s4" => vec!["b.evtx".to_string()],
            _ => vec![],
        };
        let truths: Vec<Truth> = (0..6).map(|i| truth(i, Cause::Malicious)).collect();
        let leads: Vec<String> = leads_per_source(truths, &by_id, sources)
            .into_iter()
            .map(|t| t.session_id)
            .collect();
        assert_eq!(leads, vec!["s2", "s3"]);
    }
}
