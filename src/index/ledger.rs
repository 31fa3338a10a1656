//! Which evidence files a local index holds, by content (sha256).
//!
//! The store's ingest runs say which files the *case* holds. With one analyst they are the same
//! as the index's; in team mode several analysts share the store (PostgreSQL) and each keeps a
//! tantivy index on their own machine, so a file another analyst ingested is in the case but not
//! in this index. The ledger lets an ingest read such a file into this index, and keeps a
//! session rebuild from an index that lacks part of the case from replacing the team's sessions.
//!
//! One digest per line in `lookout-files.txt` inside the index folder (tantivy leaves files it
//! did not write alone), appended after each commit that made the files' events durable. An
//! index made before the ledger existed has no such file: it trusts the store, as before.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{IndexError, Result};

const FILE: &str = "lookout-files.txt";

pub struct Ledger {
    path: PathBuf,
    /// `None`: no ledger (an index from an earlier version).
    held: Mutex<Option<HashSet<String>>>,
}

impl Ledger {
    /// The ledger of the index in `dir`; `new_index` starts an empty one.
    pub fn open(dir: &Path, new_index: bool) -> Result<Ledger> {
        let path = dir.join(FILE);
        let io = |e: std::io::Error| IndexError::Ledger {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        if new_index && !path.exists() {
            std::fs::write(&path, b"").map_err(io)?;
        }
        let held = match std::fs::read_to_string(&path) {
            Ok(text) => Some(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect(),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        Ok(Ledger {
            path,
            held: Mutex::new(held),
        })
    }

    /// Whether the index holds the file's events (always, for an index without a ledger).
    pub fn holds(&self, sha256: &str) -> bool {
        self.held
            .lock()
            .map(|h| h.as_ref().is_none_or(|h| h.contains(sha256)))
            .unwrap_or(true)
    }

    /// Records files whose events a commit has just made durable.
    pub fn add(&self, digests: &[String]) -> Result<()> {
        let Ok(mut held) = self.held.lock() else {
            return Ok(());
        };
        let Some(held) = held.as_mut() else {
            return Ok(());
        };
        let new: Vec<&String> = digests.iter().filter(|d| !held.contains(*d)).collect();
        if new.is_empty() {
            return Ok(());
        }
        let io = |e: std::io::Error| IndexError::Ledger {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        };
        let mut text = String::new();
        for d in &new {
            text.push_str(d);
            text.push('\n');
        }
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_data().map_err(io)?;
        held.extend(new.into_iter().cloned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_index_holds_what_was_added_and_an_old_one_trusts_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(dir.path(), true).unwrap();
        assert!(!l.holds("aa"));
        l.add(&["aa".into(), "bb".into()]).unwrap();
        l.add(&["aa".into()]).unwrap();
        assert!(l.holds("aa") && l.holds("bb") && !l.holds("cc"));
        // Read back by the next process, each digest once.
        let again = Ledger::open(dir.path(), false).unwrap();
        assert!(again.holds("bb") && !again.holds("cc"));
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert_eq!(text, "aa\nbb\n");
        // No ledger: an index from before it existed.
        let old = tempfile::tempdir().unwrap();
        let l = Ledger::open(old.path(), false).unwrap();
        assert!(l.holds("anything"));
        l.add(&["aa".into()]).unwrap();
        assert!(!old.path().join(FILE).exists());
    }
}
