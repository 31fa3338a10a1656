//! Instant verdicts: right after an ingest, every session with a rule hit already has the
//! verdict of the rules (and the learned prior), before any model runs.

mod common;

use std::path::Path;

use lookout::case::{FileLabels, IngestProgress};
use lookout::detect::RuleSet;
use lookout::event::{Cause, Risk};
use lookout::ingest::IngestOptions;

#[test]
fn every_demo_session_with_a_rule_hit_has_a_verdict_after_ingest() {
    assert!(
        lookout::attack::Catalog::load_default().is_ok(),
        "no ATT&CK catalog: run `make setup` (instant verdicts validate techniques with it)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs");
    let (rules, _) = RuleSet::builtin();
    let dirs = ["windows", "linux", "network"];
    let mut case = common::demo_case(tmp.path(), &dirs, &rules);
    let sessions = case.sessions().unwrap();
    let detected: Vec<_> = sessions
        .iter()
        .filter(|s| !s.detections.is_empty())
        .collect();
    assert!(
        detected.len() >= 10,
        "the demo has rule hits: {}",
        detected.len()
    );
    for s in &detected {
        let a = case
            .store
            .latest_assessment(&s.id)
            .unwrap()
            .unwrap_or_else(|| {
                panic!(
                    "session {} ({}) has a rule hit but no verdict",
                    s.id, s.actor
                )
            });
        let level = s.max_rule_level().unwrap();
        assert_eq!(
            a.verdict.risk_level, level,
            "risk is the highest rule level"
        );
        let expected = if level >= Risk::Medium {
            Cause::Malicious
        } else {
            Cause::Legitimate
        };
        assert_eq!(a.verdict.cause, expected);
        assert!(a.model_verdict.is_none(), "no model ran");
        assert!(!a.verdict.summary.is_empty());
    }
    // Sessions with no evidence at all stay without a verdict (no prior: no labels here).
    let bare = sessions.iter().find(|s| s.detections.is_empty()).unwrap();
    assert!(case.store.latest_assessment(&bare.id).unwrap().is_none());
    // A second ingest of the same files changes nothing and keeps every verdict.
    let before = detected.len();
    let paths: Vec<_> = dirs.iter().map(|d| root.join(d)).collect();
    case.ingest(
        &paths,
        &IngestOptions::default(),
        &FileLabels::default(),
        &rules,
        &common::demo_config(),
        &IngestProgress::default(),
    )
    .unwrap();
    let again = case.sessions().unwrap();
    let with_verdict = again
        .iter()
        .filter(|s| case.store.latest_assessment(&s.id).unwrap().is_some())
        .count();
    assert_eq!(with_verdict, before);
}
