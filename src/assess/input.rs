//! What one assessment reads: the session, its condensed timeline, its rule hits, and the
//! learned prior's evidence when there is one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::detect::Hit;
use crate::event::{Cause, Risk};
use crate::learn::prior::{ExampleSource, PriorVerdict};
use crate::sessions::Session;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessInput {
    pub session: Session,
    /// The condensed timeline as text (`Timeline::render()`): untrusted log text.
    pub timeline_text: String,
    /// The rule hits of the session's events.
    pub hits: Vec<Hit>,
    pub prior: Option<PriorEvidence>,
    /// Worked examples: labelled or corrected sessions like this one (of other hosts), shown
    /// before it in the prompt (`model.fewshot`; none by default).
    #[serde(default)]
    pub examples: Vec<FewShotExample>,
}

/// A session an analyst already judged, and the verdict, as a worked example in the prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FewShotExample {
    pub session: Session,
    pub cause: Cause,
    pub risk: Risk,
    pub techniques: Vec<String>,
}

/// The learned prior's scores for one session, as plain data (filled from
/// [`PriorVerdict`] by [`PriorEvidence::from_prior`], or by hand in tests).
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

/// A prior at least this sure of one cause, backed by at least one analyst correction, is
/// "strong": strong enough to overrule the model, and, for misconfiguration, to stop a
/// high rule hit from forcing "malicious" (analysts said this pattern is a broken config).
pub const STRONG_PRIOR_SCORE: f64 = 0.7;
pub const STRONG_PRIOR_CONFIDENCE: f64 = 0.5;

impl PriorEvidence {
    pub fn from_prior(p: &PriorVerdict) -> PriorEvidence {
        PriorEvidence {
            cause_scores: p.cause_scores.clone(),
            confidence: p.confidence,
            risk: p.risk,
            techniques: p.techniques.iter().map(|(t, _)| t.clone()).collect(),
            reason: p.reason.clone(),
            correction_ids: p
                .neighbours
                .iter()
                .filter_map(|n| match n.source {
                    ExampleSource::Correction { id } => Some(id.to_string()),
                    ExampleSource::Label => None,
                })
                .collect(),
            version: p.version.clone(),
        }
    }

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

impl AssessInput {
    /// The session's rule evidence, one entry per rule, most severe first: the session's
    /// aggregated detections, or the raw hits aggregated here when the session has none.
    pub fn detections(&self) -> Vec<crate::sessions::SessionDetection> {
        let mut out = self.session.detections.clone();
        if out.is_empty() {
            for h in &self.hits {
                match out.iter_mut().find(|d| *d.rule_id == *h.rule_id) {
                    Some(d) => {
                        d.count += 1;
                        if d.event_ids.len() < 5 && !d.event_ids.contains(&h.event_id) {
                            d.event_ids.push(h.event_id.clone());
                        }
                    }
                    None => out.push(crate::sessions::SessionDetection {
                        rule_id: h.rule_id.to_string(),
                        title: h.title.to_string(),
                        level: h.level,
                        techniques: h.techniques.to_vec(),
                        count: 1,
                        event_ids: vec![h.event_id.clone()],
                    }),
                }
            }
        }
        out.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(b.count.cmp(&a.count))
                .then(a.title.cmp(&b.title))
        });
        out
    }

    /// The highest rule level among the detections.
    pub fn max_rule_level(&self) -> Option<Risk> {
        self.detections().iter().map(|d| d.level).max()
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
