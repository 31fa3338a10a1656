//! Per-file ground truth for the shared labelled corpora (evtx-attack, security-datasets,
//! Slips), in the shape `ingest --label` takes: one `(path, Label)` per file.

use std::path::{Path, PathBuf};

use regex::Regex;

use super::labels::LabelsError;
use super::types::split_techniques;
use super::zeek::ZeekLabeled;
use crate::event::{Cause, Label};

/// The corpora whose `labels.tsv` [`corpus_labels`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corpus {
    /// EVTX-ATTACK-SAMPLES: one `.evtx` per attack; techniques from file-name keywords.
    EvtxAttack,
    /// OTRF Security-Datasets: one zip per capture; the authors' technique mapping.
    SecurityDatasets,
    /// Stratosphere Slips `dataset/`: a label per file from its name, per flow for test18.
    Slips,
}

impl Corpus {
    /// Recognises a corpus by the columns of its `labels.tsv` header.
    pub fn from_header(header: &str) -> Option<Corpus> {
        let cols: Vec<&str> = header.split('\t').map(str::trim).collect();
        let has = |c: &str| cols.contains(&c);
        if !has("file") {
            None
        } else if has("techniques_v18") && has("folder_tactic") {
            Some(Corpus::EvtxAttack)
        } else if has("techniques_v18") && has("dataset_id") {
            Some(Corpus::SecurityDatasets)
        } else if has("label") && has("label_level") {
            Some(Corpus::Slips)
        } else {
            None
        }
    }

    /// What an evaluation on this corpus should say about its ground truth.
    pub fn caveat(self) -> &'static str {
        match self {
            Corpus::EvtxAttack => {
                "evtx-attack: every file is an attack sample; techniques come from file-name \
                 keywords assigned for this collection, not by the author"
            }
            Corpus::SecurityDatasets => {
                "security-datasets: labels are per capture, and captures also hold ordinary \
                 background activity, so some sessions labelled malicious are benign"
            }
            Corpus::Slips => {
                "slips: labels per file from its name (mixed files left out), per flow only \
                 for test18; techniques only where the scenario names them"
            }
        }
    }
}

/// `(file path, label)` for each file listed in a corpus's `labels.tsv`; `labels` is that
/// file or its folder. Files missing on disk (a partial copy) are left out.
///
/// - evtx-attack and security-datasets: every file is malicious, with the `techniques_v18`
///   techniques (possibly none);
/// - Slips: `malicious` files are malicious (techniques from the scenario note, e.g. "port
///   scan (T1046)"), `mixed` files are left out, and per-flow files (test18) get the majority
///   label of their flows (see [`ZeekLabeled::file_label`]): most are benign DNS/DHCP/TLS.
pub fn corpus_labels(labels: &Path) -> Result<Vec<(PathBuf, Label)>, LabelsError> {
    let (path, root) = if labels.is_dir() {
        (labels.join("labels.tsv"), labels.to_path_buf())
    } else {
        let root = labels.parent().unwrap_or(Path::new(".")).to_path_buf();
        (labels.to_path_buf(), root)
    };
    let text = std::fs::read_to_string(&path).map_err(|source| LabelsError::Io {
        path: path.clone(),
        source,
    })?;
    parse_corpus_labels(&text, &path, &root)
}

/// [`corpus_labels`] on the text of `path` (already read), file names relative to `root`.
pub fn parse_corpus_labels(
    text: &str,
    path: &Path,
    root: &Path,
) -> Result<Vec<(PathBuf, Label)>, LabelsError> {
    let path = path.to_path_buf();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().unwrap_or("");
    let corpus = Corpus::from_header(header).ok_or_else(|| LabelsError::Format {
        path: path.clone(),
        reason: format!(
            "not a known corpus labels file (header `{}`)",
            header.trim()
        ),
    })?;
    let cols: Vec<&str> = header.split('\t').map(str::trim).collect();
    let at = |name: &str| cols.iter().position(|c| *c == name);
    // `from_header` guarantees `file`; the other columns are optional per corpus.
    let file_col = at("file").unwrap_or(0);
    let (tech_col, label_col, level_col, note_col) = (
        at("techniques_v18"),
        at("label"),
        at("label_level"),
        at("scenario_note"),
    );
    let technique_id = Regex::new(r"\bT\d{4}(?:\.\d{3})?\b").map_err(|e| LabelsError::Format {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    for line in lines {
        let f: Vec<&str> = line
            .trim_end_matches('\r')
            .split('\t')
            .map(str::trim)
            .collect();
        let cell = |c: Option<usize>| c.and_then(|c| f.get(c)).copied().unwrap_or("");
        let file = cell(Some(file_col));
        let file_path = root.join(file);
        if file.is_empty() || !file_path.is_file() {
            continue;
        }
        let label = match corpus {
            Corpus::EvtxAttack | Corpus::SecurityDatasets => Label {
                cause: Cause::Malicious,
                techniques: split_techniques(cell(tech_col)),
                risk: None,
            },
            Corpus::Slips => match cell(label_col).to_ascii_lowercase().as_str() {
                _ if cell(level_col).starts_with("per-flow") => {
                    match ZeekLabeled::read(&file_path)?.file_label() {
                        Some(l) => l,
                        None => continue,
                    }
                }
                "malicious" => {
                    let ids: Vec<&str> = technique_id
                        .find_iter(cell(note_col))
                        .map(|m| m.as_str())
                        .collect();
                    Label {
                        cause: Cause::Malicious,
                        techniques: split_techniques(&ids.join(",")),
                        risk: None,
                    }
                }
                "benign" | "normal" | "legitimate" => Label {
                    cause: Cause::Legitimate,
                    techniques: Vec::new(),
                    risk: None,
                },
                // `mixed`: benign and malicious records in one file, no file-level truth.
                _ => continue,
            },
        };
        out.push((file_path, label));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_corpora_by_header() {
        let evtx = "file\tfolder_tactic\ttactic_id\ttechniques_v18\ttechnique_source";
        assert_eq!(Corpus::from_header(evtx), Some(Corpus::EvtxAttack));
        let sd = "file\tdataset_id\ttitle\ttechniques\ttechniques_v18\ttactics";
        assert_eq!(Corpus::from_header(sd), Some(Corpus::SecurityDatasets));
        let slips = "file\tformat\tlabel\tlabel_level\tscenario_note";
        assert_eq!(Corpus::from_header(slips), Some(Corpus::Slips));
        assert_eq!(Corpus::from_header("file\tformat\tlabel"), None);
    }

    #[test]
    fn reads_a_small_corpus_table() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("A")).unwrap();
        std::fs::write(d.join("A/x.evtx"), "").unwrap();
        std::fs::write(
            d.join("labels.tsv"),
            "file\tfolder_tactic\ttechniques_v18\nA/x.evtx\tExecution\tT1059.001,t1204\n\
             A/absent.evtx\tOther\t\n\n",
        )
        .unwrap();
        let labels = corpus_labels(d).unwrap();
        assert_eq!(labels.len(), 1, "absent files are left out");
        assert_eq!(labels[0].0, d.join("A/x.evtx"));
        assert_eq!(labels[0].1.techniques, vec!["T1059.001", "T1204"]);
        assert_eq!(labels[0].1.cause, Cause::Malicious);
        // The labels file itself works as well as its folder.
        assert_eq!(corpus_labels(&d.join("labels.tsv")).unwrap(), labels);
        std::fs::write(d.join("labels.tsv"), "file\tlabel\n").unwrap();
        assert!(corpus_labels(d).is_err());
    }

    #[test]
    fn slips_rows_by_label_and_level() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in ["scan.log", "mixed.log", "ok.log"] {
            std::fs::write(d.join(f), "").unwrap();
        }
        std::fs::write(
            d.join("flows.labeled"),
            "#fields\tts\tlabel\tdetailedlabel\n1\tBenign\t-\n2\tBenign\t-\n3\tMalicious\tx\n",
        )
        .unwrap();
        std::fs::write(
            d.join("labels.tsv"),
            "file\tformat\tlabel\tlabel_level\tscenario_note\n\
             scan.log\tzeek\tmalicious\tfile-level (from name)\tport scan (T1046)\n\
             mixed.log\tzeek\tmixed\tfile-level (from name)\t\n\
             ok.log\tzeek\tbenign\tfile-level\t\n\
             flows.labeled\tzeek-tsv\tmalicious\tper-flow (label,detailedlabel)\t\n",
        )
        .unwrap();
        let got: Vec<(String, Cause, Vec<String>)> = corpus_labels(d)
            .unwrap()
            .into_iter()
            .map(|(p, l)| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, l.cause, l.techniques)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "scan.log".into(),
                    Cause::Malicious,
                    vec!["T1046".to_string()]
                ),
                ("ok.log".into(), Cause::Legitimate, vec![]),
                ("flows.labeled".into(), Cause::Legitimate, vec![]),
            ]
        );
    }
}
