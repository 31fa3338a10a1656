//! The set-up scripts' calls to pip, seen through a stub `python3` on PATH (no network, no
//! venv): what each script asks pip for must be a requirement pip accepts.
//!
//! Regression: scripts/setup-train.sh passed its venv stamp string
//! (`llama-cpp-python==0.3.36 layout 2`) to `pip download` as the requirement, so the first
//! `lookout train` on a fresh machine failed with `ERROR: Invalid requirement`; only machines
//! with the sdist already cached got past it, and the test suite never ran that path.

mod common;

use std::path::Path;
use std::process::Command;

/// A `python3` that makes a "venv" holding a copy of itself on `-m venv DIR`, and otherwise
/// logs its arguments (one call a line, arguments separated by \x1f) and succeeds.
const STUB: &str = r#"#!/usr/bin/env bash
if [[ "$1" == -m && "$2" == venv ]]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
fi
printf '%s\x1f' "$@" >> "$STUB_LOG"
echo >> "$STUB_LOG"
"#;

/// The calls the stub saw, each as its arguments.
fn run_with_stub(script: &str, args: &[&Path], dir: &Path) -> (bool, String, Vec<Vec<String>>) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let stub = bin.join("python3");
    std::fs::write(&stub, STUB).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = dir.join("calls.log");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(common::repo().join(script))
        .args(args)
        .env("PATH", path)
        .env("STUB_LOG", &log)
        .env_remove("LOOKOUT_TRAIN_VENV")
        .output()
        .expect("bash runs");
    let calls = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            l.trim_end_matches('\x1f')
                .split('\x1f')
                .map(String::from)
                .collect()
        })
        .collect();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        calls,
    )
}

#[test]
fn setup_train_asks_pip_for_the_pinned_sdist_not_the_stamp_string() {
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let (ok, stderr, calls) = run_with_stub("scripts/setup-train.sh", &[&venv], dir.path());
    // The stub downloads nothing, so the script stops at the sha256 check, after the call.
    assert!(
        !ok,
        "the stub's empty download cannot pass the sha256 check:\n{stderr}"
    );
    let download = calls
        .iter()
        .find(|c| c.get(..3) == Some(&["-m".into(), "pip".into(), "download".into()]))
        .unwrap_or_else(|| panic!("no `pip download` call in {calls:#?}\n{stderr}"));
    assert!(
        download.iter().any(|a| a == "llama-cpp-python==0.3.36"),
        "{download:?}"
    );
    for call in &calls {
        assert!(
            call.iter()
                .filter(|a| !a.contains('/'))
                .all(|a| !a.contains(' ')),
            "an argument with a space (no requirement pip accepts): {call:?}"
        );
    }
    // The requirements file is installed as it is.
    assert!(
        calls.iter().any(|c| c
            .windows(2)
            .any(|w| w[0] == "-r" && w[1].ends_with("training/requirements.txt"))),
        "{calls:#?}"
    );
}
