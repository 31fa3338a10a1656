//! Ground truth the analyst attaches to input files at ingest (`ingest --labels`, `--host`):
//! a label per file or per record, and the host of records that name none. Files are known by
//! their canonical path, however the command line or a labels file spelled them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::event::Label;

/// What the analyst knows about the input files: ground truth per file (labelled corpora,
/// canonical path -> label) and the host of records that name none.
#[derive(Debug, Clone, Default)]
pub struct FileLabels {
    by_path: HashMap<PathBuf, Label>,
    /// Files labelled record by record (record number -> label); their records without an
    /// entry stay unlabelled whatever the file's own label.
    by_record: HashMap<PathBuf, HashMap<u64, Label>>,
    /// Host for records that name none (e.g. a web access log): `ingest --host`.
    pub default_host: Option<String>,
}

impl FileLabels {
    /// Files are known by their canonical path, however the command line named them.
    fn key(path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }

    pub fn insert(&mut self, path: &Path, label: Label) {
        self.by_path.insert(Self::key(path), label);
    }

    pub fn insert_records(&mut self, path: &Path, labels: HashMap<u64, Label>) {
        self.by_record.insert(Self::key(path), labels);
    }

    /// The per-record labels of `path`, when it has them.
    pub fn records(&self, path: &Path) -> Option<&HashMap<u64, Label>> {
        // Most ingests carry no labels: spare them a canonicalize per file.
        if self.by_record.is_empty() {
            return None;
        }
        self.by_record.get(&Self::key(path))
    }

    /// The label of the whole file `path`, when it has one.
    pub fn get(&self, path: &Path) -> Option<&Label> {
        if self.by_path.is_empty() {
            return None;
        }
        self.by_path.get(&Self::key(path))
    }

    /// Files with a label of their own (per-record labels not counted).
    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Cause;

    fn label(cause: Cause, technique: &str) -> Label {
        Label {
            cause,
            techniques: vec![technique.to_string()],
            risk: None,
        }
    }

    #[test]
    fn a_file_is_found_however_its_path_is_spelled() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("sub")).unwrap();
        let f = d.path().join("sub/auth.log");
        std::fs::write(&f, "x").unwrap();
        let mut labels = FileLabels::default();
        assert!(labels.is_empty());
        assert_eq!(labels.get(&f), None);
        labels.insert(
            &d.path().join("sub/../sub/./auth.log"),
            label(Cause::Malicious, "T1110"),
        );
        assert_eq!(labels.len(), 1);
        assert_eq!(labels.get(&f).map(|l| l.cause), Some(Cause::Malicious));
        assert_eq!(labels.get(&d.path().join("sub/other.log")), None);
        // No per-record labels were given for it.
        assert_eq!(labels.records(&f), None);
    }

    #[test]
    fn records_are_labelled_apart_from_the_file() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("conn.log.labeled");
        std::fs::write(&f, "x").unwrap();
        let mut labels = FileLabels::default();
        let by_record = HashMap::from([
            (3, label(Cause::Malicious, "T1046")),
            (7, label(Cause::Legitimate, "")),
        ]);
        labels.insert_records(&f, by_record);
        // Per-record labels do not count as a file label.
        assert!(labels.is_empty());
        assert_eq!(labels.get(&f), None);
        let records = labels.records(&f).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[&3].techniques, vec!["T1046"]);
        assert_eq!(records[&7].cause, Cause::Legitimate);
        assert!(!records.contains_key(&4));
    }

    #[test]
    fn a_missing_file_is_known_by_the_path_as_given() {
        let mut labels = FileLabels::default();
        let p = Path::new("/no/such/dir/x.log");
        labels.insert(p, label(Cause::Malicious, "T1059"));
        assert!(labels.get(p).is_some());
        assert!(labels.get(Path::new("/no/such/dir/../dir/x.log")).is_none());
    }
}
