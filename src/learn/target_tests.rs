use std::collections::BTreeSet;
use std::path::PathBuf;

use super::*;
use crate::assess::schema::parse_answer;
use crate::assess::testutil::input;
use crate::attack::Technique;
use crate::model::SessionDetection;

fn catalog() -> Catalog {
    let t = |id: &str, name: &str, tactic: &str| Technique {
        id: id.into(),
        name: name.into(),
        tactics: vec![tactic.into()],
        platforms: vec![],
        deprecated: false,
        revoked: false,
        replaced_by: None,
    };
    Catalog::from_techniques(
        vec![
            t("T1003", "OS Credential Dumping", "credential-access"),
            t("T1003.001", "LSASS Memory", "credential-access"),
            t("T1110", "Brute Force", "credential-access"),
        ],
        None,
        PathBuf::new(),
    )
}

fn lsass() -> AssessInput {
    let mut i = input(
        vec![SessionDetection {
            rule_id: "r1".into(),
            title: "LSASS Dump Via Comsvcs.dll MiniDump".into(),
            level: Risk::Critical,
            techniques: vec!["T1003.001".into()],
            count: 1,
            event_ids: vec!["e1".into()],
        }],
        "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Temp\\l.dmp full",
    );
    i.session.processes = vec![
        "C:\\Windows\\System32\\rundll32.exe".into(),
        "powershell.exe".into(),
    ];
    i
}

fn label(cause: Cause, risk: Risk, techniques: &[&str]) -> LabelFacts {
    LabelFacts {
        cause,
        risk,
        techniques: techniques.iter().map(|t| t.to_string()).collect(),
    }
}

#[test]
fn a_malicious_answer_names_what_ran_where_and_why() {
    let v = grounded_answer(
        &lsass(),
        &label(Cause::Malicious, Risk::Critical, &["T1003.001"]),
        &catalog(),
    );
    assert_eq!(v.cause, Cause::Malicious);
    assert_eq!(v.techniques, ["T1003.001"]);
    assert!(v.summary.contains("WS-FIN-07"), "{}", v.summary);
    assert!(
        v.summary.contains("rundll32.exe") || v.summary.contains("LSASS"),
        "{}",
        v.summary
    );
    assert!(!v.remediation.is_empty());
    // The answer is the schema's JSON, and compact: the eleven keys alone take ~200 chars;
    // the values stay short (the training set's answers average ~130 tokens).
    let json = v.answer_json();
    assert!(parse_answer(&json).is_ok(), "{json}");
    assert!(json.len() < 640, "{} chars: {json}", json.len());
}

#[test]
fn wording_varies_between_sessions_but_not_between_runs() {
    let cat = catalog();
    let l = label(Cause::Malicious, Risk::Critical, &["T1003.001"]);
    let mut seen = BTreeSet::new();
    for n in 0..24 {
        let mut i = lsass();
        i.session.id = format!("s-{n:04}");
        let a = grounded_answer(&i, &l, &cat);
        assert_eq!(a, grounded_answer(&i, &l, &cat));
        seen.insert(a.summary);
    }
    assert!(seen.len() >= 3, "{seen:?}");
}

#[test]
fn legitimate_sessions_get_no_remediation_and_misconfigurations_a_fix() {
    let cat = catalog();
    let quiet = input(vec![], "alice opened outlook.exe");
    let v = grounded_answer(&quiet, &label(Cause::Legitimate, Risk::Low, &[]), &cat);
    assert!(v.remediation.is_empty() && v.techniques.is_empty());
    assert!(v.summary.contains("alice") && v.summary.contains("WS-FIN-07"));

    let skew = input(
        vec![],
        "4771 Kerberos pre-authentication failed svc_sql 0x25 (clock skew)",
    );
    let v = grounded_answer(&skew, &label(Cause::Misconfiguration, Risk::Low, &[]), &cat);
    assert!(v.remediation.iter().any(|r| r.contains("w32tm")), "{v:?}");
    assert!(v.cause_explanation.contains("Clock skew"), "{v:?}");
}

#[test]
fn every_text_fits_the_schema() {
    let mut i = lsass();
    i.session.host = "a-very-long-host-name-that-goes-on-and-on-and-on.corp.example".into();
    i.session.processes = vec!["x".repeat(300)];
    let v = grounded_answer(
        &i,
        &label(Cause::Malicious, Risk::High, &["T1003.001"]),
        &catalog(),
    );
    assert!(v.cause_explanation.chars().count() <= 100);
    assert!(v.summary.chars().count() <= 120);
    assert!(v.risk_justification.chars().count() <= 80);
    assert!(v.business_impact.chars().count() <= 80);
    assert!(v.remediation.iter().all(|r| r.chars().count() <= 60));
    assert!(v.anomalous_patterns.iter().all(|r| r.chars().count() <= 60));
}

#[test]
fn every_cause_names_the_rules_techniques_and_malicious_adds_the_labels() {
    let cat = catalog();
    let brute = |cause| {
        let i = input(
            vec![SessionDetection {
                rule_id: "r2".into(),
                title: "Failed Logons From One Source".into(),
                level: Risk::Medium,
                techniques: vec!["T1110".into(), "T9999".into()],
                count: 40,
                event_ids: vec!["e1".into()],
            }],
            "4625 An account failed to log on svc_backup",
        );
        grounded_answer(&i, &label(cause, Risk::Medium, &["T1003"]), &cat).techniques
    };
    // The unknown tag is not shown in the prompt, so it is not taught either.
    assert_eq!(brute(Cause::Misconfiguration), ["T1110"]);
    assert_eq!(brute(Cause::Legitimate), ["T1110"]);
    assert_eq!(brute(Cause::Malicious), ["T1110", "T1003"]);
    // Without rule hits only a malicious label names techniques.
    let quiet = input(vec![], "alice ran whoami.exe");
    let named = |cause| grounded_answer(&quiet, &label(cause, Risk::Low, &["T1003"]), &cat);
    assert!(named(Cause::Legitimate).techniques.is_empty());
    assert_eq!(named(Cause::Malicious).techniques, ["T1003"]);
    // Rules that fill the list leave room for a malicious label's first technique only.
    let many = input(
        vec![SessionDetection {
            rule_id: "r3".into(),
            title: "Many tags".into(),
            level: Risk::High,
            techniques: ["T1001", "T1002", "T1004", "T1005", "T1006", "T1007"]
                .map(String::from)
                .to_vec(),
            count: 1,
            event_ids: vec!["e1".into()],
        }],
        "",
    );
    let wide = |cause| {
        grounded_answer(
            &many,
            &label(cause, Risk::High, &["T1003"]),
            &wide_catalog(),
        )
    };
    assert_eq!(
        wide(Cause::Malicious).techniques,
        ["T1001", "T1002", "T1004", "T1005", "T1003"]
    );
    assert_eq!(
        wide(Cause::Legitimate).techniques,
        ["T1001", "T1002", "T1004", "T1005", "T1006"]
    );
}

/// A catalog with seven techniques, to fill an answer's list of five.
fn wide_catalog() -> Catalog {
    let t = |id: &str| Technique {
        id: id.into(),
        name: format!("Technique {id}"),
        tactics: vec!["execution".into()],
        platforms: vec![],
        deprecated: false,
        revoked: false,
        replaced_by: None,
    };
    let ids = [
        "T1001", "T1002", "T1003", "T1004", "T1005", "T1006", "T1007",
    ];
    Catalog::from_techniques(ids.map(t).to_vec(), None, PathBuf::new())
}
