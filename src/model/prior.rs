//! The learned prior's evidence as plain data, and the seam through which the assess stage
//! asks for it ([`PriorSource`]) without importing the stage that learns it (`learn`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::session::Session;
use crate::event::{Cause, Risk};

/// A session an analyst already judged, and the verdict, as a worked example in the prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FewShotExample {
    pub session: Session,
    pub cause: Cause,
    pub risk: Risk,
    pub techniques: Vec<String>,
}

/// A neighbour the prior offers as a worked example: which session, and its verdict. The
/// session itself is looked up by whoever builds the prompt (it may be gone).
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleRef {
    pub session_id: String,
    pub cause: Cause,
    pub risk: Risk,
    pub techniques: Vec<String>,
}

/// The learned prior's scores for one session, as plain data (made by `learn`'s prior, or by
/// hand in tests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorEvidence {
    /// Share of the vote per cause (0..1, summing to 1).
    pub cause_scores: BTreeMap<Cause, f64>,
    /// Top score × neighbour similarity (0..1): how far to trust it.
    pub confidence: f64,
    pub risk: Option<Risk>,
    /// Technique ids, best first.
    pub techniques: Vec<String>,
    /// One readable sentence ("like session X that an analyst corrected to …").
    pub reason: String,
    /// Ids of the analyst corrections among the neighbours (labels from corpora excluded).
    pub correction_ids: Vec<String>,
    /// Changes whenever the prior's training set changes (part of the cache key).
    pub version: String,
}

/// What an assessment asks of a learned prior: its evidence for a session, and up to
/// `examples` nearest judged sessions (most similar first) as worked examples.
pub trait PriorSource {
    fn evidence(
        &self,
        session: &Session,
        examples: usize,
    ) -> Option<(PriorEvidence, Vec<ExampleRef>)>;
}

/// A prior at least this sure of one cause, backed by at least one analyst correction, is
/// "strong": strong enough to overrule the model, and, for misconfiguration, to stop a
/// high rule hit from forcing "malicious" (analysts said this pattern is a broken config).
pub const STRONG_PRIOR_SCORE: f64 = 0.7;
pub const STRONG_PRIOR_CONFIDENCE: f64 = 0.5;

impl PriorEvidence {
    /// The cause with the highest score (ties: the first in `Cause::ALL` order).
    pub fn top_cause(&self) -> Option<(Cause, f64)> {
        Cause::ALL
            .iter()
            .filter_map(|c| self.cause_scores.get(c).map(|s| (*c, *s)))
            .fold(None, |best, (c, s)| match best {
                Some((_, bs)) if bs >= s => best,
                _ => Some((c, s)),
            })
    }

    /// The cause the prior supports strongly (see [`STRONG_PRIOR_SCORE`]), if any.
    pub fn strong_cause(&self) -> Option<Cause> {
        let (c, s) = self.top_cause()?;
        (s >= STRONG_PRIOR_SCORE
            && self.confidence >= STRONG_PRIOR_CONFIDENCE
            && !self.correction_ids.is_empty())
        .then_some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(mis: f64, conf: f64, corrections: usize) -> PriorEvidence {
        PriorEvidence {
            cause_scores: [
                (Cause::Malicious, (1.0 - mis) / 2.0),
                (Cause::Legitimate, (1.0 - mis) / 2.0),
                (Cause::Misconfiguration, mis),
            ]
            .into(),
            confidence: conf,
            risk: None,
            techniques: vec![],
            reason: String::new(),
            correction_ids: (0..corrections).map(|i| i.to_string()).collect(),
            version: "v".into(),
        }
    }

    #[test]
    fn strong_needs_score_confidence_and_a_correction() {
        assert_eq!(
            prior(0.9, 0.8, 1).strong_cause(),
            Some(Cause::Misconfiguration)
        );
        assert_eq!(prior(0.6, 0.8, 1).strong_cause(), None);
        assert_eq!(prior(0.9, 0.3, 1).strong_cause(), None);
        assert_eq!(
            prior(0.9, 0.8, 0).strong_cause(),
            None,
            "corpus labels alone are not enough"
        );
    }
}
