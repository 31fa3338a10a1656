//! The normalised `Event` every pipeline stage speaks, and the small vocabulary around it
//! (formats, causes, risk levels, ground-truth labels).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The log format a record was parsed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Evtx,
    /// Windows / Sysmon events as JSON (Security-Datasets, winlogbeat, nxlog exports).
    WinJson,
    ZeekJson,
    ZeekTsv,
    SuricataEve,
    Slips,
    /// Argus bidirectional flow files (`.binetflow`, CSV-like).
    Binetflow,
    /// Any other JSON lines.
    Json,
    Syslog,
    /// Linux auth.log (syslog framing with sshd/sudo/su/PAM semantics).
    AuthLog,
    WebAccess,
    ApacheError,
    Csv,
    /// One event per line, best-effort timestamp: the fallback when nothing else fits.
    Text,
    /// Linux audit logs (`/var/log/audit/audit.log`); the records of one audit event merged.
    Auditd,
}

impl Format {
    pub const ALL: [Format; 15] = [
        Format::Evtx,
        Format::WinJson,
        Format::ZeekJson,
        Format::ZeekTsv,
        Format::SuricataEve,
        Format::Slips,
        Format::Binetflow,
        Format::Json,
        Format::Syslog,
        Format::AuthLog,
        Format::WebAccess,
        Format::ApacheError,
        Format::Csv,
        Format::Text,
        // Appended: stored events encode their format as the position in this list.
        Format::Auditd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::WinJson => "win_json",
            Format::ZeekJson => "zeek_json",
            Format::ZeekTsv => "zeek_tsv",
            Format::SuricataEve => "suricata_eve",
            Format::Slips => "slips",
            Format::Binetflow => "binetflow",
            Format::Json => "json",
            Format::Syslog => "syslog",
            Format::AuthLog => "auth_log",
            Format::Auditd => "auditd",
            Format::WebAccess => "web_access",
            Format::ApacheError => "apache_error",
            Format::Csv => "csv",
            Format::Text => "text",
        }
    }

    /// True for records parsed by a real format rather than the plain-text fallback.
    pub fn is_structured(self) -> bool {
        self != Format::Text
    }

    /// Network telemetry (flows, IDS alerts) rather than host activity.
    pub fn is_network(self) -> bool {
        matches!(
            self,
            Format::ZeekJson
                | Format::ZeekTsv
                | Format::SuricataEve
                | Format::Slips
                | Format::Binetflow
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown format `{s}` (known: {})", names.join(", "))
            })
    }
}

/// Why something happened: the three causes an assessment chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cause {
    Malicious,
    Legitimate,
    Misconfiguration,
}

impl Cause {
    pub const ALL: [Cause; 3] = [Cause::Malicious, Cause::Legitimate, Cause::Misconfiguration];

    /// The risk a label of this cause implies when it names none.
    pub fn typical_risk(self) -> Risk {
        match self {
            Cause::Malicious => Risk::High,
            Cause::Misconfiguration => Risk::Medium,
            Cause::Legitimate => Risk::Low,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Malicious => "malicious",
            Cause::Legitimate => "legitimate",
            Cause::Misconfiguration => "misconfiguration",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cause {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "malicious" | "attack" | "mal" => Ok(Cause::Malicious),
            "legitimate" | "benign" | "normal" | "legit" => Ok(Cause::Legitimate),
            "misconfiguration" | "misconfig" => Ok(Cause::Misconfiguration),
            other => Err(format!(
                "unknown cause `{other}` (malicious, legitimate or misconfiguration)"
            )),
        }
    }
}

/// Risk level, ordered so that `max` gives the more severe one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub const ALL: [Risk; 4] = [Risk::Low, Risk::Medium, Risk::High, Risk::Critical];
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
    /// 0 = low … 3 = critical.
    pub fn rank(self) -> u8 {
        self as u8
    }
    /// Sigma levels map onto risk; `informational` counts as low.
    pub fn from_sigma_level(level: &str) -> Option<Risk> {
        match level.trim().to_ascii_lowercase().as_str() {
            "informational" | "low" => Some(Risk::Low),
            "medium" => Some(Risk::Medium),
            "high" => Some(Risk::High),
            "critical" => Some(Risk::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Risk {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Risk::from_sigma_level(s)
            .ok_or_else(|| format!("unknown risk `{s}` (critical, high, medium or low)"))
    }
}

/// Ground truth attached to events of labelled corpora (`--label malicious:T1003.001`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub cause: Cause,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
}

impl FromStr for Label {
    type Err = String;
    /// `CAUSE[:TECHNIQUE,...]`, e.g. `malicious:T1003.001,T1059.001`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (cause, techs) = match s.split_once(':') {
            Some((c, t)) => (c, t),
            None => (s, ""),
        };
        let techniques = techs
            .split(',')
            .map(|t| t.trim().to_ascii_uppercase())
            .filter(|t| !t.is_empty())
            .collect();
        Ok(Label {
            cause: cause.parse()?,
            techniques,
            risk: None,
        })
    }
}

/// One normalised log record. Everything optional that a format may not carry is `None`;
/// `fields` keeps every original key/value (nested keys flattened with `.`), `raw` the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Stable content hash (hex), see [`Event::compute_id`].
    pub id: String,
    /// UTC time of the record; `None` when the record carries no recognisable time.
    pub timestamp: Option<DateTime<Utc>>,
    pub format: Format,
    /// The file the record came from (for archives: `archive.zip!inner/file.json`).
    pub source: String,
    /// EVTX record id, or 1-based line number for line formats.
    pub record: u64,
    pub host: Option<String>,
    pub user: Option<String>,
    /// Process image (full path when known).
    pub process: Option<String>,
    pub pid: Option<u32>,
    pub parent_process: Option<String>,
    pub command_line: Option<String>,
    pub src_ip: Option<String>,
    pub src_port: Option<u16>,
    pub dst_ip: Option<String>,
    pub dst_port: Option<u16>,
    /// Windows event id (`4625`), Zeek log path (`conn`), EVE event type (`alert`), syslog program…
    pub event_id: Option<String>,
    pub channel: Option<String>,
    pub provider: Option<String>,
    /// A readable one-line summary.
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub raw: String,
    pub label: Option<Label>,
}

/// An address and port of a network record, either side.
pub type Endpoint<'a> = (Option<&'a str>, Option<u16>);

impl Event {
    /// `((src ip, src port), (dst ip, dst port))` of a network record.
    pub fn endpoints(&self) -> (Endpoint<'_>, Endpoint<'_>) {
        (
            (self.src_ip.as_deref(), self.src_port),
            (self.dst_ip.as_deref(), self.dst_port),
        )
    }

    /// An empty event of `format` from `source`/`record`; parsers fill in the rest and then
    /// call [`Event::finish`].
    pub fn new(
        format: Format,
        source: impl Into<String>,
        record: u64,
        raw: impl Into<String>,
    ) -> Self {
        Event {
            id: String::new(),
            timestamp: None,
            format,
            source: source.into(),
            record,
            host: None,
            user: None,
            process: None,
            pid: None,
            parent_process: None,
            command_line: None,
            src_ip: None,
            src_port: None,
            dst_ip: None,
            dst_port: None,
            event_id: None,
            channel: None,
            provider: None,
            message: String::new(),
            fields: BTreeMap::new(),
            raw: raw.into(),
            label: None,
        }
    }

    /// Content hash of the raw record and its position in its file: identical re-ingests
    /// produce identical ids (idempotent), while two identical lines in one file stay distinct.
    pub fn compute_id(raw: &str, record: u64) -> String {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(raw.as_bytes());
        h.update(&record.to_le_bytes());
        format!("{:032x}", h.digest128())
    }

    /// Sets the id (and a fallback message) once the parser has filled the event.
    pub fn finish(mut self) -> Self {
        self.id = Self::compute_id(&self.raw, self.record);
        if self.message.is_empty() {
            self.message = crate::text::one_line(&self.raw, 400);
        }
        self
    }

    /// The 64-bit key used for membership lists (sessions) and fast lookups in the index.
    pub fn key(&self) -> u64 {
        key_of_id(&self.id)
    }

    /// A named field: normalised names first (`host`, `user`, `process`, `command_line`, …),
    /// then the original flattened fields.
    pub fn get(&self, name: &str) -> Option<&str> {
        let v = match name {
            "host" => self.host.as_deref(),
            "user" => self.user.as_deref(),
            "process" => self.process.as_deref(),
            "parent_process" => self.parent_process.as_deref(),
            "command_line" => self.command_line.as_deref(),
            "src_ip" => self.src_ip.as_deref(),
            "dst_ip" => self.dst_ip.as_deref(),
            "event_id" => self.event_id.as_deref(),
            "channel" => self.channel.as_deref(),
            "provider" => self.provider.as_deref(),
            "message" => Some(self.message.as_str()),
            _ => None,
        };
        v.or_else(|| self.fields.get(name).map(String::as_str))
    }
}

/// The low 64 bits of a hex event id.
pub fn key_of_id(id: &str) -> u64 {
    let tail = id.get(id.len().saturating_sub(16)..).unwrap_or("");
    u64::from_str_radix(tail, 16).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_parses_cause_and_techniques() {
        let l: Label = "malicious:T1003.001,t1059.001".parse().unwrap();
        assert_eq!(l.cause, Cause::Malicious);
        assert_eq!(l.techniques, vec!["T1003.001", "T1059.001"]);
        assert!("weird".parse::<Label>().is_err());
    }

    #[test]
    fn id_is_stable_and_position_sensitive() {
        assert_eq!(Event::compute_id("a", 1), Event::compute_id("a", 1));
        assert_ne!(Event::compute_id("a", 1), Event::compute_id("a", 2));
        let e = Event::new(Format::Text, "f", 3, "hello").finish();
        assert_eq!(e.id.len(), 32);
        assert_eq!(e.key(), key_of_id(&e.id));
        assert_ne!(e.key(), 0);
    }

    #[test]
    fn format_round_trips_and_risk_orders() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>().unwrap(), f);
        }
        assert!(Risk::Critical > Risk::High && Risk::Medium > Risk::Low);
        assert_eq!(Risk::from_sigma_level("informational"), Some(Risk::Low));
    }
}
