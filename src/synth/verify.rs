//! The evaluator: a candidate is written as the files it would ship in, read back through
//! lookout's own ingest (zero bad records, the expected format detected, one event per line),
//! checked for consistency (times, hosts, process parents, users), and matched against the
//! rules that could vouch for its technique.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use super::SynthError;
use super::atomics::Platform;
use super::record::{Candidate, OutFormat, Role, bare_user, event_groups};
use super::rulecheck::{Fired, RuleIndex};
use crate::event::Event;
use crate::ingest::{IngestOptions, read_file_to_vec};

/// What the evaluator found about one candidate.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Records ingest could not parse (or repaired).
    pub bad_records: u64,
    /// Parse and consistency problems, one line each.
    pub problems: Vec<String>,
    /// Rules that fired on the story's events.
    pub fired: Vec<Fired>,
    /// Applicable rules tagged with the technique (0: nothing can vouch for it).
    pub tagged_rules: usize,
    /// Users the story's events were parsed with (bare names; `""` for none).
    pub users: BTreeSet<String>,
    pub story_events: usize,
}

impl Verdict {
    pub fn tagged_fired(&self) -> bool {
        self.fired.iter().any(|f| f.tagged)
    }

    /// Parses, is consistent, and (when a rule could) fires a rule tagged with its technique.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && (self.tagged_rules == 0 || self.tagged_fired())
    }
}

/// Writes candidates to a private scratch folder and reads them back.
pub struct Checker {
    scratch: PathBuf,
}

impl Checker {
    pub fn new() -> Result<Checker, SynthError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let scratch =
            std::env::temp_dir().join(format!("lookout-synth-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&scratch).map_err(|source| SynthError::Io {
            path: scratch.clone(),
            source,
        })?;
        Ok(Checker { scratch })
    }

    /// Ingests `c` and checks it; `technique` is `None` for benign and misconfiguration stories.
    pub fn check(
        &self,
        c: &Candidate,
        platform: Platform,
        rules: &RuleIndex<'_>,
        technique: Option<&str>,
    ) -> Verdict {
        let mut v = Verdict::default();
        // (record index, event) for every record, via its file.
        let mut parsed: Vec<(usize, Event)> = Vec::with_capacity(c.records.len());
        let formats: BTreeSet<OutFormat> = c.records.iter().map(|r| r.format).collect();
        for f in formats {
            let idx: Vec<usize> = (0..c.records.len())
                .filter(|i| c.records[*i].format == f)
                .collect();
            let path = self.scratch.join(f.file_name(&c.story.host));
            let mut text = String::new();
            for i in &idx {
                text.push_str(&c.records[*i].line);
                text.push('\n');
            }
            if let Err(e) = std::fs::write(&path, text) {
                v.problems.push(format!(
                    "{}: cannot write scratch file: {e}",
                    path.display()
                ));
                continue;
            }
            let (events, reports) = read_file_to_vec(&path, &IngestOptions::default());
            for r in &reports {
                let bad: u64 = r.skipped.values().sum();
                v.bad_records += bad;
                if bad > 0 {
                    let first = r
                        .problems
                        .first()
                        .map(|p| p.to_string())
                        .unwrap_or_default();
                    v.problems
                        .push(format!("{}: {bad} bad records ({first})", f.name()));
                }
                let expected = f.expected();
                if let Some(fmt) = r.format
                    && !expected.is_empty()
                    && !expected.contains(&fmt.as_str())
                {
                    v.problems.push(format!(
                        "{} read as {fmt}, expected {}",
                        f.name(),
                        expected.join("|")
                    ));
                }
            }
            let lines: Vec<&str> = idx.iter().map(|i| c.records[*i].line.as_str()).collect();
            let groups = event_groups(f, &lines);
            if events.len() != groups.len() {
                v.problems.push(format!(
                    "{}: {} lines gave {} events, {} expected",
                    f.name(),
                    idx.len(),
                    events.len(),
                    groups.len()
                ));
                continue;
            }
            // An event stands for its records; it is checked where its first record is.
            parsed.extend(groups.iter().map(|g| idx[g[0]]).zip(events));
        }
        parsed.sort_by_key(|(i, _)| *i);
        consistency(c, &parsed, &mut v);
        let story: Vec<&Event> = parsed
            .iter()
            .filter(|(i, _)| c.records[*i].role == Role::Story)
            .map(|(_, e)| e)
            .collect();
        v.story_events = story.len();
        v.users = story
            .iter()
            .map(|e| e.user.as_deref().map(bare_user).unwrap_or_default())
            .collect();
        if v.story_events == 0 {
            v.problems.push("the story left no events".into());
        }
        v.tagged_rules = technique.map_or(0, |t| rules.tagged(platform, t));
        v.fired = rules.fired(&story, technique);
        v
    }
}

impl Drop for Checker {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// Times in order and as written, one host, parents that exist, the actor as the user.
fn consistency(c: &Candidate, parsed: &[(usize, Event)], v: &mut Verdict) {
    let host = c.story.host.to_ascii_lowercase();
    let actor = bare_user(&c.story.user);
    let mut known: HashSet<u32> = c.known_pids.iter().copied().collect();
    let mut last = None;
    for (i, ev) in parsed {
        let rec = &c.records[*i];
        if last.is_some_and(|t| rec.time < t) {
            v.problems.push(format!("record {i} goes back in time"));
        }
        last = Some(rec.time);
        let structured = ev.format.is_structured();
        if structured {
            match ev.timestamp {
                Some(t) if (t - rec.time).num_milliseconds().abs() <= 1 => {}
                other => v.problems.push(format!(
                    "record {i}: time {other:?} read back, {} written",
                    rec.time
                )),
            }
        }
        if let Some(h) = &ev.host {
            let short = h.split('.').next().unwrap_or(h).to_ascii_lowercase();
            if short != host {
                v.problems
                    .push(format!("record {i}: host {h}, expected {}", c.story.host));
            }
        } else if structured && !ev.format.is_network() {
            // A sensor's flow names addresses, not the host that logged it.
            v.problems.push(format!("record {i}: no host"));
        }
        let story = rec.role == Role::Story;
        let allowed = |u: &str| {
            let b = bare_user(u);
            b == actor || c.other_users.contains(&b)
        };
        match (ev.event_id.as_deref(), ev.channel.as_deref()) {
            (Some("1"), Some(ch)) if ch.contains("Sysmon") => {
                let (pid, ppid) = (num(ev, "ProcessId"), num(ev, "ParentProcessId"));
                lineage(i, pid, ppid, &mut known, v);
                if story && !ev.fields.get("User").is_some_and(|u| allowed(u)) {
                    v.problems.push(format!(
                        "record {i}: process of {:?}, not {actor}",
                        ev.fields.get("User")
                    ));
                }
            }
            (Some("4688"), Some("Security")) => {
                let pid = ev.fields.get("NewProcessId").and_then(|s| hex(s));
                let ppid = ev.fields.get("ProcessId").and_then(|s| hex(s));
                lineage(i, pid, ppid, &mut known, v);
                if story && !ev.fields.get("SubjectUserName").is_some_and(|u| allowed(u)) {
                    v.problems.push(format!(
                        "record {i}: 4688 by {:?}, not {actor}",
                        ev.fields.get("SubjectUserName")
                    ));
                }
            }
            (Some("EXECVE"), _) if rec.format == OutFormat::Audit => {
                let (pid, ppid) = (num(ev, "pid"), num(ev, "ppid"));
                lineage(i, pid, ppid, &mut known, v);
                if story && let Some(uid) = c.actor_uid {
                    let auid = num(ev, "auid");
                    if auid != Some(uid) {
                        v.problems
                            .push(format!("record {i}: auid {auid:?}, actor uid {uid}"));
                    }
                }
            }
            _ => {}
        }
    }
}

fn lineage(
    i: &usize,
    pid: Option<u32>,
    ppid: Option<u32>,
    known: &mut HashSet<u32>,
    v: &mut Verdict,
) {
    match (pid, ppid) {
        (Some(pid), Some(ppid)) => {
            if !known.contains(&ppid) {
                v.problems
                    .push(format!("record {i}: parent {ppid} of {pid} never started"));
            }
            known.insert(pid);
        }
        _ => v
            .problems
            .push(format!("record {i}: process without pid or parent")),
    }
}

fn num(ev: &Event, key: &str) -> Option<u32> {
    ev.fields.get(key).and_then(|s| s.trim().parse().ok())
}

fn hex(s: &str) -> Option<u32> {
    u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok()
}
