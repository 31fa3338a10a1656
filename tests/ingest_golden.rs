//! Golden tests: every fixture in `tests/fixtures/ingest` is read and its report and events
//! (normalised fields) compared with `<fixture>.golden.jsonl`, whose contents were checked by
//! hand. `LOOKOUT_UPDATE_GOLDEN=1` rewrites them (review the diff before committing).

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::SecondsFormat;
use lookout::Event;
use lookout::ingest::{IngestOptions, read_file};
use serde_json::{Map, Value, json};

/// Fixtures are read with this mtime, so that year-less syslog dates resolve the same way
/// whenever the test runs (2024-06-01T00:00:00Z).
const REFERENCE_SECS: u64 = 1_717_200_000;

fn render(ev: &Event) -> Value {
    let mut m = Map::new();
    m.insert("record".into(), json!(ev.record));
    m.insert("format".into(), json!(ev.format.as_str()));
    if let Some(t) = ev.timestamp {
        m.insert(
            "timestamp".into(),
            json!(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        );
    }
    let opt = [
        ("host", &ev.host),
        ("user", &ev.user),
        ("process", &ev.process),
        ("parent_process", &ev.parent_process),
        ("command_line", &ev.command_line),
        ("src_ip", &ev.src_ip),
        ("dst_ip", &ev.dst_ip),
        ("event_id", &ev.event_id),
        ("channel", &ev.channel),
        ("provider", &ev.provider),
    ];
    for (k, v) in opt {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    for (k, v) in [
        ("pid", ev.pid.map(u64::from)),
        ("src_port", ev.src_port.map(u64::from)),
        ("dst_port", ev.dst_port.map(u64::from)),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    m.insert("message".into(), json!(ev.message));
    m.insert("fields".into(), json!(ev.fields));
    Value::Object(m)
}

fn run_fixture(path: &Path, tmp: &Path) -> String {
    let name = path.file_name().unwrap();
    let copy = tmp.join(name);
    std::fs::copy(path, &copy).unwrap();
    let f = std::fs::File::options().write(true).open(&copy).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(REFERENCE_SECS))
        .unwrap();
    drop(f);
    let mut events = Vec::new();
    let reports = read_file(&copy, &IngestOptions::default(), &mut |e| events.push(e));
    let mut out = String::new();
    for r in &reports {
        let problems: Vec<Value> = r
            .problems
            .iter()
            .map(|p| json!({"offset": p.offset, "reason": p.reason.as_str(), "detail": p.detail}))
            .collect();
        let line = json!({"report": {"format": r.format.map(|f| f.as_str()), "events": r.events, "skipped": r.skipped, "problems": problems}});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    for ev in &events {
        assert!(!ev.id.is_empty() && !ev.message.is_empty());
        assert!(ev.source.ends_with(name.to_str().unwrap()));
        out.push_str(&render(ev).to_string());
        out.push('\n');
    }
    out
}

#[test]
fn fixtures_match_their_golden_files() {
    let dir = common::fixtures("ingest");
    let tmp = tempfile::tempdir().unwrap();
    let update = std::env::var("LOOKOUT_UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".golden.jsonl"))
        .collect();
    fixtures.sort();
    assert!(
        fixtures.len() >= 15,
        "fixtures missing in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for path in &fixtures {
        let got = run_fixture(path, tmp.path());
        let golden = path.with_file_name(format!(
            "{}.golden.jsonl",
            path.file_name().unwrap().to_string_lossy()
        ));
        if update {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (LOOKOUT_UPDATE_GOLDEN=1 to rewrite):\n{}",
        failures.join("\n")
    );
}

#[test]
fn labels_are_given_to_every_event() {
    let label: lookout::Label = "malicious:T1110".parse().unwrap();
    let opts = IngestOptions {
        label: Some(label.clone()),
        ..IngestOptions::default()
    };
    let mut events = Vec::new();
    read_file(
        &common::fixtures("ingest").join("auth.log"),
        &opts,
        &mut |e| events.push(e),
    );
    assert_eq!(events.len(), 11);
    assert!(events.iter().all(|e| e.label.as_ref() == Some(&label)));
}

#[test]
fn a_forced_format_overrides_detection() {
    let opts = IngestOptions {
        format: Some(lookout::Format::Text),
        ..IngestOptions::default()
    };
    let mut events = Vec::new();
    read_file(
        &common::fixtures("ingest").join("eve.json"),
        &opts,
        &mut |e| events.push(e),
    );
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.format == lookout::Format::Text));
}
