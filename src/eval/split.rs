//! Leakage-free splits for methods that learn from labels (`learned`, few-shot): k folds by
//! host, so that no host's sessions are on both the training and the test side.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::resample::uniform_index;
use super::types::Truth;

/// Which split a method's predictions were made under; recorded in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Split {
    /// The method learns nothing from labels (rules, the plain model).
    None,
    /// [`kfold_by_host`] with these parameters.
    KfoldByHost {
        k: usize,
        seed: u64,
    },
    /// Trained on the labels of other cases, evaluated on this one.
    OtherCases {
        cases: Vec<String>,
    },
    Other {
        description: String,
    },
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Split::None => f.write_str("none (learns nothing from labels)"),
            Split::KfoldByHost { k, seed } => write!(f, "{k}-fold by host (seed {seed})"),
            Split::OtherCases { cases } if cases.is_empty() => {
                f.write_str("labels from other cases")
            }
            Split::OtherCases { cases } => {
                write!(f, "labels from other cases ({})", cases.join(", "))
            }
            Split::Other { description } => f.write_str(description),
        }
    }
}

/// The key that identifies a machine across spellings: lower-case, and the short name before
/// the first `.` (`WS01.corp.local` and `ws01` are one host). IP addresses are kept whole.
pub fn host_key(host: &str) -> String {
    let h = host.trim().to_ascii_lowercase();
    if h.parse::<IpAddr>().is_ok() {
        return h;
    }
    match h.split_once('.') {
        Some((short, _)) if !short.is_empty() => short.to_string(),
        _ => h,
    }
}

/// `(train session ids, test session ids)` per fold.
pub type Fold = (Vec<String>, Vec<String>);

/// Splits the labelled sessions into `k` folds with no host on both sides of any fold.
///
/// Hosts are shuffled with `seed`, then assigned, largest first, to the fold with the fewest
/// sessions so far, which keeps folds balanced when a few hosts dominate. With fewer hosts
/// than `k` there is one fold per host; with `k < 2` or fewer than two hosts no split exists
/// and the result is empty. Ids keep the order of `truths` within each side.
pub fn kfold_by_host(truths: &[Truth], k: usize, seed: u64) -> Vec<Fold> {
    let mut by_host: BTreeMap<String, u64> = BTreeMap::new();
    for t in truths {
        *by_host.entry(host_key(&t.host)).or_default() += 1;
    }
    let k = k.min(by_host.len());
    if k < 2 {
        return Vec::new();
    }
    // BTreeMap order first, so that the shuffle alone decides ties, reproducibly.
    let mut hosts: Vec<(String, u64)> = by_host.into_iter().collect();
    // Fisher–Yates on our own index draw, independent of the `rand` version's shuffle.
    let mut rng = StdRng::seed_from_u64(seed);
    for i in (1..hosts.len()).rev() {
        hosts.swap(i, uniform_index(&mut rng, i + 1));
    }
    // Stable: equal sizes keep the shuffled order.
    hosts.sort_by_key(|h| std::cmp::Reverse(h.1));
    let mut load = vec![0u64; k];
    let mut fold_of: BTreeMap<String, usize> = BTreeMap::new();
    for (host, n) in hosts {
        let (fold, _) = load
            .iter()
            .enumerate()
            .min_by_key(|&(i, l)| (*l, i))
            .unwrap_or((0, &0));
        load[fold] += n;
        fold_of.insert(host, fold);
    }
    (0..k)
        .map(|fold| {
            let (mut train, mut test) = (Vec::new(), Vec::new());
            for t in truths {
                if fold_of.get(&host_key(&t.host)) == Some(&fold) {
                    test.push(t.session_id.clone());
                } else {
                    train.push(t.session_id.clone());
                }
            }
            (train, test)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Cause;
    use std::collections::BTreeSet;

    fn truth(id: &str, host: &str) -> Truth {
        Truth {
            session_id: id.into(),
            host: host.into(),
            cause: Cause::Legitimate,
            risk: None,
            techniques: vec![],
        }
    }

    #[test]
    fn host_key_merges_spellings_but_keeps_ips() {
        assert_eq!(host_key("WS01.corp.local"), "ws01");
        assert_eq!(host_key("ws01"), "ws01");
        assert_eq!(host_key("10.0.0.5"), "10.0.0.5");
        assert_eq!(host_key("fe80::1"), "fe80::1");
    }

    #[test]
    fn folds_cover_every_session_once_and_never_share_a_host() {
        let hosts = ["a", "b", "c", "d", "e", "A.corp", "f", "g"];
        let truths: Vec<Truth> = (0..40)
            .map(|i| truth(&format!("s{i}"), hosts[i % hosts.len()]))
            .collect();
        let folds = kfold_by_host(&truths, 5, 1);
        assert_eq!(folds.len(), 5);
        let mut seen = BTreeSet::new();
        for (train, test) in &folds {
            assert_eq!(train.len() + test.len(), 40);
            assert!(!test.is_empty());
            let host_of =
                |id: &String| host_key(&truths.iter().find(|t| &t.session_id == id).unwrap().host);
            let train_hosts: BTreeSet<String> = train.iter().map(host_of).collect();
            let test_hosts: BTreeSet<String> = test.iter().map(host_of).collect();
            assert!(train_hosts.is_disjoint(&test_hosts));
            for id in test {
                assert!(seen.insert(id.clone()), "{id} tested twice");
            }
        }
        assert_eq!(seen.len(), 40);
        assert_eq!(kfold_by_host(&truths, 5, 1), folds, "same seed, same folds");
    }

    #[test]
    fn degenerate_inputs_give_fewer_or_no_folds() {
        let one_host = vec![truth("1", "a"), truth("2", "A")];
        assert!(kfold_by_host(&one_host, 5, 0).is_empty());
        assert!(kfold_by_host(&[], 5, 0).is_empty());
        let two = vec![truth("1", "a"), truth("2", "b"), truth("3", "b")];
        assert_eq!(kfold_by_host(&two, 5, 0).len(), 2);
        assert!(kfold_by_host(&two, 1, 0).is_empty());
    }

    #[test]
    fn split_describes_itself() {
        assert_eq!(
            Split::KfoldByHost { k: 5, seed: 3 }.to_string(),
            "5-fold by host (seed 3)"
        );
        let j = serde_json::to_string(&Split::OtherCases {
            cases: vec!["x".into()],
        })
        .unwrap();
        assert_eq!(j, r#"{"kind":"other_cases","cases":["x"]}"#);
    }
}
