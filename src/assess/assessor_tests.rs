//! The assessor's handling of an unusable model answer (model builds only:
//! `assessment_from_answer` exists only with the `model` feature).

use super::super::testutil::{catalog, detection, input};
use super::*;
use crate::event::{Cause, Risk};

#[test]
fn an_unusable_answer_gets_the_rules_verdict_and_says_why() {
    let a = Assessor::rules_only(catalog());
    let input = input(
        vec![detection("LSASS access", Risk::High, &["T1003.001"], 2)],
        "lsass",
    );
    let cut = Raw {
        text: r#"{"cause":"legitimate","cause_explanation":"aaaaaaaa"#.into(),
        prompt_tokens: 900,
        completion_tokens: MAX_ANSWER_TOKENS,
        model: None,
    };
    let r = a
        .assessment_from_answer(&input, &cut, Instant::now())
        .unwrap();
    assert_eq!(r.verdict.cause, Cause::Malicious);
    assert_eq!(r.verdict.risk_level, Risk::High);
    assert!(r.model_verdict.is_none());
    assert!(r.adjustments[0].contains("cut off"), "{:?}", r.adjustments);
    assert!(r.verdict.summary.contains("model answer unusable"));

    let junk = Raw {
        text: "not json".into(),
        prompt_tokens: 900,
        completion_tokens: 3,
        model: None,
    };
    let r = a
        .assessment_from_answer(&input, &junk, Instant::now())
        .unwrap();
    assert!(
        r.adjustments[0].contains("not the schema's JSON"),
        "{:?}",
        r.adjustments
    );
}
