//! The training run's inputs: the export's files, their provenance (sha256, checked against
//! `manifest.json`) and the one training file handed to train.py.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::fsutil::sha256_file;

/// sha256 of an input file, with the file named in the error.
pub fn file_sha256(path: &Path) -> Result<String> {
    sha256_file(path).with_context(|| format!("hashing {}", path.display()))
}

/// The dataset files' sha256 as `manifest.json` lists them, checked against the files present
/// (a file changed since the export would make the registry's provenance wrong). Without a
/// manifest, the hashes of train.jsonl and val.jsonl as found.
pub fn dataset_hashes(dataset_dir: &Path) -> Result<BTreeMap<String, String>> {
    let manifest = dataset_dir.join("manifest.json");
    let mut out = BTreeMap::new();
    if manifest.is_file() {
        let text = fs::read_to_string(&manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", manifest.display()))?;
        if let Some(files) = v.get("files").and_then(|f| f.as_object()) {
            for (name, sha) in files {
                let Some(sha) = sha.as_str() else { continue };
                let path = dataset_dir.join(name);
                if Path::new(name).components().count() != 1 || !path.is_file() {
                    continue; // another format's file, or not in this dir
                }
                let got = file_sha256(&path)?;
                if got != sha {
                    bail!(
                        "{} changed since the export (sha256 {got}, manifest.json says {sha}): export again",
                        path.display()
                    );
                }
                out.insert(name.clone(), got);
            }
        }
    }
    for name in ["train.jsonl", "val.jsonl"] {
        let path = dataset_dir.join(name);
        if !out.contains_key(name) && path.is_file() {
            out.insert(name.to_string(), file_sha256(&path)?);
        }
    }
    Ok(out)
}

/// sha256 of each extra training file, by path as given.
pub fn extra_hashes(extra: &[PathBuf]) -> Result<BTreeMap<String, String>> {
    extra
        .iter()
        .map(|p| Ok((p.display().to_string(), file_sha256(p)?)))
        .collect()
}

/// Non-blank lines of a JSONL file: its examples.
pub fn count_lines(path: &Path) -> Result<usize> {
    let f = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut n = 0;
    for line in BufReader::new(f).lines() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if !line.trim().is_empty() {
            n += 1;
        }
    }
    Ok(n)
}

/// The training set train.py reads, and its number of examples: `train_file` itself, or, with
/// extra files, `work/train.jsonl` holding it and then each extra file (each ending in a
/// newline). No examples at all is an error.
pub fn training_set(train_file: &Path, extra: &[PathBuf], work: &Path) -> Result<(PathBuf, usize)> {
    let input = if extra.is_empty() {
        train_file.to_path_buf()
    } else {
        let combined = work.join("train.jsonl");
        let mut out = fs::File::create(&combined)
            .with_context(|| format!("writing {}", combined.display()))?;
        for p in std::iter::once(train_file).chain(extra.iter().map(PathBuf::as_path)) {
            let mut text =
                fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            out.write_all(text.as_bytes())
                .with_context(|| format!("writing {}", combined.display()))?;
        }
        combined
    };
    let examples = count_lines(&input)?;
    if examples == 0 {
        bail!("{} has no examples", input.display());
    }
    Ok((input, examples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_hashes_are_checked() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("train.jsonl"), "{}\n").unwrap();
        let sha = sha256_file(&d.path().join("train.jsonl")).unwrap();
        let manifest = serde_json::json!({"files": {"train.jsonl": sha, "gone.jsonl": "00"}});
        fs::write(d.path().join("manifest.json"), manifest.to_string()).unwrap();
        let h = dataset_hashes(d.path()).unwrap();
        assert_eq!(h.get("train.jsonl"), Some(&sha));
        fs::write(d.path().join("train.jsonl"), "{\"changed\":1}\n").unwrap();
        assert!(dataset_hashes(d.path()).is_err());
    }

    #[test]
    fn extra_files_are_appended_line_by_line() {
        let d = tempfile::tempdir().unwrap();
        let work = d.path().join("work");
        fs::create_dir_all(&work).unwrap();
        let train = d.path().join("train.jsonl");
        fs::write(&train, "{\"a\":1}\n\n{\"a\":2}").unwrap();
        let extra = d.path().join("extra.jsonl");
        fs::write(&extra, "{\"b\":1}\n").unwrap();
        // Alone, the export's file is used as it is.
        assert_eq!(
            training_set(&train, &[], &work).unwrap(),
            (train.clone(), 2)
        );
        let (combined, n) = training_set(&train, std::slice::from_ref(&extra), &work).unwrap();
        assert_eq!(combined, work.join("train.jsonl"));
        assert_eq!(n, 3);
        assert_eq!(
            fs::read_to_string(&combined).unwrap(),
            "{\"a\":1}\n\n{\"a\":2}\n{\"b\":1}\n"
        );
        let h = extra_hashes(std::slice::from_ref(&extra)).unwrap();
        assert_eq!(
            h.get(&extra.display().to_string()),
            Some(&sha256_file(&extra).unwrap())
        );
        fs::write(&train, "\n \n").unwrap();
        assert!(training_set(&train, &[], &work).is_err());
    }
}
