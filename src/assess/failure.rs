//! Visible failure in a session: what a misconfiguration verdict needs to stand.
//!
//! Why: a misconfiguration is something that keeps failing (a stale password, a task whose
//! script is gone, a clock the DC rejects), so its session shows the failure: a failure event
//! (4625, 4771, a service that did not start, `sshd:failed_password`, an HTTP 5xx) or a
//! failure in the text ("unable", "not found", "return code 1"). The tuned model called 14 of
//! 36 ordinary demo sessions misconfiguration, one- and two-event sessions without any error;
//! the combination keeps the model's misconfiguration only where such a sign is there.
//!
//! The text is the attacker's, but a sign here can only keep a session out of `legitimate`
//! in favour of `misconfiguration`: the rule floors still apply after it.

use std::sync::LazyLock;

use regex::Regex;

use super::input::AssessInput;

/// Windows event ids that record a failure: logon and Kerberos failures, lockouts, services
/// and applications that failed or crashed, scheduled tasks that did not run.
const FAILURE_EVENT_IDS: &[&str] = &[
    "529", "530", "531", "532", "533", "534", "535", "536", "537",
    "539", // legacy logon failures
    "4625", "4771", "4740", // logon, Kerberos pre-authentication, lockout
    "7000", "7001", "7009", "7011", "7022", "7023", "7024", "7031", "7034", // service control
    "1000", "1002", "6008", // application crash / hang, unexpected shutdown
    "101", "103", "203", // task scheduler: start and action failures
];

/// Failure words and codes in log text, case-insensitive, on word boundaries.
static FAILURE_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(fail(s|ed|ure|ures|ing)?|errors?|denied|refused|rejected|unable|cannot|can't|could ?not|couldn't|not found|no such|invalid|expired|timed? ?out|unreachable|locked out|lockout|not installed|no \w+ installed|missing|(return|exit) (code|status) [1-9]\d*|status 0xc0{3}[0-9a-f]{3}|0x800[0-9a-f]{5})\b",
    )
    .expect("the failure pattern is a valid regex")
});

/// The first failure sign of the session, described for the verdict's notes; `None` when the
/// session shows no failure.
pub fn failure_sign(input: &AssessInput) -> Option<String> {
    for (id, n) in &input.session.event_ids {
        let lower = id.to_ascii_lowercase();
        if FAILURE_EVENT_IDS.contains(&lower.as_str())
            || lower.contains("fail")
            || lower.contains("invalid")
            || lower.contains("error")
            || is_http_server_error(&lower)
        {
            return Some(format!("{n} event(s) {id}"));
        }
    }
    FAILURE_TEXT
        .find(&input.timeline_text)
        .map(|m| format!("\"{}\" in the timeline", m.as_str()))
}

/// An HTTP status 500-599 as an event id (web access logs use the status as the id).
fn is_http_server_error(id: &str) -> bool {
    id.len() == 3 && id.starts_with('5') && id.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::testutil::input;

    fn with_ids(ids: &[(&str, u64)], text: &str) -> AssessInput {
        let mut i = input(vec![], text);
        i.session.event_ids = ids.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        i
    }

    #[test]
    fn failure_events_are_signs() {
        assert!(failure_sign(&with_ids(&[("4625", 12)], "")).is_some());
        assert!(failure_sign(&with_ids(&[("sshd:failed_password", 3)], "")).is_some());
        assert!(failure_sign(&with_ids(&[("503", 2)], "")).is_some());
    }

    #[test]
    fn failure_text_is_a_sign() {
        for text in [
            "NtpClient was unable to set a domain peer",
            "The entry is not found. (0x800706E1)",
            "completed task \\MapDrives with return code 1.",
            "pam_unix(cron:auth): authentication failure",
        ] {
            assert!(failure_sign(&with_ids(&[], text)).is_some(), "{text}");
        }
    }

    #[test]
    fn ordinary_sessions_show_none() {
        let i = with_ids(
            &[("4624", 1), ("4634", 1), ("conn", 3), ("200", 8)],
            "10:00:01 4624 An account was successfully logged on.\n\
             10:00:02 conn 10.0.2.10 -> 10.0.1.5:445 tcp SF\n\
             completed task with return code 0.",
        );
        assert_eq!(failure_sign(&i), None);
    }
}
