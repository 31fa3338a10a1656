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
    opts.checkpoints = 2;
    opts.free_answers = 1;
    opts.venv = Some(venv.clone());
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

    // Two validation checks (steps 2 and 3), each with the decision report of both validation
    // answers; the kept parameters are one check's, with that check's figures.
    let steps: Vec<u64> = report
        .train
        .checkpoints
        .iter()
        .filter_map(|c| c["step"].as_u64())
        .collect();
    assert_eq!(steps, [2, 3], "{:?}", report.train.checkpoints);
    let kept = report
        .train
        .checkpoints
        .iter()
        .find(|c| c["step"].as_u64() == report.train.selected_step.map(|s| s as u64))
        .expect("the kept step is one of the checks");
    assert_eq!(kept["val_loss"].as_f64(), report.train.val_loss);
    let decision = report.train.decision.as_ref().expect("a decision report");
    assert_eq!(decision["answers"], 2, "{decision}");
    // One validation prompt answered by the model itself at each check.
    assert_eq!(decision["free"]["answers"], 1, "{decision}");
    let score = report.train.decision_score().expect("a decision score");
    assert!((0.0..=1.0).contains(&score), "{decision}");
    assert!(report.train.decision_before.is_some());

    // train.py --score-adapter reads the saved adapter back: the same validation figures as
    // the kept parameters (the factors are saved as float16).
    let adapter = report
        .train
        .adapter
        .as_deref()
        .expect("a LoRA run saves its adapter");
    let out = std::process::Command::new(venv.join("bin/python"))
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("training/train.py"))
        .arg("--base")
        .arg(&base)
        .arg("--train")
        .arg(fixtures.join("train.jsonl"))
        .arg("--val")
        .arg(fixtures.join("val.jsonl"))
        .args(["--out", &data.path().join("score").display().to_string()])
        .args(["--max-len", "384", "--score-adapter", adapter])
        .output()
        .expect("running train.py --score-adapter");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let scored: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("a JSON line");
    let loss = scored["val_loss"].as_f64().expect("a validation loss");
    let kept_loss = report.train.val_loss.unwrap_or(f64::NAN);
    assert!((loss - kept_loss).abs() < 0.01, "{loss} vs {kept_loss}");
    assert_eq!(scored["decision"]["answers"], 2);

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
