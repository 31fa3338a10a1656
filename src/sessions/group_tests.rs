//! Boundary tests of sessionization on a hand-made fixture: gap splits, actor splits and the
//! join of network records to the host session active at their time.

use std::sync::Arc;

use super::group::{GroupOptions, sessionize};
use crate::event::Risk;
use crate::index::EventMeta;
use crate::model::ActorKind;
use crate::model::Hit;

pub(super) const MIN: i64 = 60 * 1_000_000;
/// Monday 2026-03-02 09:00:00 UTC.
pub(super) const T0: i64 = 1_772_442_000 * 1_000_000;

pub(super) fn ev(key: u64, minute: i64, host: &str, user: Option<&str>, format: &str) -> EventMeta {
    EventMeta {
        key,
        ts: Some(T0 + minute * MIN),
        host: Some(Arc::from(host)),
        user: user.map(Arc::from),
        process: None,
        pid: None,
        src_ip: None,
        dst_ip: None,
        format: Some(Arc::from(format)),
        event_id: None,
        label: None,
    }
}

fn net(key: u64, minute: i64, src: &str, dst: &str) -> EventMeta {
    EventMeta {
        src_ip: Some(Arc::from(src)),
        dst_ip: Some(Arc::from(dst)),
        host: None,
        ..ev(key, minute, "x", None, "zeek_tsv")
    }
}

#[test]
fn gap_and_actor_splits() {
    let events = vec![
        ev(1, 0, "WS01", Some("alice"), "win_json"),
        ev(2, 3, "WS01", Some("alice"), "win_json"),
        ev(3, 7, "WS01", Some("Alice"), "win_json"), // 4 min gap: same session, user case-folded
        ev(4, 13, "WS01", Some("alice"), "win_json"), // 6 min gap: new session
        ev(5, 1, "WS01", Some("bob"), "win_json"),   // other actor
        ev(6, 2, "WS02", Some("alice"), "win_json"), // other host
    ];
    let out = sessionize(&events, &[], &GroupOptions::with_gap_minutes(5));
    let mut shapes: Vec<(String, String, Vec<u64>)> = out
        .iter()
        .map(|(s, k)| (s.host.clone(), s.actor.clone(), k.clone()))
        .collect();
    shapes.sort();
    assert_eq!(
        shapes,
        vec![
            ("WS01".into(), "alice".into(), vec![1, 2, 3]),
            ("WS01".into(), "alice".into(), vec![4]),
            ("WS01".into(), "bob".into(), vec![5]),
            ("WS02".into(), "alice".into(), vec![6]),
        ]
    );
    let first = out
        .iter()
        .find(|(_, k)| k == &vec![1, 2, 3])
        .unwrap()
        .0
        .clone();
    assert_eq!(first.duration_s, 7 * 60);
    assert_eq!(first.hour, 9);
    assert!(!first.weekend);
    assert_eq!(first.events, 3);
    assert_eq!(first.actor_kind, ActorKind::User);
}

#[test]
fn network_records_join_host_session_by_ip_and_time() {
    let mut sysmon3 = ev(1, 0, "WS01", Some("alice"), "win_json");
    sysmon3.event_id = Some(Arc::from("3"));
    sysmon3.src_ip = Some(Arc::from("10.0.2.21"));
    let events = vec![
        sysmon3,
        ev(2, 4, "WS01", Some("alice"), "win_json"),
        net(3, 5, "10.0.2.21", "198.51.100.7"), // inside alice's session window: joins
        net(4, 60, "10.0.2.21", "198.51.100.7"), // an hour later: its own network session
        net(5, 61, "10.0.2.21", "198.51.100.9"), // same source, other destination: same one
        net(6, 5, "10.9.9.9", "10.9.9.8"),      // unknown address: a session of its source
        net(7, 6, "10.9.9.9", "10.9.9.7"),
        net(8, 30, "10.9.9.9", "10.9.9.8"), // past the gap: a new one
    ];
    let out = sessionize(&events, &[], &GroupOptions::with_gap_minutes(5));
    let alice = out.iter().find(|(s, _)| s.actor == "alice").unwrap();
    assert_eq!(alice.1, vec![1, 2, 3]);
    assert_eq!(alice.0.formats.get("zeek_tsv"), Some(&1));
    let pair = out
        .iter()
        .find(|(s, _)| s.actor_kind == ActorKind::Network && s.host == "WS01")
        .unwrap();
    assert_eq!(pair.1, vec![4, 5]);
    assert_eq!(pair.0.actor, "10.0.2.21");
    assert_eq!(pair.0.remote_ips, vec!["198.51.100.7", "198.51.100.9"]);
    assert!(
        out.iter()
            .any(|(s, k)| s.actor == "10.9.9.9" && k == &vec![6, 7])
    );
    assert!(
        out.iter()
            .any(|(s, k)| s.actor == "10.9.9.9" && k == &vec![8])
    );
    assert_eq!(out.len(), 4);
}

#[test]
fn detections_labels_and_ids() {
    let mut a = ev(0x11, 0, "WS01", Some("alice"), "win_json");
    a.label = Some(Arc::from("malicious:T1003.001"));
    let mut b = ev(0x22, 1, "WS01", Some("alice"), "text");
    b.label = Some(Arc::from("malicious:T1059.001"));
    let mut c = ev(0x33, 2, "WS01", Some("alice"), "win_json");
    c.label = Some(Arc::from("legitimate"));
    let hit = Hit {
        rule_id: "r1".into(),
        title: "LSASS access".into(),
        level: Risk::High,
        techniques: ["T1003.001".to_string()].into(),
        tactics: [].into(),
        event_id: format!("{:032x}", 0x11u64),
        events: Vec::new(),
    };
    let out = sessionize(&[a, b, c], &[hit], &GroupOptions::with_gap_minutes(5));
    assert_eq!(out.len(), 1);
    let s = &out[0].0;
    assert_eq!(s.parsed_events, 2);
    assert_eq!(s.fallback_events, 1);
    assert_eq!(s.max_rule_level(), Some(Risk::High));
    assert_eq!(s.detections[0].count, 1);
    let label = s.label.as_ref().unwrap();
    assert_eq!(label.cause, crate::event::Cause::Malicious);
    assert_eq!(label.techniques, vec!["T1003.001", "T1059.001"]);
    // Stable: the same input gives the same id and content hash.
    let again = sessionize(&[], &[], &GroupOptions::with_gap_minutes(5));
    assert!(again.is_empty());
    assert_eq!(s.id.len(), 16);
}

#[test]
fn the_same_events_always_give_the_same_sessions() {
    // Two actors on WS01 active at once; network records of WS01's address fall inside both
    // session windows. Each call builds fresh HashMaps (new random order) and gets the events
    // in another order (as the index returns them by segment): every record must still land
    // in the same session.
    let mut sysmon3 = ev(1, 0, "WS01", Some("alice"), "win_json");
    sysmon3.event_id = Some(Arc::from("3"));
    sysmon3.src_ip = Some(Arc::from("10.0.2.21"));
    let mut events = vec![sysmon3];
    for m in 0..4 {
        events.push(ev(10 + m, m as i64 * 2, "WS01", Some("alice"), "win_json"));
        events.push(ev(
            20 + m,
            m as i64 * 2 + 1,
            "WS01",
            Some("bob"),
            "win_json",
        ));
        events.push(net(30 + m, m as i64 * 2, "10.0.2.21", "198.51.100.7"));
    }
    let shape = |events: &[EventMeta]| {
        let mut v: Vec<(String, Vec<u64>)> =
            sessionize(events, &[], &GroupOptions::with_gap_minutes(5))
                .into_iter()
                .map(|(s, keys)| (s.id, keys))
                .collect();
        v.sort();
        v
    };
    let first = shape(&events);
    for round in 0..50 {
        events.rotate_left(round % 5 + 1);
        if round % 2 == 1 {
            events.reverse();
        }
        assert_eq!(shape(&events), first, "round {round}");
    }
}
