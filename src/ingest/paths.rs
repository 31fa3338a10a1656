//! Turning the paths a user names into the files to read: folders walked recursively in
//! sorted order, hidden entries skipped, unreadable paths reported rather than fatal.

use std::collections::HashSet;
use std::path::PathBuf;

use walkdir::WalkDir;

use super::report::{Problem, SkipReason};

/// True for names that start with a dot (`.git`, `.DS_Store`).
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// Expands files and folders into the files to ingest, in a stable order: the named paths in
/// the order given, each folder's files sorted by name. A file named explicitly is kept even
/// when hidden; inside folders hidden files and folders are skipped. Paths that cannot be
/// read become problems. A file reached twice is listed once.
pub fn expand_paths(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut problem = |path: &std::path::Path, detail: String| {
        problems.push(Problem {
            source: path.display().to_string(),
            offset: 0,
            reason: SkipReason::Unreadable,
            detail,
        });
    };
    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                problem(root, format!("cannot open: {e}"));
                continue;
            }
        };
        if !meta.is_dir() {
            if seen.insert(root.clone()) {
                files.push(root.clone());
            }
            continue;
        }
        let walker = WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => {
                    let p = e.into_path();
                    if seen.insert(p.clone()) {
                        files.push(p);
                    }
                }
                Err(e) => {
                    let at = e
                        .path()
                        .map(|p| p.to_path_buf())
                        .unwrap_or_else(|| root.clone());
                    problem(&at, format!("cannot read: {e}"));
                }
            }
        }
    }
    (files, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_skips_hidden_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub/.git")).unwrap();
        for f in [
            "b.log",
            "a.log",
            ".hidden",
            "sub/c.log",
            "sub/.git/x",
            ".dot",
        ] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        let missing = d.join("missing.log");
        let (files, problems) = expand_paths(&[
            d.to_path_buf(),
            d.join(".dot"),
            d.join("a.log"),
            missing.clone(),
        ]);
        let names: Vec<String> = files
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.log", "b.log", "sub/c.log", ".dot"]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].reason, SkipReason::Unreadable);
        assert_eq!(problems[0].source, missing.display().to_string());
    }
}
