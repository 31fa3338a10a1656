//! The team store on a real PostgreSQL server (started per test through
//! `scripts/postgres.sh` in a temp dir, on a free port of 127.0.0.1): two lookout processes
//! review and correct one case at once without losing or repeating a correction, and the
//! second's next assessment uses the first's correction; a killed reviewer's lease expires;
//! `store copy` moves the demo case SQLite -> PostgreSQL -> SQLite exactly; the review queue
//! hands each session to one of eight concurrent clients; sessions and rule hits stream to
//! and from it as a large ingest needs.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use lookout::store::copy::TABLES;
use lookout::store::{Store, StoreError, StoreUrl};

const BIN: &str = env!("CARGO_BIN_EXE_lookout");

/// A PostgreSQL server of its own, stopped and removed when dropped.
struct Pg {
    dir: tempfile::TempDir,
    url: String,
}

impl Pg {
    fn start() -> Option<Pg> {
        let bin = common::postgres_bin()?;
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(common::repo().join("scripts/postgres.sh"))
            .arg("start")
            .arg(dir.path())
            .arg("--fast")
            .env("LOOKOUT_PG_BIN", &bin)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "postgres.sh start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(url.starts_with("postgres://"), "{url}");
        Some(Pg { dir, url })
    }

    fn store(&self) -> Store {
        Store::connect(&StoreUrl::parse(&self.url).unwrap()).unwrap()
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(common::repo().join("scripts/postgres.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

/// `lookout` on the demo case with the team store (`store`: None = the data dir's SQLite).
fn lookout(data: &Path, store: Option<&str>, analyst: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir")
        .arg(data)
        .args(["--case", "demo", "--config"])
        .arg(common::repo().join("sample_logs/lookout.toml"))
        .env("USER", analyst)
        .env_remove("LOOKOUT_STORE");
    if let Some(url) = store {
        cmd.args(["--store", url]);
    }
    cmd
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Ingests sample_logs/ as `make demo` does.
fn ingest_demo(data: &Path, store: Option<&str>) {
    ingest_demo_from(data, store, &common::repo().join("sample_logs"));
}

/// Ingests a copy of sample_logs/ at `logs` as `make demo` does.
fn ingest_demo_from(data: &Path, store: Option<&str>, logs: &Path) {
    let out = lookout(data, store, "ana")
        .arg("ingest")
        .args(["windows", "linux", "network"].map(|d| logs.join(d)))
        .output()
        .unwrap();
    ok(out, "ingest");
    let out = lookout(data, store, "ana")
        .args(["ingest", "--host", "web01"])
        .arg(logs.join("web"))
        .output()
        .unwrap();
    ok(out, "ingest web");
}

/// The demo's `svc_backup` session on `host` (the stale-password story of sample_logs/).
fn svc_backup_on(store: &Store, host: &str) -> String {
    store
        .sessions("demo")
        .unwrap()
        .into_iter()
        .filter(|s| {
            s.host.starts_with(host)
                && s.user
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case("svc_backup"))
        })
        .max_by_key(|s| s.events)
        .unwrap_or_else(|| panic!("no svc_backup session on {host}"))
        .id
}

fn assess_json(data: &Path, url: &str, session: &str) -> Value {
    let out = lookout(data, Some(url), "bo")
        .args(["assess", "--rules-only", "--json", session])
        .output()
        .unwrap();
    serde_json::from_str(ok(out, "assess").trim()).unwrap()
}

/// One analyst working through the queue in a shell loop, as a workbench would: take the
/// next session, correct it, mark it reviewed; until the queue is empty.
fn reviewer(data: &Path, url: &str, analyst: &str) -> Child {
    let script = r#"
        while line="$("$LOOKOUT" "${ARGS[@]}" queue next --lease-secs 60)"; do
            id="${line%%$'\t'*}"; holder="${line#*$'\t'}"
            "$LOOKOUT" "${ARGS[@]}" correct "$id" --cause legitimate --risk low --note "by $USER" >/dev/null
            "$LOOKOUT" "${ARGS[@]}" queue done "$id" --holder "$holder" >/dev/null
        done
    "#;
    Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ARGS=(--data-dir '{}' --case demo --store '{url}'); {script}",
            data.display()
        ))
        .env("LOOKOUT", BIN)
        .env("USER", analyst)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn two_processes_review_and_correct_one_case_and_learn_from_each_other() {
    let Some(pg) = Pg::start() else {
        return;
    };
    let Some(_catalog) = common::catalog() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    // The index is the shared path both processes read; the store is the team's.
    ingest_demo(data.path(), Some(&pg.url));
    let store = pg.store();
    let dc = svc_backup_on(&store, "DC01");
    let fs = svc_backup_on(&store, "FS01");

    // Process 2's verdict of FS01 before anyone corrected anything.
    let before = assess_json(data.path(), &pg.url, &fs);
    assert_ne!(before["cause"], "misconfiguration", "{before}");

    // Process 1 corrects DC01; the store announces it to a watcher at once.
    let mut watch = store.watch_corrections().unwrap();
    let out = lookout(data.path(), Some(&pg.url), "ana")
        .args([
            "correct",
            &dc,
            "--cause",
            "misconfiguration",
            "--risk",
            "medium",
        ])
        .args(["--note", "stale service-account password"])
        .output()
        .unwrap();
    ok(out, "correct");
    let notices = watch.wait(Duration::from_secs(10)).unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].case_name, "demo");
    let first = notices[0].id;

    // Process 2's next assessment of the similar FS01 session uses it, and says so.
    let after = assess_json(data.path(), &pg.url, &fs);
    assert_eq!(after["cause"], "misconfiguration", "{after}");
    let notes = format!("{}{}", after["adjustments"], after["cause_explanation"]);
    assert!(notes.contains(&dc), "names the corrected session: {notes}");

    // Both analysts work through the queue at once: the 16 most pressing sessions (every
    // step is a process of its own, as analysts' would be; the whole demo would take long).
    let out = lookout(data.path(), Some(&pg.url), "ana")
        .args(["queue", "fill", "--limit", "16"])
        .output()
        .unwrap();
    ok(out, "queue fill");
    let queued = store.review_items("demo").unwrap().len();
    assert_eq!(queued, 16);
    let (ana, bo) = (
        reviewer(data.path(), &pg.url, "ana"),
        reviewer(data.path(), &pg.url, "bo"),
    );
    for r in [ana, bo] {
        let out = r.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "reviewer: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let items = store.review_items("demo").unwrap();
    assert!(items.iter().all(|i| i.reviewed_by.is_some()), "{items:?}");
    assert!(items.iter().all(|i| i.leased_by.is_none()), "{items:?}");
    let corrections = store.corrections(Some("demo")).unwrap();
    let from_queue: Vec<_> = corrections.iter().filter(|c| c.id != first).collect();
    // Each queued session corrected exactly once, by whoever held it.
    let sessions: BTreeSet<&str> = from_queue.iter().map(|c| c.session_id.as_str()).collect();
    assert_eq!(from_queue.len(), queued, "no correction lost or repeated");
    assert_eq!(sessions.len(), queued);
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &from_queue {
        *by.entry(c.analyst.as_str()).or_default() += 1;
    }
    eprintln!("reviewed per analyst: {by:?}");
    assert!(by.get("ana").is_some_and(|n| *n > 0) && by.get("bo").is_some_and(|n| *n > 0));
    for i in &items {
        let who = from_queue
            .iter()
            .find(|c| c.session_id == i.session_id)
            .map(|c| c.analyst.as_str());
        let holder = i.reviewed_by.as_deref().unwrap_or("");
        assert!(
            who.is_some_and(|w| holder.starts_with(&format!("{w}@"))),
            "{} corrected by {who:?}, reviewed by {holder}",
            i.session_id
        );
    }

    // Two analysts correct the same session at the same moment: both keep theirs, the
    // latest is in force, and the queue shows the disagreement.
    let same = &fs;
    let earlier = corrections.iter().filter(|c| &c.session_id == same).count();
    let children: Vec<Child> = [("ana", "malicious"), ("bo", "legitimate")]
        .iter()
        .map(|(who, cause)| {
            lookout(data.path(), Some(&pg.url), who)
                .args(["correct", same, "--cause", cause, "--risk", "high"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let history: Vec<_> = store
        .corrections(Some("demo"))
        .unwrap()
        .into_iter()
        .filter(|c| &c.session_id == same)
        .collect();
    assert_eq!(history.len(), earlier + 2, "both analysts' kept");
    let last_two: BTreeSet<&str> = history[earlier..]
        .iter()
        .map(|c| c.analyst.as_str())
        .collect();
    assert_eq!(last_two, BTreeSet::from(["ana", "bo"]));
    let latest = store.latest_corrections(Some("demo")).unwrap();
    let shown = latest.iter().find(|c| &c.session_id == same).unwrap();
    assert_eq!(shown.id, history.iter().map(|c| c.id).max().unwrap());
    let out = lookout(data.path(), Some(&pg.url), "ana")
        .args(["queue", "status", "--json"])
        .output()
        .unwrap();
    let status: Value = serde_json::from_str(ok(out, "queue status").trim()).unwrap();
    let disagree = status["disagreements"].as_array().unwrap();
    assert!(
        disagree.iter().any(|d| d["session_id"] == same.as_str()),
        "{status}"
    );
}

#[test]
fn a_killed_reviewers_lease_expires_and_the_session_is_handed_out_again() {
    let Some(pg) = Pg::start() else {
        return;
    };
    let store = pg.store();
    store.ensure_case("demo").unwrap();
    let items: Vec<(String, i64)> = ["s1", "s2", "s3"]
        .iter()
        .enumerate()
        .map(|(i, s)| (s.to_string(), i as i64))
        .collect();
    store.enqueue_reviews("demo", &items).unwrap();
    let data = tempfile::tempdir().unwrap();

    // A workbench holding s1, renewing its 2 s lease while the analyst reads.
    let mut holder = lookout(data.path(), Some(&pg.url), "ana")
        .args(["queue", "next", "--hold", "--lease-secs", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("s1\t"), "{line}");
    let next = |who: &str| {
        let out = lookout(data.path(), Some(&pg.url), who)
            .args(["queue", "next", "--lease-secs", "60"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split('\t')
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(next("bo"), "s2", "s1 is held");
    // Past the lease's first term: renewed, still held.
    std::thread::sleep(Duration::from_millis(2600));
    let leased = |store: &Store| -> Vec<String> {
        store
            .review_items("demo")
            .unwrap()
            .into_iter()
            .filter(|i| i.leased_by.is_some())
            .map(|i| i.session_id)
            .collect()
    };
    assert_eq!(leased(&store), ["s1", "s2"]);

    // Killed mid-review: nothing releases s1, and once its 2 s run out nobody holds it (the
    // deadline is generous for a loaded machine; the expiry itself is the server's clock).
    holder.kill().unwrap();
    holder.wait().unwrap();
    let killed = Instant::now();
    assert_eq!(leased(&store), ["s1", "s2"], "the lease runs on");
    let deadline = killed + Duration::from_secs(10);
    while leased(&store).contains(&"s1".to_string()) {
        assert!(Instant::now() < deadline, "s1's lease never expired");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(next("cy"), "s1", "handed out again");
    assert_eq!(next("cy"), "s3");
    assert_eq!(next("cy"), "", "nothing left");
}

#[test]
fn store_copy_round_trips_the_demo_case_exactly() {
    let Some(pg) = Pg::start() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    ingest_demo(data.path(), None);
    let db = data.path().join("lookout.db");
    // A correction and a queue with a review make every table non-empty.
    let sqlite = Store::open(&db).unwrap();
    let first = sqlite.sessions("demo").unwrap()[0].id.clone();
    let out = lookout(data.path(), None, "ana")
        .args(["correct", &first, "--cause", "malicious", "--risk", "high"])
        .output()
        .unwrap();
    ok(out, "correct");
    ok(
        lookout(data.path(), None, "ana")
            .args(["queue", "fill"])
            .output()
            .unwrap(),
        "queue fill",
    );
    let lease = sqlite
        .lease_review("demo", "ana@test", Duration::from_secs(60))
        .unwrap()
        .unwrap();
    assert!(
        sqlite
            .finish_review("demo", &lease.session_id, "ana@test")
            .unwrap()
    );
    drop(sqlite);

    let from = format!("sqlite://{}", db.display());
    let back = data.path().join("back.db");
    let to_sqlite = format!("sqlite://{}", back.display());
    for (a, b) in [(&from, &pg.url), (&pg.url, &to_sqlite)] {
        let out = Command::new(BIN)
            .args(["store", "copy", "--from", a, "--to", b])
            .output()
            .unwrap();
        let text = ok(out, "store copy");
        assert!(text.contains("every table the same"), "{text}");
        assert!(!text.contains("DIFFERS"), "{text}");
    }
    // Row for row, ids included, the same as the original file.
    let (orig, copy) = (Store::open(&db).unwrap(), Store::open(&back).unwrap());
    for t in TABLES {
        let a = orig.read_case_rows(t, "demo").unwrap();
        let b = copy.read_case_rows(t, "demo").unwrap();
        assert!(
            !a.is_empty() || t.name == "assessments",
            "{} is empty",
            t.name
        );
        assert!(a == b, "{} differs after the round trip", t.name);
    }
    // The copied case is refused a second time rather than merged.
    let out = Command::new(BIN)
        .args(["store", "copy", "--from", &from, "--to", &pg.url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in"));

    // Into a store that holds other cases: a second case of the same logs (the same sessions,
    // so the same cached verdicts) joins the team store beside `demo`, which stays as it was.
    let team = pg.store();
    let demo_before: Vec<_> = TABLES
        .iter()
        .map(|t| team.read_case_rows(t, "demo").unwrap())
        .collect();
    let logs = common::repo().join("sample_logs");
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data.path())
        .args(["--case", "other", "--config"])
        .arg(common::repo().join("sample_logs/lookout.toml"))
        .env_remove("LOOKOUT_STORE")
        .arg("ingest")
        .args(["windows", "linux"].map(|d| logs.join(d)))
        .output()
        .unwrap();
    ok(out, "ingest other");
    let out = Command::new(BIN)
        .args([
            "store", "copy", "--from", &from, "--to", &pg.url, "--only", "other",
        ])
        .output()
        .unwrap();
    let text = ok(out, "store copy of a second case");
    assert!(text.contains("every table the same"), "{text}");
    let source = Store::open(&db).unwrap();
    for (t, before) in TABLES.iter().zip(&demo_before) {
        let after = team.read_case_rows(t, "demo").unwrap();
        if t.name == "assessments" {
            // The cache is keyed by session content, not by case: the sessions both cases share
            // now also find the second case's verdicts. None of demo's is lost or altered.
            assert!(
                before.iter().all(|r| after.contains(r)),
                "demo's assessments"
            );
            continue;
        }
        assert!(
            after == *before,
            "demo's {} changed when another case was copied in",
            t.name
        );
        let a = source.read_case_rows(t, "other").unwrap();
        assert!(
            !a.is_empty() || !["sessions", "rule_hits"].contains(&t.name),
            "other's {} is empty",
            t.name
        );
        let b = team.read_case_rows(t, "other").unwrap();
        assert_eq!(a.len(), b.len(), "other's {} rows", t.name);
    }
}

#[test]
fn eight_clients_never_get_the_same_session_and_migrations_run_once() {
    let Some(pg) = Pg::start() else {
        return;
    };
    // Eight processes' worth of connections starting at once migrate once.
    let url = StoreUrl::parse(&pg.url).unwrap();
    let opened: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Store::connect(&url).map(|s| s.schema_version().unwrap()))
        })
        .collect();
    for t in opened {
        assert_eq!(t.join().unwrap().unwrap(), 4);
    }
    let store = pg.store();
    store.ensure_case("k").unwrap();
    let items: Vec<(String, i64)> = (0..400).map(|i| (format!("s{i:03}"), i % 3)).collect();
    assert_eq!(store.enqueue_reviews("k", &items).unwrap(), 400);
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let url = url.clone();
            std::thread::spawn(move || {
                let s = Store::connect(&url).unwrap();
                let holder = format!("c{c}");
                let mut got = Vec::new();
                while let Some(l) = s
                    .lease_review("k", &holder, Duration::from_secs(60))
                    .unwrap()
                {
                    assert!(s.finish_review("k", &l.session_id, &holder).unwrap());
                    got.push(l.session_id);
                }
                got
            })
        })
        .collect();
    let mut all: Vec<String> = clients
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(all.len(), 400);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 400, "a session was handed out twice");
}

/// What an ingest too large to hold uses, on PostgreSQL: sessions written in batches as they
/// are made and rolled back whole on an error, read back one at a time in start order (the
/// connection answers "busy" meanwhile instead of panicking), a link added to a stored
/// session, rule hits found by event key, and writes grouped in batched transactions.
#[test]
fn sessions_and_hits_stream_through_postgres_as_a_large_ingest_uses_them() {
    let Some(pg) = Pg::start() else {
        return;
    };
    let (in_pg, in_sqlite) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ingest_demo(in_pg.path(), Some(&pg.url));
    ingest_demo(in_sqlite.path(), None);
    let mut store = pg.store();
    let sqlite = Store::open(&in_sqlite.path().join("lookout.db")).unwrap();
    // The same sessions, links and order whichever store the stream wrote them to.
    let sessions = store.sessions("demo").unwrap();
    assert!(sessions.len() > 100, "{}", sessions.len());
    assert_eq!(sessions, sqlite.sessions("demo").unwrap());
    assert!(sessions.iter().any(|s| !s.linked.is_empty()));

    // Hits by event key (schema version 3's index), as SQLite finds them.
    let detected = sessions
        .iter()
        .find(|s| !s.detections.is_empty())
        .expect("a session with a rule hit");
    let ids = &detected.detections[0].event_ids;
    let mut keys: Vec<u64> = ids.iter().map(|id| lookout::event::key_of_id(id)).collect();
    keys.push(12345);
    let sorted = |mut h: Vec<lookout::model::Hit>| {
        h.sort_by(|a, b| (&a.event_id, &a.rule_id).cmp(&(&b.event_id, &b.rule_id)));
        h
    };
    let found = sorted(store.hits_on_keys("demo", &keys).unwrap());
    assert!(ids.iter().all(|id| found.iter().any(|h| &h.event_id == id)));
    assert_eq!(found, sorted(sqlite.hits_on_keys("demo", &keys).unwrap()));

    // 2,500 sessions: three batches of rows.
    store.ensure_case("copy").unwrap();
    let many: Vec<_> = (0..2500)
        .map(|i| {
            let mut s = sessions[i % sessions.len()].clone();
            s.id = format!("{i:04}{}", s.id);
            s
        })
        .collect();
    store
        .replace_sessions_with("copy", |sink| {
            many.iter().try_for_each(|s| sink.put(s, &[1, 2, u64::MAX]))
        })
        .unwrap();
    let count = |s: &Store| {
        let mut n = 0;
        s.for_each_session("copy", |_| {
            n += 1;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        n
    };
    assert_eq!(count(&store), 2500);
    assert_eq!(
        store.session_members("copy", &many[7].id).unwrap(),
        vec![1, 2, u64::MAX]
    );
    // An error half-way leaves the old set.
    let failed = store.replace_sessions_with("copy", |sink| {
        sink.put(&many[0], &[])?;
        Err(StoreError::Copy("stopped".into()))
    });
    assert!(matches!(failed, Err(StoreError::Copy(_))), "{failed:?}");
    assert_eq!(count(&store), 2500);
    // Read in start order, one at a time; the connection is busy meanwhile.
    let mut starts = Vec::new();
    store
        .for_each_session("copy", |s| {
            if starts.is_empty() {
                assert!(matches!(
                    store.session("copy", &s.id),
                    Err(StoreError::Busy)
                ));
            }
            starts.push((s.start, s.id));
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));
    // A link found after its session was written, added once.
    let first = many[0].clone();
    store
        .replace_sessions_with("copy", |sink| {
            sink.put(&first, &[])?;
            sink.link(&first.id, "0000-later")?;
            sink.link(&first.id, "0000-later")
        })
        .unwrap();
    let linked = store.session("copy", &first.id).unwrap().unwrap().linked;
    let mut want = first.linked.clone();
    want.push("0000-later".to_string());
    want.sort();
    assert_eq!(linked, want);

    // Writes grouped in transactions of two: the third waits for the finish.
    let other = pg.store();
    let mut batch = store.batch(2).unwrap();
    for name in ["b1", "b2", "b3"] {
        store.ensure_case(name).unwrap();
        batch.wrote().unwrap();
    }
    let cases = |s: &Store| {
        s.cases()
            .unwrap()
            .iter()
            .filter(|c| c.name.starts_with('b'))
            .count()
    };
    assert_eq!(cases(&other), 2);
    batch.finish().unwrap();
    assert_eq!(cases(&other), 3);
}

/// The team store with a local event index per analyst: a second analyst ingests the evidence
/// the first already ingested. Their own index fills (the store's record of the files is the
/// case's, not their index's), and the case's sessions in the shared store stay as they were;
/// a rebuild from a second analyst's partial index must not replace them either.
#[test]
fn a_second_analyst_ingesting_known_evidence_fills_their_index_and_keeps_the_teams_sessions() {
    let Some(pg) = Pg::start() else {
        return;
    };
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The first analyst's evidence is on their own machine: gone by the time the second
    // analyst works (a path the second can read is the next test's).
    {
        let theirs = tempfile::tempdir().unwrap();
        copy_sample_logs(theirs.path());
        ingest_demo_from(first.path(), Some(&pg.url), theirs.path());
    }
    let team = pg.store();
    let sessions = |s: &Store| {
        let mut v: Vec<String> = s
            .sessions("demo")
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        v.sort();
        v
    };
    let before = sessions(&team);
    assert!(before.len() > 100, "{}", before.len());

    // The second analyst ingests only part of the evidence first, then all of it.
    let logs = common::repo().join("sample_logs");
    let out = lookout(second.path(), Some(&pg.url), "bo")
        .arg("ingest")
        .arg(logs.join("linux"))
        .output()
        .unwrap();
    ok(out, "ingest part");
    let same = |what: &str| {
        let now = sessions(&team);
        assert!(
            now == before,
            "{what}: {} sessions now, {} before",
            now.len(),
            before.len()
        );
    };
    same("a partial local index replaced the team's sessions");
    // Re-running the rules from that partial index is refused, not applied to the whole case.
    let out = lookout(second.path(), Some(&pg.url), "bo")
        .arg("detect")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success() && err.contains("lacks"), "{err}");
    // The six files of the first analyst's folder, five of them by name.
    assert!(
        err.contains("lacks 6 file(s)") && err.contains("/windows/") && err.contains("and 1 more"),
        "the files lacking are named: {err}"
    );
    same("detect from a partial index");
    ingest_demo(second.path(), Some(&pg.url));
    same("the second analyst's full ingest");

    // Their local index holds the events: the same search finds the same events in both.
    for q in ["failed", "host:web01", "event_id:4625"] {
        let found = |data: &Path| search_lines(data, &pg.url, q);
        let (a, b) = (found(first.path()), found(second.path()));
        assert!(!a.is_empty(), "`{q}` finds nothing");
        assert_eq!(a, b, "`{q}`");
    }
    // Ingesting again adds nothing anywhere.
    let out = lookout(second.path(), Some(&pg.url), "bo")
        .arg("ingest")
        .arg(logs.join("linux"))
        .output()
        .unwrap();
    let text = ok(out, "ingest again");
    assert!(text.contains("unchanged"), "{text}");
    same("ingest again");
}

/// What `search q` prints on the machine of `data`, in a fixed order (events of the same
/// second may come in either).
fn search_lines(data: &Path, store: &str, q: &str) -> Vec<String> {
    let out = lookout(data, Some(store), "x")
        .args(["search", q, "--limit", "100000"])
        .output()
        .unwrap();
    let mut lines: Vec<String> = ok(out, "search").lines().map(String::from).collect();
    lines.sort();
    lines
}

/// A copy of sample_logs/ (its log folders) in `to`.
fn copy_sample_logs(to: &Path) {
    let from = common::repo().join("sample_logs");
    for dir in ["windows", "linux", "network", "web"] {
        std::fs::create_dir_all(to.join(dir)).unwrap();
        for f in std::fs::read_dir(from.join(dir)).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, to.join(dir).join(f.file_name().unwrap())).unwrap();
        }
    }
}

/// Team mode with local indexes and evidence on a shared path: two analysts ingest different
/// files of one case at the same time. Whichever finishes last reads the other's files into
/// its own index, as they were read there (`--host` for the web log), and rebuilds the case's
/// sessions from all of them; a rebuild from an index that lacks files added meanwhile is not
/// written. Both end with the whole case: the sessions one analyst ingesting everything gets,
/// and the same search results on both machines.
#[test]
fn two_analysts_ingesting_different_evidence_at_once_end_with_the_whole_case() {
    let shared = tempfile::tempdir().unwrap();
    copy_sample_logs(shared.path());
    let logs = shared.path();
    let reference = tempfile::tempdir().unwrap();
    ingest_demo_from(reference.path(), None, logs);
    let ids = |s: &Store| {
        let mut v: Vec<(String, u64)> = s
            .sessions("demo")
            .unwrap()
            .into_iter()
            .map(|s| (s.id, s.events))
            .collect();
        v.sort();
        v
    };
    let want = ids(&Store::open_data_dir(reference.path()).unwrap());
    assert!(want.len() > 100, "{}", want.len());

    for round in 0..2 {
        let Some(pg) = Pg::start() else {
            return;
        };
        let url = &pg.url;
        let (ana, bo) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        // Round 0: the Windows logs (the larger part) against the rest; round 1 the other way.
        let (a_dirs, b_dirs): (&[&str], &[&str]) = if round == 0 {
            (&["windows"], &["linux", "network"])
        } else {
            (&["linux", "network"], &["windows"])
        };
        let spawn = |data: &Path, who: &str, dirs: &[&str], host: Option<&str>| {
            let mut cmd = lookout(data, Some(url), who);
            cmd.arg("ingest");
            if let Some(h) = host {
                cmd.args(["--host", h]);
            }
            cmd.args(dirs.iter().map(|d| logs.join(d)))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let a = spawn(ana.path(), "ana", a_dirs, None);
        let b = spawn(bo.path(), "bo", b_dirs, None);
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let (a, b) = (ok(a, "ana's ingest"), ok(b, "bo's ingest"));
        // The web log needs its host: bo ingests it alone, then ana catches up with it.
        ok(
            spawn(bo.path(), "bo", &["web"], Some("web01"))
                .wait_with_output()
                .unwrap(),
            "bo's web ingest",
        );
        let team = Store::connect(&StoreUrl::parse(url).unwrap()).unwrap();
        let after_web = ids(&team);
        // bo's index may lack ana's files if ana finished last; then bo read them at the web
        // ingest. Either way the team's sessions are now the whole case's.
        assert_eq!(
            after_web.len(),
            want.len(),
            "round {round}: sessions after both ingests\nana: {a}\nbo: {b}"
        );
        assert!(
            after_web == want,
            "round {round}: other sessions than one analyst's ingest"
        );
        // ana's next ingest (nothing new of hers) reads bo's files she lacks, web log included.
        let again = ok(
            lookout(ana.path(), Some(url), "ana")
                .arg("ingest")
                .args(a_dirs.iter().map(|d| logs.join(d)))
                .output()
                .unwrap(),
            "ana again",
        );
        assert!(
            again.contains("another analyst ingested were read into this machine's index"),
            "round {round}: {again}"
        );
        assert!(
            ids(&team) == want,
            "round {round}: ana's rebuild changed the sessions"
        );
        for q in ["failed", "host:web01", "event_id:4625", "GET"] {
            let found = |data: &Path| search_lines(data, url, q);
            let (x, y, z) = (found(ana.path()), found(bo.path()), found(reference.path()));
            assert!(!z.is_empty(), "`{q}` finds nothing");
            assert_eq!(x, z, "round {round}: ana's `{q}`");
            assert_eq!(y, z, "round {round}: bo's `{q}`");
        }
    }
}
