//! Batched assessment with the real default model: sessions decoded together get the verdicts
//! they get one at a time, the answers come back for every session whatever order they finish
//! in, and cancelling one session of a batch leaves the others running.
//!
//! Bound of the difference: a batched decode step multiplies several rows at once, and the
//! kernels sum those products in another order than for one row, so logits differ in their
//! last bits; where two tokens of the free text are nearly tied, greedy decoding can then take
//! the other one (measured: 1 of 4 answers here differed, from its fourth field on). The
//! answer names its evidence (techniques, patterns, summary) before it decides the cause and
//! risk, so a text that took the other token at a tie can go on to another cause (the tuned
//! model v7: the SSH brute force, batched with two others, once answered malicious instead of
//! misconfiguration after its summary had diverged). The bound kept: most answers byte for byte,
//! at most one answer of a batch with other decisions, and never a decision that differs while
//! everything the answer said before it is the same; `lookout bench assess --batch` reports the
//! share on a real case. The default stays one session at a time (`model.batch = 1`).
//!
//! The second batch runs beside the prefix cache the first one left (the engine keeps the two
//! latest finished sequences; a prompt identical to a cached one is computed whole), so two of
//! its four sequences start from another session's cached instructions and two from nothing:
//! sequences with different cache offsets take turns, and the one cancelled at its first token
//! empties its bucket. That is the case where the engine once restarted the others' answers as
//! prompts on top of their caches (patches/README.md, the scheduler section).

mod assess_support;
mod common;
use assess_support as fixtures;

use std::ops::ControlFlow;

use lookout::assess::{AssessError, AssessInput, AssessOptions, Assessor};

fn inputs() -> Vec<AssessInput> {
    vec![
        fixtures::ssh_brute_force(),
        fixtures::lsass_dump(),
        fixtures::linux_routine(),
        fixtures::injected(&["Mar  2 10:00:00 web01 sshd[1]: Accepted password for bob"]),
    ]
}

fn assessor(batch: usize) -> Option<Assessor> {
    let model = common::model()?;
    Some(
        Assessor::new(
            Some(&model),
            fixtures::catalog(),
            AssessOptions {
                batch,
                ..AssessOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("the set-up model must load: {e}")),
    )
}

/// The model's own answer per input, `width` at a time; `cancel` drops those inputs.
fn answers(
    a: &Assessor,
    inputs: &[AssessInput],
    width: usize,
    cancel: &[usize],
) -> Vec<Result<String, String>> {
    let mut out: Vec<Option<Result<String, String>>> = vec![None; inputs.len()];
    a.assess_many(inputs, width, &|i| cancel.contains(&i), &mut |i, r| {
        assert!(out[i].is_none(), "input {i} answered twice");
        out[i] = Some(match r {
            Ok(asm) => Ok(asm.model_verdict.expect("the model answered").answer_json()),
            Err(AssessError::Cancelled) => Err("cancelled".into()),
            Err(e) => Err(e.to_string()),
        });
        ControlFlow::Continue(())
    })
    .expect("assess_many");
    out.into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|| panic!("input {i} never answered")))
        .collect()
}

#[test]
fn batched_answers_equal_one_at_a_time_and_one_cancelled_leaves_the_others() {
    let (Some(one), Some(four)) = (assessor(1), assessor(4)) else {
        return;
    };
    let inputs = inputs();
    let alone = answers(&one, &inputs, 1, &[]);
    drop(one);
    assert!(alone.iter().all(Result::is_ok), "{alone:?}");
    let together = answers(&four, &inputs, 4, &[]);
    let mut identical = 0;
    let mut decided_otherwise = 0;
    for (i, (a, b)) in alone.iter().zip(&together).enumerate() {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().expect("a batched answer"));
        decided_otherwise += within_bound(i, a, b);
        identical += usize::from(a == b);
    }
    assert!(
        decided_otherwise <= 1,
        "{decided_otherwise} batched answers decided otherwise"
    );
    assert!(
        identical * 2 >= inputs.len(),
        "only {identical} of {} answers byte for byte",
        inputs.len()
    );
    // The stats saw every request of the batch.
    assert_eq!(four.stats().requests, inputs.len());

    let cancelled = answers(&four, &inputs, 4, &[1]);
    assert_eq!(cancelled[1], Err("cancelled".to_string()));
    let mut decided_otherwise = 0;
    for i in [0, 2, 3] {
        let answer = cancelled[i].as_ref().expect("the others are answered");
        decided_otherwise += within_bound(i, alone[i].as_ref().unwrap(), answer);
    }
    assert!(
        decided_otherwise <= 1,
        "after input 1 was cancelled, {decided_otherwise} answers decided otherwise"
    );
}

/// 1 when the batched answer `b` decides otherwise than `a`, which is only allowed after the
/// text the answer writes before its decisions has diverged; 0 when the decisions agree.
fn within_bound(i: usize, a: &str, b: &str) -> usize {
    if decisions(a) == decisions(b) {
        return 0;
    }
    assert_ne!(
        evidence(a),
        evidence(b),
        "input {i}: the batched answer decides otherwise with the same evidence:\n{a}\n{b}"
    );
    1
}

/// What the answer says before it decides: its anomalous patterns and summary.
fn evidence(answer: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(answer).expect("answer JSON");
    ["anomalous_patterns", "summary"]
        .iter()
        .map(|k| v[k].clone())
        .collect()
}

/// The fields of an answer that decide what the analyst sees first.
fn decisions(answer: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(answer).expect("answer JSON");
    [
        "cause",
        "risk_level",
        "likelihood",
        "investigation_priority",
        "techniques",
    ]
    .iter()
    .map(|k| v[k].clone())
    .collect()
}
