//! `assess --inference` against a real llama.cpp `llama-server` serving the default GGUF,
//! started through `scripts/llama-server.sh` on a free port of 127.0.0.1: schema-valid
//! verdicts in the embedded model's JSON shape with the server's model in the provenance, the
//! rules' verdict with the reason while the server is stopped mid-run, answers again once it
//! is back.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value};

use lookout::assess::schema::{FIELDS, verdict_schema};

const BIN: &str = env!("CARGO_BIN_EXE_lookout");

/// A llama-server started by the script for one test; stopped when dropped.
struct Server {
    port: u16,
    binary: PathBuf,
    model: PathBuf,
    run_dir: tempfile::TempDir,
}

impl Server {
    fn start(binary: PathBuf, model: PathBuf) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let s = Server {
            port,
            binary,
            model,
            run_dir: tempfile::tempdir().unwrap(),
        };
        s.script("start");
        s
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The model name the server reports: the script names it after the file.
    fn model_name(&self) -> String {
        self.model
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    fn script(&self, what: &str) {
        let mut cmd = Command::new("bash");
        cmd.arg(common::repo().join("scripts/llama-server.sh"))
            .arg(what)
            .arg("--port")
            .arg(self.port.to_string());
        if what == "start" {
            // Two slots: the test's requests, and a spare; short contexts load fast.
            cmd.arg("--model")
                .arg(&self.model)
                .args(["--parallel", "2", "--ctx", "4096"]);
        }
        let out = cmd
            .env("LOOKOUT_LLAMA_SERVER", &self.binary)
            .env("LOOKOUT_LLAMA_DIR", self.run_dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "llama-server.sh {what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.script("stop");
    }
}

/// One test of this file at a time: each starts a llama-server using every core, and on a
/// 2-core CI machine three servers plus the embedded model made answers take over two minutes
/// (llama.cpp's threads spin while they wait), past the client's timeout.
static ONE_SERVER_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What the tests need: the server binary, the GGUF it serves, the ATT&CK catalog; and the
/// lock that keeps the other tests' servers off the cores while the test runs.
fn prerequisites() -> Option<(PathBuf, PathBuf, MutexGuard<'static, ()>)> {
    let guard = ONE_SERVER_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let binary = common::llama_server()?;
    let model = common::model_file()?;
    common::catalog()?;
    Some((binary, model, guard))
}

fn lookout(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(["--case", "demo", "--config"])
        .arg(common::repo().join("sample_logs/lookout.toml"))
        .args(args)
        .output()
        .unwrap()
}

/// A case of the demo's Windows and Linux logs.
fn demo_case() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let logs = common::repo().join("sample_logs");
    let out = lookout(
        data.path(),
        &[
            "ingest",
            logs.join("windows").to_str().unwrap(),
            logs.join("linux").to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    data
}

fn json_lines(out: &[u8]) -> Vec<Map<String, Value>> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| match serde_json::from_str(l) {
            Ok(Value::Object(m)) => m,
            other => panic!("not a JSON object: {l} ({other:?})"),
        })
        .collect()
}

/// The model's own answer in an `assess --json` line: `model_verdict` when the combination
/// changed it, else the verdict at the top level.
fn model_answer(line: &Map<String, Value>) -> Map<String, Value> {
    match line.get("model_verdict") {
        Some(Value::Object(m)) => m.clone(),
        _ => FIELDS
            .iter()
            .filter_map(|f| line.get(*f).map(|v| (f.to_string(), v.clone())))
            .collect(),
    }
}

/// Checks `answer` (without `evidence`) against the verdict schema: required fields, no
/// others, enums, string lengths, list sizes, technique id pattern.
fn schema_errors(answer: &Map<String, Value>) -> Vec<String> {
    let schema = verdict_schema();
    let props = schema["properties"].as_object().unwrap();
    let pattern = regex::Regex::new(r"^T[0-9]{4}(\.[0-9]{3})?$").unwrap();
    let mut errors = Vec::new();
    for (k, v) in answer.iter().filter(|(k, _)| *k != "evidence") {
        let Some(p) = props.get(k) else {
            errors.push(format!("{k}: not in the schema"));
            continue;
        };
        let string_ok = |s: &Value, p: &Value| {
            let n = s.as_str().map(|s| s.chars().count());
            n.is_some_and(|n| {
                n as u64 >= p["minLength"].as_u64().unwrap_or(0)
                    && n as u64 <= p["maxLength"].as_u64().unwrap_or(u64::MAX)
            })
        };
        let ok = if let Some(e) = p["enum"].as_array() {
            e.contains(v)
        } else if p["type"] == "string" {
            string_ok(v, p)
        } else if p["type"] == "array" {
            v.as_array().is_some_and(|items| {
                items.len() as u64 <= p["maxItems"].as_u64().unwrap_or(u64::MAX)
                    && items.iter().all(|i| {
                        if k == "techniques" {
                            i.as_str().is_some_and(|s| pattern.is_match(s))
                        } else {
                            string_ok(i, &p["items"])
                        }
                    })
            })
        } else {
            false
        };
        if !ok {
            errors.push(format!("{k}: {v} does not match {p}"));
        }
    }
    for f in FIELDS {
        if !answer.contains_key(f) {
            errors.push(format!("{f}: missing"));
        }
    }
    errors
}

/// The keys of an `assess --json` line, the optional ones left out.
fn shape(line: &Map<String, Value>) -> Vec<String> {
    let optional = ["model_verdict", "dropped_techniques"];
    line.keys()
        .filter(|k| !optional.contains(&k.as_str()))
        .cloned()
        .collect()
}

#[test]
fn assess_inference_gives_schema_valid_verdicts_naming_the_server_model() {
    let Some((binary, model, _one_at_a_time)) = prerequisites() else {
        return;
    };
    let data = demo_case();
    let server = Server::start(binary, model);
    let out = lookout(
        data.path(),
        &[
            "assess",
            "--all",
            "--limit",
            "3",
            "--json",
            "--inference",
            &server.url(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 3, "{stderr}");
    let provenance = format!("{}@{}", server.model_name(), server.url());
    // The rules-only verdicts stored at ingest have the same JSON shape as a model's.
    let rules = json_lines(
        &lookout(
            data.path(),
            &["assess", "--all", "--limit", "3", "--json", "--rules-only"],
        )
        .stdout,
    );
    for line in &lines {
        assert_eq!(line["model"], provenance.as_str(), "{line:?}");
        assert_eq!(line["from_cache"], false);
        let notes: Vec<&str> = line["adjustments"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            !notes
                .iter()
                .any(|n| n.contains("unusable") || n.contains("unavailable")),
            "the server's answer was not used: {notes:?}"
        );
        let errors = schema_errors(&model_answer(line));
        assert!(errors.is_empty(), "{errors:#?}\n{line:?}");
        assert_eq!(shape(line), shape(&rules[0]), "{line:?}");
    }
    // Asked again: the same question comes from the cache, under the server's model.
    let again = json_lines(
        &lookout(
            data.path(),
            &[
                "assess",
                "--all",
                "--limit",
                "3",
                "--json",
                "--inference",
                &server.url(),
            ],
        )
        .stdout,
    );
    assert!(again.iter().all(|l| l["from_cache"] == true), "{again:?}");
}

#[test]
fn a_server_stopped_mid_run_gives_the_rules_verdict_and_answers_again_once_restarted() {
    let Some((binary, model, _one_at_a_time)) = prerequisites() else {
        return;
    };
    let data = demo_case();
    let server = Server::start(binary, model);
    let mut run = Command::new(BIN)
        .arg("--data-dir")
        .arg(data.path())
        .args(["--case", "demo", "--config"])
        .arg(common::repo().join("sample_logs/lookout.toml"))
        .args([
            "assess",
            "--all",
            "--limit",
            "3",
            "--json",
            "--inference",
            &server.url(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(run.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // The first answer is in: the server goes away while the others are asked.
    server.script("stop");
    let rest: Vec<String> = stdout.lines().map(Result::unwrap).collect();
    let out = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let first = json_lines(first.as_bytes()).remove(0);
    assert_eq!(
        first["model"],
        format!("{}@{}", server.model_name(), server.url()).as_str()
    );
    let rest = json_lines(rest.join("\n").as_bytes());
    assert_eq!(rest.len(), 2, "{stderr}");
    // The request in flight when the server went may still have been answered; the last one
    // was asked after it had gone.
    let stand_ins: Vec<_> = rest.iter().filter(|l| l["model"] == "rules-only").collect();
    assert!(
        rest.last().is_some_and(|l| l["model"] == "rules-only"),
        "{rest:?}"
    );
    for line in &stand_ins {
        let note = line["adjustments"][0].as_str().unwrap();
        assert!(
            note.starts_with("inference server unavailable: inference server http://127.0.0.1:")
                && note.contains("unreachable"),
            "{note}"
        );
        assert!(line.get("model_verdict").is_none());
    }
    assert!(
        stderr.contains(&format!("{} with the rules' verdict", stand_ins.len())),
        "{stderr}"
    );

    // Back again: the same session is asked anew (a stand-in verdict is never cached).
    server.script("start");
    let id = stand_ins[0]["session_id"].as_str().unwrap();
    let out = lookout(
        data.path(),
        &["assess", id, "--json", "--inference", &server.url()],
    );
    let line = json_lines(&out.stdout).remove(0);
    assert_eq!(line["from_cache"], false);
    assert_eq!(line["model"], first["model"], "{line:?}");
    assert!(schema_errors(&model_answer(&line)).is_empty(), "{line:?}");
}

/// The embedded model and the server give the same JSON shape for the same session (needs a
/// build with the `model` feature: the lead's test run).
#[test]
fn inference_and_the_embedded_model_give_the_same_json_shape() {
    let Some((binary, model, _one_at_a_time)) = prerequisites() else {
        return;
    };
    let Some(embedded) = common::model() else {
        return;
    };
    let data = demo_case();
    let server = Server::start(binary, model);
    let remote = lookout(
        data.path(),
        &[
            "assess",
            "--all",
            "--limit",
            "1",
            "--json",
            "--inference",
            &server.url(),
        ],
    );
    let local = lookout(
        data.path(),
        &[
            "assess",
            "--all",
            "--limit",
            "1",
            "--json",
            "--model",
            embedded.to_str().unwrap(),
        ],
    );
    assert!(
        local.status.success(),
        "{}",
        String::from_utf8_lossy(&local.stderr)
    );
    let (r, l) = (
        json_lines(&remote.stdout).remove(0),
        json_lines(&local.stdout).remove(0),
    );
    assert_eq!(r["session_id"], l["session_id"]);
    assert_eq!(shape(&r), shape(&l));
    assert!(
        l["model"]
            .as_str()
            .unwrap()
            .starts_with(&server.model_name())
    );
    assert!(schema_errors(&model_answer(&r)).is_empty());
    assert!(schema_errors(&model_answer(&l)).is_empty());
}
