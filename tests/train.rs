//! End-to-end `lookout train` on a tiny chat set (tests/fixtures/train): three optimizer steps,
//! conversion to a Q8_0 GGUF, registration, and the tuned GGUF assessing a real session through
//! mistral.rs. Needs the training venv (`make test` sets it up through scripts/setup-train.sh,
//! ~3 GB from PyPI, cached), the base model and the engine (`make setup`, default features);
//! `common` finds them (`$LOOKOUT_TRAIN_VENV`, `$LOOKOUT_BASE_GGUF`) and fails in CI without them.

mod assess_support;
mod common;

use lookout::assess::model_file::resolve_model;
use lookout::assess::registry::load_registry;
use lookout::assess::{AssessOptions, Assessor};
use lookout::learn::train::{self, Method, TrainOptions};

#[test]
fn trains_three_steps_converts_and_registers() {
    let (Some(venv), Some(base), Some(_)) =
        (common::train_venv(), common::base_gguf(), common::model())
    else {
        return;
    };
    let data = tempfile::tempdir().expect("temp dir");
    let fixtures = common::fixtures("train");
    let mut opts = TrainOptions::new("tiny-test", data.path(), &fixtures, &base);
    opts.method = Method::Lora;
    opts.steps = Some(3);
    opts.batch = 2;
    opts.max_len = 384;
    opts.train_layers = 2;
    opts.decision_weight = Some(4.0);
    opts.venv = Some(venv);
    opts.allow_setup = false;

    let report = train::train(&opts).expect("training, conversion and registration");
    assert_eq!(report.train.steps, 3);
    assert_eq!(report.train.examples, 6);
    assert!(report.train.train_loss.is_some_and(f64::is_finite));
    assert!(report.train.val_loss.is_some_and(f64::is_finite));
    assert!(report.train.peak_rss_mb > 0.0);
    // The weight reached the tokens that spell each training answer's cause, risk and techniques.
    assert_eq!(report.train.decision_weight, Some(4.0));
    assert!(
        report.train.decision_tokens.unwrap_or(0) >= 2 * report.train.examples,
        "{:?}",
        report.train.decision_tokens
    );

    let gguf =
        resolve_model(data.path(), Some("tiny-test"), None).expect("the registered model resolves");
    assert_eq!(gguf, data.path().join("models/tiny-test.gguf"));
    let head = std::fs::read(&gguf).expect("reading the GGUF");
    assert_eq!(&head[..4], b"GGUF");
    assert_eq!(
        lookout::assess::gguf::architecture(&gguf).expect("GGUF header"),
        "llama"
    );
    assert_eq!(report.convert.tokenizer_matches_base, Some(true));

    let reg = load_registry(data.path()).expect("registry");
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].name, "tiny-test");
    assert_eq!(reg[0].method, Method::Lora);
    assert!(reg[0].dataset_sha256.contains_key("train.jsonl"));

    // What `assess --model tiny-test` does: mistral.rs loads the tuned GGUF, and the answer it
    // gives a real session is a verdict within the schema (three steps teach it nothing more).
    let a = Assessor::new(
        Some(&gguf),
        assess_support::catalog(),
        AssessOptions::default(),
    )
    .expect("mistral.rs loads the tuned GGUF");
    let r = a
        .assess(&assess_support::ssh_brute_force())
        .expect("an assessment by the tuned model");
    let answer = r.model_verdict.expect("the tuned model answered");
    assert!((1..=4).contains(&answer.investigation_priority));
    assert!(r.completion_tokens > 0);
    drop(a);

    // The same name again is refused before any training.
    assert!(train::train(&opts).is_err());
}
