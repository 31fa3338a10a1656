//! Precision and recall at a target prevalence by resampling labelled sessions with a fixed
//! seed, beside the exact analytic figure (`metrics::adjusted_precision`).
//!
//! Labelled corpora are far richer in attacks than real logs (1% or less): resampling shows
//! the precision an analyst would actually see, with the sampling noise of a real queue.

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use super::metrics::{Counts, adjusted_precision};

/// How the resampled figures were drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResamplePlan {
    /// Sessions per draw.
    pub size: u64,
    /// Draws per prevalence; their counts are pooled.
    pub rounds: u32,
    pub seed: u64,
}

/// Precision and recall of one method at one prevalence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrevalencePoint {
    pub prevalence: f64,
    /// `TPR·π / (TPR·π + FPR·(1−π))`: exact, seed-free.
    pub analytic_precision: Option<f64>,
    /// Recall does not depend on prevalence: the TPR.
    pub analytic_recall: Option<f64>,
    pub resampled_precision: Option<f64>,
    pub resampled_recall: Option<f64>,
}

/// A uniform index below `n` (`n > 0`) by multiply-shift (bias below 2^-40 for our sizes).
/// Only `RngCore::next_u64` is used, the API every `rand` version shares.
pub(super) fn uniform_index(rng: &mut StdRng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// The seed used at the `index`-th prevalence: the same for every method, so that all methods
/// are scored on the very same resampled sessions.
fn seed_for(plan: &ResamplePlan, index: usize) -> u64 {
    plan.seed
        .wrapping_add((index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Draws `plan.rounds` samples of `plan.size` sessions with `round(π·size)` malicious ones
/// (with replacement within each class) and pools the confusion counts.
///
/// `outcomes[i]` is `(truth is malicious, predicted malicious)` for the i-th labelled session,
/// in the same order for every method. Returns `None` when a class that must be drawn is empty.
pub fn resampled_counts(
    outcomes: &[(bool, bool)],
    prevalence: f64,
    plan: &ResamplePlan,
    index: usize,
) -> Option<Counts> {
    if !(0.0..=1.0).contains(&prevalence) || plan.size == 0 || plan.rounds == 0 {
        return None;
    }
    let positives: Vec<bool> = outcomes.iter().filter(|o| o.0).map(|o| o.1).collect();
    let negatives: Vec<bool> = outcomes.iter().filter(|o| !o.0).map(|o| o.1).collect();
    let n_pos = ((prevalence * plan.size as f64).round() as u64).min(plan.size);
    let n_neg = plan.size - n_pos;
    if (n_pos > 0 && positives.is_empty()) || (n_neg > 0 && negatives.is_empty()) {
        return None;
    }
    let mut rng = StdRng::seed_from_u64(seed_for(plan, index));
    let mut c = Counts::default();
    for _ in 0..plan.rounds {
        for _ in 0..n_pos {
            if positives[uniform_index(&mut rng, positives.len())] {
                c.tp += 1;
            } else {
                c.fn_ += 1;
            }
        }
        for _ in 0..n_neg {
            if negatives[uniform_index(&mut rng, negatives.len())] {
                c.fp += 1;
            } else {
                c.tn += 1;
            }
        }
    }
    Some(c)
}

/// The analytic and resampled figures at each prevalence.
pub fn prevalence_points(
    outcomes: &[(bool, bool)],
    counts: &Counts,
    prevalences: &[f64],
    plan: &ResamplePlan,
) -> Vec<PrevalencePoint> {
    prevalences
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let drawn = resampled_counts(outcomes, p, plan, i);
            PrevalencePoint {
                prevalence: p,
                analytic_precision: adjusted_precision(counts.tpr(), counts.fpr(), p),
                analytic_recall: counts.tpr(),
                resampled_precision: drawn.and_then(|c| c.precision()),
                resampled_recall: drawn.and_then(|c| c.tpr()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes() -> Vec<(bool, bool)> {
        // TP=3, FN=1, FP=1, TN=5: TPR 0.75, FPR 1/6.
        let mut o = vec![(true, true); 3];
        o.push((true, false));
        o.push((false, true));
        o.extend(vec![(false, false); 5]);
        o
    }

    const PLAN: ResamplePlan = ResamplePlan {
        size: 1000,
        rounds: 20,
        seed: 7,
    };

    #[test]
    fn resampling_hits_the_target_prevalence_and_is_reproducible() {
        let o = outcomes();
        let c = resampled_counts(&o, 0.1, &PLAN, 0).unwrap();
        // round(0.1·1000) = 100 malicious per round, 20 rounds.
        assert_eq!(c.tp + c.fn_, 2000);
        assert_eq!(c.total(), 20_000);
        assert_eq!(resampled_counts(&o, 0.1, &PLAN, 0), Some(c));
        // Close to the analytic figures: TPR 0.75, precision at 10% = 0.075/(0.075+0.15) = 1/3.
        assert!((c.tpr().unwrap() - 0.75).abs() < 0.03);
        assert!((c.precision().unwrap() - 1.0 / 3.0).abs() < 0.03);
    }

    #[test]
    fn missing_class_or_bad_prevalence_gives_none() {
        let only_benign = vec![(false, false); 4];
        assert_eq!(resampled_counts(&only_benign, 0.1, &PLAN, 0), None);
        // Prevalence 0 needs no positives.
        assert!(resampled_counts(&only_benign, 0.0, &PLAN, 0).is_some());
        assert_eq!(resampled_counts(&outcomes(), f64::NAN, &PLAN, 0), None);
        assert_eq!(resampled_counts(&[], 0.5, &PLAN, 0), None);
    }

    #[test]
    fn points_carry_analytic_and_resampled_figures() {
        let o = outcomes();
        let c = Counts::from_pairs(o.iter().copied());
        let pts = prevalence_points(&o, &c, &[0.01, 0.5], &PLAN);
        assert_eq!(pts.len(), 2);
        assert!((pts[1].analytic_precision.unwrap() - 9.0 / 11.0).abs() < 1e-12);
        assert_eq!(pts[0].analytic_recall, Some(0.75));
        assert!(pts[0].resampled_recall.is_some());
    }
}
