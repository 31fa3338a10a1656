//! The tuned default model (models/lookout-tuned/, merged by `make setup`) on its own: the
//! demo's most severe session (encoded PowerShell from Word, then an LSASS dump through
//! comsvcs.dll) must get, from the model's answer alone (`model_verdict` of `assess --json`),
//! cause malicious, a right technique and a summary that names what ran. Runs the real binary
//! on `sample_logs/` as a user would after `make demo`.

mod common;

use std::path::Path;
use std::process::Command;

use lookout::eval::grounding::check_summary;
use lookout::model::Session;

fn lookout(data: &Path, args: &[&str]) -> std::process::Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_lookout"))
        .current_dir(repo)
        .env("LOOKOUT_DATA_DIR", data)
        .args(["--case", "demo", "--config", "sample_logs/lookout.toml"])
        .args(args)
        .output()
        .expect("lookout runs");
    assert!(
        out.status.success(),
        "lookout {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_tuned_model_alone_names_the_demo_lsass_dump() {
    let Some(model) = common::tuned_model() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    lookout(
        data,
        &[
            "ingest",
            "sample_logs/windows",
            "sample_logs/linux",
            "sample_logs/network",
        ],
    );
    // The most severe session of the demo: the LSASS dump (a critical rule).
    let out = lookout(
        data,
        &[
            "assess",
            "--all",
            "--limit",
            "1",
            "--json",
            "--model",
            model.to_str().unwrap(),
        ],
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let id = v["session_id"].as_str().unwrap();
    let case = lookout::case::Case::open(data, "demo").unwrap();
    let session: Session = case
        .sessions()
        .unwrap()
        .into_iter()
        .find(|s| s.id == id)
        .unwrap();
    assert!(
        session
            .detections
            .iter()
            .any(|d| d.title.contains("LSASS") || d.title.contains("Comsvcs")),
        "the most severe demo session is the LSASS dump: {:?}",
        session.detections
    );
    let mv = &v["model_verdict"];
    eprintln!("model_verdict: {mv}");
    assert_eq!(mv["cause"], "malicious", "{mv}");
    let techniques: Vec<&str> = mv["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    // The session's label in sample_logs/labels.tsv: T1003.001 and T1059.001.
    assert!(
        techniques
            .iter()
            .any(|t| t.starts_with("T1003") || *t == "T1059.001"),
        "{techniques:?}"
    );
    let summary = mv["summary"].as_str().unwrap();
    let check = check_summary(summary, &session);
    assert!(
        check.grounded && !check.repeated,
        "the summary names what ran: {summary}"
    );
}
