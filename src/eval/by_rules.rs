//! Technique figures split by what the rules already named in each session, so a report
//! says where a method only repeats the rules and where it adds to them: the sessions whose
//! rule hits name no true technique are the ones only the model (or the prior) can get right.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::techniques::{SameTechnique, TechniqueScores};

/// What a session's rule hits say about its true techniques.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleEvidence {
    /// A rule hit is tagged with one of the true techniques.
    RulesNameIt,
    /// Rule hits name techniques, none of them a true one.
    RulesNameOthers,
    /// No rule hit names a technique (none fired, or only untagged rules).
    NoRuleTechnique,
}

impl RuleEvidence {
    pub const ALL: [RuleEvidence; 3] = [
        RuleEvidence::RulesNameIt,
        RuleEvidence::RulesNameOthers,
        RuleEvidence::NoRuleTechnique,
    ];

    /// `rule_techniques` (the session's rule hits' tags) against `truth`, both normalised,
    /// ids mapped through `same`; `None` when the truth names no technique.
    pub fn of(rule_techniques: &[String], truth: &[String], same: &SameTechnique) -> Option<Self> {
        let key = |x: &String| same.get(x).unwrap_or(x).clone();
        let t: BTreeSet<String> = truth.iter().map(key).collect();
        if t.is_empty() {
            return None;
        }
        Some(if rule_techniques.is_empty() {
            RuleEvidence::NoRuleTechnique
        } else if rule_techniques.iter().any(|x| t.contains(&key(x))) {
            RuleEvidence::RulesNameIt
        } else {
            RuleEvidence::RulesNameOthers
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            RuleEvidence::RulesNameIt => "rules name a true technique",
            RuleEvidence::RulesNameOthers => "rules name only others",
            RuleEvidence::NoRuleTechnique => "no rule names a technique",
        }
    }
}

/// A method's technique figures over the sessions of one [`RuleEvidence`] class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceScores {
    pub evidence: RuleEvidence,
    pub scores: TechniqueScores,
}
