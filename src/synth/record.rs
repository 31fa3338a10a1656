//! What the generators produce: log lines tagged with their output file kind, time and role,
//! grouped into a candidate session (one attack, admin routine or misconfiguration with its
//! surrounding activity), and the story that labels it.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::atomics::Platform;
use super::rng::Rng;
use crate::event::{Cause, Risk};

/// An output file kind: one file per host and kind, named so that ingest detects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum OutFormat {
    /// `Microsoft-Windows-Sysmon/Operational` as JSON lines.
    Sysmon,
    /// The Security log as JSON lines.
    Security,
    /// The System log (service installs, time service) as JSON lines.
    System,
    /// `Microsoft-Windows-PowerShell/Operational` (4104 script blocks) as JSON lines.
    PowerShell,
    AuthLog,
    Syslog,
    /// auditd's `audit.log` (SYSCALL/EXECVE/CWD/PROCTITLE records).
    Audit,
    /// The estate's network sensor: Zeek `conn` records (JSON lines) of the Windows hosts'
    /// flows (DNS to the domain controller, Kerberos and SMB at logon, every connection a
    /// Sysmon 3 records), so sessions also carry the network view an analyst sees.
    ZeekConn,
}

impl OutFormat {
    pub const ALL: [OutFormat; 8] = [
        OutFormat::Sysmon,
        OutFormat::Security,
        OutFormat::System,
        OutFormat::PowerShell,
        OutFormat::AuthLog,
        OutFormat::Syslog,
        OutFormat::Audit,
        OutFormat::ZeekConn,
    ];

    /// The `--format` name.
    pub fn name(self) -> &'static str {
        match self {
            OutFormat::Sysmon => "sysmon-json",
            OutFormat::Security => "security-json",
            OutFormat::System => "system-json",
            OutFormat::PowerShell => "powershell-json",
            OutFormat::AuthLog => "auth.log",
            OutFormat::Syslog => "syslog",
            OutFormat::Audit => "auditd",
            OutFormat::ZeekConn => "zeek-conn",
        }
    }

    pub fn platform(self) -> Platform {
        match self {
            OutFormat::Sysmon
            | OutFormat::Security
            | OutFormat::System
            | OutFormat::PowerShell
            | OutFormat::ZeekConn => Platform::Windows,
            OutFormat::AuthLog | OutFormat::Syslog | OutFormat::Audit => Platform::Linux,
        }
    }

    /// The file name for `host`: ingest tells the kinds apart by content; the names keep
    /// `auth` (auth.log detection) and `audit.log` as Linux hosts name them.
    pub fn file_name(self, host: &str) -> String {
        match self {
            OutFormat::Sysmon => format!("{host}-sysmon.jsonl"),
            OutFormat::Security => format!("{host}-security.jsonl"),
            OutFormat::System => format!("{host}-system.jsonl"),
            OutFormat::PowerShell => format!("{host}-powershell.jsonl"),
            OutFormat::AuthLog => format!("{host}-auth.log"),
            OutFormat::Syslog => format!("{host}-syslog"),
            OutFormat::Audit => format!("{host}-audit.log"),
            // One sensor export per host's flows; the records name their `_path`.
            OutFormat::ZeekConn => format!("{host}-conn.log"),
        }
    }

    /// The ingest format names this kind is read as.
    pub fn expected(self) -> &'static [&'static str] {
        match self {
            OutFormat::Sysmon | OutFormat::Security | OutFormat::System | OutFormat::PowerShell => {
                &["win_json"]
            }
            OutFormat::AuthLog => &["auth_log"],
            OutFormat::Syslog => &["syslog", "auth_log"],
            OutFormat::Audit => &["auditd"],
            OutFormat::ZeekConn => &["zeek_json"],
        }
    }
}

impl std::str::FromStr for OutFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let w = s.trim().to_ascii_lowercase();
        let found = match w.as_str() {
            "sysmon" | "sysmon-json" => Some(OutFormat::Sysmon),
            "security" | "security-json" => Some(OutFormat::Security),
            "system" | "system-json" => Some(OutFormat::System),
            "powershell" | "powershell-json" | "ps" => Some(OutFormat::PowerShell),
            "auth.log" | "auth" | "authlog" => Some(OutFormat::AuthLog),
            "syslog" => Some(OutFormat::Syslog),
            "auditd" | "audit" | "audit.log" => Some(OutFormat::Audit),
            "zeek-conn" | "zeek" | "conn" | "conn.log" => Some(OutFormat::ZeekConn),
            _ => None,
        };
        found.ok_or_else(|| {
            let names: Vec<&str> = OutFormat::ALL.iter().map(|f| f.name()).collect();
            format!("unknown format `{s}` (known: {})", names.join(", "))
        })
    }
}

/// Whether a line belongs to the labelled activity or is the ordinary activity around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Background: logons, ordinary programs before and after.
    Context,
    /// The story's own records (the attack, the admin routine, the failing job).
    Story,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub format: OutFormat,
    pub time: DateTime<Utc>,
    pub line: String,
    pub role: Role,
}

/// The label of one generated session, with what a verdict about it should say.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    pub id: String,
    pub cause: Cause,
    pub techniques: Vec<String>,
    pub risk: Risk,
    pub host: String,
    /// The acting account (bare name).
    pub user: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub title: String,
    pub summary: String,
    /// Steps that fix or contain it (misconfigurations and attacks; empty for routine work).
    pub fix: Vec<String>,
    /// Where it comes from: `atomic T1003.001#2 <guid>` or `scenario NAME`.
    pub source: String,
}

/// One generated session: its records (in time order) and what the checks need to know.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub story: Story,
    pub records: Vec<Record>,
    /// Process ids that exist before the session (boot processes, the user's shell).
    pub known_pids: Vec<u32>,
    /// Accounts besides the actor that may appear as a process's user (SYSTEM for services
    /// the attack starts, root after sudo).
    pub other_users: Vec<String>,
    /// Linux uid of the actor (auditd `auid`), when the host is Linux.
    pub actor_uid: Option<u32>,
}

/// A moving clock for one session: each step advances by a random, plausible amount.
#[derive(Debug, Clone)]
pub struct Clock {
    pub now: DateTime<Utc>,
}

impl Clock {
    pub fn at(now: DateTime<Utc>) -> Clock {
        Clock { now }
    }

    /// Advances by `lo..=hi` milliseconds and returns the new time.
    pub fn tick(&mut self, r: &mut Rng, lo: u64, hi: u64) -> DateTime<Utc> {
        self.now += Duration::milliseconds(r.between(lo, hi) as i64);
        self.now
    }
}

/// Windows event time as the sample exports write it (`2026-03-02 08:24:34.920`, UTC).
pub fn win_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// rsyslog's RFC 3339 stamp (`2026-03-02T08:24:34.920512+00:00`): no year to infer.
pub fn syslog_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// auditd's `msg=audit(1772500000.123:456)` stamp.
pub fn audit_stamp(t: DateTime<Utc>, serial: u64) -> String {
    format!(
        "audit({}.{:03}:{serial})",
        t.timestamp(),
        t.timestamp_subsec_millis()
    )
}

/// The records of one kind that make one ingested event: auditd merges the records of an
/// audit event (same `msg=audit(…)` stamp), every other kind is one record per event.
/// Returns, for each event, the indexes (into `lines`) of its records, in order.
pub fn event_groups(kind: OutFormat, lines: &[&str]) -> Vec<Vec<usize>> {
    let stamp = |l: &str| {
        let i = l.find("msg=audit(")?;
        let rest = &l[i..];
        rest.find(')').map(|j| rest[..j].to_string())
    };
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut last: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        let key = if kind == OutFormat::Audit {
            stamp(line)
        } else {
            None
        };
        match (&key, &last, groups.last_mut()) {
            (Some(k), Some(l), Some(g)) if k == l => g.push(i),
            _ => groups.push(vec![i]),
        }
        last = key;
    }
    groups
}

/// The bare account name: `CORP\alice`, `alice@corp.local` -> `alice`, lower-case.
pub fn bare_user(u: &str) -> String {
    let u = u.trim();
    let u = u.rsplit_once('\\').map_or(u, |(_, n)| n);
    u.split_once('@').map_or(u, |(n, _)| n).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn names_and_stamps() {
        for f in OutFormat::ALL {
            assert_eq!(f.name().parse::<OutFormat>().unwrap(), f);
        }
        let t = Utc.with_ymd_and_hms(2026, 3, 9, 8, 0, 1).unwrap() + Duration::milliseconds(5);
        assert_eq!(win_time(t), "2026-03-09 08:00:01.005");
        assert_eq!(syslog_time(t), "2026-03-09T08:00:01.005000+00:00");
        assert_eq!(audit_stamp(t, 7), "audit(1773043201.005:7)");
        assert_eq!(bare_user("CORP\\Alice"), "alice");
        assert_eq!(OutFormat::AuthLog.file_name("web01"), "web01-auth.log");
    }
}
