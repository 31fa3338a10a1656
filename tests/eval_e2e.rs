//! `lookout eval` end to end on the shared labelled corpora, with every method and the real
//! default model: EVTX attack samples (file labels with techniques) and a Stratosphere capture
//! with per-flow labels (benign and malicious flows), ingested by the binary with their labels
//! files, then scored into both reports. Needs the corpora and the model (`common`).

mod common;

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lookout");
const METHODS: [&str; 5] = ["rules", "learned", "model", "combined", "model+fewshot"];

fn lookout(data: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--data-dir",
            &data.display().to_string(),
            "--case",
            "corpora",
        ])
        .args(args)
        .output()
        .expect("lookout runs");
    assert!(
        out.status.success(),
        "lookout {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn eval_scores_every_method_on_the_corpora_and_writes_both_reports() {
    let (Some(d), Some(_)) = (common::datasets(), common::model()) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |p: &str| d.join(p).display().to_string();
    lookout(
        dir.path(),
        &[
            "ingest",
            "--labels",
            &path("evtx-attack/labels.tsv"),
            &path("evtx-attack/Credential Access"),
        ],
    );
    lookout(
        dir.path(),
        &[
            "ingest",
            "--labels",
            &path("slips/labels.tsv"),
            &path("slips/dataset/test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled"),
        ],
    );

    let md = dir.path().join("report.md");
    let out = lookout(
        dir.path(),
        &[
            "eval",
            "--methods",
            &METHODS.join(","),
            "--sample",
            "6",
            "--json",
            "--md",
            &md.display().to_string(),
        ],
    );

    // The JSON report, read without lookout's own types.
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON report");
    let sessions = json["dataset"]["sessions"]
        .as_u64()
        .expect("dataset.sessions");
    assert!(
        (2..=8).contains(&sessions),
        "a sample of about 6: {sessions}"
    );
    let dataset = &json["dataset"];
    assert!(
        dataset["malicious"].as_u64() > Some(0) && dataset["legitimate"].as_u64() > Some(0),
        "both causes in the sample: {dataset}"
    );
    let methods = json["methods"].as_array().expect("methods");
    let names: Vec<&str> = methods.iter().filter_map(|m| m["name"].as_str()).collect();
    assert_eq!(names, METHODS);
    for m in methods {
        let name = m["name"].as_str().unwrap_or_default();
        let (predicted, missing) = (m["predictions"].as_u64(), m["missing"].as_u64());
        assert_eq!(
            predicted.zip(missing).map(|(p, q)| p + q),
            Some(sessions),
            "{name}: every sampled session predicted or counted missing"
        );
        let b = &m["binary"]["counts"];
        let (tp, fp, tn, fn_) = (
            b["tp"].as_u64(),
            b["fp"].as_u64(),
            b["tn"].as_u64(),
            b["fn"].as_u64(),
        );
        assert_eq!(
            [tp, fp, tn, fn_]
                .iter()
                .map(|v| v.expect("counts"))
                .sum::<u64>(),
            sessions,
            "{name}: the confusion counts cover the sample"
        );
        assert!(
            m["cost"]["sessions_per_s"].as_f64().is_some(),
            "{name}: cost"
        );
    }
    // The model methods ran the model: it takes real time per session.
    for name in ["model", "model+fewshot"] {
        let m = methods.iter().find(|m| m["name"] == name).expect(name);
        assert!(
            m["cost"]["mean_ms"].as_f64() > Some(50.0),
            "{name} latency {}",
            m["cost"]
        );
    }

    // The Markdown report names every method in its tables.
    let text = std::fs::read_to_string(&md).expect("the Markdown report is written");
    assert!(text.starts_with("# lookout evaluation"), "{text}");
    for name in METHODS {
        assert!(text.contains(&format!("| {name} |")), "{name} in {text}");
    }
    for section in [
        "## Malicious vs not",
        "## Cause (3 classes)",
        "## At other prevalences",
    ] {
        assert!(text.contains(section), "{section}");
    }
}
