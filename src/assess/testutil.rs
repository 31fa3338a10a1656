//! Test fixtures shared by the assess unit tests: a small catalog and sessions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};

use super::input::AssessInput;
use crate::attack::{Catalog, Technique};
use crate::event::{Cause, Risk};
use crate::model::PriorEvidence;
use crate::model::Verdict;
use crate::sessions::{ActorKind, Session, SessionDetection};

pub fn catalog() -> Catalog {
    let t = |id: &str, name: &str, tactic: &str| Technique {
        id: id.into(),
        name: name.into(),
        tactics: vec![tactic.into()],
        platforms: vec!["Windows".into()],
        deprecated: false,
        revoked: false,
        replaced_by: None,
    };
    let mut revoked = t("T1086", "PowerShell", "execution");
    revoked.revoked = true;
    revoked.replaced_by = Some("T1059.001".into());
    Catalog::from_techniques(
        vec![
            t("T1003", "OS Credential Dumping", "credential-access"),
            t("T1003.001", "LSASS Memory", "credential-access"),
            t("T1059", "Command and Scripting Interpreter", "execution"),
            t("T1059.001", "PowerShell", "execution"),
            t("T1110", "Brute Force", "credential-access"),
            t("T1110.001", "Password Guessing", "credential-access"),
            t("T1021.004", "SSH", "lateral-movement"),
            t("T1078", "Valid Accounts", "defense-evasion"),
            // The v18 ids of the v19 crosswalk's T1685.005 (attack::crosswalk).
            t("T1070", "Indicator Removal", "defense-evasion"),
            t("T1070.001", "Clear Windows Event Logs", "defense-evasion"),
            revoked,
        ],
        Some("18.1".into()),
        PathBuf::from("test"),
    )
}

pub fn detection(title: &str, level: Risk, techniques: &[&str], count: u64) -> SessionDetection {
    SessionDetection {
        rule_id: format!("rule-{}", title.to_lowercase().replace(' ', "-")),
        title: title.into(),
        level,
        techniques: techniques.iter().map(|t| t.to_string()).collect(),
        count,
        event_ids: vec![format!("ev-{}", title.len()), "ev-common".into()],
    }
}

pub fn input(detections: Vec<SessionDetection>, timeline: &str) -> AssessInput {
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 9, 15, 0).single().unwrap();
    let session = Session {
        id: "s-0001".into(),
        host: "WS-FIN-07".into(),
        user: Some("alice".into()),
        actor_kind: ActorKind::User,
        actor: "alice".into(),
        start,
        end: start + chrono::Duration::seconds(754),
        duration_s: 754,
        hour: 9,
        weekend: false,
        formats: BTreeMap::from([("win_json".to_string(), 40u64), ("text".to_string(), 2)]),
        events: 42,
        parsed_events: 40,
        fallback_events: 2,
        detections,
        label: None,
        content_hash: "c0ffee".into(),
        event_ids: BTreeMap::from([("4624".to_string(), 3u64), ("4688".to_string(), 37)]),
        processes: vec!["powershell.exe".into()],
        remote_ips: vec![],
        accounts: Default::default(),
        linked: Vec::new(),
    };
    AssessInput {
        session,
        timeline_text: timeline.into(),
        hits: vec![],
        prior: None,
        examples: Vec::new(),
        candidates: Vec::new(),
    }
}

pub fn prior(cause: Cause, score: f64, risk: Option<Risk>, corrections: usize) -> PriorEvidence {
    let rest = (1.0 - score) / 2.0;
    PriorEvidence {
        cause_scores: Cause::ALL
            .iter()
            .map(|c| (*c, if *c == cause { score } else { rest }))
            .collect(),
        confidence: score,
        risk,
        techniques: vec!["T1110".into()],
        reason: format!("like session s-9 that an analyst corrected to {cause}"),
        correction_ids: (1..=corrections).map(|i| i.to_string()).collect(),
        version: "p1".into(),
    }
}

/// The answer an attacker hopes for.
pub fn benign_answer() -> Verdict {
    Verdict {
        cause: Cause::Legitimate,
        cause_explanation: "routine administration".into(),
        risk_level: Risk::Low,
        risk_justification: "approved activity".into(),
        business_impact: "none".into(),
        likelihood: "low".into(),
        investigation_priority: 4,
        techniques: vec![],
        anomalous_patterns: vec![],
        summary: "benign".into(),
        remediation: vec![],
        evidence: vec![],
    }
}
