//! Analyst corrections and confirmations, append-only with full provenance: nothing is ever
//! overwritten, the latest row for a session is the one in force.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::cases::parse_time;
use super::{Result, Store};
use crate::event::{Cause, Risk};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_name TEXT NOT NULL,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    analyst TEXT NOT NULL,
    created TEXT NOT NULL,
    cause TEXT NOT NULL,
    risk TEXT NOT NULL,
    priority INTEGER,
    techniques TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    rationale TEXT NOT NULL DEFAULT '',
    model_id TEXT NOT NULL DEFAULT '',
    prompt_version TEXT NOT NULL DEFAULT '',
    model_output TEXT,
    session_host TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS corrections_session ON corrections(case_name, session_id, id);
";

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

impl Store {
    /// Appends a correction; returns its id once it is durable. A correction is the analyst's
    /// work and cannot be redone from the logs, so its commit is synced to disk even against
    /// power loss: the store's WAL with `synchronous=NORMAL` survives a killed process but may
    /// lose the last commits when the machine loses power.
    pub fn add_correction(&self, c: &Correction) -> Result<i64> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let added = self.insert_correction(c);
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        added
    }

    fn insert_correction(&self, c: &Correction) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO corrections(case_name, session_id, kind, analyst, created, cause, risk, priority,
                techniques, summary, rationale, model_id, prompt_version, model_output, session_host)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                c.case_name,
                c.session_id,
                match c.kind {
                    CorrectionKind::Correction => "correction",
                    CorrectionKind::Confirmation => "confirmation",
                },
                c.analyst,
                c.created.to_rfc3339(),
                c.cause.as_str(),
                c.risk.as_str(),
                c.priority.map(i64::from),
                serde_json::to_string(&c.techniques)?,
                c.summary,
                c.rationale,
                c.model_id,
                c.prompt_version,
                c.model_output.as_ref().map(|v| v.to_string()),
                c.session_host,
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every correction of a case (all cases when `case` is None), oldest first.
    pub fn corrections(&self, case: Option<&str>) -> Result<Vec<Correction>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, case_name, session_id, kind, analyst, created, cause, risk, priority, techniques,
                    summary, rationale, model_id, prompt_version, model_output, session_host
             FROM corrections WHERE (?1 IS NULL OR case_name = ?1) ORDER BY id",
        )?;
        let rows = stmt.query_map(params![case], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<i64>>(8)?,
                r.get::<_, String>(9)?,
                (
                    r.get::<_, String>(10)?,
                    r.get::<_, String>(11)?,
                    r.get::<_, String>(12)?,
                    r.get::<_, String>(13)?,
                    r.get::<_, Option<String>>(14)?,
                    r.get::<_, String>(15)?,
                ),
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                case_name,
                session_id,
                kind,
                analyst,
                created,
                cause,
                risk,
                priority,
                techniques,
                rest,
            ) = row?;
            let (summary, rationale, model_id, prompt_version, model_output, session_host) = rest;
            out.push(Correction {
                id,
                case_name,
                session_id,
                kind: if kind == "confirmation" {
                    CorrectionKind::Confirmation
                } else {
                    CorrectionKind::Correction
                },
                analyst,
                created: parse_time(&created),
                cause: cause.parse().unwrap_or(Cause::Legitimate),
                risk: risk.parse().unwrap_or(Risk::Low),
                priority: priority.and_then(|p| u8::try_from(p).ok()),
                techniques: serde_json::from_str(&techniques).unwrap_or_default(),
                summary,
                rationale,
                model_id,
                prompt_version,
                model_output: model_output.and_then(|s| serde_json::from_str(&s).ok()),
                session_host,
            });
        }
        Ok(out)
    }

    /// The correction in force per session (the latest), for a case or all cases.
    pub fn latest_corrections(&self, case: Option<&str>) -> Result<Vec<Correction>> {
        let mut latest: std::collections::BTreeMap<(String, String), Correction> =
            Default::default();
        for c in self.corrections(case)? {
            latest.insert((c.case_name.clone(), c.session_id.clone()), c);
        }
        Ok(latest.into_values().collect())
    }
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

    fn correction(session: &str, cause: Cause) -> Correction {
        Correction {
            id: 0,
            case_name: "c".into(),
            session_id: session.into(),
            kind: CorrectionKind::Correction,
            analyst: "ana".into(),
            created: Utc::now(),
            cause,
            risk: Risk::Medium,
            priority: Some(2),
            techniques: vec!["T1110.001".into()],
            summary: "s".into(),
            rationale: "stale password".into(),
            model_id: "abc".into(),
            prompt_version: "v1".into(),
            model_output: Some(serde_json::json!({"cause": "malicious"})),
            session_host: "FS01".into(),
        }
    }

    #[test]
    fn corrections_are_append_only_and_latest_wins() {
        let s = Store::in_memory().unwrap();
        let a = s
            .add_correction(&correction("s1", Cause::Malicious))
            .unwrap();
        let b = s
            .add_correction(&correction("s1", Cause::Misconfiguration))
            .unwrap();
        assert!(b > a);
        let all = s.corrections(Some("c")).unwrap();
        assert_eq!(all.len(), 2, "history kept");
        assert_eq!(all[0].cause, Cause::Malicious);
        let latest = s.latest_corrections(Some("c")).unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].cause, Cause::Misconfiguration);
        assert_eq!(
            latest[0].model_output.as_ref().unwrap()["cause"],
            "malicious"
        );
        assert_eq!(latest[0].techniques, vec!["T1110.001"]);
    }
}
