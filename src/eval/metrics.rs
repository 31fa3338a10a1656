//! Metrics as pure functions: malicious-vs-not, prevalence-adjusted precision, cause (3
//! classes), ordinal risk and cost. Every ratio whose denominator is zero is `None` ("n/a"),
//! never NaN, so reports serialise to `null` and never panic on degenerate data.

use serde::{Deserialize, Serialize};

use crate::event::{Cause, Risk};

/// `num / den`, or `None` when the ratio is undefined (zero or non-finite denominator).
pub fn ratio(num: f64, den: f64) -> Option<f64> {
    let r = num / den;
    (den != 0.0 && r.is_finite()).then_some(r)
}

/// Confusion counts of the malicious-vs-not decision (positive = malicious).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    pub tn: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Counts {
    /// Counts from `(truth is malicious, predicted malicious)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (bool, bool)>) -> Counts {
        let mut c = Counts::default();
        for (truth, predicted) in pairs {
            match (truth, predicted) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
                (true, false) => c.fn_ += 1,
            }
        }
        c
    }

    pub fn total(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// True positive rate (recall, sensitivity).
    pub fn tpr(&self) -> Option<f64> {
        ratio(self.tp as f64, (self.tp + self.fn_) as f64)
    }

    /// False positive rate.
    pub fn fpr(&self) -> Option<f64> {
        ratio(self.fp as f64, (self.fp + self.tn) as f64)
    }

    /// True negative rate (specificity).
    pub fn tnr(&self) -> Option<f64> {
        ratio(self.tn as f64, (self.fp + self.tn) as f64)
    }

    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp as f64, (self.tp + self.fp) as f64)
    }

    /// `2TP / (2TP + FP + FN)`: equal to the harmonic mean of precision and recall, and still
    /// defined (0) when the method flags nothing but attacks exist.
    pub fn f1(&self) -> Option<f64> {
        ratio(
            2.0 * self.tp as f64,
            (2 * self.tp + self.fp + self.fn_) as f64,
        )
    }

    /// Mean of TPR and TNR; undefined unless both classes are present.
    pub fn balanced_accuracy(&self) -> Option<f64> {
        Some((self.tpr()? + self.tnr()?) / 2.0)
    }

    /// Matthews correlation coefficient; undefined when any margin is empty (e.g. a method
    /// that never flags anything), rather than the 0 some libraries substitute.
    pub fn mcc(&self) -> Option<f64> {
        let (tp, fp, tn, fn_) = (
            self.tp as f64,
            self.fp as f64,
            self.tn as f64,
            self.fn_ as f64,
        );
        let den = ((tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_)).sqrt();
        ratio(tp * tn - fp * fn_, den)
    }
}

/// The headline scores of one method's malicious-vs-not decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryScores {
    pub counts: Counts,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub balanced_accuracy: Option<f64>,
    pub mcc: Option<f64>,
}

pub fn binary_scores(counts: Counts) -> BinaryScores {
    BinaryScores {
        counts,
        precision: counts.precision(),
        recall: counts.tpr(),
        f1: counts.f1(),
        balanced_accuracy: counts.balanced_accuracy(),
        mcc: counts.mcc(),
    }
}

/// Precision the method would have at `prevalence`, from its TPR and FPR (which do not depend
/// on prevalence): `TPR·π / (TPR·π + FPR·(1−π))`. Exact and seed-free.
pub fn adjusted_precision(tpr: Option<f64>, fpr: Option<f64>, prevalence: f64) -> Option<f64> {
    let (tpr, fpr) = (tpr?, fpr?);
    if !(0.0..=1.0).contains(&prevalence) {
        return None;
    }
    let hits = tpr * prevalence;
    ratio(hits, hits + fpr * (1.0 - prevalence))
}

/// Accuracy, macro-F1 and the 3×3 confusion matrix of the cause.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CauseScores {
    pub n: u64,
    pub accuracy: Option<f64>,
    /// Mean F1 over the causes present in the truth or the predictions (as scikit-learn does).
    pub macro_f1: Option<f64>,
    /// Rows: true cause, columns: predicted cause, both in [`Cause::ALL`] order.
    pub matrix: [[u64; 3]; 3],
    pub per_class: Vec<ClassScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScore {
    pub cause: Cause,
    pub support: u64,
    pub predicted: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

pub fn cause_index(c: Cause) -> usize {
    match c {
        Cause::Malicious => 0,
        Cause::Legitimate => 1,
        Cause::Misconfiguration => 2,
    }
}

/// Scores from `(true cause, predicted cause)` pairs.
pub fn cause_scores(pairs: impl IntoIterator<Item = (Cause, Cause)>) -> CauseScores {
    let mut matrix = [[0u64; 3]; 3];
    for (truth, predicted) in pairs {
        matrix[cause_index(truth)][cause_index(predicted)] += 1;
    }
    let n: u64 = matrix.iter().flatten().sum();
    let correct: u64 = (0..3).map(|i| matrix[i][i]).sum();
    let per_class: Vec<ClassScore> = Cause::ALL
        .iter()
        .enumerate()
        .map(|(i, &cause)| {
            let tp = matrix[i][i];
            let support: u64 = matrix[i].iter().sum();
            let predicted: u64 = (0..3).map(|r| matrix[r][i]).sum();
            ClassScore {
                cause,
                support,
                predicted,
                precision: ratio(tp as f64, predicted as f64),
                recall: ratio(tp as f64, support as f64),
                f1: ratio(2.0 * tp as f64, (support + predicted) as f64),
            }
        })
        .collect();
    // A class absent from both sides has no F1 and is left out of the mean.
    let f1s: Vec<f64> = per_class.iter().filter_map(|c| c.f1).collect();
    CauseScores {
        n,
        accuracy: ratio(correct as f64, n as f64),
        macro_f1: ratio(f1s.iter().sum(), f1s.len() as f64),
        matrix,
        per_class,
    }
}

/// Ordinal risk agreement, over the sessions whose truth has a risk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RiskScores {
    /// Sessions whose truth has a risk.
    pub n: u64,
    /// Of those, how many the method gave a risk for; a missing risk counts as wrong.
    pub answered: u64,
    pub exact: Option<f64>,
    /// Off by at most one level (`high` for `critical` counts, `medium` does not).
    pub within_one: Option<f64>,
}

/// Scores from `(true risk, predicted risk)` pairs.
pub fn risk_scores(pairs: impl IntoIterator<Item = (Risk, Option<Risk>)>) -> RiskScores {
    let (mut n, mut answered, mut exact, mut near) = (0u64, 0u64, 0u64, 0u64);
    for (truth, predicted) in pairs {
        n += 1;
        let Some(p) = predicted else { continue };
        answered += 1;
        let gap = truth.rank().abs_diff(p.rank());
        exact += u64::from(gap == 0);
        near += u64::from(gap <= 1);
    }
    RiskScores {
        n,
        answered,
        exact: ratio(exact as f64, n as f64),
        within_one: ratio(near as f64, n as f64),
    }
}

/// What a method costs per session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostScores {
    /// Sessions with a usable latency.
    pub n: u64,
    /// Latencies that were negative or not finite, left out.
    pub invalid: u64,
    /// Sessions per second when run one after another (`1000 / mean_ms`); `None` when the
    /// method reports no time at all (rules, paid at ingest).
    pub sessions_per_s: Option<f64>,
    pub mean_ms: Option<f64>,
    /// Nearest-rank 95th percentile.
    pub p95_ms: Option<f64>,
}

pub fn cost_scores(latencies_ms: impl IntoIterator<Item = f64>) -> CostScores {
    let mut invalid = 0u64;
    let mut v: Vec<f64> = Vec::new();
    for l in latencies_ms {
        if l.is_finite() && l >= 0.0 {
            v.push(l);
        } else {
            invalid += 1;
        }
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let total: f64 = v.iter().sum();
    let mean = ratio(total, n as f64);
    // Nearest rank: the smallest value with at least 95% of the values at or below it.
    let rank = (0.95 * n as f64).ceil() as usize;
    CostScores {
        n: n as u64,
        invalid,
        sessions_per_s: mean.and_then(|m| ratio(1000.0, m)),
        mean_ms: mean,
        p95_ms: rank.checked_sub(1).and_then(|i| v.get(i)).copied(),
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
