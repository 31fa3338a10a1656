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

/// Makes `dir` (created if missing) readable by its owner only (0700): a case holds evidence
/// from compromised machines and the analysts' corrections. Returns the old mode when an
/// existing folder had to be tightened, so the caller can say so.
pub fn private_dir(dir: &Path) -> io::Result<Option<u32>> {
    let existed = dir.exists();
    fs::create_dir_all(dir)?;
    let old = restrict(dir, 0o700)?;
    Ok(old.filter(|_| existed))
}

/// Makes an existing file readable and writable by its owner only (0600); returns the old mode
/// when it was wider.
pub fn private_file(path: &Path) -> io::Result<Option<u32>> {
    restrict(path, 0o600)
}

/// Creates (or truncates) a file that only its owner can read: exports of case data.
pub fn create_private(path: &Path) -> io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let f = o.open(path)?;
    // The mode above only applies to a new file; an existing one keeps its own.
    restrict(path, 0o600)?;
    Ok(f)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<Option<u32>> {
    use std::os::unix::fs::PermissionsExt;
    let old = fs::metadata(path)?.permissions().mode() & 0o777;
    if old & !mode == 0 {
        return Ok(None);
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(Some(old))
}

/// Elsewhere the platform's defaults (per-user profile folders) stand.
#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<Option<u32>> {
    Ok(None)
}

#[cfg(all(test, unix))]
mod perm_tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_tightened_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(private_dir(&dir).unwrap(), Some(0o755));
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(
            private_dir(&dir).unwrap(),
            None,
            "already private: no notice"
        );
        let new = tmp.path().join("new/nested");
        assert_eq!(private_dir(&new).unwrap(), None, "a new folder is no news");
        assert_eq!(mode(&new), 0o700);
        let f = dir.join("lookout.db");
        fs::write(&f, b"x").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(private_file(&f).unwrap(), Some(0o644));
        assert_eq!(mode(&f), 0o600);
        let export = dir.join("train.jsonl");
        fs::write(&export, b"old").unwrap();
        fs::set_permissions(&export, fs::Permissions::from_mode(0o664)).unwrap();
        drop(create_private(&export).unwrap());
        assert_eq!(mode(&export), 0o600);
        assert_eq!(fs::read(&export).unwrap(), b"", "truncated");
        fs::set_permissions(&f, fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(
            private_file(&f).unwrap(),
            None,
            "narrower modes are left alone"
        );
    }
}
