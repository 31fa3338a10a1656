//! The learned prior: k-nearest labelled or corrected sessions by TF-IDF cosine similarity of
//! their features. It retrains in milliseconds, so a correction improves the next similar
//! assessment at once, and every score comes with its reason ("like session X that you
//! corrected to misconfiguration").

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::features::session_features;
use crate::attack::builtin_key;
use crate::event::{Cause, Risk};
use crate::model::{ExampleRef, PriorEvidence, PriorSource, Session};

/// Where a training example's answer came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExampleSource {
    /// Ground truth attached at ingest (`--label`) or from a labels file.
    Label,
    /// An analyst's correction (or confirmation), by its id in the store.
    Correction { id: i64 },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Example {
    pub session_id: String,
    pub host: String,
    pub cause: Cause,
    pub risk: Option<Risk>,
    pub techniques: Vec<String>,
    pub source: ExampleSource,
    pub features: Vec<(String, f64)>,
}

impl Example {
    pub fn from_session(
        s: &Session,
        cause: Cause,
        risk: Option<Risk>,
        techniques: Vec<String>,
        source: ExampleSource,
    ) -> Self {
        Example {
            session_id: s.id.clone(),
            host: s.host.clone(),
            cause,
            risk,
            techniques,
            source,
            features: session_features(s),
        }
    }
}

/// One neighbour the prior relied on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    pub session_id: String,
    pub similarity: f64,
    pub cause: Cause,
    pub source: ExampleSource,
}

/// The prior's answer for one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorVerdict {
    /// Normalised vote per cause (sums to 1).
    pub cause_scores: BTreeMap<Cause, f64>,
    pub cause: Cause,
    /// Top cause score × how similar the neighbours are (0..1): how much to trust it.
    pub confidence: f64,
    pub risk: Option<Risk>,
    /// Techniques with their vote share, best first.
    pub techniques: Vec<(String, f64)>,
    pub reason: String,
    pub neighbours: Vec<Neighbour>,
    /// Changes whenever the training set changes: cached assessments that used an older
    /// prior are refreshed.
    pub version: String,
}

pub struct Prior {
    examples: Vec<Example>,
    vectors: Vec<HashMap<String, f64>>,
    norms: Vec<f64>,
    idf: HashMap<String, f64>,
    version: String,
    k: usize,
    min_similarity: f64,
}

/// Analysts' corrections count more than bulk corpus labels.
const CORRECTION_WEIGHT: f64 = 3.0;

impl Prior {
    pub fn train(examples: Vec<Example>) -> Prior {
        let n = examples.len().max(1) as f64;
        let mut df: HashMap<String, f64> = HashMap::new();
        for e in &examples {
            let mut seen: Vec<&str> = e.features.iter().map(|(t, _)| t.as_str()).collect();
            seen.sort_unstable();
            seen.dedup();
            for t in seen {
                *df.entry(t.to_string()).or_default() += 1.0;
            }
        }
        let idf: HashMap<String, f64> = df
            .into_iter()
            .map(|(t, d)| (t, ((n + 1.0) / (d + 1.0)).ln() + 1.0))
            .collect();
        let vectors: Vec<HashMap<String, f64>> =
            examples.iter().map(|e| weigh(&e.features, &idf)).collect();
        let norms = vectors.iter().map(norm).collect();
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for e in &examples {
            h.update(e.session_id.as_bytes());
            h.update(e.cause.as_str().as_bytes());
            h.update(format!("{:?}{:?}{:?}", e.risk, e.techniques, e.source).as_bytes());
        }
        Prior {
            examples,
            vectors,
            norms,
            idf,
            version: format!("{:016x}", h.digest()),
            k: 5,
            min_similarity: 0.25,
        }
    }

    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// The example (label or correction) of this session, if the prior holds one.
    pub fn example(&self, session_id: &str) -> Option<&Example> {
        self.examples.iter().find(|e| e.session_id == session_id)
    }

    /// The prior for `session`, or `None` when no example is similar enough. Examples of the
    /// session itself are skipped (no leakage of its own label).
    pub fn predict(&self, session: &Session) -> Option<PriorVerdict> {
        let q = weigh(&session_features(session), &self.idf);
        let qn = norm(&q);
        if qn == 0.0 {
            return None;
        }
        let mut scored: Vec<(usize, f64)> = self
            .vectors
            .iter()
            .enumerate()
            .filter(|(i, _)| self.examples[*i].session_id != session.id)
            .map(|(i, v)| (i, dot(&q, v) / (qn * self.norms[i]).max(1e-12)))
            .filter(|(_, s)| *s >= self.min_similarity)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(self.k);
        if scored.is_empty() {
            return None;
        }
        let mut votes: BTreeMap<Cause, f64> = BTreeMap::new();
        let mut risk_votes: BTreeMap<Risk, f64> = BTreeMap::new();
        // Keyed by the id a technique counts as across ATT&CK versions, so that neighbours
        // labelled `T1070.001` and tagged `T1685.005` vote for one technique; each member id
        // keeps its own weight to name the group by its most voted id.
        let mut tech_votes: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        let mut total = 0.0;
        for (i, sim) in &scored {
            let e = &self.examples[*i];
            let w = sim
                * if matches!(e.source, ExampleSource::Correction { .. }) {
                    CORRECTION_WEIGHT
                } else {
                    1.0
                };
            total += w;
            *votes.entry(e.cause).or_default() += w;
            if let Some(r) = e.risk {
                *risk_votes.entry(r).or_default() += w;
            }
            for t in &e.techniques {
                *tech_votes
                    .entry(builtin_key(t))
                    .or_default()
                    .entry(t.clone())
                    .or_default() += w;
            }
        }
        let cause_scores: BTreeMap<Cause, f64> = Cause::ALL
            .iter()
            .map(|c| (*c, votes.get(c).copied().unwrap_or(0.0) / total))
            .collect();
        let (cause, top) = cause_scores
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(c, s)| (*c, *s))
            .unwrap_or((Cause::Legitimate, 0.0));
        let best_sim = scored[0].1;
        let risk = risk_votes
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(r, _)| *r);
        let mut techniques: Vec<(String, f64)> = tech_votes
            .into_values()
            .filter_map(|ids| {
                let sum: f64 = ids.values().sum();
                // Most voted member; ties go to the first id in order.
                let best = ids
                    .into_iter()
                    .reduce(|a, b| if b.1 > a.1 { b } else { a })?;
                Some((best.0, sum / total))
            })
            .collect();
        techniques.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        techniques.truncate(5);
        let neighbours: Vec<Neighbour> = scored
            .iter()
            .map(|(i, sim)| Neighbour {
                session_id: self.examples[*i].session_id.clone(),
                similarity: (*sim * 1000.0).round() / 1000.0,
                cause: self.examples[*i].cause,
                source: self.examples[*i].source.clone(),
            })
            .collect();
        let lead = &self.examples[scored[0].0];
        let how = match lead.source {
            ExampleSource::Correction { .. } => "that an analyst corrected to",
            ExampleSource::Label => "labelled",
        };
        let reason = format!(
            "like session {} {how} {} (similarity {:.2}); {} of {} nearest sessions vote {}",
            lead.session_id,
            lead.cause,
            best_sim,
            scored
                .iter()
                .filter(|(i, _)| self.examples[*i].cause == cause)
                .count(),
            scored.len(),
            cause
        );
        Some(PriorVerdict {
            cause_scores,
            cause,
            confidence: top * best_sim,
            risk,
            techniques,
            reason,
            neighbours,
            version: self.version.clone(),
        })
    }
}

fn weigh(features: &[(String, f64)], idf: &HashMap<String, f64>) -> HashMap<String, f64> {
    let mut v: HashMap<String, f64> = HashMap::new();
    for (t, w) in features {
        // Unknown tokens carry no information about the training set's answers.
        if let Some(i) = idf.get(t) {
            *v.entry(t.clone()).or_default() += w * i;
        }
    }
    v
}

fn norm(v: &HashMap<String, f64>) -> f64 {
    v.values().map(|x| x * x).sum::<f64>().sqrt()
}

fn dot(a: &HashMap<String, f64>, b: &HashMap<String, f64>) -> f64 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small
        .iter()
        .filter_map(|(k, x)| large.get(k).map(|y| x * y))
        .sum()
}

impl PriorVerdict {
    /// The prior's answer as the plain evidence an assessment reads.
    pub fn evidence(&self) -> PriorEvidence {
        PriorEvidence {
            cause_scores: self.cause_scores.clone(),
            confidence: self.confidence,
            risk: self.risk,
            techniques: self.techniques.iter().map(|(t, _)| t.clone()).collect(),
            reason: self.reason.clone(),
            correction_ids: self
                .neighbours
                .iter()
                .filter_map(|n| match n.source {
                    ExampleSource::Correction { id } => Some(id.to_string()),
                    ExampleSource::Label => None,
                })
                .collect(),
            version: self.version.clone(),
        }
    }
}

/// The assess stage asks the prior through this seam: the evidence, and the first `examples`
/// neighbours (those still among the training examples) as worked examples.
impl PriorSource for Prior {
    fn evidence(
        &self,
        session: &Session,
        examples: usize,
    ) -> Option<(PriorEvidence, Vec<ExampleRef>)> {
        let v = self.predict(session)?;
        let refs = v
            .neighbours
            .iter()
            .take(examples)
            .filter_map(|n| self.example(&n.session_id))
            .map(|e| ExampleRef {
                session_id: e.session_id.clone(),
                cause: e.cause,
                risk: e.risk.unwrap_or(e.cause.typical_risk()),
                techniques: e.techniques.clone(),
            })
            .collect();
        Some((v.evidence(), refs))
    }
}
