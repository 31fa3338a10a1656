//! The case's ground truth as learning material: sessions labelled at ingest and the analysts'
//! corrections become examples of the learned prior and items of a fine-tuning export.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};

use super::export::ExportItem;
use super::prior::{Example, ExampleSource, Prior};
use super::target::{LabelFacts, grounded_answer, likelihood};
use crate::assess::build_prompt;
use crate::assess::combine::priority_for;
use crate::assess::failure::failure_sign;
use crate::assess::input::{self, AssessInput};
use crate::attack::Catalog;
use crate::config::Config;
use crate::detect::RuleSet;
use crate::event::{Cause, Label, Risk};
use crate::model::{Session, Verdict};
use crate::sessions::CaseView;
use crate::store::{Correction, CorrectionKind};

/// Prior examples of a case: each session's latest correction, else its ingest label.
pub fn prior_examples(case: &CaseView) -> Result<Vec<Example>> {
    let corrections = latest_by_session(case)?;
    let mut out = Vec::new();
    // One session at a time: only the labelled or corrected ones are kept.
    case.for_each_session(|s| {
        out.extend(example_of(&s, corrections.get(&s.id)));
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(out)
}

/// The learned prior of a case (labels and corrections; retrains in milliseconds).
pub fn case_prior(case: &CaseView) -> Result<Prior> {
    Ok(Prior::train(prior_examples(case)?))
}

fn latest_by_session(case: &CaseView) -> Result<BTreeMap<String, Correction>> {
    Ok(case
        .store
        .latest_corrections(Some(case.name))
        .context("reading corrections")?
        .into_iter()
        .map(|c| (c.session_id.clone(), c))
        .collect())
}

fn example_of(s: &Session, correction: Option<&Correction>) -> Option<Example> {
    if let Some(c) = correction {
        return Some(Example::from_session(
            s,
            c.cause,
            Some(c.risk),
            c.techniques.clone(),
            ExampleSource::Correction { id: c.id },
        ));
    }
    let l = s.label.as_ref()?;
    Some(Example::from_session(
        s,
        l.cause,
        l.risk,
        l.techniques.clone(),
        ExampleSource::Label,
    ))
}

/// What an export takes from the case.
#[derive(Debug, Clone, Default)]
pub struct ExportSelection {
    /// Accepted verdicts (`y` in review) as well as changed ones.
    pub include_confirmed: bool,
}

/// One fine-tuning item per corrected session: the prompt the assessor sends for it (built
/// with the prior of every *other* example, as a new similar session would see it) and the
/// corrected verdict as the same JSON the model writes.
pub fn export_items(
    case: &CaseView,
    config: &Config,
    catalog: &Catalog,
    sel: &ExportSelection,
) -> Result<Vec<ExportItem>> {
    let corrections = latest_by_session(case)?;
    let examples = prior_examples(case)?;
    let mut items = Vec::new();
    for (session_id, c) in &corrections {
        if c.kind == CorrectionKind::Confirmation && !sel.include_confirmed {
            continue;
        }
        let session = case
            .session(session_id)
            .with_context(|| format!("session {session_id} of a correction"))?;
        let others: Vec<Example> = examples
            .iter()
            .filter(|e| e.session_id != *session_id)
            .cloned()
            .collect();
        let prior = Prior::train(others);
        let input = input::build(case, &session, config, Some(&prior), config.model.fewshot)?;
        let prompt = build_prompt(&input, catalog);
        let model = model_verdict(c);
        let answer = corrected_answer(model.as_ref(), c, catalog);
        items.push(ExportItem {
            session_id: session_id.clone(),
            host: session.host.clone(),
            system: prompt.system,
            user: prompt.user,
            answer: answer.answer_json(),
            rejected: model.as_ref().map(Verdict::answer_json),
            cause: c.cause,
            risk: c.risk,
            techniques: answer.techniques.clone(),
            synthetic: false,
        });
    }
    Ok(items)
}

/// How a labelled case's sessions become training items ([`label_items`]).
#[derive(Debug, Clone, Default)]
pub struct LabelOptions {
    /// The share (0 to 1) of sessions, chosen by a hash of the session id (the same on every
    /// export), whose prompt shows no rule hits, as if no rule had fired; their answers then
    /// name only what a malicious label knows. Why: with every rule shown, a tuned model
    /// learned to copy the rules' techniques and never to read them from the timeline.
    pub withhold_rules: f64,
    /// The case was made by `lookout synth`: each label is its session's own (a scenario's
    /// host, user and minutes), not a whole capture's, so a short malicious session without a
    /// rule hit is taught, and its items are split into training and validation one by one.
    pub synthetic: bool,
    /// With `synthetic`: the share of sessions (another hash of the id) whose prompt shows only
    /// the hits of lookout's built-in rules, as a case ingested with the default config shows
    /// them. Why: synth verifies with the whole SigmaHQ tree, so nearly every synthetic attack
    /// came with rule hits, and a model tuned on them called the demo's cron `curl | bash` and
    /// PowerShell callbacks, which no built-in rule hits, ordinary.
    pub builtin_view: f64,
}

/// One fine-tuning item per labelled session of a case (a labelled corpus): the assessor's
/// prompt without a prior (the label would leak into it) and the label as the answer.
pub fn label_items(
    case: &CaseView,
    sessions: &[Session],
    config: &Config,
    catalog: &Catalog,
    opts: &LabelOptions,
) -> Result<Vec<ExportItem>> {
    let builtin: BTreeSet<String> = RuleSet::builtin()
        .0
        .rules()
        .iter()
        .map(|r| r.id.clone())
        .collect();
    let mut items = Vec::new();
    for session in sessions {
        let Some(label) = session.label.clone() else {
            continue;
        };
        let view = if drawn("withhold", &session.id, opts.withhold_rules) {
            RuleView::None
        } else if opts.synthetic && drawn("builtin", &session.id, opts.builtin_view) {
            RuleView::Builtin
        } else {
            RuleView::All
        };
        let keep = |rule_id: &str| match view {
            RuleView::All => true,
            RuleView::Builtin => builtin.contains(rule_id),
            RuleView::None => false,
        };
        let input = input::build_seen_by(case, session, config, None, config.model.fewshot, &keep)?;
        let prompt = build_prompt(&input, catalog);
        let Some(label) = taught_label(label, &input, opts.synthetic) else {
            continue;
        };
        // The label's risk, else the rules' level, else what the cause implies.
        let risk = label
            .risk
            .or_else(|| session.max_rule_level())
            .unwrap_or(label.cause.typical_risk());
        let techniques: Vec<String> = label
            .techniques
            .iter()
            // A revoked id in a label (`T1086`) stands for its successor, as in rule tags.
            .filter_map(|t| catalog.current(t))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let facts = LabelFacts {
            cause: label.cause,
            risk,
            techniques,
        };
        // The target says what happened in this session, from its own facts.
        let answer = grounded_answer(&input, &facts, catalog);
        items.push(ExportItem {
            session_id: session.id.clone(),
            host: session.host.clone(),
            system: prompt.system,
            user: prompt.user,
            answer: answer.answer_json(),
            rejected: None,
            cause: label.cause,
            risk,
            techniques: answer.techniques.clone(),
            synthetic: opts.synthetic,
        });
    }
    Ok(items)
}

/// Which rules' hits a training prompt shows.
#[derive(Clone, Copy)]
enum RuleView {
    All,
    /// Only lookout's built-in rules' (the default config's).
    Builtin,
    None,
}

/// The label a session is taught with. A misconfiguration label on a session that shows no
/// failure (one quiet event of a scenario whose failures are in other sessions: the task's
/// process start without its failing result) is taught as legitimate, low risk: the model
/// learns that a misconfiguration is something visibly failing, as the combination requires
/// ([`failure_sign`]), instead of that a one-event session is one. Why: a model tuned on the
/// labels as they were called 14 of 36 ordinary demo sessions misconfiguration.
///
/// A malicious label on a session of at most [`QUIET_EVENTS`] events that no rule hit is not
/// taught at all (`None`): the real corpora label whole captures, so the background sessions
/// of an attack capture (a `ctfmon.exe` image load, one `explorer.exe` file write) carry the
/// capture's label, and a model tuned on them called 13 of 36 ordinary demo sessions malicious.
/// A synthetic session's label is its own (`synthetic`), so it is taught: a beacon is two
/// events (the flow and the process's connection) that no built-in rule hits.
fn taught_label(label: Label, input: &AssessInput, synthetic: bool) -> Option<Label> {
    if label.cause == Cause::Malicious
        && !synthetic
        && input.session.events <= QUIET_EVENTS
        && input.detections().is_empty()
    {
        return None;
    }
    if label.cause != Cause::Misconfiguration || failure_sign(input).is_some() {
        return Some(label);
    }
    Some(Label {
        cause: Cause::Legitimate,
        risk: Some(Risk::Low),
        techniques: Vec::new(),
    })
}

/// A stable draw per session id and purpose (`withhold`, `builtin`): true for about `share` of
/// the ids, and an id drawn at one share is drawn at every larger one.
fn drawn(purpose: &str, session_id: &str, share: f64) -> bool {
    let draw = xxhash_rust::xxh3::xxh3_64(format!("{purpose}:{session_id}").as_bytes());
    (draw as f64 / u64::MAX as f64) < share
}

/// Sessions this short say too little to teach an attack from without a rule hit.
const QUIET_EVENTS: u64 = 2;

/// The model's own verdict the analyst saw (or the shown one when the model did not run).
fn model_verdict(c: &Correction) -> Option<Verdict> {
    let out = c.model_output.as_ref()?;
    let from = |k: &str| serde_json::from_value::<Verdict>(out.get(k)?.clone()).ok();
    from("model_verdict").or_else(|| from("verdict"))
}

/// The model's verdict with the analyst's fields over it; texts the analyst left alone are
/// kept when the cause stands, and replaced by the analyst's words when it changed.
fn corrected_answer(model: Option<&Verdict>, c: &Correction, catalog: &Catalog) -> Verdict {
    let same_cause = model.is_some_and(|m| m.cause == c.cause);
    let keep = |f: fn(&Verdict) -> String| -> String {
        match model {
            Some(m) if same_cause => f(m),
            _ => String::new(),
        }
    };
    let rationale = c.rationale.trim().to_string();
    let techniques: Vec<String> = c
        .techniques
        .iter()
        .filter_map(|t| catalog.normalize(t))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Verdict {
        cause: c.cause,
        cause_explanation: non_empty(rationale.clone(), keep(|m| m.cause_explanation.clone()))
            .unwrap_or_else(|| default_explanation(c.cause)),
        risk_level: c.risk,
        risk_justification: keep(|m| m.risk_justification.clone()),
        business_impact: keep(|m| m.business_impact.clone()),
        likelihood: likelihood(c.cause, c.risk).into(),
        investigation_priority: c.priority.unwrap_or_else(|| priority_for(c.risk)),
        techniques,
        anomalous_patterns: match model {
            Some(m) if same_cause => m.anomalous_patterns.clone(),
            _ => Vec::new(),
        },
        summary: non_empty(c.summary.trim().to_string(), keep(|m| m.summary.clone()))
            .or_else(|| non_empty(rationale, String::new()))
            .unwrap_or_else(|| default_explanation(c.cause)),
        remediation: match model {
            Some(m) if same_cause => m.remediation.clone(),
            _ => Vec::new(),
        },
        evidence: Vec::new(),
    }
}

fn non_empty(first: String, second: String) -> Option<String> {
    [first, second].into_iter().find(|s| !s.is_empty())
}

fn default_explanation(cause: Cause) -> String {
    match cause {
        Cause::Malicious => "An analyst judged this activity malicious.",
        Cause::Legitimate => "An analyst judged this activity normal use or administration.",
        Cause::Misconfiguration => "An analyst judged this a misconfigured system, no attacker.",
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::testutil::{detection, input};

    fn misconfiguration() -> Label {
        Label {
            cause: Cause::Misconfiguration,
            techniques: Vec::new(),
            risk: Some(Risk::Medium),
        }
    }

    #[test]
    fn a_quiet_misconfiguration_session_is_taught_as_legitimate() {
        let quiet = input(
            vec![],
            "14:52:13 4688 process create: cmd.exe /c map-drives.cmd",
        );
        let taught = taught_label(misconfiguration(), &quiet, false).expect("taught");
        assert_eq!(taught.cause, Cause::Legitimate);
        assert_eq!(taught.risk, Some(Risk::Low));
        let failing = input(
            vec![],
            "14:35:35 201 task \\MapDrives ended with return code 1.",
        );
        assert_eq!(
            taught_label(misconfiguration(), &failing, false),
            Some(misconfiguration())
        );
    }

    #[test]
    fn the_withheld_share_is_stable_and_close_to_what_was_asked() {
        let ids: Vec<String> = (0..2000).map(|n| format!("s-{n:05}")).collect();
        let withheld = |id: &str, share| drawn("withhold", id, share);
        let count = |share| ids.iter().filter(|id| withheld(id, share)).count();
        assert_eq!(count(0.0), 0);
        assert_eq!(count(1.0), ids.len());
        let third = count(0.3);
        assert!((540..660).contains(&third), "{third} of 2000");
        // A session withheld at a share stays withheld at a larger one.
        assert!(ids.iter().all(|id| !withheld(id, 0.3) || withheld(id, 0.5)));
    }

    #[test]
    fn a_quiet_session_of_an_attack_capture_is_not_taught() {
        let malicious = Label {
            cause: Cause::Malicious,
            techniques: vec!["T1112".into()],
            risk: None,
        };
        let mut quiet = input(vec![], "10:00:00 11 explorer.exe wrote a file");
        quiet.session.events = 1;
        assert_eq!(taught_label(malicious.clone(), &quiet, false), None);
        // A synthetic session's label is its own: the quiet beacon is taught.
        assert_eq!(
            taught_label(malicious.clone(), &quiet, true),
            Some(malicious.clone())
        );
        let hit = input(vec![detection("Reg Add Run Key", Risk::Medium, &[], 1)], "");
        let mut hit = hit;
        hit.session.events = 1;
        assert_eq!(
            taught_label(malicious.clone(), &hit, false),
            Some(malicious.clone())
        );
        let mut long = input(vec![], "");
        long.session.events = 12;
        assert_eq!(
            taught_label(malicious.clone(), &long, false),
            Some(malicious)
        );
    }
}
