//! The real `lookout` binary on a throw-away data dir, and what the reliability tests (crash,
//! concurrency, hostile text, no network) check a case for afterwards. Shared by those tests.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use lookout::case::Case;

pub const BIN: &str = env!("CARGO_BIN_EXE_lookout");
pub const CASE: &str = "crash";

/// The demo's ingest, as `make demo` runs it: the hosts' own logs, then the web server's
/// access log (which names no host).
pub const INGEST_STEPS: [&[&str]; 2] = [
    &[
        "ingest",
        "sample_logs/windows",
        "sample_logs/linux",
        "sample_logs/network",
    ],
    &["ingest", "--host", "web01", "sample_logs/web"],
];

/// `lookout --data-dir DATA --case CASE --config sample_logs/lookout.toml ARGS`, run in the
/// checkout, not started yet.
pub fn command(data: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data)
        .args(["--case", CASE, "--config", "sample_logs/lookout.toml"])
        .args(args)
        // Nothing of the developer's own set-up (a model, another data dir) leaks in.
        .env_remove("LOOKOUT_DATA_DIR")
        .env_remove("LOOKOUT_CASE")
        .env_remove("LOOKOUT_CONFIG");
    c
}

/// Runs `lookout ARGS` to the end and asserts that it succeeded.
pub fn run_ok(data: &Path, args: &[&str]) -> Output {
    let out = command(data, args).output().expect("lookout runs");
    assert!(
        out.status.success(),
        "lookout {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Starts `lookout ARGS` with stdout piped and stderr discarded.
pub fn spawn(data: &Path, args: &[&str]) -> Child {
    command(data, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("lookout starts")
}

/// SIGKILLs `child` (unless it has ended already) and reaps it; true when the kill ended it.
pub fn kill(child: &mut Child) -> bool {
    use std::os::unix::process::ExitStatusExt;
    let _ = child.kill();
    let status = child.wait().expect("reaping lookout");
    status.signal() == Some(9)
}

/// Ingests the demo logs into a fresh data dir under `root` and returns it.
pub fn clean_case(root: &Path) -> PathBuf {
    let data = root.join("clean");
    for step in INGEST_STEPS {
        run_ok(&data, step);
    }
    data
}

/// What a case holds, read through the library after every process has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The key of every stored event, sorted (a duplicate shows up twice).
    pub event_keys: Vec<u64>,
    pub sessions: BTreeSet<String>,
    /// (id, session, rationale) of every correction.
    pub corrections: Vec<(i64, String, String)>,
}

impl Snapshot {
    pub fn duplicates(&self) -> usize {
        let distinct: BTreeSet<u64> = self.event_keys.iter().copied().collect();
        self.event_keys.len() - distinct.len()
    }
}

/// Opens the case as every command does, checks both files for damage (SQLite's integrity
/// check, tantivy's checksums) and reads what it holds.
pub fn snapshot(data: &Path) -> Snapshot {
    let case = Case::open(data, CASE).expect("the case opens");
    let problems = case
        .store
        .integrity_problems()
        .expect("integrity check runs");
    assert!(problems.is_empty(), "store damaged: {problems:?}");
    let corrupt = case.index.corrupt_files().expect("checksums are read");
    assert!(corrupt.is_empty(), "index files damaged: {corrupt:?}");
    let mut event_keys: Vec<u64> = case
        .index
        .scan_meta()
        .expect("index scan")
        .iter()
        .map(|m| m.key)
        .collect();
    event_keys.sort_unstable();
    let sessions = case
        .sessions()
        .expect("sessions")
        .into_iter()
        .map(|s| s.id)
        .collect();
    let corrections = case
        .store
        .corrections(Some(CASE))
        .expect("corrections")
        .into_iter()
        .map(|c| (c.id, c.session_id, c.rationale))
        .collect();
    Snapshot {
        event_keys,
        sessions,
        corrections,
    }
}

/// A small seeded generator (SplitMix64): kill points are random but a failing seed can be
/// run again (`LOOKOUT_CRASH_SEED`).
pub struct Rng(u64);

impl Rng {
    pub fn from_env(default: u64) -> Rng {
        let seed = std::env::var("LOOKOUT_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default);
        eprintln!("seed {seed} (LOOKOUT_CRASH_SEED to repeat)");
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
