//! The in-memory catalog: technique lookup by id, validation, tactics and a fuzzy search.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::crosswalk::{self, canonical};
use super::versions::Versions;
use super::{AttackError, Result, load, paths};

/// One ATT&CK technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technique {
    /// `T1003` or `T1003.001`.
    pub id: String,
    pub name: String,
    /// Tactic shortnames (`credential-access`), as in the kill chain phases.
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub deprecated: bool,
    pub revoked: bool,
    /// For a revoked technique: the id that replaced it, when the source says so.
    pub replaced_by: Option<String>,
}

impl Technique {
    /// Neither revoked nor deprecated.
    pub fn is_active(&self) -> bool {
        !self.revoked && !self.deprecated
    }

    pub fn is_subtechnique(&self) -> bool {
        self.id.contains('.')
    }
}

/// The ATT&CK Enterprise catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Sorted by id.
    techniques: Vec<Technique>,
    by_id: HashMap<String, usize>,
    /// `18.1` when the source says so.
    version: Option<String>,
    source: PathBuf,
    /// The crosswalk to other ATT&CK versions and the newer ids it lets this catalog accept.
    pub(super) versions: Versions,
}

impl Catalog {
    /// Builds a catalog from techniques in any order (later duplicates of an id are ignored),
    /// with the built-in v19 <-> v18 crosswalk ([`crosswalk::SIGMAHQ_V19_V18`]).
    pub fn from_techniques(
        mut techniques: Vec<Technique>,
        version: Option<String>,
        source: PathBuf,
    ) -> Catalog {
        techniques.sort_by(|a, b| a.id.cmp(&b.id));
        techniques.dedup_by(|b, a| a.id == b.id);
        let by_id = techniques
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        let mut c = Catalog {
            techniques,
            by_id,
            version,
            source,
            versions: Versions::default(),
        };
        c.set_crosswalk(crosswalk::builtin());
        c
    }

    /// The first catalog found among [`paths::catalog_candidates`].
    pub fn load_default() -> Result<Catalog> {
        let candidates = paths::catalog_candidates();
        match candidates.iter().find(|p| p.is_file()) {
            Some(p) => Catalog::load(p),
            None => Err(AttackError::NotFound {
                searched: candidates,
            }),
        }
    }

    /// Loads a catalog file, telling the format by its content: the compact lookup JSON (with
    /// an optional `revoked-by.tsv` beside it), a STIX bundle, or a `techniques.tsv` table
    /// (with an optional `revoked_deprecated.tsv` beside it).
    pub fn load(path: &Path) -> Result<Catalog> {
        let is_tsv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
        if is_tsv {
            load::tsv(path)
        } else {
            load::json(path)
        }
    }

    /// Imports MITRE's official STIX 2.1 bundle (`enterprise-attack.json`).
    pub fn import_stix(path: &Path) -> Result<Catalog> {
        load::json(path)
    }

    pub fn len(&self) -> usize {
        self.techniques.len()
    }

    pub fn is_empty(&self) -> bool {
        self.techniques.is_empty()
    }

    /// Techniques neither revoked nor deprecated.
    pub fn active_len(&self) -> usize {
        self.techniques.iter().filter(|t| t.is_active()).count()
    }

    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The file the catalog was loaded from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Every technique of the catalog itself (revoked and deprecated included), sorted by id;
    /// the newer ids known only through the crosswalk are not among them.
    pub fn iter(&self) -> impl Iterator<Item = &Technique> {
        self.techniques.iter()
    }

    /// The technique with this id (any case, surrounding space ignored), revoked or not; a
    /// newer id the catalog only knows through the crosswalk (`T1685.005` in v18.1) is an
    /// active technique with its equivalent's name, platforms and tactics (see
    /// [`crosswalk::tactics_for`]), so rule tags and labels in it are kept, never dropped.
    pub fn get(&self, id: &str) -> Option<&Technique> {
        let id = canonical(id);
        self.own(&id).or_else(|| self.versions.bridged(&id))
    }

    /// A technique of the catalog itself, by canonical id.
    pub(super) fn own(&self, id: &str) -> Option<&Technique> {
        self.by_id.get(id).map(|&i| &self.techniques[i])
    }

    /// True when `id` names an active (neither revoked nor deprecated) technique.
    pub fn is_valid(&self, id: &str) -> bool {
        self.get(id).is_some_and(Technique::is_active)
    }

    /// The canonical form of a valid id (`" t1003.001 "` -> `T1003.001`), `None` otherwise.
    /// Sigma's `attack.t1003.001` tag form is accepted too.
    pub fn normalize(&self, id: &str) -> Option<String> {
        self.get(id).filter(|t| t.is_active()).map(|t| t.id.clone())
    }

    /// Like [`Catalog::normalize`], but a revoked id is replaced by its successor when the
    /// catalog knows it (`T1086` -> `T1059.001`): old rule tags and labels stay usable.
    pub fn current(&self, id: &str) -> Option<String> {
        let t = self.get(id)?;
        if t.is_active() {
            return Some(t.id.clone());
        }
        // One hop is what ATT&CK records; the loop guards against a chain all the same.
        let mut next = t.replaced_by.as_deref();
        for _ in 0..4 {
            let n = self.get(next?)?;
            if n.is_active() {
                return Some(n.id.clone());
            }
            next = n.replaced_by.as_deref();
        }
        None
    }

    /// Tactic shortnames of a technique (a sub-technique's own, which ATT&CK always lists).
    pub fn tactics_of(&self, id: &str) -> &[String] {
        self.get(id).map(|t| t.tactics.as_slice()).unwrap_or(&[])
    }

    /// `T1003.001 OS Credential Dumping: LSASS Memory`: a sub-technique is named with its
    /// parent, as ATT&CK's site does, because sub-technique names alone are ambiguous.
    /// A newer id known through the crosswalk is named by its equivalent: `Indicator Removal:
    /// Clear Windows Event Logs, as T1070.001 in ATT&CK v18`.
    pub fn display_name(&self, id: &str) -> Option<String> {
        if let Some(older) = self.versions.older_of(&canonical(id)) {
            let name = self.display_name(older)?;
            return Some(format!("{name}, as {older} in ATT&CK v18"));
        }
        let t = self.get(id)?;
        match t.id.split_once('.') {
            Some((parent, _)) => match self.get(parent) {
                Some(p) => Some(format!("{}: {}", p.name, t.name)),
                None => Some(t.name.clone()),
            },
            None => Some(t.name.clone()),
        }
    }

    /// Active techniques matching `query` by id or name (case-insensitive), best first:
    /// exact id, id prefix, name prefix, word prefix in the name, then any substring.
    /// An empty query lists everything in id order. Newer ids known through the crosswalk
    /// are found too (by their id, or by their equivalent's name).
    pub fn search(&self, query: &str) -> Vec<&Technique> {
        let q = query.trim().to_lowercase();
        let q = q.strip_prefix("attack.").unwrap_or(&q);
        let mut all: Vec<&Technique> = self
            .techniques
            .iter()
            .chain(self.versions.bridged_iter())
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        let mut scored: Vec<(u8, &Technique)> = all
            .into_iter()
            .filter(|t| t.is_active())
            .filter_map(|t| rank(t, q).map(|r| (r, t)))
            .collect();
        // Stable sort keeps id order within one rank.
        scored.sort_by_key(|(r, _)| *r);
        scored.into_iter().map(|(_, t)| t).collect()
    }
}

fn rank(t: &Technique, q: &str) -> Option<u8> {
    if q.is_empty() {
        return Some(0);
    }
    let id = t.id.to_lowercase();
    let name = t.name.to_lowercase();
    if id == q {
        Some(0)
    } else if id.starts_with(q) {
        Some(1)
    } else if name.starts_with(q) {
        Some(2)
    } else if name.split([' ', '-', '/', '(']).any(|w| w.starts_with(q)) {
        Some(3)
    } else if name.contains(q) {
        Some(4)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tech(id: &str, name: &str, revoked: bool, replaced_by: Option<&str>) -> Technique {
        Technique {
            id: id.into(),
            name: name.into(),
            tactics: vec!["execution".into()],
            platforms: vec!["Windows".into()],
            deprecated: false,
            revoked,
            replaced_by: replaced_by.map(Into::into),
        }
    }

    fn small() -> Catalog {
        Catalog::from_techniques(
            vec![
                tech("T1059.001", "PowerShell", false, None),
                tech("T1059", "Command and Scripting Interpreter", false, None),
                tech("T1086", "PowerShell", true, Some("T1059.001")),
                tech("T1003", "OS Credential Dumping", false, None),
            ],
            Some("18.1".into()),
            PathBuf::from("test"),
        )
    }

    #[test]
    fn normalize_trims_uppercases_and_validates() {
        let c = small();
        assert_eq!(c.normalize(" t1059.001 ").as_deref(), Some("T1059.001"));
        assert_eq!(c.normalize("attack.t1003").as_deref(), Some("T1003"));
        assert_eq!(c.normalize("T1086"), None, "revoked is not valid");
        assert_eq!(c.normalize("T1059.1"), None, "no padding guesswork");
        assert_eq!(c.normalize(""), None);
        assert_eq!(c.normalize("attack."), None);
        assert_eq!(c.normalize("é"), None);
        assert!(c.get("T1086").is_some());
    }

    #[test]
    fn current_follows_revocation() {
        let c = small();
        assert_eq!(c.current("t1086").as_deref(), Some("T1059.001"));
        assert_eq!(c.current("T1003").as_deref(), Some("T1003"));
        assert_eq!(c.current("T9999"), None);
    }

    #[test]
    fn search_ranks_id_then_name_and_skips_revoked() {
        let c = small();
        let ids = |q: &str| c.search(q).iter().map(|t| t.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids("t1059"), vec!["T1059", "T1059.001"]);
        assert_eq!(ids("powershell"), vec!["T1059.001"]);
        assert_eq!(ids("script"), vec!["T1059"]);
        assert_eq!(ids("dump"), vec!["T1003"]);
        assert!(ids("zzz").is_empty());
        assert_eq!(ids("").len(), 3);
    }

    #[test]
    fn display_name_includes_parent() {
        let c = small();
        assert_eq!(
            c.display_name("T1059.001").as_deref(),
            Some("Command and Scripting Interpreter: PowerShell")
        );
        assert_eq!(c.tactics_of("T1003"), ["execution".to_string()]);
        assert!(c.tactics_of("T0000").is_empty());
    }
}
