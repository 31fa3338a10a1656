//! Writes a synthesis: one file per host and kind (time-ordered, names ingest detects),
//! `labels.tsv` in the project's labels format (host, user, start, end, cause, techniques,
//! risk, story), `stories.json` (what a verdict should say, fix steps included),
//! `manifest.json` (marked synthetic) and `report.json`; then reads every file back through
//! ingest as the final check.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::SynthError;
use super::record::{OutFormat, Role};
use super::report::SynthReport;
use super::run::Kept;
use crate::event::{Cause, Label};
use crate::ingest::{IngestOptions, read_file_to_vec};

/// One written log file, with the label of each of its records (1-based record number ->
/// label; background records are `legitimate`).
#[derive(Debug, Clone)]
pub struct OutputFile {
    pub path: PathBuf,
    pub host: String,
    pub format: OutFormat,
    pub records: u64,
    /// Events ingest should read from it (auditd merges an audit event's records).
    pub events: u64,
    pub labels: std::collections::HashMap<u64, Label>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One line to write: its time, the index of its session in `kept`, its role, the text.
type Line<'a> = (DateTime<Utc>, usize, Role, &'a str);

/// Writes everything under `out`; fills `report.final_check`.
pub fn write(
    out: &Path,
    kept: &[Kept],
    report: &mut SynthReport,
    atomics_source: &str,
) -> Result<Vec<OutputFile>, SynthError> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut files: BTreeMap<(String, OutFormat), Vec<Line<'_>>> = BTreeMap::new();
    for (i, k) in kept.iter().enumerate() {
        for r in &k.candidate.records {
            files
                .entry((k.candidate.story.host.clone(), r.format))
                .or_default()
                .push((r.time, i, r.role, r.line.as_str()));
        }
    }
    let mut written = Vec::new();
    for ((host, format), mut lines) in files {
        lines.sort_by_key(|(t, i, _, _)| (*t, *i));
        let path = out.join(format.file_name(&host));
        let mut text = String::with_capacity(lines.iter().map(|l| l.3.len() + 1).sum());
        let mut labels = std::collections::HashMap::new();
        for (n, (_, i, role, line)) in lines.iter().enumerate() {
            text.push_str(line);
            text.push('\n');
            let story = &kept[*i].candidate.story;
            let label = match role {
                Role::Story => Label {
                    cause: story.cause,
                    techniques: story.techniques.clone(),
                    risk: Some(story.risk),
                },
                Role::Context => Label {
                    cause: Cause::Legitimate,
                    techniques: Vec::new(),
                    risk: Some(crate::event::Risk::Low),
                },
            };
            labels.insert(n as u64 + 1, label);
        }
        std::fs::write(&path, text).map_err(io(&path))?;
        let plain: Vec<&str> = lines.iter().map(|l| l.3).collect();
        let events = super::record::event_groups(format, &plain).len();
        written.push(OutputFile {
            path,
            host,
            format,
            records: lines.len() as u64,
            events: events as u64,
            labels,
        });
    }
    write_labels(out, kept)?;
    write_json(&out.join("stories.json"), &stories(kept))?;
    final_check(&written, report);
    write_json(
        &out.join("manifest.json"),
        &manifest(out, &written, kept, report, atomics_source)?,
    )?;
    write_json(
        &out.join("report.json"),
        &serde_json::to_value(&*report).unwrap_or_default(),
    )?;
    Ok(written)
}

fn write_json(path: &Path, v: &serde_json::Value) -> Result<(), SynthError> {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    std::fs::write(path, text + "\n").map_err(io(path))
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `labels.tsv`: one row per story and acting account its events were parsed with (sessions
/// are per host and user), the story's span widened to whole seconds; then a catch-all row
/// saying the rest is ordinary activity.
fn write_labels(out: &Path, kept: &[Kept]) -> Result<(), SynthError> {
    let mut s = String::from("host\tuser\tstart\tend\tcause\ttechniques\trisk\tstory\n");
    let second = Duration::seconds(1);
    let (mut first, mut last) = (None::<DateTime<Utc>>, None::<DateTime<Utc>>);
    for k in kept {
        let st = &k.candidate.story;
        let start = st.start.duration_trunc(second).unwrap_or(st.start);
        let end = st
            .end
            .duration_trunc(second)
            .map(|t| t + second)
            .unwrap_or(st.end);
        for r in &k.candidate.records {
            first = Some(first.map_or(r.time, |f| f.min(r.time)));
            last = Some(last.map_or(r.time, |l| l.max(r.time)));
        }
        for user in &k.users {
            let _ = writeln!(
                s,
                "{}\t{user}\t{}\t{}\t{}\t{}\t{}\t{}",
                st.host,
                stamp(start),
                stamp(end),
                st.cause,
                st.techniques.join(","),
                st.risk,
                st.id
            );
        }
    }
    if let (Some(f), Some(l)) = (first, last) {
        let _ = writeln!(
            s,
            "*\t\t{}\t{}\tlegitimate\t\tlow\tbackground",
            stamp(f.duration_trunc(second).unwrap_or(f)),
            stamp(l + second)
        );
    }
    let path = out.join("labels.tsv");
    std::fs::write(&path, s).map_err(io(&path))
}

fn stories(kept: &[Kept]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = kept
        .iter()
        .map(|k| {
            let st = &k.candidate.story;
            json!({
                "story": st.id,
                "cause": st.cause,
                "techniques": st.techniques,
                "risk": st.risk,
                "host": st.host,
                "user": st.user,
                "start": st.start.to_rfc3339(),
                "end": st.end.to_rfc3339(),
                "title": st.title,
                "summary": st.summary,
                "fix": st.fix,
                "source": st.source,
                "platform": k.platform,
                "round": k.round,
                "augmentations": k.ops,
                "rules_fired": k.fired.iter().map(|f| json!({"id": f.id, "title": f.title, "level": f.level, "tagged": f.tagged})).collect::<Vec<_>>(),
                "synthetic": true,
            })
        })
        .collect();
    serde_json::Value::Array(list)
}

fn manifest(
    out: &Path,
    files: &[OutputFile],
    kept: &[Kept],
    report: &SynthReport,
    atomics_source: &str,
) -> Result<serde_json::Value, SynthError> {
    let mut listed = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f.path).map_err(io(&f.path))?;
        let name = f
            .path
            .strip_prefix(out)
            .unwrap_or(&f.path)
            .display()
            .to_string();
        listed.push(json!({"path": name, "host": f.host, "format": f.format.name(), "records": f.records, "sha256": hex::encode(Sha256::digest(&bytes))}));
    }
    let mut causes: BTreeMap<&str, u64> = BTreeMap::new();
    for k in kept {
        *causes.entry(k.candidate.story.cause.as_str()).or_insert(0) += 1;
    }
    Ok(json!({
        "synthetic": true,
        "generator": format!("lookout synth {}", env!("CARGO_PKG_VERSION")),
        "atomics": {"dir": report.atomics, "source": atomics_source},
        "seed": report.seed,
        "platforms": report.platforms,
        "formats": report.formats,
        "counts": {
            "sessions": kept.len(),
            "by_cause": causes,
            "techniques_generated": report.techniques_generated,
            "techniques_rule_verified": report.techniques_rule_verified,
            "techniques_unverified_by_rule": report.techniques_unverified_by_rule,
            "records": report.final_check.records,
        },
        "labels": "labels.tsv",
        "stories": "stories.json",
        "report": "report.json",
        "files": listed,
    }))
}

/// Reads every written file back through ingest.
fn final_check(files: &[OutputFile], report: &mut SynthReport) {
    let mut fc = super::report::FinalCheck::default();
    for f in files {
        let (events, reports) = read_file_to_vec(&f.path, &IngestOptions::default());
        fc.files += 1;
        fc.records += f.records;
        fc.expected_events += f.events;
        fc.events += events.len() as u64;
        fc.bad_records += reports
            .iter()
            .map(|r| r.skipped.values().sum::<u64>())
            .sum::<u64>();
    }
    report.final_check = fc;
}
