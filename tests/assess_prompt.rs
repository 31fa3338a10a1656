//! The prompt, snapshot-tested: any change of wording, layout or evidence shows in review
//! (and must come with a new `PROMPT_VERSION`).

mod assess_support;
use assess_support as fixtures;

use lookout::assess::input::PriorEvidence;
use lookout::assess::{PROMPT_VERSION, build_prompt};
use lookout::event::{Cause, Risk};

#[test]
fn prompt_snapshot_for_a_fixed_session() {
    let mut input = fixtures::lsass_dump();
    input.prior = Some(PriorEvidence {
        cause_scores: [
            (Cause::Malicious, 0.8),
            (Cause::Legitimate, 0.1),
            (Cause::Misconfiguration, 0.1),
        ]
        .into(),
        confidence: 0.64,
        risk: Some(Risk::High),
        techniques: vec!["T1003.001".into()],
        reason: "like session ws-42 that an analyst corrected to malicious".into(),
        correction_ids: vec!["7".into()],
        version: "prior-1".into(),
    });
    let p = build_prompt(&input, &fixtures::small_catalog());
    insta::assert_snapshot!(
        "prompt",
        format!(
            "PROMPT_VERSION={PROMPT_VERSION}\n=== system\n{}\n=== user\n{}",
            p.system, p.user
        )
    );
}

#[test]
fn prompt_starts_with_the_same_prefix_for_every_session() {
    let cat = fixtures::small_catalog();
    let a = build_prompt(&fixtures::lsass_dump(), &cat);
    let b = build_prompt(&fixtures::ssh_brute_force(), &cat);
    assert_eq!(a.system, b.system);
    assert!(a.user.starts_with("Session ") && b.user.starts_with("Session "));
}
