//! Sessions drawn around the actor on the demo case: the SSH brute force on web01 (one
//! address trying some sixty user names) is one session of that address, with counts per
//! account, linked to what the guessed account did and to the address's later root logon;
//! the stale service password is one session of its host's address; the PsExec logon links
//! WS01's and FS01's sessions.

mod common;

use lookout::detect::RuleSet;
use lookout::sessions::{ActorKind, Session};

fn demo_sessions() -> Vec<Session> {
    let tmp = tempfile::tempdir().unwrap();
    let (rules, _) = RuleSet::builtin();
    let case = common::demo_case(tmp.path(), &["windows", "linux", "network"], &rules);
    case.sessions().unwrap()
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

#[test]
fn demo_sessions_are_drawn_around_the_actor() {
    let sessions = demo_sessions();
    let by_id = |id: &str| sessions.iter().find(|s| s.id == id).unwrap();
    let (bf_start, bf_end) = (at("2026-03-03T02:11:00Z"), at("2026-03-03T02:34:10Z"));

    // The brute force: one session of the attacker's address.
    let attacker: Vec<&Session> = sessions
        .iter()
        .filter(|s| s.host == "web01" && s.actor == "203.0.113.45")
        .collect();
    assert_eq!(attacker.len(), 1, "{:#?}", attacker);
    let bf = attacker[0];
    assert_eq!(bf.actor_kind, ActorKind::Source);
    assert!(bf.start <= bf_start + chrono::Duration::minutes(1) && bf.end >= bf_end);
    assert!(bf.accounts.len() >= 30, "{:?}", bf.accounts);
    assert!(bf.accounts["root"].failed > 50, "{:?}", bf.accounts["root"]);
    assert!(bf.accounts["ftp"].failed >= 2);
    assert_eq!(
        bf.accounts["deploy"].accepted, 2,
        "the tool's logon, then the interactive one"
    );
    assert!(bf.event_ids["sshd:failed_password"] >= 350);
    // No per-target sessions of sshd records left in the brute force's time on web01 (there
    // were ~60, one per user name tried; cron's hourly root session is not one of them).
    let per_target: Vec<(&str, String)> = sessions
        .iter()
        .filter(|s| s.host == "web01" && s.start >= bf_start && s.start < bf_end)
        .filter(|s| s.id != bf.id && s.actor != "deploy")
        .filter(|s| s.event_ids.keys().any(|e| e.starts_with("sshd")))
        .map(|s| (s.actor.as_str(), s.start.to_rfc3339()))
        .collect();
    assert!(per_target.is_empty(), "{per_target:?}");

    // Linked both ways: deploy's session (sudo wget, the root shell) and Wednesday's root logon
    // with the planted key.
    let linked: Vec<&Session> = bf.linked.iter().map(|id| by_id(id)).collect();
    let deploy = linked
        .iter()
        .find(|s| s.actor == "deploy")
        .expect("deploy's session is linked");
    assert!(
        deploy.start >= at("2026-03-03T02:34:00Z") && deploy.start <= at("2026-03-03T02:35:00Z")
    );
    assert!(
        deploy.event_ids.contains_key("sudo:command"),
        "{:?}",
        deploy.event_ids
    );
    assert!(deploy.linked.contains(&bf.id));
    let root = linked
        .iter()
        .find(|s| s.actor == "root")
        .expect("the later root logon is linked");
    assert_eq!(root.start.date_naive().to_string(), "2026-03-04");
    assert!(root.linked.contains(&bf.id));

    // The stale service password: one account from one address, the account its user.
    let svc = sessions
        .iter()
        .find(|s| s.host.starts_with("FS01") && s.actor == "10.0.2.40" && s.events >= 200)
        .expect("svc_backup's failures on FS01");
    assert_eq!(svc.user.as_deref(), Some("svc_backup"));
    assert_eq!(svc.accounts["svc_backup"].failed, 246);

    // PsExec: alice's network logon on FS01 from WS01's address links the two hosts' sessions.
    let psexec = at("2026-03-05T14:31:01Z");
    let fs01 = sessions
        .iter()
        .find(|s| {
            s.host.starts_with("FS01")
                && s.actor == "alice"
                && s.start <= psexec + chrono::Duration::seconds(5)
                && s.end >= psexec
        })
        .expect("alice's session on FS01");
    assert!(
        fs01.linked
            .iter()
            .any(|id| by_id(id).host.starts_with("WS01") && by_id(id).actor.ends_with("alice")),
        "{:?}",
        fs01.linked
    );
}
