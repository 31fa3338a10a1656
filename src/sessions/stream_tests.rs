//! The streaming sessionizer against the whole-case version it replaced (`reference.rs`):
//! the same sessions, members, ids and links on generated cases, whatever the window the
//! events are pushed in. The cases mix remote logons that fail and succeed from a few
//! addresses, sshd lines named by pid only, Windows logons, Sysmon records that name a host's
//! address and network records, so that every rule of grouping and linking is exercised.

use std::sync::Arc;

use proptest::prelude::*;

use super::group::{GroupOptions, sessionize_in_windows};
use super::group_tests::T0;
use crate::event::Risk;
use crate::index::EventMeta;
use crate::model::Hit;

const HOSTS: [&str; 4] = ["web01", "WS01", "ws01.corp.local", "FS01"];
const USERS: [Option<&str>; 6] = [
    None,
    Some("alice"),
    Some("CORP\\alice"),
    Some("root"),
    Some("-"),
    Some("deploy"),
];
const IPS: [Option<&str>; 5] = [
    None,
    Some("203.0.113.5"),
    Some("10.0.0.5"),
    Some("10.0.0.6"),
    Some("127.0.0.1"),
];
/// (format, event id, process)
const KINDS: [(&str, Option<&str>, Option<&str>); 12] = [
    ("auth_log", Some("sshd:failed_password"), Some("sshd")),
    ("auth_log", Some("sshd:invalid_user"), Some("sshd")),
    ("auth_log", Some("sshd:accepted_publickey"), Some("sshd")),
    ("auth_log", Some("sshd:connection_closed"), Some("sshd")),
    ("auth_log", Some("sshd"), Some("sshd")),
    ("auth_log", Some("sudo:command"), Some("sudo")),
    ("win_json", Some("4625"), None),
    ("win_json", Some("4624"), None),
    ("win_json", Some("3"), Some("C:\\Windows\\svchost.exe")),
    ("evtx", Some("4776"), None),
    ("zeek_json", None, None),
    ("text", None, None),
];

fn event() -> impl Strategy<Value = EventMeta> {
    (
        (any::<u16>(), prop::option::weighted(0.95, 0i64..7200)),
        (
            0..HOSTS.len(),
            prop::option::weighted(0.9, Just(())),
            0..USERS.len(),
        ),
        (0..KINDS.len(), 0..IPS.len(), 0..IPS.len(), 0u64..4),
        prop::option::weighted(0.1, Just("malicious:T1110.001")),
    )
        .prop_map(
            |((key, secs), (h, has_host, u), (k, src, dst, pid), label)| {
                let (format, event_id, process) = KINDS[k];
                EventMeta {
                    key: u64::from(key),
                    ts: secs.map(|s| T0 + s * 1_000_000),
                    host: has_host.map(|_| Arc::from(HOSTS[h])),
                    user: USERS[u].map(Arc::from),
                    process: process.map(Arc::from),
                    pid: Some(1000 + pid),
                    src_ip: IPS[src].map(Arc::from),
                    dst_ip: IPS[dst].map(Arc::from),
                    format: Some(Arc::from(format)),
                    event_id: event_id.map(Arc::from),
                    label: label.map(Arc::from),
                }
            },
        )
}

fn hit(rule: &str, key: u64) -> Hit {
    Hit {
        rule_id: rule.into(),
        title: format!("title of {rule}").into(),
        level: Risk::Medium,
        techniques: ["T1110.001".to_string()].into(),
        tactics: ["credential-access".to_string()].into(),
        event_id: format!("{:016x}{key:016x}", key.rotate_left(9)),
        events: Vec::new(),
    }
}

fn case() -> impl Strategy<Value = (Vec<EventMeta>, Vec<Hit>)> {
    prop::collection::vec(event(), 0..160).prop_map(|mut events| {
        // Keys are unique in a case (an event's id).
        events.sort_by_key(|m| m.key);
        events.dedup_by_key(|m| m.key);
        let hits = events
            .iter()
            .filter(|m| m.key % 3 == 0)
            .flat_map(|m| {
                let mut h = vec![hit("r1", m.key)];
                if m.key % 2 == 0 {
                    h.push(hit("r2", m.key));
                }
                h
            })
            .collect();
        (events, hits)
    })
}

fn options(gap_minutes: u32) -> GroupOptions {
    let mut opts = GroupOptions::with_gap_minutes(gap_minutes);
    opts.host_ips
        .insert("10.0.0.6".to_string(), "FS01".to_string());
    opts
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn streaming_gives_the_sessions_of_the_whole_case_version(
        (events, hits) in case(),
        window in 1usize..40,
        gap in prop::sample::select(vec![1u32, 5, 30]),
    ) {
        let opts = options(gap);
        let want = super::reference::sessionize(&events, &hits, &opts);
        let got = sessionize_in_windows(&events, &hits, &opts, window);
        prop_assert_eq!(got, want);
    }
}

#[test]
fn a_logon_long_after_the_source_gave_up_links_to_its_session_written_long_before() {
    // The source fails for `root` and `deploy`, stops; a day later `deploy` logs on from it.
    let at = |key: u64, secs: i64, user: &str, id: &str| EventMeta {
        ts: Some(T0 + secs * 1_000_000),
        src_ip: Some(Arc::from("203.0.113.5")),
        event_id: Some(Arc::from(id)),
        process: Some(Arc::from("sshd")),
        pid: Some(key),
        ..super::group_tests::ev(key, 0, "web01", Some(user), "auth_log")
    };
    let mut events = vec![
        at(1, 0, "root", "sshd:failed_password"),
        at(2, 10, "deploy", "sshd:failed_password"),
        at(3, 86_400, "deploy", "sshd:accepted_publickey"),
    ];
    // Enough activity between for the source's session to be written before the logon.
    for i in 0..200 {
        events.push(super::group_tests::ev(
            100 + i,
            (i as i64) * 7,
            "web01",
            Some("alice"),
            "auth_log",
        ));
    }
    let want = super::reference::sessionize(&events, &[], &options(5));
    let got = sessionize_in_windows(&events, &[], &options(5), 3);
    assert_eq!(got, want);
    let story = got
        .iter()
        .find(|(s, _)| s.actor == "203.0.113.5")
        .expect("the source's session");
    assert_eq!(story.0.linked.len(), 1, "{:?}", story.0);
}
