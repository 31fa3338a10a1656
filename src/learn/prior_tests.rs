//! The learned prior on hand-made sessions: a correction carries over to a similar session on
//! another host at once, names itself as the reason, and leaves dissimilar sessions alone.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};

use super::prior::{Example, ExampleSource, Prior};
use crate::event::{Cause, Risk};
use crate::sessions::{ActorKind, Session, SessionDetection};

fn session(
    id: &str,
    host: &str,
    user: &str,
    event_ids: &[(&str, u64)],
    rule: Option<(&str, Risk)>,
) -> Session {
    let start = Utc.with_ymd_and_hms(2026, 3, 3, 2, 0, 0).single().unwrap();
    Session {
        id: id.into(),
        host: host.into(),
        user: Some(user.into()),
        actor_kind: ActorKind::User,
        actor: user.into(),
        start,
        end: start + chrono::Duration::hours(3),
        duration_s: 3 * 3600,
        hour: 2,
        weekend: false,
        formats: BTreeMap::from([("win_json".to_string(), 200)]),
        events: 200,
        parsed_events: 200,
        fallback_events: 0,
        detections: rule
            .map(|(r, level)| SessionDetection {
                rule_id: r.into(),
                title: r.into(),
                level,
                techniques: vec!["T1110.001".into()],
                count: 100,
                event_ids: vec![],
            })
            .into_iter()
            .collect(),
        label: None,
        content_hash: id.into(),
        event_ids: event_ids.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        processes: vec![],
        remote_ips: vec!["10.0.2.40".into()],
        accounts: Default::default(),
        linked: Vec::new(),
    }
}

#[test]
fn a_correction_changes_the_prior_of_a_similar_session_on_another_host() {
    let brute = Some(("win_logon_failures", Risk::High));
    let stale_fs01 = session(
        "fs01-svc",
        "FS01",
        "svc_backup",
        &[("4625", 180), ("4771", 20)],
        brute,
    );
    let stale_sql01 = session(
        "sql01-svc",
        "SQL01",
        "svc_reports",
        &[("4625", 150), ("4771", 30)],
        brute,
    );
    let attack = session(
        "ws01-alice",
        "WS01",
        "alice",
        &[("1", 40), ("10", 2), ("4624", 3)],
        Some(("lsass_access", Risk::Critical)),
    );
    let benign = session("ws02-bob", "WS02", "bob", &[("1", 50), ("4624", 2)], None);

    // Before: corpus labels only say that logon-failure storms are attacks.
    let labels = vec![
        Example::from_session(
            &session("lab-1", "LAB1", "admin", &[("4625", 300)], brute),
            Cause::Malicious,
            Some(Risk::High),
            vec!["T1110.001".into()],
            ExampleSource::Label,
        ),
        Example::from_session(
            &attack,
            Cause::Malicious,
            Some(Risk::Critical),
            vec!["T1003.001".into()],
            ExampleSource::Label,
        ),
        Example::from_session(
            &benign,
            Cause::Legitimate,
            Some(Risk::Low),
            vec![],
            ExampleSource::Label,
        ),
    ];
    let before = Prior::train(labels.clone())
        .predict(&stale_sql01)
        .expect("similar to the lab brute force");
    assert_eq!(before.cause, Cause::Malicious);

    // The analyst corrects FS01's stale-password session to misconfiguration.
    let mut examples = labels;
    examples.push(Example::from_session(
        &stale_fs01,
        Cause::Misconfiguration,
        Some(Risk::Medium),
        vec![],
        ExampleSource::Correction { id: 42 },
    ));
    let prior = Prior::train(examples);
    let after = prior
        .predict(&stale_sql01)
        .expect("similar to the correction");
    assert_eq!(after.cause, Cause::Misconfiguration, "{after:?}");
    assert!(
        after.reason.contains("fs01-svc"),
        "reason names the correction: {}",
        after.reason
    );
    assert!(
        after
            .neighbours
            .iter()
            .any(|n| n.source == ExampleSource::Correction { id: 42 })
    );
    assert_ne!(
        before.version, after.version,
        "a new correction changes the prior's version"
    );

    // A credential-dumping session is not pulled towards misconfiguration.
    let other_attack = session(
        "ws03-carol",
        "WS03",
        "carol",
        &[("1", 35), ("10", 1), ("4624", 2)],
        Some(("lsass_access", Risk::Critical)),
    );
    let p = prior
        .predict(&other_attack)
        .expect("similar to the labelled attack");
    assert_eq!(p.cause, Cause::Malicious);
}

#[test]
fn an_empty_prior_predicts_nothing() {
    let s = session("x", "H", "u", &[("1", 1)], None);
    assert!(Prior::train(vec![]).predict(&s).is_none());
}

/// Issue 20: a neighbour labelled with the v18 id and one with the v19 id of the same
/// technique vote together, as one technique; and sessions whose rules tag it under either
/// id share the feature token.
#[test]
fn v18_and_v19_ids_of_one_technique_vote_together() {
    let cleared = |id: &str, host: &str| {
        session(
            id,
            host,
            "admin",
            &[("1102", 1), ("4624", 2)],
            Some(("log_cleared", Risk::High)),
        )
    };
    let example = |s: &Session, t: &str| {
        Example::from_session(
            s,
            Cause::Malicious,
            Some(Risk::High),
            vec![t.into()],
            ExampleSource::Label,
        )
    };
    let prior = Prior::train(vec![
        example(&cleared("a", "A"), "T1070.001"),
        example(&cleared("b", "B"), "T1685.005"),
        example(&cleared("c", "C"), "T1685.005"),
    ]);
    let p = prior.predict(&cleared("q", "Q")).expect("similar sessions");
    assert_eq!(p.techniques.len(), 1, "{:?}", p.techniques);
    assert_eq!(p.techniques[0].0, "T1685.005", "named by its most voted id");
    assert!((p.techniques[0].1 - 1.0).abs() < 1e-9, "{:?}", p.techniques);

    let mut v19 = cleared("r", "R");
    v19.detections[0].techniques = vec!["attack.t1685.005".into()];
    let mut v18 = cleared("s", "S");
    v18.detections[0].techniques = vec!["T1070.001".into()];
    let tech = |s: &Session| {
        super::features::session_features(s)
            .into_iter()
            .filter(|(t, _)| t.starts_with("tech:"))
            .collect::<Vec<_>>()
    };
    assert_eq!(tech(&v19), tech(&v18));
    assert_eq!(tech(&v18)[0].0, "tech:T1070.001");
}
