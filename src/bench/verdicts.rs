//! `lookout bench verdicts`: the instant-verdict pass alone (rules + learned prior for every
//! session with evidence, stored as rules-only assessments) on the sessions of a case of about
//! 1M events, synthesised into a scratch case; the pass again, when every verdict is stored
//! already (a re-ingest that changed nothing), is the second figure.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::DateTime;

use super::detect::{cpu_seconds, load_average};
use crate::attack::Catalog;
use crate::case::Case;
use crate::event::Risk;
use crate::sessions::SessionDetection;

#[derive(Debug, Clone)]
pub struct VerdictsBenchOptions {
    /// Events the case's sessions hold together.
    pub events: u64,
    /// Every n-th session has a rule hit (1: all of them, the most work).
    pub detected_every: usize,
    /// Scratch data folder (removed and recreated).
    pub work_dir: PathBuf,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct VerdictsBenchReport {
    pub events: u64,
    pub sessions: usize,
    pub verdicts: usize,
    pub without_evidence: usize,
    pub seconds: f64,
    pub cpu_seconds: f64,
    /// The same pass again, every verdict already stored.
    pub again_seconds: f64,
    pub load_before: Option<String>,
    pub load_after: Option<String>,
}

/// Session sizes cycle through 10..=190 events (about 100 on average, as actor sessions of
/// a Windows case run), so 1M events make about 10,000 sessions.
fn session_events(i: usize) -> u64 {
    10 + (i as u64 * 37) % 181
}

const TECHNIQUES: [&str; 6] = [
    "T1110.001",
    "T1003.001",
    "T1059.001",
    "T1021.002",
    "T1547.001",
    "T1685.005",
];

pub fn run(opts: &VerdictsBenchOptions) -> anyhow::Result<VerdictsBenchReport> {
    if opts.work_dir.exists() {
        std::fs::remove_dir_all(&opts.work_dir)
            .with_context(|| format!("removing {}", opts.work_dir.display()))?;
    }
    std::fs::create_dir_all(&opts.work_dir)?;
    let mut case = Case::open(&opts.work_dir, "verdicts")?;
    let base = DateTime::from_timestamp(1_772_442_000, 0).unwrap_or_default();
    let hosts = ["WS01", "WS02", "FS01", "DC01", "SQL01", "WEB01"];
    let users = ["alice", "bob", "carol", "svc_backup", "it_admin", "root"];
    let every = opts.detected_every.max(1);
    let mut sessions = Vec::new();
    let mut total = 0u64;
    while total < opts.events {
        let i = sessions.len();
        let n = session_events(i).min(opts.events - total);
        let detections = if i % every == 0 {
            vec![SessionDetection {
                rule_id: format!("rule-{}", i % 50),
                title: format!("Synthetic rule {}", i % 50),
                level: Risk::ALL[i % 4],
                techniques: vec![TECHNIQUES[i % TECHNIQUES.len()].to_string()],
                count: 1 + (i as u64 % 5),
                event_ids: Vec::new(),
            }]
        } else {
            Vec::new()
        };
        let start = base + chrono::Duration::seconds(i as i64 * 11);
        let mut s = super::tui::synthetic(
            i,
            start,
            hosts[i % hosts.len()],
            users[(i / 3) % users.len()],
            detections,
        );
        s.events = n;
        s.parsed_events = n;
        s.formats = [("evtx".to_string(), n)].into_iter().collect();
        // Distinct content: verdicts are stored by content, so equal sessions would share one.
        s.content_hash = format!("{i:016x}");
        total += n;
        sessions.push((s, Vec::new()));
    }
    case.store.replace_sessions(&case.name, &sessions)?;
    let catalog = Catalog::load_default()
        .context("the ATT&CK catalog (`make setup` installs models/attack/)")?;

    let load_before = load_average();
    let cpu = cpu_seconds();
    let started = Instant::now();
    let done = case.instant_verdicts(&catalog)?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = cpu_seconds() - cpu;
    let started = Instant::now();
    case.instant_verdicts(&catalog)?;
    let again_seconds = started.elapsed().as_secs_f64();
    Ok(VerdictsBenchReport {
        events: total,
        sessions: sessions.len(),
        verdicts: done.verdicts,
        without_evidence: done.without_evidence,
        seconds,
        cpu_seconds,
        again_seconds,
        load_before,
        load_after: load_average(),
    })
}

impl std::fmt::Display for VerdictsBenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "case: {} events in {} sessions ({} with evidence, {} without)",
            self.events, self.sessions, self.verdicts, self.without_evidence
        )?;
        writeln!(
            f,
            "instant verdicts: {:.2} s ({:.0} sessions/s; {:.2} CPU-s)",
            self.seconds,
            self.verdicts as f64 / self.seconds.max(1e-9),
            self.cpu_seconds
        )?;
        writeln!(f, "again, all stored: {:.2} s", self.again_seconds)?;
        let na = || "n/a".to_string();
        writeln!(
            f,
            "load average (1/5/15 min): {} before, {} after",
            self.load_before.clone().unwrap_or_else(na),
            self.load_after.clone().unwrap_or_else(na)
        )
    }
}
