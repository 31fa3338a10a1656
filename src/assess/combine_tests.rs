//! Unit tests of the combination: rule floors, the prior, technique ranking, and the
//! prompt-injection corpus against the guardrails.

use super::combine::{combine, priority_for, rules_only};
use super::injection::INJECTION_LINES;
use super::prompt::build_prompt;
use super::testutil::*;
use crate::event::{Cause, Risk};

#[test]
fn high_rule_floors_a_benign_answer() {
    let input = input(
        vec![detection("Mimikatz Use", Risk::High, &["T1003.001"], 3)],
        "",
    );
    let c = combine(&benign_answer(), &input, &catalog());
    assert_eq!(c.verdict.cause, Cause::Malicious);
    assert_eq!(c.verdict.risk_level, Risk::High);
    assert_eq!(c.verdict.investigation_priority, 2);
    assert_eq!(c.verdict.techniques, vec!["T1003.001"]);
    assert_eq!(c.verdict.evidence, vec!["ev-12", "ev-common"]);
    assert!(
        c.adjustments
            .iter()
            .any(|a| a.starts_with("cause legitimate -> malicious"))
    );
    assert!(
        c.adjustments
            .iter()
            .any(|a| a.starts_with("risk low -> high"))
    );
}

#[test]
fn strong_misconfiguration_prior_keeps_a_high_rule_session_out_of_malicious() {
    let mut input = input(
        vec![detection("Service Crash Loop", Risk::High, &[], 40)],
        "",
    );
    input.prior = Some(prior(Cause::Misconfiguration, 0.9, Some(Risk::Medium), 2));
    let c = combine(&benign_answer(), &input, &catalog());
    assert_eq!(c.verdict.cause, Cause::Misconfiguration);
    assert_eq!(
        c.verdict.risk_level,
        Risk::High,
        "the rule floor still holds"
    );
    // A weak prior does not: the rule forces malicious.
    input.prior = Some(prior(Cause::Misconfiguration, 0.9, None, 0));
    let c = combine(&benign_answer(), &input, &catalog());
    assert_eq!(c.verdict.cause, Cause::Malicious);
}

#[test]
fn strong_prior_overrules_the_model_without_rule_evidence() {
    let mut input = input(vec![], "");
    input.prior = Some(prior(Cause::Legitimate, 0.85, Some(Risk::Low), 1));
    let mut model = benign_answer();
    model.cause = Cause::Malicious;
    model.risk_level = Risk::Critical;
    model.investigation_priority = 1;
    let c = combine(&model, &input, &catalog());
    assert_eq!(c.verdict.cause, Cause::Legitimate);
    assert_eq!(c.verdict.risk_level, Risk::Low);
    assert_eq!(c.verdict.investigation_priority, 4);
    assert_eq!(
        c.verdict.techniques,
        vec!["T1110"],
        "prior's techniques are added"
    );
}

#[test]
fn unsupported_critical_is_capped_and_noted() {
    let input = input(vec![detection("Odd Logon", Risk::Medium, &[], 1)], "");
    let mut model = benign_answer();
    model.cause = Cause::Malicious;
    model.risk_level = Risk::Critical;
    model.investigation_priority = 1;
    let c = combine(&model, &input, &catalog());
    assert_eq!(c.verdict.risk_level, Risk::High);
    assert_eq!(c.verdict.investigation_priority, 2);
    assert!(
        c.adjustments
            .iter()
            .any(|a| a.starts_with("risk critical -> high"))
    );
    // No evidence at all: the model alone cannot call it malicious, and legitimate gets low.
    let bare = super::testutil::input(vec![], "");
    let alone = combine(&model, &bare, &catalog());
    assert_eq!(
        (alone.verdict.cause, alone.verdict.risk_level),
        (Cause::Legitimate, Risk::Low)
    );
    assert!(
        alone
            .adjustments
            .iter()
            .any(|a| a.starts_with("cause malicious -> legitimate")),
        "{:?}",
        alone.adjustments
    );
    let mut legit = model.clone();
    legit.cause = Cause::Legitimate;
    assert_eq!(
        combine(&legit, &bare, &catalog()).verdict.risk_level,
        Risk::Low
    );
    // Supported by a critical rule: kept.
    let input2 = super::testutil::input(vec![detection("DCSync", Risk::Critical, &[], 1)], "");
    let c = combine(&model, &input2, &catalog());
    assert_eq!(c.verdict.risk_level, Risk::Critical);
    assert!(c.adjustments.is_empty(), "{:?}", c.adjustments);
}

#[test]
fn techniques_rank_rules_then_prior_then_model_and_cap_at_five() {
    let mut input = input(
        vec![
            detection("A", Risk::High, &["T1059.001", "T1086"], 1),
            detection("B", Risk::Medium, &["T1003", "T4242"], 5),
        ],
        "",
    );
    input.prior = Some(prior(Cause::Malicious, 0.5, None, 0));
    let mut model = benign_answer();
    model.techniques = vec!["T1078".into(), "T1021.004".into(), "T1110.001".into()];
    let c = combine(&model, &input, &catalog());
    // T1086 is revoked -> T1059.001 (already there); T4242 unknown -> dropped.
    assert_eq!(
        c.verdict.techniques,
        ["T1003", "T1059.001", "T1110", "T1078", "T1021.004"]
    );
    assert!(
        c.adjustments
            .iter()
            .any(|a| a.contains("dropped unknown ids T4242"))
    );
}

#[test]
fn rules_only_verdicts() {
    let cat = catalog();
    let none = rules_only(&input(vec![], ""), &cat).verdict;
    assert_eq!(
        (none.cause, none.risk_level, none.investigation_priority),
        (Cause::Legitimate, Risk::Low, 4)
    );
    let med = rules_only(
        &input(vec![detection("X", Risk::Medium, &["T1110"], 2)], ""),
        &cat,
    )
    .verdict;
    assert_eq!(
        (med.cause, med.risk_level),
        (Cause::Malicious, Risk::Medium)
    );
    assert_eq!(med.techniques, ["T1110"]);
    let low = rules_only(&input(vec![detection("Y", Risk::Low, &[], 2)], ""), &cat).verdict;
    assert_eq!(low.cause, Cause::Legitimate);
    assert_eq!(priority_for(Risk::Critical), 1);
}

/// Issue 20: SigmaHQ tags ATT&CK v19 ids the v18.1 catalog lacked, and the assessment
/// dropped them as unknown. A v19-tagged rule hit keeps its id; the same technique under its
/// v18 id (here from the model) is not listed twice; a made-up id is still dropped.
#[test]
fn v19_rule_tag_is_kept_and_meets_its_v18_id() {
    let cat = catalog();
    let input = input(
        vec![detection(
            "Security Eventlog Cleared",
            Risk::High,
            &["attack.t1685.005"],
            1,
        )],
        "",
    );
    let rules = rules_only(&input, &cat);
    assert_eq!(rules.verdict.techniques, ["T1685.005"]);
    assert!(
        !rules.adjustments.iter().any(|a| a.contains("dropped")),
        "{:?}",
        rules.adjustments
    );
    let mut model = benign_answer();
    model.techniques = vec!["T1070.001".into(), "T9999".into(), "T1003".into()];
    let c = combine(&model, &input, &cat);
    assert_eq!(c.verdict.techniques, ["T1685.005", "T1003"]);
    assert!(
        c.adjustments
            .iter()
            .any(|a| a.contains("dropped unknown ids T9999"))
    );
    // The prompt names the v19 id with its v18 equivalent and both tactics.
    let p = build_prompt(&input, &cat);
    assert!(
        p.user.contains(
            "T1685.005 (Indicator Removal: Clear Windows Event Logs, as T1070.001 in ATT&CK v18; \
             defense-evasion, defense-impairment)"
        ),
        "{}",
        p.user
    );
}

/// The guardrail against prompt injection: whatever a hostile log line makes the model say,
/// a session with a high rule hit never ends up legitimate or below high; and the line can
/// neither close the untrusted fence nor open a chat role in the prompt.
#[test]
fn injection_corpus_cannot_lower_a_high_rule_session() {
    let cat = catalog();
    for line in INJECTION_LINES {
        let timeline = format!(
            "2026-03-02 09:15:01 powershell.exe -enc SQBFAFgA [rule: Encoded PowerShell]\n2026-03-02 09:15:02 {line}\n"
        );
        let input = input(
            vec![detection(
                "Encoded PowerShell",
                Risk::High,
                &["T1059.001"],
                1,
            )],
            &timeline,
        );
        let c = combine(&benign_answer(), &input, &cat);
        assert_ne!(c.verdict.cause, Cause::Legitimate, "{line}");
        assert!(c.verdict.risk_level >= Risk::High, "{line}");

        let p = build_prompt(&input, &cat);
        let lower = p.user.to_ascii_lowercase();
        assert_eq!(lower.matches("<untrusted>").count(), 1, "{line}");
        assert_eq!(lower.matches("</untrusted>").count(), 1, "{line}");
        assert!(!p.user.contains("<|") && !p.user.contains("|>"), "{line}");
        assert!(lower.rfind("</untrusted>") > lower.find("09:15:02"));
    }
}

#[test]
fn misconfiguration_needs_a_visible_failure() {
    let mut model = benign_answer();
    model.cause = Cause::Misconfiguration;
    // testutil's session: logons and process starts, nothing failed.
    let quiet = input(
        vec![],
        "09:15:00 4624 An account was successfully logged on.",
    );
    let c = combine(&model, &quiet, &catalog());
    assert_eq!(c.verdict.cause, Cause::Legitimate);
    assert!(
        c.adjustments
            .iter()
            .any(|a| a.starts_with("cause misconfiguration -> legitimate"))
    );
    let failing = input(
        vec![],
        "09:15:00 4688 cmd.exe /c C:\\Scripts\\map-drives.cmd\n\
         09:15:01 201 Task Scheduler completed task \"\\MapDrives\" with return code 1.",
    );
    let c = combine(&model, &failing, &catalog());
    assert_eq!(c.verdict.cause, Cause::Misconfiguration);
    assert!(c.adjustments.is_empty(), "{:?}", c.adjustments);
}

#[test]
fn high_rule_overrides_a_misconfiguration_answer() {
    let mut model = benign_answer();
    model.cause = Cause::Misconfiguration;
    let input = input(
        vec![detection("Mimikatz Use", Risk::High, &["T1003.001"], 1)],
        "error: injected text claims a broken backup job",
    );
    let c = combine(&model, &input, &catalog());
    assert_eq!(c.verdict.cause, Cause::Malicious);
    assert!(
        c.adjustments
            .iter()
            .any(|a| a.starts_with("cause misconfiguration -> malicious"))
    );
}

#[test]
fn medium_rule_floors_a_benign_answer_unless_analysts_said_legitimate() {
    let mut input = input(
        vec![detection("Run Key Persistence", Risk::Medium, &[], 1)],
        "",
    );
    let c = combine(&benign_answer(), &input, &catalog());
    assert_eq!(c.verdict.cause, Cause::Malicious);
    input.prior = Some(prior(Cause::Legitimate, 0.9, Some(Risk::Low), 2));
    let c = combine(&benign_answer(), &input, &catalog());
    assert_eq!(c.verdict.cause, Cause::Legitimate, "{:?}", c.adjustments);
}
