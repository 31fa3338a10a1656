//! Hostile log text end to end: terminal escapes (CSI, OSC 52, OSC 8, DCS, BEL, cursor moves),
//! C1 controls, bidi overrides, invisible characters, NUL bytes, a very long token and prompt
//! injections, in an auth.log, Sysmon JSON lines and a web access log, go through the real
//! binary's `ingest`, `sessions`, `show`, `search`, `assess`, `correct` and `export`, through
//! the workbench's rendered frames and into the model's prompt: no raw control, bidi or
//! invisible character reaches a terminal, the JSON outputs escape them and still parse to the
//! original text, and the prompt keeps the log text inside its one untrusted fence.

mod common;
mod crash_support;
mod hostile_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crash_support::{CASE, run_ok};
use hostile_support::{payloads, unsafe_chars, write_logs};
use lookout::case::Case;
use lookout::config::Config;

/// Fails, naming the output and what reached it raw.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad = unsafe_chars(&text);
    assert!(
        bad.is_empty(),
        "{what}: {} raw characters reached the terminal ({:?}…)",
        bad.len(),
        &bad[..bad.len().min(8)]
    );
}

/// `lookout ARGS` succeeds and neither its stdout nor its stderr carries raw controls.
fn inert_run(data: &Path, args: &[&str]) -> String {
    let out = run_ok(data, args);
    assert_inert(&format!("stdout of {args:?}"), &out.stdout);
    assert_inert(&format!("stderr of {args:?}"), &out.stderr);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The hostile logs ingested by the binary (ingest output checked too).
fn hostile_case(root: &Path) -> PathBuf {
    let files = write_logs(&root.join("logs"));
    let data = root.join("data");
    let own: Vec<&str> = files[..2].iter().map(|p| p.to_str().unwrap()).collect();
    inert_run(&data, &[&["ingest"][..], &own].concat());
    inert_run(
        &data,
        &["ingest", "--host", "web01", files[2].to_str().unwrap()],
    );
    data
}

fn session_ids(data: &Path) -> Vec<String> {
    let case = Case::open(data, CASE).expect("case");
    case.sessions()
        .expect("sessions")
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[test]
fn hostile_text_is_inert_in_every_command_and_export() {
    if common::catalog().is_none() {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let data = hostile_case(root.path());
    let ids = session_ids(&data);
    assert!(ids.len() >= 3, "{ids:?}");

    inert_run(&data, &["sessions"]);
    inert_run(&data, &["sessions", "--json"]);
    let mut shown = String::new();
    for id in &ids {
        shown += &inert_run(&data, &["show", id]);
        shown += &inert_run(&data, &["show", "--full", id]);
        inert_run(&data, &["show", "--json", id]);
    }
    // Shown escaped (visible), not dropped: the analyst sees what the attacker wrote.
    for visible in [
        "\\e[2J",
        "\\e]52;c;",
        "\\u{202e}fdp.exe",
        "\\x00here",
        "\\x07",
    ] {
        assert!(shown.contains(visible), "`show` lost {visible}");
    }

    for query in ["host:web01", "powershell", "click", "fdp.exe", "Failed"] {
        inert_run(&data, &["search", "--limit", "500", query]);
        let json = inert_run(&data, &["search", "--limit", "500", "--json", query]);
        for line in json.lines() {
            let _: serde_json::Value = serde_json::from_str(line).expect("search --json line");
        }
    }
    // The JSON output escapes the characters and still carries them exactly.
    let json = inert_run(&data, &["search", "--json", "--limit", "500", "powershell"]);
    let messages: String = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON")["message"].to_string())
        .collect();
    assert!(json.contains("\\u202e"), "the override is escaped in JSON");
    assert!(!messages.is_empty());

    inert_run(&data, &["assess", "--all", "--rules-only"]);
    inert_run(&data, &["assess", "--all", "--rules-only", "--json"]);
    inert_run(&data, &["detect"]);

    // An analyst who pastes log text into a note: the export carries it, escaped.
    let pasted = &payloads()[3].1; // OSC 52
    for id in &ids {
        inert_run(
            &data,
            &[
                "correct",
                id,
                "--cause",
                "malicious",
                "--risk",
                "high",
                "--note",
                pasted,
            ],
        );
    }
    inert_run(&data, &["export", "--preview"]);
    for format in ["chat", "alpaca", "sharegpt", "dpo"] {
        let out = root.path().join(format!("export-{format}"));
        inert_run(
            &data,
            &["export", "--format", format, "--out", out.to_str().unwrap()],
        );
        let mut rationale_seen = false;
        for entry in std::fs::read_dir(&out).expect("export dir") {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("export file");
            assert_inert(&path.display().to_string(), &bytes);
            if path.extension().is_some_and(|e| e == "jsonl") {
                for line in String::from_utf8_lossy(&bytes).lines() {
                    let v: serde_json::Value = serde_json::from_str(line).expect("JSONL line");
                    rationale_seen |= v.to_string().contains("]52;c;");
                }
            }
        }
        assert!(
            rationale_seen || format == "dpo",
            "{format}: the note is not exported"
        );
    }
}

#[test]
fn hostile_text_is_inert_in_the_workbench_frames() {
    use lookout::tui::headless::{Headless, HeadlessCase};
    use lookout::tui::live::LiveAssess;
    use lookout::tui::msg::Loaded;

    if common::catalog().is_none() {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let data = hostile_case(root.path());
    let case = Case::open(&data, CASE).expect("case");
    let loaded = Loaded {
        sessions: case.sessions().expect("sessions"),
        corrections: Vec::new(),
    };
    let n = loaded.sessions.len();
    drop(case);
    let mut screens = String::new();
    // Each session opened (condensed, then full timeline), from a fresh workbench each time:
    // the sessions table, the timeline, the rules pane and the rules-only assessment.
    for i in 0..n.min(6) {
        for size in [(160, 48), (70, 24)] {
            let mut wb = Headless::new(CASE, loaded.clone(), size).expect("workbench");
            wb.draw().expect("draw");
            screens += &wb.screen();
            let mut keys = vec!['j'; i];
            keys.extend(['l', 'a', 't']);
            let backend = Arc::new(LiveAssess::start(
                data.clone(),
                CASE.into(),
                Config::default(),
                None,
            ));
            wb.run_keys(
                HeadlessCase {
                    data_dir: data.clone(),
                    case: CASE.into(),
                    config: Config::default(),
                    backend,
                },
                keys,
                Duration::from_millis(150),
            )
            .expect("scripted run");
            wb.draw().expect("draw");
            screens += &wb.screen();
        }
    }
    let bad = unsafe_chars(&screens);
    assert!(bad.is_empty(), "raw characters in frames: {bad:?}");
    // The views escaped the text themselves (the last-resort scrub blanks to U+FFFD).
    assert!(screens.contains("\\e"), "no escaped ESC shown:\n{screens}");
    assert!(
        !screens.contains('\u{fffd}'),
        "a view left raw text to the scrub"
    );
}

#[test]
fn hostile_text_stays_inside_the_prompts_fence() {
    use lookout::assess::{build_prompt, input};
    let Some(catalog) = common::catalog() else {
        return;
    };
    let root = tempfile::tempdir().expect("temp dir");
    let data = hostile_case(root.path());
    let case = Case::open(&data, CASE).expect("case");
    let config = Config::default();
    let mut with_rules = 0;
    for s in case.sessions().expect("sessions") {
        let i = input::build(&case.view(), &s, &config, None, 0).expect("input");
        with_rules += usize::from(i.max_rule_level().is_some());
        let p = build_prompt(&i, &catalog);
        let bad = unsafe_chars(&(p.system.clone() + &p.user));
        assert!(bad.is_empty(), "session {}: {bad:?} in the prompt", s.id);
        // One fence, opened before it closes; no chat-template token from the logs.
        assert_eq!(p.user.matches("<untrusted>").count(), 1, "{}", p.user);
        assert_eq!(p.user.matches("</untrusted>").count(), 1, "{}", p.user);
        let (open, close) = (
            p.user.find("<untrusted>").unwrap_or(usize::MAX),
            p.user.find("</untrusted>").unwrap_or(0),
        );
        assert!(open < close);
        assert!(!p.user.contains("<|"), "a chat-template token: {}", p.user);
        // The injections of the timeline are data inside the fence.
        for line in p.user.lines() {
            let at = p.user.find(line).unwrap_or(0);
            if line.contains("ignore previous instructions") && line.contains("sshd") {
                assert!(at > open && at < close, "outside the fence: {line}");
            }
        }
    }
    assert!(with_rules >= 2, "the hostile sessions have rule evidence");
}
