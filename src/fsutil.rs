//! File helpers below every stage: content hashes (read in chunks), moves that may cross file systems, and the
//! rule for names that become file or folder names (cases, tuned models).

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Longest name [`validate_name`] accepts.
pub const MAX_NAME_LEN: usize = 64;

/// A name refused by [`validate_name`]; `what` says whose name it is ("case", "model").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid {what} name `{name}`: use 1-64 letters, digits, '-', '_' or '.', not starting with '.'"
)]
pub struct NameError {
    pub what: &'static str,
    pub name: String,
}

/// Checks a name that becomes a file or folder name: 1-64 ASCII letters, digits, `-`, `_` or
/// `.`, not starting with `.`. Such a name is never a path (no `/`, no `..`), never a hidden
/// file, and the same on every file system. Cases and tuned models follow the same rule; only
/// `what` (the word in the error) differs.
pub fn validate_name(what: &'static str, name: &str) -> Result<(), NameError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(NameError {
            what,
            name: name.to_string(),
        })
    }
}

/// sha256 of a file's content, hex: what identifies an ingested file and a training set.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut h = Sha256::new();
    for_each_chunk(path, |chunk| h.update(chunk))?;
    Ok(hex::encode(h.finalize()))
}

/// Reads a file from start to end in chunks of 1 MiB: what a content hash consumes.
pub fn for_each_chunk(path: &Path, mut f: impl FnMut(&[u8])) -> io::Result<()> {
    let mut file = fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        f(&buf[..n]);
    }
}

/// Moves a file. A rename cannot cross file systems (a work dir on tmpfs, the data dir on
/// disk), so it falls back to a copy written under `<to>.part` first: `to` never holds half a
/// file.
pub fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    if fs::rename(from, to).is_ok() {
        return Ok(());
    }
    let tmp = part_path(to);
    fs::copy(from, &tmp)?;
    fs::rename(&tmp, to)?;
    // The copy is in place; a source left behind only costs space.
    let _ = fs::remove_file(from);
    Ok(())
}

/// `<to>.part`, beside `to`.
fn part_path(to: &Path) -> PathBuf {
    let mut name = to.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    to.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(validate_name("model", "tuned-1.v2_a").is_ok());
        assert!(validate_name("case", &"x".repeat(MAX_NAME_LEN)).is_ok());
        for bad in ["", ".hidden", "a/b", "../x", "a b", "é", &"x".repeat(65)] {
            assert!(validate_name("case", bad).is_err(), "{bad:?}");
        }
        let e = validate_name("model", "a/b").unwrap_err();
        assert_eq!(e.what, "model");
        assert_eq!(
            e.to_string(),
            "invalid model name `a/b`: use 1-64 letters, digits, '-', '_' or '.', not starting with '.'"
        );
    }

    #[test]
    fn sha256_of_known_content() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        fs::write(&p, b"").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(sha256_file(&d.path().join("missing")).is_err());
    }

    #[test]
    fn move_file_moves_and_leaves_no_part_file() {
        let d = tempfile::tempdir().unwrap();
        let (from, to) = (d.path().join("a.gguf"), d.path().join("b.gguf"));
        fs::write(&from, b"GGUF").unwrap();
        move_file(&from, &to).unwrap();
        assert!(!from.exists());
        assert_eq!(fs::read(&to).unwrap(), b"GGUF");
        assert_eq!(part_path(&to), d.path().join("b.gguf.part"));
        assert!(!part_path(&to).exists());
        assert!(move_file(&d.path().join("missing"), &to).is_err());
    }
}
