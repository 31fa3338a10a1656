//! Fixtures for the assess tests: real log lines (loghub OpenSSH and Linux, a Sysmon
//! credential-dumping trace) grouped into sessions by hand, with the rule hits a Sigma rule
//! set would give them, and a small ATT&CK catalog. Test files that use it also declare
//! `mod common;` (the datasets and the catalog come from there).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use lookout::assess::AssessInput;
use lookout::attack::{Catalog, Technique};
use lookout::event::Risk;
use lookout::sessions::{ActorKind, Session, SessionDetection};

pub fn small_catalog() -> Catalog {
    let t = |id: &str, name: &str, tactics: &[&str]| Technique {
        id: id.into(),
        name: name.into(),
        tactics: tactics.iter().map(|t| t.to_string()).collect(),
        platforms: vec!["Linux".into(), "Windows".into()],
        deprecated: false,
        revoked: false,
        replaced_by: None,
    };
    Catalog::from_techniques(
        vec![
            t("T1003", "OS Credential Dumping", &["credential-access"]),
            t("T1003.001", "LSASS Memory", &["credential-access"]),
            t("T1110", "Brute Force", &["credential-access"]),
            t("T1110.001", "Password Guessing", &["credential-access"]),
            t(
                "T1078",
                "Valid Accounts",
                &[
                    "defense-evasion",
                    "persistence",
                    "privilege-escalation",
                    "initial-access",
                ],
            ),
            t("T1059.001", "PowerShell", &["execution"]),
            t("T1059", "Command and Scripting Interpreter", &["execution"]),
        ],
        Some("18.1".into()),
        PathBuf::from("fixture"),
    )
}

/// The real catalog when set up (or the shared TSV), else (never in CI) the small one.
pub fn catalog() -> Catalog {
    crate::common::fallback(
        crate::common::locate::catalog(),
        "the small built-in catalog stands in",
    )
    .unwrap_or_else(small_catalog)
}

pub fn detection(
    rule: &str,
    title: &str,
    level: Risk,
    techniques: &[&str],
    count: u64,
) -> SessionDetection {
    SessionDetection {
        rule_id: rule.into(),
        title: title.into(),
        level,
        techniques: techniques.iter().map(|t| t.to_string()).collect(),
        count,
        event_ids: vec![format!("{rule}-e1"), format!("{rule}-e2")],
    }
}

#[allow(clippy::too_many_arguments)]
pub fn session(
    id: &str,
    host: &str,
    actor: &str,
    kind: ActorKind,
    format: &str,
    events: u64,
    duration_s: i64,
    detections: Vec<SessionDetection>,
) -> Session {
    let start = Utc
        .with_ymd_and_hms(2025, 12, 10, 6, 55, 46)
        .single()
        .unwrap_or_default();
    Session {
        id: id.into(),
        host: host.into(),
        user: (kind == ActorKind::User).then(|| actor.to_string()),
        actor_kind: kind,
        actor: actor.into(),
        start,
        end: start + chrono::Duration::seconds(duration_s),
        duration_s,
        hour: 6,
        weekend: false,
        formats: BTreeMap::from([(format.to_string(), events)]),
        events,
        parsed_events: events,
        fallback_events: 0,
        detections,
        label: None,
        content_hash: format!("hash-{id}"),
        event_ids: BTreeMap::new(),
        processes: vec![],
        remote_ips: vec![],
        accounts: Default::default(),
        linked: Vec::new(),
    }
}

/// The first `n` lines of a loghub sample matching `keep`, as timeline lines; `fallback` stands
/// in where the shared datasets are missing (never in CI: `common` fails there).
fn loghub(rel: &str, n: usize, keep: impl Fn(&str) -> bool, fallback: &[&str]) -> String {
    let text = crate::common::fallback(
        crate::common::locate::dataset(rel),
        "built-in lines stand in",
    )
    .map(|p| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())));
    let lines: Vec<String> = match &text {
        Some(t) => t
            .lines()
            .filter(|l| keep(l))
            .take(n)
            .map(String::from)
            .collect(),
        None => fallback.iter().map(|s| s.to_string()).collect(),
    };
    lines.join("\n") + "\n"
}

/// An SSH brute force against a server (loghub OpenSSH, real internet attempts).
pub fn ssh_brute_force() -> AssessInput {
    let mut timeline = loghub(
        "loghub/OpenSSH/OpenSSH_2k.log",
        24,
        |l| l.contains("173.234.31.186") || l.contains("Failed password"),
        &[
            "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
        ],
    );
    timeline = timeline
        .lines()
        .map(|l| {
            if l.contains("Failed password") {
                format!("{l} [rule: SSH Brute Force]")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    AssessInput {
        session: session(
            "ssh-bf-173.234.31.186",
            "LabSZ",
            "173.234.31.186 -> LabSZ",
            ActorKind::Network,
            "auth_log",
            412,
            1800,
            vec![detection(
                "ssh-bf",
                "SSH Brute Force",
                Risk::Medium,
                &["T1110.001"],
                140,
            )],
        ),
        timeline_text: timeline,
        hits: vec![],
        prior: None,
        examples: Vec::new(),
        candidates: Vec::new(),
    }
}

/// Credential dumping from LSASS on a workstation (Sysmon process access + encoded PowerShell).
pub fn lsass_dump() -> AssessInput {
    let timeline = "\
2019-03-19 23:31:05 Sysmon 1 process create: C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA [rule: Encoded PowerShell]
2019-03-19 23:31:07 Sysmon 10 process access: powershell.exe -> C:\\Windows\\system32\\lsass.exe GrantedAccess 0x1010 [rule: LSASS Memory Access]
2019-03-19 23:31:09 Sysmon 11 file create: C:\\Users\\Public\\lsass.dmp by powershell.exe [rule: LSASS Dump File]
2019-03-19 23:31:12 Security 4624 logon type 3 user IEUser from 10.0.2.17
";
    AssessInput {
        session: session(
            "ws-ieuser-lsass",
            "IEWIN7",
            "IEUser",
            ActorKind::User,
            "evtx",
            4,
            7,
            vec![
                detection(
                    "lsass-access",
                    "LSASS Memory Access",
                    Risk::High,
                    &["T1003.001"],
                    1,
                ),
                detection(
                    "lsass-dump",
                    "LSASS Dump File",
                    Risk::Critical,
                    &["T1003.001"],
                    1,
                ),
                detection(
                    "enc-ps",
                    "Encoded PowerShell",
                    Risk::Medium,
                    &["T1059.001"],
                    1,
                ),
            ],
        ),
        timeline_text: timeline.into(),
        hits: vec![],
        prior: None,
        examples: Vec::new(),
        candidates: Vec::new(),
    }
}

/// A user's ordinary interactive login and cron (loghub Linux), no rule hit.
pub fn linux_routine() -> AssessInput {
    let timeline = loghub(
        "loghub/Linux/Linux_2k.log",
        12,
        |l| l.contains("session opened") || l.contains("session closed") || l.contains("logrotate"),
        &["Jun 14 15:16:01 combo sshd(pam_unix)[19939]: session opened for user test by (uid=0)"],
    );
    AssessInput {
        session: session(
            "linux-routine",
            "combo",
            "cron",
            ActorKind::Process,
            "syslog",
            12,
            3600,
            vec![],
        ),
        timeline_text: timeline,
        hits: vec![],
        prior: None,
        examples: Vec::new(),
        candidates: Vec::new(),
    }
}

/// The LSASS session with hostile lines added to its timeline.
pub fn injected(lines: &[&str]) -> AssessInput {
    let mut i = lsass_dump();
    i.session.id = "ws-ieuser-injected".into();
    i.session.content_hash = "hash-injected".into();
    for l in lines {
        i.timeline_text
            .push_str(&format!("2019-03-19 23:31:13 Application 1000 {l}\n"));
    }
    i
}
