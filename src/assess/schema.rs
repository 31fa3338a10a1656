//! The JSON schema that constrains the model's answer during decoding, and the typed answer.
//!
//! Compact on purpose: every generated token costs ~25 ms on a laptop CPU, so strings have
//! short `maxLength`s and lists few items. Event ids are not asked for (a 32-hex id is ~20
//! tokens); the evidence ids come from the rule hits instead.

use serde_json::{Value, json};

use crate::attack::Catalog;
use crate::model::Verdict;

pub const MAX_TECHNIQUES: usize = 5;
const MAX_PATTERNS: usize = 2;
const MAX_REMEDIATION: usize = 2;

/// Field order of the schema; the prompt lists them in the same order.
pub const FIELDS: [&str; 11] = crate::model::ANSWER_FIELDS;

/// The schema (JSON Schema draft 2020-12 subset that llguidance compiles). Properties are
/// generated in the order listed; `x-guidance` turns off free whitespace so the answer is
/// one compact line (no tokens spent on indentation).
pub fn verdict_schema() -> Value {
    let text = |max: usize| json!({"type": "string", "minLength": 1, "maxLength": max});
    json!({
        "x-guidance": {"whitespace_flexible": false},
        "type": "object",
        "properties": {
            "techniques": {
                "type": "array",
                "maxItems": MAX_TECHNIQUES,
                "items": {"type": "string", "pattern": "^T[0-9]{4}(\\.[0-9]{3})?$"}
            },
            "anomalous_patterns": {"type": "array", "maxItems": MAX_PATTERNS, "items": text(60)},
            "summary": text(120),
            "cause": {"enum": ["malicious", "legitimate", "misconfiguration"]},
            "cause_explanation": text(100),
            "risk_level": {"enum": ["critical", "high", "medium", "low"]},
            "risk_justification": text(80),
            "business_impact": text(80),
            "likelihood": {"enum": ["high", "medium", "low"]},
            "investigation_priority": {"enum": [1, 2, 3, 4]},
            "remediation": {"type": "array", "maxItems": MAX_REMEDIATION, "items": text(60)}
        },
        "required": FIELDS,
        "additionalProperties": false
    })
}

/// Upper bound of generated tokens for one answer (strings at ~2.5 chars per token, keys,
/// punctuation), used as the request's `max_len` so a runaway answer cannot loop forever.
pub const MAX_ANSWER_TOKENS: usize = 360;

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

/// Parses the constrained output into a verdict (no evidence yet: the model is not asked for
/// event ids). The constraint makes this infallible in practice; an error here means an
/// engine or schema bug (or a cut-off answer), never a log's doing.
pub fn parse_answer(text: &str) -> Result<Verdict, AnswerError> {
    let v: Verdict = serde_json::from_str(text.trim()).map_err(|source| AnswerError::Json {
        source,
        answer: crate::text::one_line(text, 300),
    })?;
    if !(1..=4).contains(&v.investigation_priority) {
        return Err(AnswerError::Priority(v.investigation_priority));
    }
    Ok(v)
}

/// The model's verdict with only the technique ids the catalog knows (active ones, first
/// occurrence of a technique under any ATT&CK version's id, at most [`MAX_TECHNIQUES`]); the
/// unknown ones are returned apart.
pub fn known_techniques(mut v: Verdict, catalog: &Catalog) -> (Verdict, Vec<String>) {
    let mut techniques: Vec<String> = Vec::new();
    let mut dropped = Vec::new();
    for t in &v.techniques {
        match catalog.normalize(t) {
            Some(id) if !techniques.iter().any(|k| catalog.same_technique(k, &id)) => {
                techniques.push(id)
            }
            Some(_) => {}
            None => dropped.push(t.clone()),
        }
    }
    techniques.truncate(MAX_TECHNIQUES);
    v.techniques = techniques;
    v.evidence = Vec::new();
    (v, dropped)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::attack::Technique;
    use crate::event::Risk;

    fn t(id: &str) -> Technique {
        Technique {
            id: id.into(),
            name: id.into(),
            tactics: vec![],
            platforms: vec![],
            deprecated: false,
            revoked: false,
            replaced_by: None,
        }
    }

    fn catalog() -> Catalog {
        Catalog::from_techniques(vec![t("T1110"), t("T1110.001")], None, PathBuf::new())
    }

    const ANSWER: &str = r#"{"techniques":["T1110","T9999","T1110","T1110.001"],"anomalous_patterns":["412 failures"],"summary":"SSH brute force","cause":"malicious","cause_explanation":"brute force","risk_level":"high","risk_justification":"many failures","business_impact":"account takeover","likelihood":"high","investigation_priority":1,"remediation":["block IP"]}"#;

    #[test]
    fn schema_lists_every_answer_field_in_order() {
        let s = verdict_schema();
        let props: Vec<&String> = s["properties"].as_object().unwrap().keys().collect();
        assert_eq!(props, FIELDS.iter().collect::<Vec<_>>());
        assert_eq!(s["required"].as_array().unwrap().len(), FIELDS.len());
    }

    #[test]
    fn answer_parses_and_unknown_techniques_are_dropped() {
        let a = parse_answer(ANSWER).unwrap();
        let (v, dropped) = known_techniques(a, &catalog());
        assert_eq!(v.techniques, vec!["T1110", "T1110.001"]);
        assert_eq!(dropped, vec!["T9999"]);
        assert_eq!(v.risk_level, Risk::High);
    }

    /// A v19 id the crosswalk knows is a real answer; its v18 twin is the same technique.
    #[test]
    fn v19_ids_are_known_and_not_listed_twice() {
        let cat = Catalog::from_techniques(vec![t("T1070.001")], None, PathBuf::new());
        let mut a = parse_answer(ANSWER).unwrap();
        a.techniques = vec!["T1685.005".into(), "T1070.001".into(), "T9999".into()];
        let (v, dropped) = known_techniques(a, &cat);
        assert_eq!(v.techniques, ["T1685.005"]);
        assert_eq!(dropped, ["T9999"]);
    }

    #[test]
    fn malformed_answers_are_errors() {
        assert!(parse_answer("").is_err());
        assert!(parse_answer(&ANSWER[..50]).is_err());
        let bad = ANSWER.replace(
            "\"investigation_priority\":1",
            "\"investigation_priority\":9",
        );
        assert!(matches!(parse_answer(&bad), Err(AnswerError::Priority(9))));
        let extra = ANSWER.replace("{\"techniques\"", "{\"x\":1,\"techniques\"");
        assert!(parse_answer(&extra).is_err());
        let text = parse_answer(ANSWER).unwrap().answer_json();
        assert_eq!(text, ANSWER, "an answer written back is the same JSON");
    }
}
