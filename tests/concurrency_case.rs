//! Two lookout processes on one case: one ingests a large log while the other records
//! corrections in a loop, and a second ingest of the same log is started meanwhile. Each
//! command either works or says clearly that the case is busy; afterwards the store and index
//! are undamaged, every event is there once, and every acknowledged correction is there.

mod common;
mod crash_support;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crash_support::{INGEST_STEPS, command, run_ok, snapshot};

/// A log of its own host (not in the demo's host map), so that ingesting it leaves the
/// sessions being corrected as they are.
const LINES: usize = 60_000;

fn write_big_auth_log(path: &Path) {
    let mut s = String::with_capacity(LINES * 110);
    for i in 0..LINES {
        let (m, sec) = ((i / 60) % 60, i % 60);
        s += &format!(
            "Mar  4 03:{m:02}:{sec:02} bastion99 sshd[{}]: Failed password for invalid user u{i} \
             from 198.51.100.{} port {} ssh2\n",
            10_000 + i % 50_000,
            i % 250,
            1024 + i
        );
    }
    std::fs::write(path, s).expect("writing the big log");
}

/// What a refused command must say: which resource is busy, not a raw error.
fn is_clear_refusal(stderr: &str) -> bool {
    stderr.contains("another lookout process") || stderr.contains("database is locked")
}

#[test]
fn ingest_and_corrections_at_once_lose_nothing() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    for step in INGEST_STEPS {
        run_ok(&data, step);
    }
    let before = snapshot(&data);
    let targets: Vec<String> = before.sessions.iter().take(12).cloned().collect();
    let big = root.path().join("bastion99-auth.log");
    write_big_auth_log(&big);
    let big = big.to_str().expect("utf-8 path");

    let started = Instant::now();
    let mut ingest = command(&data, &["ingest", big])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ingest starts");
    let mut acked: Vec<(i64, String, String)> = Vec::new();
    let (mut refused, mut second_ingest) = (0, None);
    let mut i = 0;
    loop {
        let running = ingest.try_wait().expect("ingest status").is_none();
        if !running && acked.len() >= 10 {
            break;
        }
        if i == 3 {
            // A second ingest of the same log while the first one runs.
            second_ingest = Some(
                command(&data, &["ingest", big])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("second ingest starts"),
            );
        }
        let session = &targets[i % targets.len()];
        let note = format!("concurrent correction {i}");
        let out = command(
            &data,
            &[
                "correct",
                session,
                "--cause",
                "malicious",
                "--risk",
                "high",
                "--note",
                &note,
            ],
        )
        .output()
        .expect("correct runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            let id: i64 = stdout
                .strip_prefix("correction ")
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no acknowledgement: {stdout}"));
            acked.push((id, session.clone(), note));
        } else {
            assert!(
                is_clear_refusal(&stderr),
                "correct failed unclearly: {stderr}"
            );
            refused += 1;
        }
        i += 1;
        assert!(started.elapsed() < Duration::from_secs(300), "no progress");
    }
    let first = ingest.wait_with_output().expect("ingest ends");
    let first_err = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "the ingest failed: {first_err}");
    let second = second_ingest
        .expect("a second ingest was started")
        .wait_with_output()
        .expect("second ingest ends");
    let second_err = String::from_utf8_lossy(&second.stderr);
    assert!(
        second.status.success() || is_clear_refusal(&second_err),
        "the second ingest failed unclearly: {second_err}"
    );

    let after = snapshot(&data);
    assert_eq!(after.duplicates(), 0, "an event stored twice");
    assert_eq!(
        after.event_keys.len(),
        before.event_keys.len() + LINES,
        "events lost or added"
    );
    for c in &acked {
        assert!(
            after.corrections.contains(c),
            "acknowledged correction lost: {c:?}"
        );
    }
    assert_eq!(
        after.corrections.len(),
        acked.len(),
        "a correction not acknowledged"
    );
    for s in &targets {
        assert!(after.sessions.contains(s), "corrected session {s} gone");
    }
    eprintln!(
        "{} corrections acknowledged and kept, {refused} refused clearly, during an ingest of \
         {LINES} lines ({:.1?}); second ingest: {}",
        acked.len(),
        started.elapsed(),
        if second.status.success() {
            "waited and succeeded".to_string()
        } else {
            format!("refused: {}", second_err.trim())
        }
    );
}
