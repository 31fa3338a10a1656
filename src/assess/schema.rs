//! The JSON schema that constrains the model's answer during decoding, and the typed answer.
//!
//! Compact on purpose: every generated token costs ~25 ms on a laptop CPU, so strings have
//! short `maxLength`s and lists few items. Event ids are not asked for (a 32-hex id is ~20
//! tokens); the evidence ids come from the rule hits instead.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::verdict::Verdict;
use crate::attack::Catalog;
use crate::event::{Cause, Risk};

pub const MAX_TECHNIQUES: usize = 5;
const MAX_PATTERNS: usize = 2;
const MAX_REMEDIATION: usize = 2;

/// Field order of the schema; the prompt lists them in the same order.
pub const FIELDS: [&str; 11] = [
    "cause",
    "cause_explanation",
    "risk_level",
    "risk_justification",
    "business_impact",
    "likelihood",
    "investigation_priority",
    "techniques",
    "anomalous_patterns",
    "summary",
    "remediation",
];

/// The schema (JSON Schema draft 2020-12 subset that llguidance compiles). Properties are
/// generated in the order listed; `x-guidance` turns off free whitespace so the answer is
/// one compact line (no tokens spent on indentation).
pub fn verdict_schema() -> Value {
    let text = |max: usize| json!({"type": "string", "minLength": 1, "maxLength": max});
    json!({
        "x-guidance": {"whitespace_flexible": false},
        "type": "object",
        "properties": {
            "cause": {"enum": ["malicious", "legitimate", "misconfiguration"]},
            "cause_explanation": text(100),
            "risk_level": {"enum": ["critical", "high", "medium", "low"]},
            "risk_justification": text(80),
            "business_impact": text(80),
            "likelihood": {"enum": ["high", "medium", "low"]},
            "investigation_priority": {"enum": [1, 2, 3, 4]},
            "techniques": {
                "type": "array",
                "maxItems": MAX_TECHNIQUES,
                "items": {"type": "string", "pattern": "^T[0-9]{4}(\\.[0-9]{3})?$"}
            },
            "anomalous_patterns": {"type": "array", "maxItems": MAX_PATTERNS, "items": text(60)},
            "summary": text(120),
            "remediation": {"type": "array", "maxItems": MAX_REMEDIATION, "items": text(60)}
        },
        "required": FIELDS,
        "additionalProperties": false
    })
}

/// Upper bound of generated tokens for one answer (strings at ~2.5 chars per token, keys,
/// punctuation), used as the request's `max_len` so a runaway answer cannot loop forever.
pub const MAX_ANSWER_TOKENS: usize = 360;

/// The model's answer, exactly as the schema shapes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelAnswer {
    pub cause: Cause,
    pub cause_explanation: String,
    pub risk_level: Risk,
    pub risk_justification: String,
    pub business_impact: String,
    pub likelihood: String,
    pub investigation_priority: u8,
    pub techniques: Vec<String>,
    pub anomalous_patterns: Vec<String>,
    pub summary: String,
    pub remediation: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("model answer is not the schema's JSON: {source} (answer: {answer})")]
    Json {
        source: serde_json::Error,
        answer: String,
    },
    #[error("model answer: investigation_priority {0} is outside 1..=4")]
    Priority(u8),
}

/// A verdict as the model's answer JSON (training data: the same shape the model writes).
impl From<&Verdict> for ModelAnswer {
    fn from(v: &Verdict) -> ModelAnswer {
        ModelAnswer {
            cause: v.cause,
            cause_explanation: v.cause_explanation.clone(),
            risk_level: v.risk_level,
            risk_justification: v.risk_justification.clone(),
            business_impact: v.business_impact.clone(),
            likelihood: v.likelihood.clone(),
            investigation_priority: v.investigation_priority,
            techniques: v.techniques.clone(),
            anomalous_patterns: v.anomalous_patterns.clone(),
            summary: v.summary.clone(),
            remediation: v.remediation.clone(),
        }
    }
}

impl ModelAnswer {
    /// Parses the constrained output. The constraint makes this infallible in practice; an
    /// error here means an engine or schema bug (or a cut-off answer), never a log's doing.
    pub fn parse(text: &str) -> Result<ModelAnswer, AnswerError> {
        let a: ModelAnswer =
            serde_json::from_str(text.trim()).map_err(|source| AnswerError::Json {
                source,
                answer: crate::text::one_line(text, 300),
            })?;
        if !(1..=4).contains(&a.investigation_priority) {
            return Err(AnswerError::Priority(a.investigation_priority));
        }
        Ok(a)
    }

    /// The model's verdict with only the technique ids the catalog knows (active ones, first
    /// occurrence, at most [`MAX_TECHNIQUES`]); the unknown ones are returned apart.
    pub fn into_verdict(self, catalog: &Catalog) -> (Verdict, Vec<String>) {
        let mut techniques: Vec<String> = Vec::new();
        let mut dropped = Vec::new();
        for t in &self.techniques {
            match catalog.normalize(t) {
                Some(id) if !techniques.contains(&id) => techniques.push(id),
                Some(_) => {}
                None => dropped.push(t.clone()),
            }
        }
        techniques.truncate(MAX_TECHNIQUES);
        let v = Verdict {
            cause: self.cause,
            cause_explanation: self.cause_explanation,
            risk_level: self.risk_level,
            risk_justification: self.risk_justification,
            business_impact: self.business_impact,
            likelihood: self.likelihood,
            investigation_priority: self.investigation_priority,
            techniques,
            anomalous_patterns: self.anomalous_patterns,
            summary: self.summary,
            remediation: self.remediation,
            evidence: Vec::new(),
        };
        (v, dropped)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::attack::Technique;

    fn catalog() -> Catalog {
        let t = |id: &str| Technique {
            id: id.into(),
            name: id.into(),
            tactics: vec![],
            platforms: vec![],
            deprecated: false,
            revoked: false,
            replaced_by: None,
        };
        Catalog::from_techniques(vec![t("T1110"), t("T1110.001")], None, PathBuf::new())
    }

    const ANSWER: &str = r#"{"cause":"malicious","cause_explanation":"brute force","risk_level":"high","risk_justification":"many failures","business_impact":"account takeover","likelihood":"high","investigation_priority":1,"techniques":["T1110","T9999","T1110","T1110.001"],"anomalous_patterns":["412 failures"],"summary":"SSH brute force","remediation":["block IP"]}"#;

    #[test]
    fn schema_lists_every_answer_field_in_order() {
        let s = verdict_schema();
        let props: Vec<&String> = s["properties"].as_object().unwrap().keys().collect();
        assert_eq!(props, FIELDS.iter().collect::<Vec<_>>());
        assert_eq!(s["required"].as_array().unwrap().len(), FIELDS.len());
    }

    #[test]
    fn answer_parses_and_unknown_techniques_are_dropped() {
        let a = ModelAnswer::parse(ANSWER).unwrap();
        let (v, dropped) = a.into_verdict(&catalog());
        assert_eq!(v.techniques, vec!["T1110", "T1110.001"]);
        assert_eq!(dropped, vec!["T9999"]);
        assert_eq!(v.risk_level, Risk::High);
    }

    #[test]
    fn malformed_answers_are_errors() {
        assert!(ModelAnswer::parse("").is_err());
        assert!(ModelAnswer::parse(&ANSWER[..50]).is_err());
        let bad = ANSWER.replace(
            "\"investigation_priority\":1",
            "\"investigation_priority\":9",
        );
        assert!(matches!(
            ModelAnswer::parse(&bad),
            Err(AnswerError::Priority(9))
        ));
        let extra = ANSWER.replace("{\"cause\"", "{\"x\":1,\"cause\"");
        assert!(ModelAnswer::parse(&extra).is_err());
    }
}
