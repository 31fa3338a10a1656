//! The catalog's procedure knowledge: per technique, its description, the procedure examples of
//! groups and software ("APT28 has used comsvcs.dll MiniDump ..."), and its detection analytics,
//! as `scripts/setup-model.sh` extracts them from the ATT&CK wheel into `procedures-v18.1.tsv`.
//!
//! These texts are what the technique-candidate index (`detect::candidates`) retrieves from; a
//! missing file only makes that index smaller (names and atomics), never an error.

use std::path::{Path, PathBuf};

use super::paths;

/// What a procedure text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProcedureKind {
    /// The technique's own (shortened) description.
    Description,
    /// How a group, campaign or piece of software used the technique.
    Procedure,
    /// A detection analytic of the technique, with its log sources.
    Detection,
}

impl ProcedureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcedureKind::Description => "description",
            ProcedureKind::Procedure => "procedure",
            ProcedureKind::Detection => "detection",
        }
    }

    fn parse(s: &str) -> Option<ProcedureKind> {
        match s {
            "description" => Some(ProcedureKind::Description),
            "procedure" => Some(ProcedureKind::Procedure),
            "detection" => Some(ProcedureKind::Detection),
            _ => None,
        }
    }
}

/// One text about one technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureText {
    /// `T1003.001`.
    pub technique: String,
    pub kind: ProcedureKind,
    /// Who or what the text is about: the group or software, or the analytic's name.
    pub source: String,
    pub text: String,
}

/// Every text of a procedures file, in file order, and the rows that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Procedures {
    pub path: PathBuf,
    pub texts: Vec<ProcedureText>,
    /// 1-based line numbers of malformed rows (wrong column count or unknown kind).
    pub skipped: Vec<usize>,
}

impl Procedures {
    /// Reads a `technique, kind, source, text` TSV (header first).
    pub fn load(path: &Path) -> std::io::Result<Procedures> {
        let text = std::fs::read_to_string(path)?;
        Ok(Procedures::parse(&text, path))
    }

    pub fn parse(text: &str, path: &Path) -> Procedures {
        let mut out = Procedures {
            path: path.to_path_buf(),
            ..Procedures::default()
        };
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.splitn(4, '\t').collect();
            let row = match cols.as_slice() {
                [t, k, s, x] if t.starts_with('T') => {
                    ProcedureKind::parse(k).map(|kind| ProcedureText {
                        technique: t.trim().to_ascii_uppercase(),
                        kind,
                        source: s.trim().to_string(),
                        text: x.trim().to_string(),
                    })
                }
                _ => None,
            };
            match row {
                Some(r) => out.texts.push(r),
                None => out.skipped.push(i + 1),
            }
        }
        out
    }

    /// The procedures file beside `catalog_file` (where set-up puts both), else the first in
    /// the models folders ([`paths::models_dirs`]); `None` when set-up has not written one.
    pub fn locate(catalog_file: Option<&Path>) -> Option<PathBuf> {
        let beside = catalog_file
            .and_then(Path::parent)
            .map(|d| d.join(paths::PROCEDURES_FILE));
        beside
            .into_iter()
            .chain(
                paths::models_dirs()
                    .into_iter()
                    .map(|d| d.join("attack").join(paths::PROCEDURES_FILE)),
            )
            .find(|p| p.is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_and_malformed_ones_counted() {
        let text = "technique\tkind\tsource\ttext\n\
                    T1003.001\tprocedure\tAPT28\tAPT28 used comsvcs.dll MiniDump.\n\
                    T1003.001\tdetection\tAN1030\tA process opens lsass.exe.\n\
                    T1059\tunknown\tx\ty\n\
                    broken line\n";
        let p = Procedures::parse(text, Path::new("p.tsv"));
        assert_eq!(p.texts.len(), 2);
        assert_eq!(p.texts[0].kind, ProcedureKind::Procedure);
        assert_eq!(p.texts[0].source, "APT28");
        assert_eq!(p.texts[1].kind, ProcedureKind::Detection);
        assert_eq!(p.skipped, vec![4, 5]);
    }
}
