//! The session: what one actor did on one host over a stretch of time, with its metadata.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Label, Risk};

/// How the actor of a session was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    /// Process tree (no user on the records).
    Process,
    /// Source/destination pair of network records that joined no host session.
    Network,
    /// Nothing better than the host itself.
    Host,
    /// A remote address authenticating to the host (sshd, Windows network logons): its tries
    /// on every account, and a logon that worked, are one session (see `Session::accounts`).
    Source,
}

/// A rule that fired inside the session, aggregated over its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionDetection {
    pub rule_id: String,
    pub title: String,
    pub level: Risk,
    pub techniques: Vec<String>,
    /// How many events of the session the rule matched.
    pub count: u64,
    /// Ids of the matched events (at most a few, for evidence).
    pub event_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Stable id: hash of the actor key and the first event's id.
    pub id: String,
    pub host: String,
    pub user: Option<String>,
    pub actor_kind: ActorKind,
    /// Human-readable actor (`bob`, `powershell.exe (pid 4242)`, `10.0.0.7 -> 10.0.0.5`).
    pub actor: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub duration_s: i64,
    /// Hour of day (UTC) of the start.
    pub hour: u32,
    pub weekend: bool,
    /// Event count per format.
    pub formats: BTreeMap<String, u64>,
    pub events: u64,
    /// Events parsed by a real format vs by the plain-text fallback.
    pub parsed_events: u64,
    pub fallback_events: u64,
    pub detections: Vec<SessionDetection>,
    /// Ground truth when the events carry labels: majority cause, union of techniques.
    pub label: Option<Label>,
    /// Hash of the member events' ids: changes when the session's content changes.
    pub content_hash: String,
    /// Event counts by event id (`4625`, `sshd:failed_password`, `conn`), the most frequent 20.
    #[serde(default)]
    pub event_ids: BTreeMap<String, u64>,
    /// Distinct process image names (lower-case basenames), at most 10.
    #[serde(default)]
    pub processes: Vec<String>,
    /// Distinct remote addresses seen (source/destination IPs other than the host's), at most 10.
    #[serde(default)]
    pub remote_ips: Vec<String>,
    /// For a remote source (`actor_kind` `source`): the accounts it authenticated as, lower
    /// case, with the failed and accepted authentication records of each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accounts: BTreeMap<String, AccountTries>,
    /// Ids of sessions in the same story, both ways: the source's later logon and what the
    /// account then did; the session on the host a network logon came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<String>,
}

/// Authentication records of one account from one source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTries {
    pub failed: u64,
    pub accepted: u64,
}

impl Session {
    /// The highest level of the rules that fired in the session.
    pub fn max_rule_level(&self) -> Option<Risk> {
        self.detections.iter().map(|d| d.level).max()
    }

    /// ATT&CK technique ids from the session's rule hits, most frequent first.
    pub fn rule_techniques(&self) -> Vec<String> {
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for d in &self.detections {
            for t in &d.techniques {
                *counts.entry(t.as_str()).or_default() += d.count;
            }
        }
        let mut v: Vec<(&str, u64)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.into_iter().map(|(t, _)| t.to_string()).collect()
    }

    /// A one-event session of the host itself at `start`, nothing detected and no label: the
    /// base a test fills in with struct update syntax.
    #[cfg(test)]
    pub fn blank(id: &str, host: &str, start: DateTime<Utc>) -> Session {
        use chrono::Timelike;
        Session {
            id: id.into(),
            host: host.into(),
            user: None,
            actor_kind: ActorKind::Host,
            actor: host.into(),
            start,
            end: start,
            duration_s: 0,
            hour: start.hour(),
            weekend: false,
            formats: BTreeMap::new(),
            events: 1,
            parsed_events: 1,
            fallback_events: 0,
            detections: Vec::new(),
            label: None,
            content_hash: String::new(),
            event_ids: BTreeMap::new(),
            processes: Vec::new(),
            remote_ips: Vec::new(),
            accounts: BTreeMap::new(),
            linked: Vec::new(),
        }
    }
}

/// One line of a condensed timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineLine {
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// How many consecutive events of the same template this line stands for.
    pub count: u64,
    /// Sanitised one-line text (the first event's message, or the template with a count).
    pub text: String,
    /// Id of the first event the line stands for.
    pub event_id: String,
    /// Rule titles that fired on the events of this line.
    pub rules: Vec<String>,
    pub template_id: usize,
}

/// The chronological breakdown that the model and the analyst read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub lines: Vec<TimelineLine>,
    /// "… 412 similar 4625 logon failures from 10.0.0.7 omitted" notes.
    pub omitted: Vec<String>,
    pub total_events: u64,
    /// Estimated tokens of the rendered text.
    pub tokens: usize,
}
