//! Analyst corrections and confirmations, append-only with full provenance: nothing is ever
//! overwritten, the latest row for a session is the one in force.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Cause, Risk};

/// Whether the analyst changed the verdict or accepted it as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionKind {
    Correction,
    Confirmation,
}

/// A correction as stored (and as written, with `id` 0 before insertion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub id: i64,
    pub case_name: String,
    pub session_id: String,
    pub kind: CorrectionKind,
    /// OS user name of the analyst.
    pub analyst: String,
    pub created: DateTime<Utc>,
    pub cause: Cause,
    pub risk: Risk,
    pub priority: Option<u8>,
    pub techniques: Vec<String>,
    pub summary: String,
    pub rationale: String,
    /// Hash of the model file whose verdict was corrected (empty when none was shown).
    pub model_id: String,
    pub prompt_version: String,
    /// The assessment the analyst saw, as stored JSON.
    pub model_output: Option<serde_json::Value>,
    pub session_host: String,
}

impl CorrectionKind {
    /// As stored.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            CorrectionKind::Correction => "correction",
            CorrectionKind::Confirmation => "confirmation",
        }
    }

    pub(super) fn from_stored(s: &str) -> CorrectionKind {
        if s == "confirmation" {
            CorrectionKind::Confirmation
        } else {
            CorrectionKind::Correction
        }
    }
}

/// A correction's stored text columns read back: a value this lookout cannot parse (a newer
/// cause, a hand edit) falls back rather than hiding the row.
pub(super) fn parse_cause(s: &str) -> Cause {
    s.parse().unwrap_or(Cause::Legitimate)
}

pub(super) fn parse_risk(s: &str) -> Risk {
    s.parse().unwrap_or(Risk::Low)
}

/// The correction in force per session (the latest of each), from `all` oldest first.
pub(super) fn latest(all: Vec<Correction>) -> Vec<Correction> {
    let mut latest: std::collections::BTreeMap<(String, String), Correction> = Default::default();
    for c in all {
        latest.insert((c.case_name.clone(), c.session_id.clone()), c);
    }
    latest.into_values().collect()
}

/// A session whose analysts' latest verdicts differ: the review queue shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub session_id: String,
    /// Each analyst's latest correction of the session, oldest first; the last is in force.
    pub verdicts: Vec<Correction>,
}

/// The sessions of `all` (one case's corrections, oldest first) where two analysts' latest
/// verdicts differ in cause or risk.
pub fn disagreements(all: &[Correction]) -> Vec<Disagreement> {
    use std::collections::BTreeMap;
    let mut by_session: BTreeMap<&str, BTreeMap<&str, &Correction>> = BTreeMap::new();
    for c in all {
        by_session
            .entry(&c.session_id)
            .or_default()
            .insert(&c.analyst, c);
    }
    by_session
        .into_iter()
        .filter_map(|(session, analysts)| {
            let mut verdicts: Vec<Correction> = analysts.into_values().cloned().collect();
            verdicts.sort_by_key(|c| c.id);
            let first = verdicts.first()?;
            let differ = verdicts
                .iter()
                .any(|c| c.cause != first.cause || c.risk != first.risk);
            differ.then(|| Disagreement {
                session_id: session.to_string(),
                verdicts,
            })
        })
        .collect()
}

/// The OS user name of whoever runs lookout, for provenance: the login environment's, else
/// the account of the process's user id (containers, cron and services often set no `USER`).
pub fn analyst_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .or_else(account_name)
        .unwrap_or_else(|| "unknown".into())
}

/// The name of the account the process runs as, from the user database.
#[cfg(unix)]
fn account_name() -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: `passwd` is plain data that getpwuid_r fills in; its strings point into `buf`,
    // which outlives the reads below; a null `result` means no entry.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::getuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        );
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        let name = std::ffi::CStr::from_ptr(pwd.pw_name).to_str().ok()?;
        (!name.is_empty()).then(|| name.to_owned())
    }
}

#[cfg(not(unix))]
fn account_name() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_account_name_comes_from_the_user_database() {
        let name = account_name().expect("the process's account has an entry");
        let id = std::process::Command::new("id")
            .arg("-un")
            .output()
            .expect("running id -un");
        assert_eq!(name, String::from_utf8_lossy(&id.stdout).trim());
    }

    fn correction(id: i64, session: &str, analyst: &str, cause: Cause) -> Correction {
        Correction {
            id,
            case_name: "c".into(),
            session_id: session.into(),
            kind: CorrectionKind::Correction,
            analyst: analyst.into(),
            created: Utc::now(),
            cause,
            risk: Risk::Medium,
            priority: None,
            techniques: vec![],
            summary: String::new(),
            rationale: String::new(),
            model_id: String::new(),
            prompt_version: String::new(),
            model_output: None,
            session_host: String::new(),
        }
    }

    #[test]
    fn analysts_who_differ_are_a_disagreement_and_the_latest_is_in_force() {
        let all = [
            correction(1, "s1", "ana", Cause::Malicious),
            correction(2, "s1", "bo", Cause::Misconfiguration),
            correction(3, "s2", "ana", Cause::Malicious),
            correction(4, "s2", "bo", Cause::Malicious),
            // ana changes her mind on s3 alone: no disagreement.
            correction(5, "s3", "ana", Cause::Malicious),
            correction(6, "s3", "ana", Cause::Legitimate),
        ];
        let d = disagreements(&all);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].session_id, "s1");
        assert_eq!(d[0].verdicts.len(), 2);
        let latest = latest(all.to_vec());
        assert_eq!(latest.len(), 3);
        assert_eq!(latest[0].id, 2);
        assert_eq!(latest[2].cause, Cause::Legitimate);
    }
}
