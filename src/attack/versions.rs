//! Technique ids across ATT&CK versions: which ids name the same technique, from the
//! crosswalk pairs and MITRE's own revocations, and the newer ids a catalog accepts through
//! them.
//!
//! One rule decides "same technique" everywhere (verdicts, eval, the learned prior): two ids
//! are the same when they have the same [`Catalog::technique_key`], the id the installed
//! catalog counts the technique under. In a v18.1 catalog that is the v18 id (`T1685.005` ->
//! `T1070.001`); in a v19 catalog imported from MITRE's bundle it is the v19 id, reached
//! through the bundle's revoked-by relationships (`T1070.001` -> `T1685.005`), or through the
//! crosswalk where MITRE retired the old id without naming its successor.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::crosswalk::{self, Pair, canonical};
use super::{Catalog, Result, Technique};

/// The crosswalk as a catalog holds it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Versions {
    /// Every pair, user file first (its pairs win), duplicates removed.
    pairs: Vec<Pair>,
    /// Newer ids unknown to the catalog whose older equivalent it knows, sorted by id.
    bridged: Vec<Technique>,
    bridged_by_id: HashMap<String, usize>,
    /// Bridged id -> the catalog's (current) id of its older equivalent.
    older: HashMap<String, String>,
}

impl Versions {
    pub(super) fn bridged(&self, id: &str) -> Option<&Technique> {
        self.bridged_by_id.get(id).map(|&i| &self.bridged[i])
    }

    pub(super) fn bridged_iter(&self) -> impl Iterator<Item = &Technique> {
        self.bridged.iter()
    }

    /// For a bridged id (canonical), the catalog id it stands for.
    pub(super) fn older_of(&self, id: &str) -> Option<&str> {
        self.older.get(id).map(String::as_str)
    }
}

/// How an id relates to another version's id, for `lookout attack show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivalent {
    pub id: String,
    /// True when `id` is the newer of the two (it replaced the id looked up).
    pub newer: bool,
    /// `MITRE revoked-by`, the built-in SigmaHQ table, or a `crosswalk.tsv` path.
    pub source: String,
}

impl Catalog {
    /// This catalog with the pairs of `extra` (a user's `crosswalk.tsv`) before the built-in
    /// ones, so that a user's line overrides a built-in pair for the same newer id.
    pub fn with_crosswalk(mut self, extra: Vec<Pair>) -> Catalog {
        let mut pairs = extra;
        pairs.extend(crosswalk::builtin());
        self.set_crosswalk(pairs);
        self
    }

    /// Adds the `crosswalk.tsv` beside the catalog file `path`, when there is one.
    pub(super) fn with_crosswalk_beside(self, path: &Path) -> Result<Catalog> {
        match path.parent().map(|d| d.join(crosswalk::CROSSWALK_FILE)) {
            Some(f) if f.is_file() => Ok(self.with_crosswalk(crosswalk::read_tsv(&f)?)),
            _ => Ok(self),
        }
    }

    /// Replaces the crosswalk and rebuilds the newer ids it bridges: a pair bridges when the
    /// catalog does not know its newer id (a catalog that knows it, as a v19 bundle does, is
    /// its own authority) and does know its older one.
    pub(super) fn set_crosswalk(&mut self, pairs: Vec<Pair>) {
        let mut v = Versions::default();
        for p in pairs {
            if !v
                .pairs
                .iter()
                .any(|q| q.newer == p.newer && q.older == p.older)
            {
                v.pairs.push(p);
            }
        }
        for p in &v.pairs {
            if self.own(&p.newer).is_some() || v.older.contains_key(&p.newer) {
                continue;
            }
            let Some(older) = self.current(&p.older).and_then(|id| self.own(&id)) else {
                continue;
            };
            v.older.insert(p.newer.clone(), older.id.clone());
            v.bridged.push(Technique {
                id: p.newer.clone(),
                name: older.name.clone(),
                tactics: crosswalk::tactics_for(&p.newer, &older.tactics),
                platforms: older.platforms.clone(),
                deprecated: false,
                revoked: false,
                replaced_by: None,
            });
        }
        v.bridged.sort_by(|a, b| a.id.cmp(&b.id));
        v.bridged_by_id = v
            .bridged
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        self.versions = v;
    }

    /// The id this catalog counts the technique under, across versions and revocations
    /// (see the module doc); `None` for an id neither the catalog nor the crosswalk knows.
    pub fn technique_key(&self, id: &str) -> Option<String> {
        let key = |c: String| match self.versions.older_of(&c) {
            Some(o) => o.to_string(),
            None => c,
        };
        if let Some(c) = self.current(id) {
            return Some(key(c));
        }
        // A newer catalog that retired the old id without a successor: the crosswalk has it.
        let id = canonical(id);
        self.versions
            .pairs
            .iter()
            .filter(|p| p.older == id)
            .find_map(|p| self.current(&p.newer))
            .map(key)
    }

    /// True when `a` and `b` name the same technique in some ATT&CK version (`T1685.005` and
    /// `T1070.001`, `T1086` and `T1059.001`), or are the same id.
    pub fn same_technique(&self, a: &str, b: &str) -> bool {
        if canonical(a) == canonical(b) {
            return true;
        }
        matches!((self.technique_key(a), self.technique_key(b)), (Some(x), Some(y)) if x == y)
    }

    /// Every id whose [`Catalog::technique_key`] is another id, mapped to that key: the
    /// equivalence as plain data for stages that must not depend on the catalog (eval).
    pub fn equivalent_ids(&self) -> BTreeMap<String, String> {
        let ids = self
            .techniques_and_bridged()
            .map(|t| t.id.clone())
            .chain(self.versions.pairs.iter().map(|p| p.older.clone()));
        ids.filter_map(|id| {
            let k = self.technique_key(&id)?;
            (k != id).then_some((id, k))
        })
        .collect()
    }

    /// The ids of other versions that name this technique, with where the link comes from:
    /// crosswalk pairs either way, MITRE revoked-by links either way.
    pub fn equivalents(&self, id: &str) -> Vec<Equivalent> {
        let id = canonical(id);
        let mut out: Vec<Equivalent> = Vec::new();
        let mut push = |e: Equivalent| {
            if !out.iter().any(|o| o.id == e.id && o.newer == e.newer) {
                out.push(e);
            }
        };
        let mitre = "MITRE revoked-by";
        if let Some(next) = self.get(&id).and_then(|t| t.replaced_by.clone()) {
            push(Equivalent {
                id: next,
                newer: true,
                source: mitre.into(),
            });
        }
        for t in self.iter() {
            if t.replaced_by.as_deref() == Some(id.as_str()) {
                push(Equivalent {
                    id: t.id.clone(),
                    newer: false,
                    source: mitre.into(),
                });
            }
        }
        for p in &self.versions.pairs {
            if p.newer == id {
                push(Equivalent {
                    id: p.older.clone(),
                    newer: false,
                    source: p.source.to_string(),
                });
            } else if p.older == id {
                push(Equivalent {
                    id: p.newer.clone(),
                    newer: true,
                    source: p.source.to_string(),
                });
            }
        }
        out
    }

    fn techniques_and_bridged(&self) -> impl Iterator<Item = &Technique> {
        self.iter().chain(self.versions.bridged_iter())
    }
}

#[cfg(test)]
#[path = "versions_tests.rs"]
mod tests;
