//! ATT&CK technique metrics: exact set, any overlap, same parent, same tactic, and a
//! per-technique coverage table.
//!
//! The technique -> tactics lookup and the ids that name one technique across ATT&CK
//! versions are passed in as plain data ([`TacticMap`], [`SameTechnique`]) so that the
//! evaluator does not depend on the ATT&CK catalog module.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::metrics::ratio;
use super::types::parent_technique;

/// Technique id (upper-case, `T1003.001`) -> tactic short names (`credential-access`).
pub type TacticMap = BTreeMap<String, Vec<String>>;

/// Technique id -> the id it counts as (`T1685.005` -> `T1070.001`: a rule's ATT&CK v19 id
/// and a label's v18 id are one answer; `T1086` -> `T1059.001`: a revoked id and its
/// successor). Ids not in it count as written. Filled from `attack::Catalog::equivalent_ids`.
pub type SameTechnique = BTreeMap<String, String>;

/// The tactics of a technique; a sub-technique missing from the map inherits its parent's.
pub fn tactics_of<'a>(map: &'a TacticMap, technique: &str) -> &'a [String] {
    map.get(technique)
        .or_else(|| map.get(parent_technique(technique)))
        .map_or(&[], Vec::as_slice)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TechniqueScores {
    /// Sessions whose truth names at least one technique: the denominator of the rates.
    pub n: u64,
    /// Predicted set equals the true set.
    pub exact: Option<f64>,
    /// At least one predicted technique is in the true set.
    pub partial: Option<f64>,
    /// At least one predicted technique shares a parent with a true one (`T1003` for
    /// `T1003.001`): models often answer at the parent level.
    pub parent: Option<f64>,
    /// At least one predicted technique shares a tactic with a true one; `None` without a
    /// tactic lookup, and over the sessions whose true techniques have known tactics.
    pub tactic: Option<f64>,
    /// Sessions counted in `tactic`.
    pub tactic_n: u64,
    pub per_technique: Vec<TechniqueRow>,
}

/// Coverage of one technique across the labelled sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechniqueRow {
    pub technique: String,
    /// Sessions whose truth includes it.
    pub support: u64,
    /// Of those, sessions where the method also named it.
    pub hits: u64,
    pub misses: u64,
    /// Sessions where the method named it but the truth does not include it.
    pub false_alarms: u64,
}

/// How one session's predicted techniques meet its true ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMatch {
    pub exact: bool,
    /// A predicted technique is a true one: "a right technique".
    pub partial: bool,
    pub parent: bool,
    /// A predicted technique shares a tactic with a true one; `None` without a tactic lookup
    /// or when no true technique has a known tactic.
    pub tactic: Option<bool>,
}

/// The match of one session, ids first mapped through `same`; `None` when the truth names no
/// technique (such a session is not in the rates).
pub fn session_match(
    truth: &[String],
    predicted: &[String],
    tactics: Option<&TacticMap>,
    same: &SameTechnique,
) -> Option<SessionMatch> {
    let key = |x: &String| same.get(x).unwrap_or(x).clone();
    let t: BTreeSet<String> = truth.iter().map(key).collect();
    let p: BTreeSet<String> = predicted.iter().map(key).collect();
    if t.is_empty() {
        return None;
    }
    let parents = |s: &BTreeSet<String>| -> BTreeSet<String> {
        s.iter().map(|x| parent_technique(x).to_string()).collect()
    };
    let tactic = tactics.and_then(|map| {
        let of = |s: &BTreeSet<String>| -> BTreeSet<String> {
            s.iter()
                .flat_map(|x| tactics_of(map, x).iter().cloned())
                .collect()
        };
        let true_tactics = of(&t);
        (!true_tactics.is_empty()).then(|| !true_tactics.is_disjoint(&of(&p)))
    });
    Some(SessionMatch {
        exact: t == p,
        partial: !t.is_disjoint(&p),
        parent: !parents(&t).is_disjoint(&parents(&p)),
        tactic,
    })
}

/// Scores from `(true techniques, predicted techniques)` per labelled session (normalised
/// ids). Sessions with no true technique count only towards false alarms in the table. Ids
/// are first mapped through `same`, so every figure and the table count a technique once
/// under the id it counts as.
pub fn technique_scores(
    pairs: &[(&[String], &[String])],
    tactics: Option<&TacticMap>,
    same: &SameTechnique,
) -> TechniqueScores {
    let (mut n, mut exact, mut partial, mut parent) = (0u64, 0u64, 0u64, 0u64);
    let (mut tactic_n, mut tactic_hits) = (0u64, 0u64);
    let mut rows: BTreeMap<&str, TechniqueRow> = BTreeMap::new();
    fn key<'a>(same: &'a SameTechnique, x: &'a String) -> &'a str {
        same.get(x).unwrap_or(x)
    }
    for &(truth, predicted) in pairs {
        let t: BTreeSet<&str> = truth.iter().map(|x| key(same, x)).collect();
        let p: BTreeSet<&str> = predicted.iter().map(|x| key(same, x)).collect();
        for &id in t.union(&p) {
            let row = rows.entry(id).or_insert_with(|| TechniqueRow {
                technique: id.to_string(),
                support: 0,
                hits: 0,
                misses: 0,
                false_alarms: 0,
            });
            if t.contains(id) {
                row.support += 1;
                if p.contains(id) {
                    row.hits += 1;
                } else {
                    row.misses += 1;
                }
            } else {
                row.false_alarms += 1;
            }
        }
        let Some(m) = session_match(truth, predicted, tactics, same) else {
            continue;
        };
        n += 1;
        exact += u64::from(m.exact);
        partial += u64::from(m.partial);
        parent += u64::from(m.parent);
        if let Some(hit) = m.tactic {
            tactic_n += 1;
            tactic_hits += u64::from(hit);
        }
    }
    let mut per_technique: Vec<TechniqueRow> = rows.into_values().collect();
    // Most supported first, then most falsely alarmed, then by id: a stable, readable order.
    per_technique.sort_by(|a, b| {
        b.support
            .cmp(&a.support)
            .then(b.false_alarms.cmp(&a.false_alarms))
            .then(a.technique.cmp(&b.technique))
    });
    let rate = |k: u64| ratio(k as f64, n as f64);
    TechniqueScores {
        n,
        exact: rate(exact),
        partial: rate(partial),
        parent: rate(parent),
        tactic: tactics.and_then(|_| ratio(tactic_hits as f64, tactic_n as f64)),
        tactic_n,
        per_technique,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn map() -> TacticMap {
        let mut m = TacticMap::new();
        m.insert("T1003".into(), v(&["credential-access"]));
        m.insert("T1003.001".into(), v(&["credential-access"]));
        m.insert("T1059.001".into(), v(&["execution"]));
        m.insert("T1021.002".into(), v(&["lateral-movement"]));
        m.insert("T1558.003".into(), v(&["credential-access"]));
        m
    }

    #[test]
    fn technique_scores_match_hand_calculation() {
        // 1: {T1003.001}            vs {T1003.001}      exact, partial, parent, tactic
        // 2: {T1003.001, T1059.001} vs {T1059.001}      partial, parent, tactic
        // 3: {T1003.001}            vs {T1003}          parent, tactic (credential-access)
        // 4: {T1558.003}            vs {T1003.001}      tactic only (both credential-access)
        // 5: {T1021.002}            vs {}               nothing
        // 6: {} (benign)            vs {T1059.001}      not in n; a false alarm for T1059.001
        let s1 = (v(&["T1003.001"]), v(&["T1003.001"]));
        let s2 = (v(&["T1003.001", "T1059.001"]), v(&["T1059.001"]));
        let s3 = (v(&["T1003.001"]), v(&["T1003"]));
        let s4 = (v(&["T1558.003"]), v(&["T1003.001"]));
        let s5 = (v(&["T1021.002"]), v(&[]));
        let s6 = (v(&[]), v(&["T1059.001"]));
        let all = [&s1, &s2, &s3, &s4, &s5, &s6];
        let pairs: Vec<(&[String], &[String])> = all
            .iter()
            .map(|(t, p)| (t.as_slice(), p.as_slice()))
            .collect();
        let s = technique_scores(&pairs, Some(&map()), &SameTechnique::new());
        assert_eq!(s.n, 5);
        assert_eq!(s.exact, Some(1.0 / 5.0));
        assert_eq!(s.partial, Some(2.0 / 5.0));
        assert_eq!(s.parent, Some(3.0 / 5.0));
        assert_eq!((s.tactic, s.tactic_n), (Some(4.0 / 5.0), 5));
        // T1003.001: support 3 (1, 2, 3), hits 1 (1), misses 2, false alarm 1 (4).
        let row = |id: &str| {
            s.per_technique
                .iter()
                .find(|r| r.technique == id)
                .unwrap()
                .clone()
        };
        let r = row("T1003.001");
        assert_eq!((r.support, r.hits, r.misses, r.false_alarms), (3, 1, 2, 1));
        let r = row("T1059.001");
        assert_eq!((r.support, r.hits, r.misses, r.false_alarms), (1, 1, 0, 1));
        let r = row("T1003");
        assert_eq!((r.support, r.false_alarms), (0, 1));
        assert_eq!(s.per_technique[0].technique, "T1003.001");
    }

    #[test]
    fn no_lookup_or_no_techniques_gives_none() {
        let t = v(&["T1003.001"]);
        let s = technique_scores(&[(&t, &[])], None, &SameTechnique::new());
        assert_eq!((s.tactic, s.exact), (None, Some(0.0)));
        let s = technique_scores(&[], Some(&map()), &SameTechnique::new());
        assert_eq!((s.n, s.exact, s.tactic), (0, None, None));
        // Unknown technique: no tactic known, so the session is outside the tactic rate.
        let u = v(&["T9999"]);
        let s = technique_scores(&[(&u, &u)], Some(&map()), &SameTechnique::new());
        assert_eq!((s.tactic, s.tactic_n, s.exact), (None, 0, Some(1.0)));
    }

    /// Issue 20: a rule's ATT&CK v19 id against a label's v18 id is the same answer.
    #[test]
    fn v19_prediction_of_a_v18_label_is_exact() {
        let mut same = SameTechnique::new();
        same.insert("T1685.005".into(), "T1070.001".into());
        let mut m = map();
        m.insert("T1070.001".into(), v(&["defense-evasion"]));
        let (t, p) = (v(&["T1070.001"]), v(&["T1685.005"]));
        let s = technique_scores(&[(&t, &p)], Some(&m), &same);
        assert_eq!(
            (s.exact, s.partial, s.parent),
            (Some(1.0), Some(1.0), Some(1.0))
        );
        assert_eq!((s.tactic, s.tactic_n), (Some(1.0), 1));
        assert_eq!(s.per_technique.len(), 1);
        let r = &s.per_technique[0];
        assert_eq!(
            (r.technique.as_str(), r.support, r.hits, r.false_alarms),
            ("T1070.001", 1, 1, 0)
        );
        // Without the equivalence they are two different answers.
        let s = technique_scores(&[(&t, &p)], Some(&m), &SameTechnique::new());
        assert_eq!((s.exact, s.partial), (Some(0.0), Some(0.0)));
    }

    #[test]
    fn sub_technique_inherits_parent_tactics() {
        let m = map();
        assert_eq!(
            tactics_of(&m, "T1003.008"),
            ["credential-access".to_string()]
        );
        assert!(tactics_of(&m, "T4242").is_empty());
    }
}
