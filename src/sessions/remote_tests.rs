//! Sessions drawn around the actor on hand-made fixtures: one source trying many accounts,
//! a service's stale password, links to what follows a logon and across hosts.

use std::sync::Arc;

use super::group::{GroupOptions, sessionize};
use super::group_tests::{T0, ev};
use crate::index::EventMeta;
use crate::model::{AccountTries, ActorKind};

/// An auth.log record of sshd (or another program) on web01.
fn auth(key: u64, second: i64, user: Option<&str>, src: Option<&str>, id: &str) -> EventMeta {
    EventMeta {
        ts: Some(T0 + second * 1_000_000),
        src_ip: src.map(Arc::from),
        event_id: Some(Arc::from(id)),
        process: Some(Arc::from(id.split(':').next().unwrap_or(id))),
        pid: Some(1000 + key),
        ..ev(key, 0, "web01", user, "auth_log")
    }
}

const ATTACKER: &str = "203.0.113.45";

/// One source guessing 30 user names (two failures each, a preauth close) on web01, then the
/// guess that works for `deploy`, whose sudo follows; a day later it logs on as `root`; an
/// ordinary admin logs on from elsewhere meanwhile.
fn brute_force() -> Vec<EventMeta> {
    let mut events = Vec::new();
    let mut key = 0;
    let mut next = || {
        key += 1;
        key
    };
    for n in 0..30 {
        let user = match n % 10 {
            0 => "root".to_string(),
            k => format!("user{k}"),
        };
        let at = n * 20;
        events.push(auth(
            next(),
            at,
            Some(&user),
            Some(ATTACKER),
            "sshd:invalid_user",
        ));
        events.push(auth(
            next(),
            at + 2,
            Some(&user),
            Some(ATTACKER),
            "sshd:failed_password",
        ));
        events.push(auth(
            next(),
            at + 4,
            Some(&user),
            Some(ATTACKER),
            "sshd:failed_password",
        ));
        events.push(auth(
            next(),
            at + 5,
            Some(&user),
            Some(ATTACKER),
            "sshd:connection_closed",
        ));
        // pam's `check pass; user unknown`: no address, no user, the connection's pid.
        let mut check = auth(next(), at + 1, None, None, "sshd");
        check.pid = events[events.len() - 4].pid;
        events.push(check);
    }
    events.push(auth(
        next(),
        601,
        Some("deploy"),
        Some(ATTACKER),
        "sshd:failed_password",
    ));
    events.push(auth(
        next(),
        605,
        Some("deploy"),
        Some(ATTACKER),
        "sshd:accepted_password",
    ));
    events.push(auth(
        next(),
        605,
        Some("deploy"),
        None,
        "sshd:session_opened",
    ));
    events.push(auth(next(), 660, Some("deploy"), None, "sudo:command"));
    events.push(auth(next(), 700, Some("deploy"), None, "sudo:command"));
    // An admin from another address, at the same time: their own session, as before.
    events.push(auth(
        next(),
        300,
        Some("alice"),
        Some("10.0.0.5"),
        "sshd:accepted_publickey",
    ));
    events.push(auth(next(), 310, Some("alice"), None, "sudo:command"));
    // The next day: root logs on from the attacker's address with a planted key.
    events.push(auth(
        next(),
        86_400,
        Some("root"),
        Some(ATTACKER),
        "sshd:accepted_publickey",
    ));
    events.push(auth(next(), 86_460, Some("root"), None, "cron:cmd"));
    events
}

#[test]
fn one_source_trying_many_accounts_is_one_session_linked_to_what_follows() {
    let events = brute_force();
    let out = sessionize(&events, &[], &GroupOptions::with_gap_minutes(5));
    let sources: Vec<_> = out
        .iter()
        .filter(|(s, _)| s.actor_kind == ActorKind::Source)
        .collect();
    assert_eq!(sources.len(), 1, "{out:#?}");
    let (bf, keys) = sources[0];
    assert_eq!((bf.host.as_str(), bf.actor.as_str()), ("web01", ATTACKER));
    assert_eq!(bf.user, None, "many accounts: no one user");
    // 30 tries of 5 records, plus deploy's failure and accepted logon.
    assert_eq!(keys.len(), 152);
    assert_eq!(bf.accounts.len(), 11);
    assert_eq!(
        bf.accounts["user3"],
        AccountTries {
            failed: 9,
            accepted: 0
        }
    );
    assert_eq!(
        bf.accounts["deploy"],
        AccountTries {
            failed: 1,
            accepted: 1
        }
    );
    assert!(!bf.remote_ips.contains(&ATTACKER.to_string()));
    let by_id = |id: &str| out.iter().find(|(s, _)| s.id == id).unwrap();
    let mut linked: Vec<(String, Vec<u64>)> = bf
        .linked
        .iter()
        .map(|id| (by_id(id).0.actor.clone(), by_id(id).1.clone()))
        .collect();
    linked.sort();
    // deploy's session (pam, sudo) and the next day's root logon, and back.
    assert_eq!(
        linked,
        vec![
            ("deploy".to_string(), vec![153, 154, 155]),
            ("root".to_string(), vec![158, 159]),
        ]
    );
    for id in &bf.linked {
        assert_eq!(by_id(id).0.linked, vec![bf.id.clone()]);
    }
    // alice's logon from the admin workstation stays alice's, unlinked.
    let alice = out.iter().find(|(s, _)| s.actor == "alice").unwrap();
    assert_eq!(alice.1, vec![156, 157]);
    assert!(alice.0.linked.is_empty());
    assert_eq!(alice.0.actor_kind, ActorKind::User);
}

#[test]
fn a_source_on_one_account_acts_as_it_and_windows_logons_count() {
    // A service with a stale password: 4625 from one internal address, one account.
    let mut events = Vec::new();
    for n in 0..20 {
        let mut e = ev(n + 1, n as i64, "FS01", Some("svc_backup"), "win_json");
        e.event_id = Some(Arc::from("4625"));
        e.src_ip = Some(Arc::from("10.0.2.40"));
        events.push(e);
    }
    // An interactive logon names loopback: not remote, the user's session as before.
    let mut local = ev(100, 3, "FS01", Some("alice"), "win_json");
    local.event_id = Some(Arc::from("4624"));
    local.src_ip = Some(Arc::from("127.0.0.1"));
    events.push(local);
    let out = sessionize(&events, &[], &GroupOptions::with_gap_minutes(5));
    assert_eq!(out.len(), 2);
    let svc = out
        .iter()
        .find(|(s, _)| s.actor_kind == ActorKind::Source)
        .unwrap();
    assert_eq!(svc.0.actor, "10.0.2.40");
    assert_eq!(svc.0.user.as_deref(), Some("svc_backup"));
    assert_eq!(svc.0.accounts["svc_backup"].failed, 20);
    assert!(out.iter().any(|(s, _)| s.actor == "alice"));
}

#[test]
fn a_network_logon_from_a_known_host_links_the_two_hosts_sessions() {
    // alice on WS01 runs PsExec against FS01: FS01 logs her network logon from WS01's address.
    let mut on_ws01 = ev(1, 0, "WS01.corp.local", Some("CORP\\alice"), "win_json");
    on_ws01.event_id = Some(Arc::from("1"));
    let mut logon = ev(2, 1, "FS01.corp.local", Some("alice"), "win_json");
    logon.event_id = Some(Arc::from("4624"));
    logon.src_ip = Some(Arc::from("10.0.2.21"));
    let on_fs01 = ev(3, 2, "FS01.corp.local", Some("alice"), "win_json");
    let bob = ev(4, 1, "WS01.corp.local", Some("bob"), "win_json");
    let mut opts = GroupOptions::with_gap_minutes(5);
    opts.host_ips
        .insert("10.0.2.21".into(), "WS01.corp.local".into());
    let out = sessionize(&[on_ws01, logon, on_fs01, bob], &[], &opts);
    let find = |host: &str, actor: &str| {
        out.iter()
            .find(|(s, _)| s.host == host && s.actor == actor)
            .unwrap()
            .0
            .clone()
    };
    let ws01 = find("WS01.corp.local", "corp\\alice");
    let fs01 = find("FS01.corp.local", "alice");
    assert_eq!(
        fs01.actor_kind,
        ActorKind::User,
        "a success alone keeps the user"
    );
    assert_eq!(ws01.linked, vec![fs01.id.clone()]);
    assert_eq!(fs01.linked, vec![ws01.id.clone()]);
    assert!(find("WS01.corp.local", "bob").linked.is_empty());
}

#[test]
fn source_sessions_and_links_do_not_depend_on_event_order() {
    let mut events = brute_force();
    let shape = |events: &[EventMeta]| {
        let mut v: Vec<(String, Vec<u64>, Vec<String>)> =
            sessionize(events, &[], &GroupOptions::with_gap_minutes(5))
                .into_iter()
                .map(|(s, keys)| (s.id, keys, s.linked))
                .collect();
        v.sort();
        v
    };
    let first = shape(&events);
    for round in 0..50 {
        events.rotate_left(round % 7 + 1);
        if round % 2 == 1 {
            events.reverse();
        }
        assert_eq!(shape(&events), first, "round {round}");
    }
}
