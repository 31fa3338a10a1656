//! The verdict an assessment produces, and the stored assessment around it (model's own
//! answer, evidence, the final combined verdict and why it differs).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Cause, Risk};

/// The schema-constrained answer (the model writes every field but `evidence`), also the shape
/// of the final (combined) verdict and of a corrected one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    pub cause: Cause,
    pub cause_explanation: String,
    pub risk_level: Risk,
    pub risk_justification: String,
    pub business_impact: String,
    pub likelihood: String,
    /// 1 = investigate now … 4 = when convenient.
    pub investigation_priority: u8,
    /// Valid ATT&CK ids (unknown ones are dropped and counted by the assessor).
    pub techniques: Vec<String>,
    pub anomalous_patterns: Vec<String>,
    pub summary: String,
    pub remediation: Vec<String>,
    /// Event ids the verdict relies on (from the rule hits; the model is not asked for them).
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// The order in which the model writes its answer's fields (the schema's and the prompt's
/// order). What the evidence shows comes first (techniques, anomalous patterns, the summary of
/// what ran) and the decisions after it, so a left-to-right decoder picks the cause and risk
/// having already written what it saw: with the cause first, a tuned 135M model named the right
/// technique for an LSASS dump and still called it legitimate.
pub const ANSWER_FIELDS: [&str; 11] = [
    "techniques",
    "anomalous_patterns",
    "summary",
    "cause",
    "cause_explanation",
    "risk_level",
    "risk_justification",
    "business_impact",
    "likelihood",
    "investigation_priority",
    "remediation",
];

impl Verdict {
    /// The verdict as the model writes it: the fields in [`ANSWER_FIELDS`] order, no
    /// `evidence`. The target answer of a training example and of a worked example is this text.
    pub fn answer_json(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut ordered = serde_json::Map::new();
        if let serde_json::Value::Object(mut m) = v {
            for f in ANSWER_FIELDS {
                if let Some(x) = m.shift_remove(f) {
                    ordered.insert(f.to_string(), x);
                }
            }
        }
        serde_json::Value::Object(ordered).to_string()
    }
}

/// Where a shown assessment came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessState {
    NotAssessed,
    Queued,
    Running,
    Done,
    FromCache,
    Failed,
}

/// One stored assessment of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub session_id: String,
    /// The verdict lookout shows: the documented combination of rules, prior and model.
    pub verdict: Verdict,
    /// The model's own answer, unchanged (None when no model ran, e.g. rules-only).
    pub model_verdict: Option<Verdict>,
    /// Why the final verdict differs from the model's (rule floor, prior, …), one note each.
    pub adjustments: Vec<String>,
    /// Technique ids the model proposed that the ATT&CK catalog does not know.
    pub dropped_techniques: Vec<String>,
    pub model_id: String,
    pub prompt_version: String,
    pub latency_ms: u64,
    pub created: DateTime<Utc>,
    pub from_cache: bool,
    /// Prompt tokens the model read and answer tokens it wrote (0 for rules-only).
    #[serde(default)]
    pub prompt_tokens: usize,
    #[serde(default)]
    pub completion_tokens: usize,
}
