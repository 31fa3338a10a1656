//! Per-file ground truth for `ingest --labels FILE`: the shared corpora's `labels.tsv` through
//! their own reader ([`super::corpora::corpus_labels`]), and any other TSV with a `file` column
//! relative to the labels file's folder, techniques in `techniques_v18` (or `techniques`), and
//! optionally a `label` column (malicious / benign; other values carry no file-level label).
//! Stratosphere's per-flow `.labeled` Zeek logs also get a label per record.

use std::path::Path;

use anyhow::{Context, Result};

use crate::event::{Cause, Label};
use crate::ingest::FileLabels;

pub fn file_labels(labels_tsv: &Path) -> Result<FileLabels> {
    let text = std::fs::read_to_string(labels_tsv)
        .with_context(|| format!("reading labels {}", labels_tsv.display()))?;
    let base = labels_tsv.parent().unwrap_or(Path::new("."));
    let known = text
        .lines()
        .next()
        .and_then(super::corpora::Corpus::from_header)
        .is_some();
    if known {
        let mut out = FileLabels::default();
        for (path, label) in super::corpora::parse_corpus_labels(&text, labels_tsv, base)? {
            // Stratosphere's `.labeled` Zeek logs label every record: keep those labels, so
            // that their benign flows make benign sessions.
            if path.extension().is_some_and(|e| e == "labeled") {
                let flows = super::zeek::ZeekLabeled::read(&path)?;
                out.insert_records(&path, flows.record_labels());
            }
            out.insert(&path, label);
        }
        return Ok(out);
    }
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let file_col =
        col("file").with_context(|| format!("{}: no `file` column", labels_tsv.display()))?;
    let tech_col = col("techniques_v18").or_else(|| col("techniques"));
    let label_col = col("label");
    let mut out = FileLabels::default();
    for line in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        let Some(file) = cells.get(file_col).filter(|f| !f.is_empty()) else {
            continue;
        };
        let cause = match label_col
            .and_then(|c| cells.get(c))
            .map(|s| s.trim().to_lowercase())
        {
            None => Cause::Malicious,
            Some(l) if l == "malicious" => Cause::Malicious,
            Some(l) if l == "benign" || l == "normal" || l == "legitimate" => Cause::Legitimate,
            Some(_) => continue,
        };
        let techniques = tech_col
            .and_then(|c| cells.get(c))
            .map(|t| {
                t.split(',')
                    .map(|x| x.trim().to_ascii_uppercase())
                    .filter(|x| x.starts_with('T'))
                    .collect()
            })
            .unwrap_or_default();
        let path = base.join(file);
        // Rows for files absent here (a partial copy of the corpus) are simply not used.
        if !path.exists() {
            continue;
        }
        out.insert(
            &path,
            Label {
                cause,
                techniques,
                risk: None,
            },
        );
    }
    Ok(out)
}
