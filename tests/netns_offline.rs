//! No network at run time: ingest, rules-only assessment, correction, export and the workbench
//! (its real loop, workers and views drawing headless frames: `lookout bench tui`) all succeed
//! inside a network namespace with no interface up (`unshare -n`, or `unshare -rn` where only
//! user namespaces are allowed). The training path is not run here (it needs its venv).

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
