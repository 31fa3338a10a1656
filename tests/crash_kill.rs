//! Crash safety: the real binary SIGKILLed at seeded random points, during the demo's ingest,
//! during a batch of rules-only assessments, and right after a correction is acknowledged.
//! After every kill the case must open with an undamaged store and index and no event twice;
//! at the end, re-running the ingest gives exactly the events and sessions of a clean run,
//! every acknowledged correction is there, and every acknowledged assessment comes from the
//! cache unchanged. Prints the kill points survived.

mod common;
mod crash_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::{Duration, Instant};

use crash_support::{INGEST_STEPS, Rng, Snapshot, kill, run_ok, snapshot, spawn};

const INGEST_KILLS: usize = 10;
const ASSESS_KILLS: usize = 6;
const CORRECTION_KILLS: usize = 6;
/// Tries per phase before the test gives up finding processes still running to kill.
const MAX_TRIES: usize = 60;

const ASSESS: [&str; 5] = ["assess", "--all", "--rules-only", "--no-prior", "--json"];

/// Assessment lines by session id, without what may differ between a fresh answer and the
/// same answer from the cache.
fn assessments(stdout: &[u8]) -> BTreeMap<String, serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| verdict_of(l).expect("assess prints JSON lines"))
        .collect()
}

fn verdict_of(line: &str) -> Option<(String, serde_json::Value)> {
    let mut v: serde_json::Value = serde_json::from_str(line).ok()?;
    let id = v["session_id"].as_str()?.to_string();
    let o = v.as_object_mut()?;
    o.remove("from_cache");
    Some((id, v))
}

/// After a kill: both files sound, nothing twice, and the events a subset of a clean run's.
fn check_after_kill(data: &Path, clean: &Snapshot) -> Snapshot {
    let now = snapshot(data);
    assert_eq!(now.duplicates(), 0, "an event is stored twice after a kill");
    let clean_keys: std::collections::BTreeSet<u64> = clean.event_keys.iter().copied().collect();
    assert!(
        now.event_keys.iter().all(|k| clean_keys.contains(k)),
        "an event that a clean ingest does not make"
    );
    now
}

#[test]
fn sigkill_at_random_points_loses_nothing_and_duplicates_nothing() {
    // The catalog that rules-only verdicts check techniques against.
    if common::catalog().is_none() {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let clean_data = crash_support::clean_case(root.path());
    let clean_ingest = started.elapsed();
    let clean = snapshot(&clean_data);
    assert!(clean.event_keys.len() > 5000, "{}", clean.event_keys.len());
    assert_eq!(clean.duplicates(), 0);
    let clean_verdicts = assessments(&run_ok(&clean_data, &ASSESS).stdout);
    assert!(clean_verdicts.len() >= 10, "{}", clean_verdicts.len());

    let mut rng = Rng::from_env(21);
    let data = root.path().join("killed");
    let mut killed = BTreeMap::<&str, usize>::new();

    // 1. Ingest: killed after a random time within a clean ingest's duration (plus a tenth,
    // so that the last steps, sessions and instant verdicts, are hit too).
    let span_ms = (clean_ingest.as_millis() as u64 * 11 / 10 / INGEST_STEPS.len() as u64).max(50);
    let mut tries = 0;
    while killed.get("ingest").copied().unwrap_or(0) < INGEST_KILLS {
        tries += 1;
        assert!(
            tries <= MAX_TRIES,
            "ingest ends before any kill: {killed:?}"
        );
        let step = INGEST_STEPS[rng.below(INGEST_STEPS.len() as u64) as usize];
        let mut child = spawn(&data, step);
        std::thread::sleep(Duration::from_millis(rng.below(span_ms)));
        if kill(&mut child) {
            *killed.entry("ingest").or_default() += 1;
        }
        check_after_kill(&data, &clean);
    }
    for step in INGEST_STEPS {
        run_ok(&data, step);
    }
    let resumed = check_after_kill(&data, &clean);
    assert_eq!(
        resumed.event_keys, clean.event_keys,
        "events differ from a clean run"
    );
    assert_eq!(
        resumed.sessions, clean.sessions,
        "sessions differ from a clean run"
    );

    // 2. Assessments: killed after a random number of printed (so stored) verdicts.
    let mut acknowledged = BTreeMap::new();
    let mut tries = 0;
    while killed.get("assess").copied().unwrap_or(0) < ASSESS_KILLS {
        tries += 1;
        assert!(
            tries <= MAX_TRIES,
            "assess ends before any kill: {killed:?}"
        );
        let mut child = spawn(&data, &ASSESS);
        let want = rng.below(clean_verdicts.len() as u64);
        let stdout = child.stdout.take().expect("piped stdout");
        for line in BufReader::new(stdout).lines().take(want as usize) {
            let (id, v) = verdict_of(&line.expect("assess output")).expect("a JSON line");
            acknowledged.insert(id, v);
        }
        if kill(&mut child) {
            *killed.entry("assess").or_default() += 1;
        }
        check_after_kill(&data, &clean);
    }
    let out = run_ok(&data, &ASSESS);
    let mut cached = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let id = v["session_id"].as_str().unwrap_or_default();
        if acknowledged.contains_key(id) {
            assert_eq!(
                v["from_cache"], true,
                "acknowledged verdict of {id} not cached"
            );
            cached += 1;
        }
    }
    assert_eq!(cached, acknowledged.len());
    let verdicts = assessments(&out.stdout);
    for (id, v) in &acknowledged {
        assert_eq!(verdicts.get(id), Some(v), "cached verdict of {id} changed");
    }
    let strip = |m: &BTreeMap<String, serde_json::Value>| -> BTreeMap<String, serde_json::Value> {
        m.iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                v.as_object_mut().map(|o| o.remove("latency_ms"));
                (k.clone(), v)
            })
            .collect()
    };
    assert_eq!(
        strip(&verdicts),
        strip(&clean_verdicts),
        "verdicts differ from a clean run"
    );

    // 3. Corrections: killed as soon as the acknowledgement is read.
    let sessions: Vec<&String> = clean.sessions.iter().collect();
    let mut acked: Vec<(i64, String, String)> = Vec::new();
    let mut tries = 0;
    while killed.get("correct").copied().unwrap_or(0) < CORRECTION_KILLS {
        tries += 1;
        assert!(
            tries <= MAX_TRIES,
            "correct ends before any kill: {killed:?}"
        );
        let session = sessions[rng.below(sessions.len() as u64) as usize].clone();
        let note = format!("kill test correction {tries}");
        let args = [
            "correct",
            &session,
            "--cause",
            "malicious",
            "--risk",
            "high",
            "--note",
            &note,
        ];
        let mut child = spawn(&data, &args);
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("correct output");
        let hit = kill(&mut child);
        let id: i64 = line
            .strip_prefix("correction ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no acknowledgement: {line:?}"));
        acked.push((id, session, note));
        if hit {
            *killed.entry("correct").or_default() += 1;
        }
        check_after_kill(&data, &clean);
    }

    // 4. Everything again on the killed case: nothing new, nothing lost.
    for step in INGEST_STEPS {
        run_ok(&data, step);
    }
    let end = check_after_kill(&data, &clean);
    assert_eq!(
        end.event_keys, clean.event_keys,
        "re-ingest changed the events"
    );
    assert_eq!(
        end.sessions, clean.sessions,
        "re-ingest changed the sessions"
    );
    for c in &acked {
        assert!(
            end.corrections.contains(c),
            "acknowledged correction lost: {c:?}"
        );
        assert!(
            end.sessions.contains(&c.1),
            "correction's session gone: {c:?}"
        );
    }
    let again = assessments(&run_ok(&data, &ASSESS).stdout);
    assert_eq!(
        strip(&again),
        strip(&clean_verdicts),
        "cached verdicts damaged"
    );

    let total: usize = killed.values().sum();
    eprintln!(
        "kill points survived: {total} ({}), {} events, {} sessions, {} acknowledged \
         corrections, {} acknowledged assessments, in {:.0?}",
        killed
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        end.event_keys.len(),
        end.sessions.len(),
        acked.len(),
        acknowledged.len(),
        started.elapsed()
    );
    assert!(total >= 20);
}
