//! What a session did, as the retrieval reads it: the distinct processes, command lines,
//! registry and file paths, services, script blocks, DNS names and ports of its events.

use std::collections::BTreeSet;

use crate::event::{Event, Format};

/// Fields (Sysmon, Security, PowerShell, System and Zeek names) whose values are facts.
const FACT_FIELDS: &[&str] = &[
    "TargetObject",
    "ObjectName",
    "TargetFilename",
    "ImageLoaded",
    "ServiceFileName",
    "ImagePath",
    "ServiceName",
    "TaskName",
    "TaskContent",
    "ShareName",
    "RelativeTargetName",
    "PipeName",
    "QueryName",
    "DestinationHostname",
    "ScriptBlockText",
    "Payload",
    "ContextInfo",
    "TargetImage",
    "GrantedAccess",
    "CallTrace",
    "query",
    "uri",
    "user_agent",
];

/// At most this many facts per session: the first ones in time order (a session of thousands
/// of distinct command lines is not told apart by its thousandth).
const MAX_FACTS: usize = 400;
/// Longest fact kept, in characters (script blocks can be megabytes).
const MAX_FACT_CHARS: usize = 2000;

/// The operating system a session's events come from, when they say so: the retrieval then
/// leaves out procedures of other platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionPlatform {
    Windows,
    Linux,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionFacts {
    /// Distinct fact texts, first seen first.
    pub facts: Vec<String>,
    pub platform: Option<SessionPlatform>,
}

impl SessionFacts {
    pub fn from_events(events: &[Event]) -> SessionFacts {
        let mut seen = BTreeSet::new();
        let mut facts = Vec::new();
        let (mut windows, mut linux) = (0usize, 0usize);
        let mut add = |text: &str| {
            let text = text.trim();
            if text.is_empty() || facts.len() >= MAX_FACTS {
                return;
            }
            let text: String = text.chars().take(MAX_FACT_CHARS).collect();
            if seen.insert(text.clone()) {
                facts.push(text);
            }
        };
        for e in events {
            match e.format {
                Format::Evtx | Format::WinJson => windows += 1,
                Format::Auditd | Format::AuthLog | Format::Syslog => linux += 1,
                _ => {}
            }
            for v in [&e.process, &e.parent_process, &e.command_line]
                .into_iter()
                .flatten()
            {
                add(v);
            }
            for f in FACT_FIELDS {
                if let Some(v) = e.fields.get(*f) {
                    add(v);
                }
            }
            if let Some(p) = e.dst_port.filter(|_| e.format.is_network()) {
                add(&format!("port {p}"));
            }
            // Linux logs say what ran in the message (sudo's COMMAND=, sshd's verdicts); the
            // Windows message is a template around the fields already read.
            if matches!(e.format, Format::AuthLog | Format::Syslog) && e.command_line.is_none() {
                add(&e.message);
            }
        }
        let platform = match (windows, linux) {
            (0, 0) => None,
            (w, l) if w >= l => Some(SessionPlatform::Windows),
            _ => Some(SessionPlatform::Linux),
        };
        SessionFacts { facts, platform }
    }
}
