//! The `rules` method as a pure function of a session: the Sigma baseline every other method
//! is measured against.

use crate::event::{Cause, Risk};
use crate::sessions::Session;

use super::types::{Prediction, normalise_techniques};

/// The lowest rule level that makes a session malicious by default: `low`/`informational`
/// rules are mostly hunting aids and would flag a large share of ordinary sessions.
pub const DEFAULT_RULE_THRESHOLD: Risk = Risk::Medium;

/// [`rules_prediction_at`] with [`DEFAULT_RULE_THRESHOLD`].
pub fn rules_prediction(session: &Session) -> Prediction {
    rules_prediction_at(session, DEFAULT_RULE_THRESHOLD)
}

/// Malicious iff a rule of level `threshold` or above fired; risk = the highest rule level
/// (low when no rule fired); techniques = the rules' ATT&CK tags, most frequent first.
///
/// Latency is 0: rules are matched at ingest, so evaluating them costs nothing extra.
pub fn rules_prediction_at(session: &Session, threshold: Risk) -> Prediction {
    let level = session.max_rule_level();
    let malicious = level.is_some_and(|l| l >= threshold);
    Prediction {
        session_id: session.id.clone(),
        cause: if malicious {
            Cause::Malicious
        } else {
            Cause::Legitimate
        },
        risk: Some(level.unwrap_or(Risk::Low)),
        techniques: normalise_techniques(&session.rule_techniques()),
        latency_ms: 0.0,
        summary: None,
    }
}

/// How the `rules` method decides, for the report.
pub fn rules_note(threshold: Risk) -> String {
    format!("malicious iff a rule of level ≥ {threshold} fired; risk = highest rule level")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::{ActorKind, SessionDetection};
    use chrono::{TimeZone, Utc};

    fn session(levels: &[(Risk, &[&str], u64)]) -> Session {
        let t = Utc.with_ymd_and_hms(2026, 3, 3, 10, 0, 0).unwrap();
        Session {
            user: Some("bob".into()),
            actor_kind: ActorKind::User,
            actor: "bob".into(),
            events: 3,
            parsed_events: 3,
            detections: levels
                .iter()
                .enumerate()
                .map(|(i, (level, techs, count))| SessionDetection {
                    rule_id: format!("r{i}"),
                    title: format!("rule {i}"),
                    level: *level,
                    techniques: techs.iter().map(|s| s.to_string()).collect(),
                    count: *count,
                    event_ids: vec![],
                })
                .collect(),
            ..Session::blank("s1", "WS01", t)
        }
    }

    #[test]
    fn no_rule_means_legitimate_low() {
        let p = rules_prediction(&session(&[]));
        assert_eq!((p.cause, p.risk), (Cause::Legitimate, Some(Risk::Low)));
        assert!(p.techniques.is_empty());
        assert_eq!(p.session_id, "s1");
    }

    #[test]
    fn threshold_decides_and_risk_is_the_highest_level() {
        let s = session(&[(Risk::Low, &["T1087"], 1), (Risk::High, &["T1003.001"], 5)]);
        let p = rules_prediction(&s);
        assert_eq!((p.cause, p.risk), (Cause::Malicious, Some(Risk::High)));
        // Most frequent first: T1003.001 (5 events) before T1087 (1).
        assert_eq!(p.techniques, vec!["T1003.001", "T1087"]);
        let strict = rules_prediction_at(&s, Risk::Critical);
        assert_eq!(
            (strict.cause, strict.risk),
            (Cause::Legitimate, Some(Risk::High))
        );
        let low_only = session(&[(Risk::Low, &[], 2)]);
        assert_eq!(rules_prediction(&low_only).cause, Cause::Legitimate);
        assert_eq!(
            rules_prediction_at(&low_only, Risk::Low).cause,
            Cause::Malicious
        );
    }
}
