//! `lookout train --export-only`: the training set `train` would use is written, its folder
//! printed, and nothing is trained (no venv, no run folder, no registered model): the first half
//! of training on another machine (`make model` with `EXPORT_ONLY=1`). Needs the ATT&CK
//! catalog (`common`).

mod common;

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lookout");

fn lookout(data: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--data-dir", &data.display().to_string(), "--case", "lab"])
        .args(args)
        .output()
        .expect("lookout runs");
    assert!(
        out.status.success(),
        "lookout {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn export_only_writes_the_training_set_and_trains_nothing() {
    if common::catalog().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    lookout(
        data,
        &["ingest", "--label", "legitimate", "sample_logs/linux"],
    );
    lookout(
        data,
        &[
            "ingest",
            "--label",
            "malicious:T1003.001",
            "sample_logs/windows/WS01.jsonl",
        ],
    );
    let out = lookout(
        data,
        &[
            "train",
            "--include-case",
            "lab",
            "--method",
            "lora",
            "--out",
            "exported",
            "--export-only",
        ],
    );
    let folder = Path::new(out.trim());
    assert!(folder.starts_with(data), "{out}");
    let train = lines(&folder.join("train.jsonl"));
    let val = if folder.join("val.jsonl").is_file() {
        lines(&folder.join("val.jsonl"))
    } else {
        Vec::new()
    };
    assert!(!train.is_empty(), "{} + {}", train.len(), val.len());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["train"], train.len());
    assert_eq!(manifest["prompt_version"], lookout::assess::PROMPT_VERSION);
    // Each example is a prompt lookout builds and a labelled answer.
    let causes: Vec<String> = train
        .iter()
        .chain(&val)
        .map(|e| {
            let answer = e["messages"][2]["content"].as_str().expect("an answer");
            let v: serde_json::Value = serde_json::from_str(answer).expect("answer JSON");
            v["cause"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert!(causes.iter().any(|c| c == "malicious"), "{causes:?}");
    assert!(causes.iter().any(|c| c == "legitimate"), "{causes:?}");
    // Nothing was trained or registered.
    for nothing in ["train-runs", "train-venv", "models"] {
        assert!(!data.join(nothing).exists(), "{nothing} was made");
    }
}
