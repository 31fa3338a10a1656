//! No network at run time: ingest, rules-only assessment, correction, export and the workbench
//! (its real loop, workers and views drawing headless frames: `lookout bench tui`) and
//! `lookout train` (its venv present: three LoRA steps on the tiny fixture set, conversion to
//! GGUF, registration) all succeed inside a network namespace with no interface up (`unshare
//! -n`, or `unshare -rn` where only user namespaces are allowed).

mod common;
mod crash_support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crash_support::{BIN, CASE, INGEST_STEPS};

/// The `unshare` arguments that work on this machine, checked by looking for the namespace's
/// only interface: a loopback that is down.
fn unshare_args() -> Result<Vec<&'static str>, common::Missing> {
    for args in [vec!["-n"], vec!["-r", "-n"]] {
        let out = Command::new("unshare")
            .args(&args)
            .args(["--", "cat", "/proc/net/dev"])
            .output();
        if let Ok(o) = out
            && o.status.success()
        {
            let dev = String::from_utf8_lossy(&o.stdout);
            let interfaces: Vec<&str> = dev
                .lines()
                .skip(2)
                .filter_map(|l| l.split(':').next())
                .map(str::trim)
                .collect();
            assert_eq!(interfaces, ["lo"], "unshare -n left interfaces: {dev}");
            return Ok(args);
        }
    }
    Err(common::Missing {
        what: "network namespaces (`unshare -n`)".into(),
        how: "run as root, or enable unprivileged user namespaces \
              (sysctl kernel.unprivileged_userns_clone=1) for `unshare -rn`"
            .into(),
    })
}

/// `lookout ARGS` inside the namespace; asserts it succeeded.
fn offline(unshare: &[&str], data: &Path, args: &[&str]) -> Output {
    offline_with(unshare, data, args, &[])
}

/// [`offline`] with extra environment variables.
fn offline_with(unshare: &[&str], data: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let out = Command::new("unshare")
        .args(unshare)
        .arg("--")
        .arg(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data)
        .args(["--case", CASE, "--config", "sample_logs/lookout.toml"])
        .args(args)
        .env_remove("LOOKOUT_DATA_DIR")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("unshare runs");
    assert!(
        out.status.success(),
        "offline `lookout {args:?}` failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn every_command_works_without_a_network() {
    let Some(unshare) = common::need(unshare_args()) else {
        return;
    };
    if common::catalog().is_none() {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    for step in INGEST_STEPS {
        offline(&unshare, &data, step);
    }
    let out = offline(
        &unshare,
        &data,
        &["assess", "--all", "--rules-only", "--json"],
    );
    let verdicts = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(verdicts >= 10, "{verdicts} verdicts");
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .expect("a verdict"),
    )
    .expect("JSON verdict");
    let session = first["session_id"].as_str().expect("session id");
    offline(
        &unshare,
        &data,
        &["correct", session, "--cause", "malicious", "--risk", "high"],
    );
    let export = root.path().join("export");
    offline(
        &unshare,
        &data,
        &["export", "--out", export.to_str().expect("utf-8 path")],
    );
    assert!(export.join("manifest.json").is_file());
    let out = offline(&unshare, &data, &["bench", "tui", "--keys", "20"]);
    assert!(
        !out.stdout.is_empty(),
        "the headless workbench printed nothing"
    );
}

#[test]
fn train_works_without_a_network() {
    let Some(unshare) = common::need(unshare_args()) else {
        return;
    };
    let (Some(venv), Some(base)) = (common::train_venv(), common::base_gguf()) else {
        return;
    };
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    let fixtures = common::fixtures("train");
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let (fixtures, base) = (path(&fixtures), path(&base));
    offline_with(
        &unshare,
        &data,
        &[
            "train",
            "--dataset",
            &fixtures,
            "--base",
            &base,
            "--method",
            "lora",
            "--steps",
            "3",
            "--max-len",
            "384",
            "--train-layers",
            "2",
            "--eval-sample",
            "0",
            "--out",
            "offline-tiny",
        ],
        &[("LOOKOUT_TRAIN_VENV", venv.as_path())],
    );
    let gguf = data.join("models/offline-tiny.gguf");
    let head = std::fs::read(&gguf).expect("the tuned GGUF was written");
    assert_eq!(&head[..4], b"GGUF");
}
