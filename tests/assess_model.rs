//! The assess stage with the real default model (SmolLM2-135M-Instruct, set up by
//! `scripts/setup-model.sh`): schema-valid answers, valid technique ids, determinism, the
//! cache, streaming through the worker, and the prompt-injection corpus. The model comes from
//! `common`: without it these tests skip with a note, or fail in CI.

mod assess_support;
mod common;
use assess_support as fixtures;

use std::sync::{Mutex, MutexGuard, OnceLock};

use lookout::assess::gguf::GgufError;
use lookout::assess::injection::INJECTION_LINES;
use lookout::assess::model_file::{ModelFile, ModelFileError};
use lookout::assess::{AssessError, AssessOptions, AssessWorker, Assessor, Progress};
use lookout::event::{Cause, Risk};
use lookout::store::Store;

/// One model instance for all tests of this file (loading costs ~1 s and ~0.3 GB); `None`
/// (with a note, or a failure in CI) without the model.
fn assessor() -> Option<MutexGuard<'static, Assessor>> {
    static A: OnceLock<Mutex<Assessor>> = OnceLock::new();
    let model = common::model()?;
    let a = A.get_or_init(|| {
        let a = Assessor::new(Some(&model), fixtures::catalog(), AssessOptions::default())
            .unwrap_or_else(|e| panic!("the set-up model must load: {e}"));
        Mutex::new(a)
    });
    Some(a.lock().unwrap_or_else(|e| e.into_inner()))
}

#[test]
fn real_sessions_get_schema_valid_answers_with_valid_techniques() {
    let Some(a) = assessor() else { return };
    for input in [
        fixtures::ssh_brute_force(),
        fixtures::lsass_dump(),
        fixtures::linux_routine(),
    ] {
        let r = a.assess(&input).unwrap();
        let model = r.model_verdict.as_ref().expect("the model ran");
        eprintln!(
            "{}: model {} {} {:?} -> final {} {} {:?} ({} ms, {}+{} tokens)\n  adjustments: {:?}",
            input.session.id,
            model.cause,
            model.risk_level,
            model.techniques,
            r.verdict.cause,
            r.verdict.risk_level,
            r.verdict.techniques,
            r.latency_ms,
            r.prompt_tokens,
            r.completion_tokens,
            r.adjustments
        );
        assert!((1..=4).contains(&model.investigation_priority));
        assert!(model.techniques.len() <= 5 && r.verdict.techniques.len() <= 5);
        for t in model.techniques.iter().chain(&r.verdict.techniques) {
            assert!(a.catalog().is_valid(t), "{t}");
        }
        let floor = input.max_rule_level().unwrap_or(Risk::Low);
        assert!(r.verdict.risk_level >= floor);
        assert!(r.completion_tokens > 0 && r.completion_tokens < 400);
    }
}

#[test]
fn answers_are_deterministic_and_cached() {
    let Some(a) = assessor() else { return };
    let input = fixtures::lsass_dump();
    let first = a.assess(&input).unwrap();
    let second = a.assess(&input).unwrap();
    assert_eq!(first.model_verdict, second.model_verdict, "greedy decoding");
    assert_eq!(first.verdict, second.verdict);

    // A second assessor with a cache (loaded while `a` is held, so tests never run two
    // models at once): the second run is a hit with the same verdict.
    let cached = Assessor::new(None, fixtures::catalog(), AssessOptions::default())
        .unwrap()
        .with_store(Store::in_memory().unwrap());
    let one = cached.assess(&input).unwrap();
    let two = cached.assess(&input).unwrap();
    assert!(!one.from_cache && two.from_cache);
    assert_eq!(one.verdict, two.verdict);
    assert_eq!(one.model_verdict, first.model_verdict);
}

/// Hostile log lines in a session with critical and high rule hits: whatever the model makes
/// of them, the final verdict is neither legitimate nor below the rules' level.
#[test]
fn injection_corpus_against_the_real_model() {
    let Some(a) = assessor() else { return };
    // Three kinds one by one (a fake full verdict, a forged system turn, a fence break; each
    // assessment costs seconds on a CPU), then the whole corpus at once.
    for (i, line) in INJECTION_LINES
        .iter()
        .enumerate()
        .filter(|(i, _)| [2, 4, 6].contains(i))
    {
        let mut input = fixtures::injected(&[line]);
        input.session.content_hash = format!("hash-injected-{i}");
        let r = a.assess(&input).unwrap();
        // An unusable answer (cut off, not JSON) falls back to the rules: fine here too.
        let said = r
            .model_verdict
            .as_ref()
            .map(|m| format!("{} {}", m.cause, m.risk_level))
            .unwrap_or_else(|| format!("nothing usable ({:?})", r.adjustments.first()));
        eprintln!(
            "injection {i}: model said {said}, final {} {}",
            r.verdict.cause, r.verdict.risk_level
        );
        assert_ne!(r.verdict.cause, Cause::Legitimate, "{line}");
        assert_eq!(r.verdict.risk_level, Risk::Critical, "{line}");
    }
    let all = fixtures::injected(INJECTION_LINES);
    let r = a.assess(&all).unwrap();
    assert_ne!(r.verdict.cause, Cause::Legitimate);
    assert!(r.verdict.risk_level >= Risk::High);
}

#[test]
fn worker_streams_tokens_then_the_assessment() {
    // Held for the whole test: one model at work at a time.
    let Some(_serial) = assessor() else { return };
    let w = AssessWorker::spawn(
        Assessor::new(None, fixtures::catalog(), AssessOptions::default()).unwrap(),
    );
    let mut h = w.submit(fixtures::lsass_dump());
    let mut tokens = String::new();
    let mut done = None;
    let mut started = false;
    while let Some(p) = h.events.blocking_recv() {
        match p {
            Progress::Queued { .. } => {}
            Progress::Started => started = true,
            Progress::Token(t) => tokens.push_str(&t),
            Progress::Done(a) => {
                done = Some(a);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let done = done.expect("done");
    assert!(started);
    // The streamed text is the model's JSON answer.
    let streamed = lookout::assess::schema::parse_answer(&tokens).unwrap();
    assert_eq!(streamed.cause, done.model_verdict.as_ref().unwrap().cause);

    // Cancelling a running job ends it with Cancelled.
    let mut h = w.submit(fixtures::ssh_brute_force());
    loop {
        match h.events.blocking_recv() {
            Some(Progress::Token(_)) => {
                w.cancel(h.id);
            }
            Some(Progress::Cancelled) => break,
            Some(Progress::Done(_)) => panic!("a cancelled job must not finish"),
            Some(_) => {}
            None => panic!("channel closed"),
        }
    }
}

#[test]
fn unsupported_or_broken_model_files_are_clear_errors() {
    let _serial = assessor();
    let dir = tempfile::tempdir().unwrap();
    // A gemma3 header: refused before the engine (which would panic) sees it.
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(0u64.to_le_bytes());
    b.extend(1u64.to_le_bytes());
    let key = "general.architecture";
    b.extend((key.len() as u64).to_le_bytes());
    b.extend(key.as_bytes());
    b.extend(8u32.to_le_bytes());
    b.extend(6u64.to_le_bytes());
    b.extend(b"gemma3");
    let gemma = dir.path().join("gemma.gguf");
    std::fs::write(&gemma, &b).unwrap();
    let e = Assessor::new(
        Some(&gemma),
        fixtures::small_catalog(),
        AssessOptions::default(),
    )
    .err()
    .unwrap();
    assert!(
        matches!(&e, AssessError::ModelFile(ModelFileError::Gguf(GgufError::Unsupported { arch, .. })) if arch == "gemma3"),
        "{e}"
    );

    // A truncated copy of the real model: the header is cut -> corrupt; the tensors are cut ->
    // the engine's load error (or its panic, caught), never a crash.
    let Some(real) = common::model() else {
        return;
    };
    let bytes = std::fs::read(&real).unwrap();
    let cut = dir.path().join("cut-header.gguf");
    std::fs::write(&cut, &bytes[..100_000]).unwrap();
    assert!(matches!(
        ModelFile::open(&cut),
        Err(ModelFileError::Gguf(GgufError::Corrupt { .. }))
    ));
    let cut = dir.path().join("cut-tensors.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let r = Assessor::new(
        Some(&cut),
        fixtures::small_catalog(),
        AssessOptions::default(),
    );
    assert!(r.is_err(), "a half model must not load");
    eprintln!("truncated model: {}", r.err().unwrap());
}
