//! Per-session outcomes of an evaluation: what each method answered for each labelled
//! session and whether it was right, for `eval --per-session` (label reviewers read which
//! sessions a method gets wrong; a model's trainer reads where it adds to the rules).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::by_rules::RuleEvidence;
use super::evaluate::{EvalOptions, first_predictions};
use super::grounding::SummaryCheck;
use super::techniques::session_match;
use super::types::{Prediction, Truth, normalise_techniques};
use crate::event::{Cause, Risk};

/// One labelled session: its truth, what its rules named, and every method's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionOutcome {
    pub session_id: String,
    pub host: String,
    pub cause: Cause,
    pub techniques: Vec<String>,
    /// The techniques its rule hits are tagged with (when the run knew them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_techniques: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_evidence: Option<RuleEvidence>,
    pub methods: Vec<MethodOutcome>,
}

/// One method's answer for one session, scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodOutcome {
    pub method: String,
    /// `None`: the method gave no prediction (scored as legitimate, no technique).
    pub cause: Option<Cause>,
    pub risk: Option<Risk>,
    pub techniques: Vec<String>,
    pub cause_right: bool,
    /// A predicted technique is a true one; `None` when the truth names none.
    pub technique_right: Option<bool>,
    /// A predicted technique shares a tactic with a true one; `None` when unknown.
    pub tactic_right: Option<bool>,
    /// The summary checked against the session (methods that write one: the model's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<SummaryCheck>,
}

/// The outcomes of every truth (one per session, in order) under every method: a method's
/// first prediction for a session counts, as in the figures.
pub(crate) fn outcomes(
    truths: &[&Truth],
    methods: &[(String, Vec<Prediction>)],
    opts: &EvalOptions,
) -> Vec<SessionOutcome> {
    let firsts: Vec<HashMap<&str, &Prediction>> = methods
        .iter()
        .map(|(_, preds)| first_predictions(preds).0)
        .collect();
    truths
        .iter()
        .map(|t| {
            let truth = normalise_techniques(&t.techniques);
            let rule_techniques = opts
                .rule_techniques
                .as_ref()
                .map(|r| r.get(&t.session_id).cloned().unwrap_or_default());
            let rule_evidence = rule_techniques
                .as_ref()
                .and_then(|r| RuleEvidence::of(r, &truth, &opts.same_technique));
            let methods = methods
                .iter()
                .zip(&firsts)
                .map(|((name, _), by_id)| {
                    let p = by_id.get(t.session_id.as_str());
                    let techniques = p
                        .map(|p| normalise_techniques(&p.techniques))
                        .unwrap_or_default();
                    let m = session_match(
                        &truth,
                        &techniques,
                        opts.tactics.as_ref(),
                        &opts.same_technique,
                    );
                    MethodOutcome {
                        method: name.clone(),
                        cause: p.map(|p| p.cause),
                        risk: p.and_then(|p| p.risk),
                        cause_right: p.map_or(Cause::Legitimate, |p| p.cause) == t.cause,
                        technique_right: m.map(|m| m.partial),
                        tactic_right: m.and_then(|m| m.tactic),
                        summary: p.and_then(|p| p.summary),
                        techniques,
                    }
                })
                .collect();
            SessionOutcome {
                session_id: t.session_id.clone(),
                host: t.host.clone(),
                cause: t.cause,
                techniques: truth,
                rule_techniques,
                rule_evidence,
                methods,
            }
        })
        .collect()
}
