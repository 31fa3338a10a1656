//! Learning at once, end to end on the demo case: one analyst correction changes the next
//! verdict of a similar session on another host, and the verdict names the correction.
//!
//! The story in sample_logs/: `svc_backup`'s stale password fails logons every few minutes on
//! DC01 and on FS01. Nothing in the logs says "misconfiguration"; an analyst knows it. The
//! assessor runs rules-only here (no model needed), so the change can only come from the
//! learned prior that the correction feeds.

mod common;

use std::path::Path;

use lookout::assess::input;
use lookout::assess::{Assessor, build_prompt};
use lookout::attack::Catalog;
use lookout::case::Case;
use lookout::config::Config;
use lookout::detect::RuleSet;
use lookout::event::{Cause, Risk};
use lookout::learn::examples::{ExportSelection, case_prior, export_items, prior_examples};
use lookout::learn::export::{ExportFormat, ExportOptions, write};
use lookout::learn::{Example, Prior};
use lookout::sessions::Session;
use lookout::store::{Correction, CorrectionKind};

fn demo_case(dir: &Path) -> Case {
    common::demo_case(dir, &["windows"], &RuleSet::builtin().0)
}

fn svc_backup_on(case: &Case, host: &str) -> Session {
    case.sessions()
        .unwrap()
        .into_iter()
        // The failures come from BACKUP01's address: the session's actor is that address,
        // its user the one account tried.
        .filter(|s| {
            s.host.starts_with(host)
                && s.user
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case("svc_backup"))
        })
        .max_by_key(|s| s.events)
        .unwrap_or_else(|| panic!("no svc_backup session on {host}"))
}

fn verdict(case: &Case, s: &Session, catalog: &Catalog) -> lookout::assess::Assessment {
    let prior = case_prior(&case.view()).unwrap();
    let input = input::build(&case.view(), s, &Config::default(), Some(&prior), 0).unwrap();
    Assessor::rules_only(catalog.clone())
        .assess(&input)
        .unwrap()
}

#[test]
fn a_correction_changes_the_next_similar_verdict_and_is_named() {
    let Some(catalog) = common::catalog() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let case = demo_case(tmp.path());
    let dc = svc_backup_on(&case, "DC01");
    let fs = svc_backup_on(&case, "FS01");
    assert!(
        dc.events > 50 && fs.events > 50,
        "{} {}",
        dc.events,
        fs.events
    );

    let before = verdict(&case, &fs, &catalog);
    assert_ne!(before.verdict.cause, Cause::Misconfiguration);

    let id = case
        .store
        .add_correction(&Correction {
            id: 0,
            case_name: case.name.clone(),
            session_id: dc.id.clone(),
            kind: CorrectionKind::Correction,
            analyst: "ana".into(),
            created: chrono::Utc::now(),
            cause: Cause::Misconfiguration,
            risk: Risk::Medium,
            priority: Some(3),
            techniques: vec![],
            summary: "svc_backup still uses its old password".into(),
            rationale: "stale service-account password after rotation".into(),
            model_id: String::new(),
            prompt_version: String::new(),
            model_output: None,
            session_host: dc.host.clone(),
        })
        .unwrap();

    let after = verdict(&case, &fs, &catalog);
    assert_eq!(after.verdict.cause, Cause::Misconfiguration, "{after:#?}");
    assert_eq!(after.verdict.risk_level, Risk::Medium);
    let notes = after.adjustments.join("\n") + &after.verdict.cause_explanation;
    assert!(
        notes.contains(&dc.id) && notes.contains("corrected"),
        "the verdict should name the corrected session: {notes}"
    );
    let prior = case_prior(&case.view()).unwrap();
    let input = input::build(&case.view(), &fs, &Config::default(), Some(&prior), 0).unwrap();
    let prior = input.prior.as_ref().unwrap();
    assert_eq!(prior.correction_ids, vec![id.to_string()]);
}

/// A correction of the verdict shown now (rules-only here), which it keeps as provenance.
fn correct(case: &Case, s: &Session, cause: Cause, risk: Risk, catalog: &Catalog) -> i64 {
    let shown = verdict(case, s, catalog);
    case.store
        .add_correction(&Correction {
            id: 0,
            case_name: case.name.clone(),
            session_id: s.id.clone(),
            kind: CorrectionKind::Correction,
            analyst: "ana".into(),
            created: chrono::Utc::now(),
            cause,
            risk,
            priority: None,
            techniques: s.rule_techniques(),
            summary: String::new(),
            rationale: format!("reviewed {}", s.id),
            model_id: String::new(),
            prompt_version: String::new(),
            model_output: Some(serde_json::to_value(&shown).unwrap()),
            session_host: s.host.clone(),
        })
        .unwrap()
}

#[test]
fn corrections_export_in_every_format_with_the_assessors_prompt() {
    let Some(catalog) = common::catalog() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let case = demo_case(tmp.path());
    let mut sessions = case.sessions().unwrap();
    sessions.sort_by_key(|s| std::cmp::Reverse(s.events));
    // Three corrections on three hosts.
    let mut picked: Vec<Session> = Vec::new();
    for s in sessions {
        if picked.len() < 3 && !picked.iter().any(|p| p.host == s.host) {
            picked.push(s);
        }
    }
    assert_eq!(picked.len(), 3);
    for (s, cause) in
        picked
            .iter()
            .zip([Cause::Malicious, Cause::Legitimate, Cause::Misconfiguration])
    {
        correct(&case, s, cause, Risk::Medium, &catalog);
    }
    let config = Config::default();
    let items = export_items(&case.view(), &config, &catalog, &ExportSelection::default()).unwrap();
    assert_eq!(items.len(), 3);
    // The prompt is exactly what the assessor builds for that session, with the prior of the
    // other examples (its own correction would hand it the answer).
    let examples = prior_examples(&case.view()).unwrap();
    for it in &items {
        let s = picked.iter().find(|s| s.id == it.session_id).unwrap();
        let others: Vec<Example> = examples
            .iter()
            .filter(|e| e.session_id != s.id)
            .cloned()
            .collect();
        let prior = Prior::train(others);
        let input = input::build(&case.view(), s, &config, Some(&prior), 0).unwrap();
        let prompt = build_prompt(&input, &catalog);
        assert_eq!((&it.system, &it.user), (&prompt.system, &prompt.user));
        let answer: serde_json::Value = serde_json::from_str(&it.answer).unwrap();
        assert_eq!(answer["cause"], it.cause.as_str());
        assert_eq!(answer["risk_level"], "medium");
    }
    for format in [
        ExportFormat::Chat,
        ExportFormat::Alpaca,
        ExportFormat::Sharegpt,
        ExportFormat::Dpo,
    ] {
        let out = tmp.path().join(format!("{format:?}"));
        let m = write(
            &out,
            &items,
            &ExportOptions {
                format,
                val_fraction: 0.34,
                seed: 7,
                anonymized: false,
                model: String::new(),
                prompt_version: lookout::assess::PROMPT_VERSION.into(),
                max_val: 0,
            },
        )
        .unwrap();
        let mut hosts = [Vec::new(), Vec::new()];
        for (k, name) in ["train.jsonl", "val.jsonl"].iter().enumerate() {
            let text = std::fs::read_to_string(out.join(name)).unwrap();
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(v.is_object());
                // The prompt's `Host: NAME` line (JSON-escaped inside the record).
                let host = line
                    .split_once("Host: ")
                    .map(|(_, rest)| rest.split('\\').next().unwrap_or(rest).to_string())
                    .unwrap();
                hosts[k].push(host);
            }
        }
        // DPO pairs the analyst's verdict (chosen) with the one shown before (rejected).
        assert_eq!(m.train + m.val, 3, "{format:?}");
        assert!(
            !hosts[0].iter().any(|h| hosts[1].contains(h)),
            "{format:?}: {hosts:?}"
        );
        assert!(
            picked.iter().any(|p| hosts[0].contains(&p.host)),
            "{hosts:?}"
        );
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest["files"].as_object().unwrap().len(), 2);
    }
}
