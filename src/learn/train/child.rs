//! The protocol between `lookout train` and its Python children: their stderr streams through
//! as progress, and the last JSON line each prints on stdout is its result.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use serde::de::DeserializeOwned;

/// Runs a child whose stderr streams through and whose last stdout line that parses as `T` is
/// its result; other stdout lines are passed on to stderr.
pub fn run_json<T: DeserializeOwned>(cmd: &mut Command, what: &str) -> Result<T> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("{what}: no stdout"))?;
    let mut last: Option<String> = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.with_context(|| format!("reading {what}'s output"))?;
        if line.trim_start().starts_with('{') {
            if let Some(prev) = last.replace(line) {
                eprintln!("{prev}");
            }
        } else if !line.trim().is_empty() {
            eprintln!("{line}");
        }
    }
    let status = child
        .wait()
        .with_context(|| format!("waiting for {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status}); its messages are above");
    }
    let line = last.ok_or_else(|| anyhow!("{what} printed no JSON result"))?;
    serde_json::from_str(&line)
        .with_context(|| format!("{what}'s result is not what was expected: {line}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::train::TrainStats;

    #[test]
    fn run_json_takes_the_last_json_line() {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo 'progress'; echo '{\"steps\": 1}'; echo '{\"steps\": 3, \"train_loss\": 0.5}'",
        ]);
        let s: TrainStats = run_json(&mut cmd, "sh").unwrap();
        assert_eq!(s.steps, 3);
        assert_eq!(s.train_loss, Some(0.5));
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo '{\"steps\": 1}'; exit 3"]);
        assert!(run_json::<TrainStats>(&mut cmd, "sh").is_err());
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo 'no result'"]);
        let e = run_json::<TrainStats>(&mut cmd, "sh").unwrap_err();
        assert!(e.to_string().contains("printed no JSON result"), "{e}");
    }
}
