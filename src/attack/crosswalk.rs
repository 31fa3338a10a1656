//! Equivalent technique ids across ATT&CK versions (v19 <-> v18): the built-in pairs and the
//! optional `crosswalk.tsv` a user keeps beside the catalog.
//!
//! Why: ATT&CK v19 split Defense Evasion and moved "Impair Defenses" and log clearing under
//! the new Defense Impairment tactic as T1685/T1686/T1689/T1690. SigmaHQ's rules already tag
//! the v19 ids while the installed catalog (and most labelled data) speak v18, so without
//! this table a rule tagged `T1685.005` and a label `T1070.001` would never meet.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{AttackError, Result};

/// The file beside the catalog that adds (or overrides) pairs; same columns as the built-in
/// table's source, `v19_id<TAB>v18_id` with a header, further columns ignored.
pub const CROSSWALK_FILE: &str = "crosswalk.tsv";

/// The tactic ATT&CK v19 created for the families in [`DEFENSE_IMPAIRMENT_FAMILIES`].
pub const DEFENSE_IMPAIRMENT: &str = "defense-impairment";

/// v19 technique families filed under Defense Impairment: every SigmaHQ rule tagging one of
/// them also carries `attack.defense-impairment` (checked on the shared rules tree).
const DEFENSE_IMPAIRMENT_FAMILIES: &[&str] = &["T1685", "T1686", "T1689", "T1690"];

/// `(v19 id, v18 id)`. Id facts, not MITRE data: SigmaHQ commit 34c5d66c2 ("Update mitre
/// tags to use attack v19") replaced each v18 tag by the v19 one in the same rule; the pair
/// is the most frequent replacement (`rules` in `v19_v18_from_sigmahq.tsv` of the shared
/// datasets). Several v19 ids may replace one v18 id (T1686 and T1686.003 both took the
/// place of T1562.004), so a v18-only catalog cannot tell those apart.
pub const SIGMAHQ_V19_V18: &[(&str, &str)] = &[
    ("T1685", "T1562.001"),
    ("T1685.001", "T1562.002"),
    ("T1685.002", "T1562.008"),
    ("T1685.004", "T1562.012"),
    ("T1685.005", "T1070.001"),
    ("T1685.006", "T1070.002"),
    ("T1686", "T1562.004"),
    ("T1686.001", "T1562.007"),
    ("T1686.003", "T1562.004"),
    ("T1689", "T1562.010"),
    // Two more ids the SigmaHQ tree (commit 8eaafff1f) carries that the shared pairs file
    // lacks, paired from the rules' tags before the retagging: the FortiGate firewall rules
    // went from T1562.013 (Disable or Modify Network Device Firewall) to T1686.002, and the
    // ESXi syslog rule from T1562.001 + T1562.003 to T1685 + T1690 (T1685 is T1562.001's).
    ("T1686.002", "T1562.013"),
    ("T1690", "T1562.003"),
];

/// Where a pair comes from, for `lookout attack show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairSource {
    /// [`SIGMAHQ_V19_V18`].
    SigmaHq,
    /// A `crosswalk.tsv`.
    File(PathBuf),
}

impl fmt::Display for PairSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PairSource::SigmaHq => f.write_str("SigmaHQ v19 retagging (built in)"),
            PairSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// One v19 id and the v18 id it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub newer: String,
    pub older: String,
    pub source: PairSource,
}

/// The built-in pairs.
pub fn builtin() -> Vec<Pair> {
    SIGMAHQ_V19_V18
        .iter()
        .map(|(newer, older)| Pair {
            newer: (*newer).into(),
            older: (*older).into(),
            source: PairSource::SigmaHq,
        })
        .collect()
}

/// The pairs of a `crosswalk.tsv` (`v19_id` and `v18_id` columns found by name in the
/// header; blank lines and `#` comments skipped). Only `v18_id` counts: the shared file's
/// `other_v18_ids` are rule authors' rarer choices, not equivalents.
pub fn read_tsv(path: &Path) -> Result<Vec<Pair>> {
    let text = std::fs::read_to_string(path).map_err(|source| AttackError::Io {
        path: path.into(),
        source,
    })?;
    let format = |reason: String| AttackError::Format {
        path: path.into(),
        reason,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let header: Vec<&str> = lines
        .next()
        .map(|(_, l)| l.split('\t').collect())
        .unwrap_or_default();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| format(format!("no `{name}` column in the header")))
    };
    let (new_col, old_col) = (col("v19_id")?, col("v18_id")?);
    let mut pairs = Vec::new();
    for (n, line) in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |i: usize| canonical(cells.get(i).copied().unwrap_or(""));
        let (newer, older) = (cell(new_col), cell(old_col));
        if !looks_like_id(&newer) || !looks_like_id(&older) {
            return Err(format(format!(
                "line {}: expected two technique ids, got `{newer}` and `{older}`",
                n + 1
            )));
        }
        pairs.push(Pair {
            newer,
            older,
            source: PairSource::File(path.into()),
        });
    }
    Ok(pairs)
}

/// The tactics of a v19 id known only through its v18 equivalent: the equivalent's, plus
/// Defense Impairment for the families v19 filed there (the v18 tactic stays, so that labels
/// and matrices made with v18 still meet it on the tactic level).
pub fn tactics_for(newer: &str, older_tactics: &[String]) -> Vec<String> {
    let mut tactics = older_tactics.to_vec();
    let family = newer.split_once('.').map_or(newer, |(p, _)| p);
    if DEFENSE_IMPAIRMENT_FAMILIES.contains(&family)
        && !tactics.iter().any(|t| t == DEFENSE_IMPAIRMENT)
    {
        tactics.push(DEFENSE_IMPAIRMENT.into());
    }
    tactics
}

/// The id a technique counts as from the built-in pairs alone, without a catalog: a v19 id
/// of [`SIGMAHQ_V19_V18`] -> its v18 id, anything else -> its canonical form. For stages that
/// compare techniques but hold no catalog (the learned prior); with a catalog at hand,
/// [`crate::attack::Catalog::same_technique`] also knows `crosswalk.tsv` and MITRE's
/// revocations.
pub fn builtin_key(id: &str) -> String {
    let id = canonical(id);
    SIGMAHQ_V19_V18
        .iter()
        .find(|(newer, _)| *newer == id)
        .map_or(id, |(_, older)| (*older).to_string())
}

/// Trimmed, upper-cased id with Sigma's `attack.` prefix removed.
pub(super) fn canonical(id: &str) -> String {
    let id = id.trim();
    let id = id
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("attack."))
        .map_or(id, |_| &id[7..]);
    id.to_ascii_uppercase()
}

/// `T` + four digits, optionally `.` + three digits.
fn looks_like_id(id: &str) -> bool {
    let b = id.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pairs_are_well_formed_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for (newer, older) in SIGMAHQ_V19_V18 {
            assert!(
                looks_like_id(newer) && looks_like_id(older),
                "{newer} {older}"
            );
            assert!(seen.insert(*newer), "{newer} twice");
        }
        assert_eq!(builtin().len(), 12);
    }

    #[test]
    fn builtin_key_maps_v19_to_v18_only() {
        assert_eq!(builtin_key(" attack.t1685.005 "), "T1070.001");
        assert_eq!(builtin_key("T1070.001"), "T1070.001");
        assert_eq!(builtin_key("t1003"), "T1003");
        assert_eq!(builtin_key("T1686.003"), "T1562.004");
    }

    #[test]
    fn tactics_add_defense_impairment_to_its_families() {
        let ev = vec!["defense-evasion".to_string()];
        assert_eq!(
            tactics_for("T1685.005", &ev),
            ["defense-evasion", DEFENSE_IMPAIRMENT]
        );
        assert_eq!(
            tactics_for("T1690", &ev),
            ["defense-evasion", DEFENSE_IMPAIRMENT]
        );
        assert_eq!(tactics_for("T1059", &ev), ["defense-evasion"]);
    }

    #[test]
    fn tsv_reads_named_columns_and_refuses_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(CROSSWALK_FILE);
        std::fs::write(
            &p,
            "# mine\nv19_id\tv18_id\trules\tother_v18_ids\nT1685.005\tt1070.001\t6\t\n\n\
             t1999\tT1562.001\t1\tT1562:2\n",
        )
        .unwrap();
        let pairs = read_tsv(&p).unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(
            (pairs[0].newer.as_str(), pairs[0].older.as_str()),
            ("T1685.005", "T1070.001")
        );
        assert_eq!(pairs[1].newer, "T1999");
        assert_eq!(pairs[1].source, PairSource::File(p.clone()));
        for body in [
            "id\tv18_id\nT1\tT2\n",
            "v19_id\tv18_id\nT1685\t\n",
            "v19_id\tv18_id\nx\tT1003\n",
        ] {
            std::fs::write(&p, body).unwrap();
            assert!(read_tsv(&p).is_err(), "{body:?}");
        }
        assert!(read_tsv(&dir.path().join("missing.tsv")).is_err());
    }
}
