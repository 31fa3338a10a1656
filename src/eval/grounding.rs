//! Whether a model's summary is about its session: grounded (names at least one concrete fact
//! of the session: its host, user or actor, a process it ran, a remote address, an account
//! tried) and free of repetition (no sentence or five-word phrase said twice, the loop a small
//! model falls into: "a part of a company that is a part of a company").

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::Session;

/// One summary checked against its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryCheck {
    pub grounded: bool,
    pub repeated: bool,
}

/// Names too generic to prove a summary is about this session ("system" is in "System-level").
const GENERIC: &[&str] = &[
    "system", "local", "service", "user", "users", "admin", "host", "server", "unknown", "-",
];

/// Checks `summary` against the facts of `session`.
pub fn check_summary(summary: &str, session: &Session) -> SummaryCheck {
    let said = words(summary);
    let text = format!(" {} ", said.join(" "));
    let grounded = facts(session).iter().any(|f| {
        let w = words(f);
        !w.is_empty() && text.contains(&format!(" {} ", w.join(" ")))
    });
    SummaryCheck {
        grounded,
        repeated: repeats(summary, &said),
    }
}

/// The session's concrete facts, as written in its events (host also without its domain,
/// users without theirs, programs without their folder and `.exe`).
fn facts(s: &Session) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |v: &str| {
        let v = v.trim().to_lowercase();
        if v.chars().count() >= 3 && !GENERIC.contains(&v.as_str()) {
            out.insert(v);
        }
    };
    add(&s.host);
    add(s.host.split('.').next().unwrap_or_default());
    for who in s.user.iter().chain(std::iter::once(&s.actor)) {
        add(who);
        add(who.rsplit(['\\', '/']).next().unwrap_or_default());
    }
    for p in &s.processes {
        let file = p.rsplit(['\\', '/']).next().unwrap_or_default();
        add(file);
        add(file.strip_suffix(".exe").unwrap_or(file));
    }
    for ip in &s.remote_ips {
        add(ip);
    }
    for account in s.accounts.keys() {
        add(account);
    }
    out
}

/// Lower-case words: letters, digits and the characters of names (`.`, `_`, `-`, `$`, `\`).
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || "._-$\\:/".contains(c)))
        .map(|w| w.trim_end_matches(['.', ':']).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// A sentence of three words or more said twice, or a five-word phrase said twice.
fn repeats(summary: &str, said: &[String]) -> bool {
    let mut sentences = BTreeSet::new();
    for s in summary.split(['.', '!', '?', ';', '\n']) {
        let w = words(s);
        if w.len() >= 3 && !sentences.insert(w.join(" ")) {
            return true;
        }
    }
    let mut phrases = BTreeSet::new();
    said.windows(5).any(|w| !phrases.insert(w.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        let mut s = Session::blank("s1", "WS01.corp.local", chrono::Utc::now());
        s.user = Some("CORP\\alice".into());
        s.actor = "CORP\\alice".into();
        s.processes = vec!["C:\\Windows\\System32\\rundll32.exe".into()];
        s
    }

    #[test]
    fn a_summary_naming_the_host_or_a_program_is_grounded() {
        let s = session();
        assert!(check_summary("alice on WS01 ran rundll32.exe: LSASS dump.", &s).grounded);
        assert!(check_summary("Rundll32 dumped credentials.", &s).grounded);
        assert!(!check_summary("System-level", &s).grounded);
        assert!(!check_summary("The server is infected with malware.", &s).grounded);
        // A fact must be a whole word: "ws01x" is not "ws01".
        assert!(!check_summary("ws01x did things", &s).grounded);
    }

    #[test]
    fn loops_are_repetition() {
        let s = session();
        let looped = "The user is a user of the company that is a part of a company that is \
                      a part of a company";
        assert!(check_summary(looped, &s).repeated);
        let twice = "The server is infected. The server is infected. The server is not a.";
        assert!(check_summary(twice, &s).repeated);
        assert!(!check_summary("alice on WS01 ran rundll32.exe: LSASS dump.", &s).repeated);
    }
}
