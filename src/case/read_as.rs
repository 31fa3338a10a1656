//! How a file was read into a case (format forced, default host, labels), recorded with its
//! ingest run so that another analyst's machine reads the same file into its own index the
//! same way (team mode with local indexes: the events, and so the sessions, must come out
//! identical on every machine).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::event::{Format, Label};
use crate::ingest::{FileLabels, IngestOptions};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadAs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// `ingest --host`: the host of records that name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The whole file's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    /// Labels record by record (a labels file naming records).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub records: BTreeMap<u64, Label>,
}

impl ReadAs {
    /// How `file` is read with these options and labels.
    pub fn of(file: &Path, opts: &IngestOptions, labels: &FileLabels) -> ReadAs {
        ReadAs {
            format: opts.format,
            host: labels.default_host.clone(),
            label: opts.label.clone(),
            records: labels
                .records(file)
                .map(|r| r.iter().map(|(k, v)| (*k, v.clone())).collect())
                .unwrap_or_default(),
        }
    }

    /// As stored with a run; a run from before runs recorded it reads as detected.
    pub fn parse(json: &str) -> ReadAs {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The options and labels that read `file` as recorded (`base`: this machine's limits).
    pub fn options(&self, file: &Path, base: &IngestOptions) -> (IngestOptions, FileLabels) {
        let opts = IngestOptions {
            format: self.format,
            label: self.label.clone(),
            ..base.clone()
        };
        let mut labels = FileLabels::default();
        labels.default_host.clone_from(&self.host);
        if !self.records.is_empty() {
            let records = self.records.iter().map(|(k, v)| (*k, v.clone())).collect();
            labels.insert_records(file, records);
        }
        (opts, labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Cause;

    #[test]
    fn what_is_recorded_reads_the_file_the_same_way() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("access.log");
        std::fs::write(&f, "x\n").unwrap();
        let label = Label {
            cause: Cause::Malicious,
            techniques: vec!["T1190".into()],
            risk: None,
        };
        let mut labels = FileLabels::default();
        labels.default_host = Some("web01".into());
        labels.insert_records(&f, [(7, label.clone())].into_iter().collect());
        let opts = IngestOptions {
            format: Some(Format::WebAccess),
            label: Some(label.clone()),
            ..IngestOptions::default()
        };
        let recorded = ReadAs::of(&f, &opts, &labels);
        let back = ReadAs::parse(&recorded.to_json());
        assert_eq!(back, recorded);
        let (o, l) = back.options(&f, &IngestOptions::default());
        assert_eq!(o.format, Some(Format::WebAccess));
        assert_eq!(o.label, Some(label.clone()));
        assert_eq!(l.default_host.as_deref(), Some("web01"));
        assert_eq!(l.records(&f).and_then(|r| r.get(&7)), Some(&label));
        // A run recorded before this existed reads the file as detected.
        assert_eq!(ReadAs::parse("{}"), ReadAs::default());
        assert_eq!(ReadAs::default().to_json(), "{}");
    }
}
