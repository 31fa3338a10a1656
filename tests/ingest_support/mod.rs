//! Shared helpers for the ingest tests: where the shared datasets are.

#![allow(dead_code)]

use std::path::PathBuf;

/// The shared datasets folder: `$LOOKOUT_SHARED/datasets`, else `../shared/datasets` beside
/// the repo, else `/work/shared/datasets` (worktrees live elsewhere). `None` when absent, so
/// that tests can skip with a note.
pub fn datasets() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(s) = std::env::var("LOOKOUT_SHARED") {
        candidates.push(PathBuf::from(s).join("datasets"));
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    candidates.push(PathBuf::from("/work/shared/datasets"));
    let found = candidates.into_iter().find(|p| p.is_dir());
    if found.is_none() {
        eprintln!("note: shared datasets not found (set LOOKOUT_SHARED); skipping this test");
    }
    found
}

/// The folder of hand-written ingest fixtures.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest")
}
