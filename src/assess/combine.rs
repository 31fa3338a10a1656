//! The documented combination of rule evidence, the learned prior and the model's answer
//! into the verdict lookout shows, and the rules-only verdict used without a model.
//!
//! Why: the default 135M model alone gets cause and risk right on about half of clear
//! sessions, calls almost everything "critical", and reads attacker-controlled log text. So
//! the evidence sets floors the model cannot go under, in this order:
//!
//! 1. **Cause.** A strong prior (analyst corrections, see [`PriorEvidence::strong_cause`])
//!    replaces the model's cause. Without any rule hit or a prior leaning malicious, the
//!    model's `malicious` becomes `legitimate`: on labelled data the model alone flagged most
//!    ordinary sessions. Without a visible failure ([`failure_sign`]) or a prior leaning so,
//!    its `misconfiguration` becomes `legitimate` too. Then a rule of level high or critical
//!    makes the cause `malicious` unless a strong prior says `misconfiguration`, and one of
//!    level medium makes a `legitimate` cause `malicious` unless a strong prior says
//!    `legitimate` (as [`rules_only`] does).
//!    These floors were chosen by `lookout eval` (demo, unseen synthetic and held-out real
//!    sets; README "Evaluation"): with the tuned model they lift the shown verdict's cause
//!    accuracy on the demo from 0.51 to 0.84 and on the unseen synthetic set from 0.71 to
//!    0.78, with no loss on the real captures.
//! 2. **Risk.** A strong prior's risk replaces the model's risk. The risk is then raised to the
//!    highest rule level (log text can never lower it below the evidence). Then it is capped
//!    to what the evidence supports ([`risk_ceiling`]): `critical` needs a critical rule or
//!    prior, the model alone gets at most `medium`, a legitimate session no more than its rules.
//! 3. **Techniques.** Rule tags first (most frequent first), then the prior's, then the
//!    model's valid ids; revoked ids are mapped to their successors, unknown ones dropped,
//!    at most five. One technique appears once even under ids of two ATT&CK versions
//!    ([`Catalog::same_technique`]: a rule's v19 `T1685.005` and the model's v18
//!    `T1070.001`): the first one stays, so a rule's id wins.
//! 4. **Priority** follows the final risk when the risk was changed.
//! 5. **Evidence** is the rule hits' event ids (most severe rule first).
//!
//! Every change is written as one note in `adjustments`; the model's own verdict is kept.

use super::failure::failure_sign;
use super::input::AssessInput;
use super::schema::MAX_TECHNIQUES;
use crate::attack::Catalog;
use crate::event::{Cause, Risk};
use crate::model::PriorEvidence;
use crate::model::Verdict;
use crate::sessions::SessionDetection;

/// At most this many event ids are kept as evidence.
const MAX_EVIDENCE: usize = 10;

/// The final verdict and why it differs from the model's.
#[derive(Debug, Clone, PartialEq)]
pub struct Combined {
    pub verdict: Verdict,
    pub adjustments: Vec<String>,
}

/// Combines the model's (catalog-checked) verdict with the evidence of `input`.
pub fn combine(model: &Verdict, input: &AssessInput, catalog: &Catalog) -> Combined {
    let detections = input.detections();
    let floor = detections.iter().map(|d| d.level).max();
    let top_rule = detections.first();
    let prior = input.prior.as_ref();
    let strong = prior.and_then(PriorEvidence::strong_cause);
    let mut v = model.clone();
    let mut notes = Vec::new();

    // 1. Cause.
    if let Some(c) = strong.filter(|c| *c != v.cause) {
        notes.push(format!(
            "cause {} -> {c}: the learned prior (analyst corrections) says {c} with score {:.2}",
            v.cause,
            prior
                .and_then(|p| p.cause_scores.get(&c))
                .copied()
                .unwrap_or(0.0)
        ));
        v.cause = c;
        v.cause_explanation = prior.map(|p| p.reason.clone()).unwrap_or_default();
    }
    // The model alone does not make a session malicious: on a stratified sample of labelled
    // demo sessions the default model called 5 of 6 ordinary ones malicious (MCC -0.49; the
    // rules alone score +0.16 on all 1,058), so a malicious answer needs corroboration: a rule
    // hit of any level, or a prior leaning so.
    let prior_malicious = prior
        .and_then(PriorEvidence::top_cause)
        .is_some_and(|(c, _)| c == Cause::Malicious);
    if v.cause == Cause::Malicious && detections.is_empty() && !prior_malicious && strong.is_none()
    {
        notes.push(
            "cause malicious -> legitimate: no rule hit and no similar labelled or corrected \
             session supports the model's malicious call"
                .into(),
        );
        v.cause = Cause::Legitimate;
        v.cause_explanation = "No rule fired and no similar labelled or corrected session is \
                               malicious; the model's call alone is not enough."
            .into();
    }
    // A misconfiguration is something that keeps failing: without a visible failure (see
    // [`failure_sign`]) or a prior leaning so, the model's call alone does not make one.
    let prior_misconfiguration = prior
        .and_then(PriorEvidence::top_cause)
        .is_some_and(|(c, _)| c == Cause::Misconfiguration);
    if v.cause == Cause::Misconfiguration
        && strong.is_none()
        && !prior_misconfiguration
        && failure_sign(input).is_none()
    {
        notes.push(
            "cause misconfiguration -> legitimate: the session shows no failure and no similar \
             labelled or corrected session is a misconfiguration"
                .into(),
        );
        v.cause = Cause::Legitimate;
        v.cause_explanation = "Nothing in the session failed; the model's misconfiguration \
                               call alone is not enough."
            .into();
    }
    // Log text can make a session look like anything but malicious: a rule of level high or
    // critical keeps it malicious unless analysts' corrections say misconfiguration; one of
    // level medium keeps it out of legitimate unless their corrections say legitimate.
    if let (Some(level), Some(rule)) = (floor, top_rule)
        && ((level >= Risk::High && v.cause != Cause::Malicious)
            || (level == Risk::Medium
                && v.cause == Cause::Legitimate
                && strong != Some(Cause::Legitimate)))
        && !(v.cause == Cause::Misconfiguration && strong == Some(Cause::Misconfiguration))
    {
        let to = if strong == Some(Cause::Misconfiguration) {
            Cause::Misconfiguration
        } else {
            Cause::Malicious
        };
        notes.push(format!(
            "cause {} -> {to}: rule \"{}\" ({level}) fired; log text cannot make it {}",
            v.cause, rule.title, v.cause
        ));
        v.cause = to;
        v.cause_explanation = format!("Rule \"{}\" ({level}) fired in this session.", rule.title);
    }

    // 2. Risk.
    let model_risk = v.risk_level;
    if strong.is_some()
        && let Some(r) = prior.and_then(|p| p.risk).filter(|r| *r != v.risk_level)
    {
        notes.push(format!(
            "risk {} -> {r}: the learned prior's risk",
            v.risk_level
        ));
        v.risk_level = r;
    }
    if let (Some(level), Some(rule)) = (floor, top_rule)
        && v.risk_level < level
    {
        notes.push(format!(
            "risk {} -> {level}: raised to the level of rule \"{}\"",
            v.risk_level, rule.title
        ));
        v.risk_level = level;
        v.risk_justification = format!("Rule \"{}\" has level {level}.", rule.title);
    }
    let ceiling = risk_ceiling(floor, prior.and_then(|p| p.risk), v.cause);
    if v.risk_level > ceiling {
        notes.push(format!(
            "risk {} -> {ceiling}: more than the evidence supports (rules: {}, prior: {})",
            v.risk_level,
            floor.map_or("none", Risk::as_str),
            prior.and_then(|p| p.risk).map_or("none", Risk::as_str)
        ));
        v.risk_level = ceiling;
    }

    // 3. Techniques.
    let (techniques, dropped) = rank_techniques(&detections, prior, &model.techniques, catalog);
    if techniques != model.techniques {
        let added: Vec<&String> = techniques
            .iter()
            .filter(|t| !model.techniques.contains(t))
            .collect();
        if !added.is_empty() {
            notes.push(format!(
                "techniques: added {} from rule tags or the prior",
                join(&added)
            ));
        }
    }
    if !dropped.is_empty() {
        notes.push(format!(
            "techniques: dropped unknown ids {}",
            join(&dropped)
        ));
    }
    v.techniques = techniques;

    // 4. Priority.
    if v.risk_level != model_risk {
        let p = priority_for(v.risk_level);
        if p != v.investigation_priority {
            notes.push(format!(
                "priority {} -> {p}: follows the final risk",
                v.investigation_priority
            ));
            v.investigation_priority = p;
        }
    }

    // 5. Evidence.
    v.evidence = evidence(&detections);
    Combined {
        verdict: v,
        adjustments: notes,
    }
}

/// The verdict from rules and the prior alone: when no model is available, and as the
/// evaluation baseline. Any rule of level medium or above means malicious, no rule (or only
/// low ones) legitimate, unless the prior strongly says otherwise (a high rule still cannot
/// be legitimate).
pub fn rules_only(input: &AssessInput, catalog: &Catalog) -> Combined {
    rules_only_because(input, catalog, "no model")
}

/// [`rules_only`], its summary naming why the model's answer is not part of it.
pub fn rules_only_because(input: &AssessInput, catalog: &Catalog, why: &str) -> Combined {
    let detections = input.detections();
    let floor = detections.iter().map(|d| d.level).max();
    let cause = match floor {
        Some(l) if l >= Risk::Medium => Cause::Malicious,
        _ => Cause::Legitimate,
    };
    let risk = floor.unwrap_or(Risk::Low);
    let titles: Vec<String> = detections
        .iter()
        .take(3)
        .map(|d| format!("\"{}\" ({})", d.title, d.level))
        .collect();
    let explanation = if titles.is_empty() {
        "No rule fired in this session.".to_string()
    } else {
        format!("Rules fired: {}.", titles.join(", "))
    };
    let base = Verdict {
        cause,
        cause_explanation: explanation.clone(),
        risk_level: risk,
        risk_justification: match floor {
            Some(l) => format!("Highest rule level is {l}."),
            None => "No rule evidence.".into(),
        },
        business_impact: String::new(),
        likelihood: match floor {
            Some(Risk::Critical | Risk::High) => "high",
            Some(Risk::Medium) => "medium",
            _ => "low",
        }
        .into(),
        investigation_priority: priority_for(risk),
        // Ranked here already, so that the combination notes only what the prior changes.
        techniques: rank_techniques(&detections, input.prior.as_ref(), &[], catalog).0,
        anomalous_patterns: Vec::new(),
        summary: format!("Rules only ({why}). {explanation}"),
        remediation: Vec::new(),
        evidence: Vec::new(),
    };
    combine(&base, input, catalog)
}

/// The highest risk the evidence supports: `critical` only with a critical rule hit or a
/// prior saying critical; otherwise one level above the strongest evidence, at most `high`,
/// and `medium` with no evidence at all (the model alone rates almost everything critical);
/// a legitimate session no higher than its rules (`low` without any).
fn risk_ceiling(floor: Option<Risk>, prior: Option<Risk>, cause: Cause) -> Risk {
    let support = floor.max(prior);
    if cause == Cause::Legitimate {
        return floor.unwrap_or(Risk::Low);
    }
    match support {
        Some(Risk::Critical) => Risk::Critical,
        Some(Risk::High | Risk::Medium) => Risk::High,
        Some(Risk::Low) | None => Risk::Medium,
    }
}

/// 1 for critical … 4 for low.
pub fn priority_for(risk: Risk) -> u8 {
    4 - risk.rank()
}

/// Rule tags (by frequency), then the prior's, then the model's; valid and unique, at most
/// [`MAX_TECHNIQUES`]. Returns the list and the ids the catalog does not know.
fn rank_techniques(
    detections: &[SessionDetection],
    prior: Option<&PriorEvidence>,
    model: &[String],
    catalog: &Catalog,
) -> (Vec<String>, Vec<String>) {
    let mut counts: Vec<(String, u64)> = Vec::new();
    for d in detections {
        for t in &d.techniques {
            match counts.iter_mut().find(|(id, _)| id == t) {
                Some((_, n)) => *n += d.count,
                None => counts.push((t.clone(), d.count)),
            }
        }
    }
    // Stable: equal counts keep the detections' (severity) order.
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let ordered = counts
        .into_iter()
        .map(|(t, _)| t)
        .chain(prior.into_iter().flat_map(|p| p.techniques.iter().cloned()))
        .chain(model.iter().cloned());
    let mut out: Vec<String> = Vec::new();
    let mut dropped = Vec::new();
    for t in ordered {
        match catalog.current(&t) {
            Some(id) if !out.iter().any(|o| catalog.same_technique(o, &id)) => out.push(id),
            Some(_) => {}
            None if !dropped.contains(&t) => dropped.push(t),
            None => {}
        }
    }
    out.truncate(MAX_TECHNIQUES);
    (out, dropped)
}

fn evidence(detections: &[SessionDetection]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in detections.iter().flat_map(|d| &d.event_ids) {
        if out.len() == MAX_EVIDENCE {
            break;
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

fn join(items: &[impl AsRef<str>]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}
