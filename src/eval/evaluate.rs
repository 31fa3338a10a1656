//! The entry point: ground truth + each method's predictions -> a [`Report`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::by_rules::{EvidenceScores, RuleEvidence};
use super::grounding::SummaryCheck;
use super::metrics::{Counts, binary_scores, cause_scores, cost_scores, ratio, risk_scores};
use super::report::{DatasetSummary, MethodReport, REPORT_VERSION, Report, SummaryScores};
use super::resample::{ResamplePlan, prevalence_points};
use super::split::{Split, host_key};
use super::techniques::{SameTechnique, TacticMap, technique_scores};
use super::types::{Prediction, Truth, normalise_techniques};
use crate::event::Cause;

/// Prevalences reported when none are asked for: a realistic queue, a busy one, a balanced one.
pub const DEFAULT_PREVALENCES: [f64; 3] = [0.01, 0.1, 0.5];

/// The methods `lookout eval --methods` knows, in report order.
pub const METHODS: [&str; 6] = [
    "rules",
    "learned",
    "model",
    "combined",
    "model+fewshot",
    "retrieval",
];

/// Parses `--prevalence 0.01,0.1,0.5` (or percentages: `1%,10%`): each strictly between 0
/// and 1, duplicates dropped, order kept.
pub fn parse_prevalences(list: &str) -> Result<Vec<f64>, String> {
    let mut out: Vec<f64> = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (num, scale) = match item.strip_suffix('%') {
            Some(n) => (n.trim(), 100.0),
            None => (item, 1.0),
        };
        let p = num
            .parse::<f64>()
            .map(|v| v / scale)
            .map_err(|_| format!("prevalence `{item}` is not a number"))?;
        if !(p > 0.0 && p < 1.0) {
            return Err(format!(
                "prevalence `{item}` must be strictly between 0 and 1"
            ));
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Parses `--methods rules,model`: known names only, duplicates dropped, order kept.
pub fn parse_methods(list: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let name = item.to_ascii_lowercase();
        if !METHODS.contains(&name.as_str()) {
            return Err(format!(
                "unknown method `{item}` (known: {})",
                METHODS.join(", ")
            ));
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub prevalences: Vec<f64>,
    pub seed: u64,
    /// Sessions per resampling draw; `None`: the number of labelled sessions, at least 1000
    /// (so that 1% still draws ten attacks per round).
    pub resample_size: Option<u64>,
    pub resample_rounds: u32,
    /// Technique -> tactics, for the tactic-level match; `None` leaves it out.
    pub tactics: Option<TacticMap>,
    /// Ids of one technique across ATT&CK versions and revocations; empty: ids count as
    /// written.
    pub same_technique: SameTechnique,
    /// Techniques the model was trained on (ids as [`SameTechnique`] maps them): the technique
    /// figures are also given over the sessions whose true techniques are all outside it.
    pub trained_techniques: Option<BTreeSet<String>>,
    /// Each labelled session's rule-hit techniques (normalised ids, by session id): the
    /// technique figures are also split by [`RuleEvidence`], and the per-session outcomes
    /// carry them.
    pub rule_techniques: Option<BTreeMap<String, Vec<String>>>,
    /// Which split each method's predictions were made under; unlisted methods: `Split::None`.
    pub splits: BTreeMap<String, Split>,
    /// How each method decides, for the report (e.g. `rules::rules_note`).
    pub notes: BTreeMap<String, String>,
    /// Case, labels source, corpus caveats.
    pub description: Option<String>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            prevalences: DEFAULT_PREVALENCES.to_vec(),
            seed: 42,
            resample_size: None,
            resample_rounds: 20,
            tactics: None,
            same_technique: SameTechnique::new(),
            trained_techniques: None,
            rule_techniques: None,
            splits: BTreeMap::new(),
            notes: BTreeMap::new(),
            description: None,
        }
    }
}

/// Scores every method against the truth. Each method's predictions are matched to truths by
/// session id; see [`MethodReport`] for how missing, extra and duplicate predictions count.
pub fn evaluate(
    truths: &[Truth],
    methods: &[(String, Vec<Prediction>)],
    opts: &EvalOptions,
) -> Report {
    // One truth per session: the first given wins.
    let given = truths.len();
    let mut seen = BTreeSet::new();
    let truths: Vec<&Truth> = truths
        .iter()
        .filter(|t| seen.insert(t.session_id.as_str()))
        .collect();
    let mut dataset = describe(&truths, opts);
    dataset.duplicate_truths = (given - truths.len()) as u64;
    let plan = ResamplePlan {
        size: opts
            .resample_size
            .unwrap_or((truths.len() as u64).max(1000)),
        rounds: opts.resample_rounds,
        seed: opts.seed,
    };
    let sessions = super::outcomes::outcomes(&truths, methods, opts);
    // Each truth's rule evidence, in `truths` order, as the outcomes found it.
    let classes: Option<Vec<Option<RuleEvidence>>> = opts
        .rule_techniques
        .as_ref()
        .map(|_| sessions.iter().map(|s| s.rule_evidence).collect());
    let reports: Vec<MethodReport> = methods
        .iter()
        .map(|(name, preds)| score_method(name, preds, &truths, opts, &plan, classes.as_deref()))
        .collect();
    let choice = super::choice::paragraph(&reports, &opts.prevalences);
    Report {
        version: REPORT_VERSION,
        dataset,
        prevalences: opts.prevalences.clone(),
        resample: plan,
        methods: reports,
        choice,
        sessions,
    }
}

fn describe(truths: &[&Truth], opts: &EvalOptions) -> DatasetSummary {
    let count = |c: Cause| truths.iter().filter(|t| t.cause == c).count() as u64;
    let hosts: BTreeSet<String> = truths.iter().map(|t| host_key(&t.host)).collect();
    let malicious = count(Cause::Malicious);
    DatasetSummary {
        description: opts.description.clone(),
        sessions: truths.len() as u64,
        malicious,
        legitimate: count(Cause::Legitimate),
        misconfiguration: count(Cause::Misconfiguration),
        prevalence: ratio(malicious as f64, truths.len() as f64),
        hosts: hosts.len() as u64,
        with_risk: truths.iter().filter(|t| t.risk.is_some()).count() as u64,
        with_techniques: truths.iter().filter(|t| !t.techniques.is_empty()).count() as u64,
        duplicate_truths: 0,
    }
}

fn score_method(
    name: &str,
    preds: &[Prediction],
    truths: &[&Truth],
    opts: &EvalOptions,
    plan: &ResamplePlan,
    classes: Option<&[Option<RuleEvidence>]>,
) -> MethodReport {
    let (by_id, duplicates) = first_predictions(preds);
    let labelled: BTreeSet<&str> = truths.iter().map(|t| t.session_id.as_str()).collect();
    let unlabelled = by_id.keys().filter(|id| !labelled.contains(*id)).count() as u64;

    let mut missing = 0u64;
    let mut outcomes = Vec::with_capacity(truths.len());
    let mut causes = Vec::with_capacity(truths.len());
    let mut risks = Vec::new();
    let mut techs: Vec<(Vec<String>, Vec<String>)> = Vec::with_capacity(truths.len());
    for t in truths {
        let p = by_id.get(t.session_id.as_str()).copied();
        missing += u64::from(p.is_none());
        // A missing prediction reads as "not flagged": what the analyst's queue would show.
        let cause = p.map_or(Cause::Legitimate, |p| p.cause);
        outcomes.push((t.is_malicious(), cause == Cause::Malicious));
        causes.push((t.cause, cause));
        if let Some(r) = t.risk {
            risks.push((r, p.and_then(|p| p.risk)));
        }
        techs.push((
            normalise_techniques(&t.techniques),
            p.map(|p| normalise_techniques(&p.techniques))
                .unwrap_or_default(),
        ));
    }
    let counts = Counts::from_pairs(outcomes.iter().copied());
    let tech_pairs: Vec<(&[String], &[String])> = techs
        .iter()
        .map(|(t, p)| (t.as_slice(), p.as_slice()))
        .collect();
    MethodReport {
        name: name.to_string(),
        split: opts.splits.get(name).cloned().unwrap_or(Split::None),
        note: opts.notes.get(name).cloned(),
        predictions: by_id.len() as u64,
        missing,
        unlabelled,
        duplicates,
        binary: binary_scores(counts),
        at_prevalence: prevalence_points(&outcomes, &counts, &opts.prevalences, plan),
        cause: cause_scores(causes),
        risk: risk_scores(risks),
        techniques: technique_scores(&tech_pairs, opts.tactics.as_ref(), &opts.same_technique),
        techniques_unseen: opts.trained_techniques.as_ref().map(|trained| {
            let unseen: Vec<(&[String], &[String])> = tech_pairs
                .iter()
                .copied()
                .filter(|(t, _)| {
                    !t.is_empty()
                        && t.iter()
                            .all(|x| !trained.contains(opts.same_technique.get(x).unwrap_or(x)))
                })
                .collect();
            let mut scores = technique_scores(&unseen, opts.tactics.as_ref(), &opts.same_technique);
            // The coverage table is the main figures'; this is their subset.
            scores.per_technique.clear();
            scores
        }),
        techniques_by_rules: classes.map_or_else(Vec::new, |c| by_rules(c, &techs, opts)),
        // Cost is a property of the method, labelled or not: every distinct prediction counts.
        cost: cost_scores(by_id.values().map(|p| p.latency_ms)),
        summaries: summary_scores(by_id.values().filter_map(|p| p.summary)),
    }
}

/// Each session's first prediction (later ones for the same session are ignored), and how
/// many were ignored.
pub(super) fn first_predictions(preds: &[Prediction]) -> (HashMap<&str, &Prediction>, u64) {
    let mut by_id: HashMap<&str, &Prediction> = HashMap::with_capacity(preds.len());
    let mut duplicates = 0u64;
    for p in preds {
        if by_id.contains_key(p.session_id.as_str()) {
            duplicates += 1;
        } else {
            by_id.insert(&p.session_id, p);
        }
    }
    (by_id, duplicates)
}

/// The technique figures per [`RuleEvidence`] class (`classes` and `techs` in truth order).
fn by_rules(
    classes: &[Option<RuleEvidence>],
    techs: &[(Vec<String>, Vec<String>)],
    opts: &EvalOptions,
) -> Vec<EvidenceScores> {
    RuleEvidence::ALL
        .iter()
        .map(|&evidence| {
            let pairs: Vec<(&[String], &[String])> = techs
                .iter()
                .zip(classes)
                .filter(|(_, c)| **c == Some(evidence))
                .map(|((t, p), _)| (t.as_slice(), p.as_slice()))
                .collect();
            let mut scores = technique_scores(&pairs, opts.tactics.as_ref(), &opts.same_technique);
            // The coverage table is the main figures'; this is their subset.
            scores.per_technique.clear();
            EvidenceScores { evidence, scores }
        })
        .collect()
}

fn summary_scores(checks: impl Iterator<Item = SummaryCheck>) -> Option<SummaryScores> {
    let checks: Vec<SummaryCheck> = checks.collect();
    if checks.is_empty() {
        return None;
    }
    let n = checks.len() as f64;
    let share =
        |f: fn(&SummaryCheck) -> bool| Some(checks.iter().filter(|c| f(c)).count() as f64 / n);
    Some(SummaryScores {
        checked: checks.len() as u64,
        grounded: share(|c| c.grounded),
        repeated: share(|c| c.repeated),
    })
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;
