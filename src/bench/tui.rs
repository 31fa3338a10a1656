//! `lookout bench tui`: the first frame on a big case, and key-press -> redrawn-frame latency
//! while an assessment streams tokens: a fake one (the UI's own cost), or the real model on the
//! case's sessions (`--live`: the UI sharing the CPU with inference, as an analyst's laptop
//! does). The workbench runs headless through [`crate::tui::headless`]; figures are printed by
//! the caller, never asserted.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::case::Case;
use crate::config::Config;
use crate::event::Risk;
use crate::sessions::{ActorKind, Session, SessionDetection};
use crate::tui::AssessBackend;
use crate::tui::fake::FakeAssess;
use crate::tui::headless::{Headless, HeadlessCase};
use crate::tui::live::LiveAssess;
use crate::tui::msg::Loaded;

pub struct BenchFramesOptions {
    pub data_dir: PathBuf,
    pub case: String,
    /// When the case has no sessions, this many synthetic ones are stored in it first.
    pub synthetic_sessions: usize,
    pub keys: usize,
    /// Time between two injected key presses.
    pub key_interval: Duration,
    /// Time between two streamed tokens of the fake assessment.
    pub token_interval: Duration,
    pub size: (u16, u16),
    /// Assess with the real model (this GGUF, or the configured one) instead of the fake.
    pub live: Option<Option<PathBuf>>,
    pub config: Config,
}

impl BenchFramesOptions {
    pub fn new(data_dir: PathBuf, case: impl Into<String>) -> BenchFramesOptions {
        BenchFramesOptions {
            data_dir,
            case: case.into(),
            synthetic_sessions: 100_000,
            keys: 500,
            key_interval: Duration::from_millis(20),
            token_interval: Duration::from_millis(5),
            size: (160, 48),
            live: None,
            config: Config::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct BenchFramesReport {
    pub sessions: usize,
    pub events: u64,
    /// Opening the case, loading its sessions and drawing the first full frame.
    pub first_frame: Duration,
    /// Of that: drawing alone.
    pub first_draw: Duration,
    pub keys: usize,
    pub frames: u64,
    pub tokens: u64,
    /// Which assessment ran: the fake stream or the model.
    pub assessing: String,
    /// Assessments finished during the key presses.
    pub assessed: u64,
    pub key_p50: Duration,
    pub key_p99: Duration,
    pub key_max: Duration,
}

impl std::fmt::Display for BenchFramesReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        writeln!(f, "tui: {} sessions, {} events", self.sessions, self.events)?;
        writeln!(
            f,
            "  first frame      {:8.1} ms (draw {:.1} ms)",
            ms(self.first_frame),
            ms(self.first_draw)
        )?;
        writeln!(
            f,
            "  key -> frame     p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} keys, {} frames)",
            ms(self.key_p50),
            ms(self.key_p99),
            ms(self.key_max),
            self.keys,
            self.frames,
        )?;
        writeln!(
            f,
            "  meanwhile        {}: {} tokens streamed, {} assessments finished",
            self.assessing, self.tokens, self.assessed
        )
    }
}

/// Stores `n` synthetic sessions (no member events) so the table has a big case to show.
pub fn synthesize_sessions(case: &mut Case, n: usize) -> anyhow::Result<()> {
    let base = DateTime::from_timestamp(1_772_442_000, 0).unwrap_or_default();
    let hosts = [
        "WS01", "WS02", "FS01", "DC01", "SQL01", "WEB01", "LAPTOP7", "web01",
    ];
    let users = ["alice", "bob", "carol", "svc_backup", "it_admin", "root"];
    let sessions: Vec<(Session, Vec<u64>)> = (0..n)
        .map(|i| {
            let start = base + chrono::Duration::seconds(i as i64 * 7);
            let detections = if i % 7 == 0 {
                vec![SessionDetection {
                    rule_id: "r1".into(),
                    title: "Brute force logon".into(),
                    level: Risk::ALL[i % 4],
                    techniques: vec!["T1110.001".into()],
                    count: 3,
                    event_ids: Vec::new(),
                }]
            } else {
                Vec::new()
            };
            (
                synthetic(
                    i,
                    start,
                    hosts[i % hosts.len()],
                    users[i % users.len()],
                    detections,
                ),
                Vec::new(),
            )
        })
        .collect();
    case.store.replace_sessions(&case.name, &sessions)?;
    Ok(())
}

pub(crate) fn synthetic(
    i: usize,
    start: DateTime<Utc>,
    host: &str,
    user: &str,
    detections: Vec<SessionDetection>,
) -> Session {
    Session {
        id: format!("{:032x}", i as u128 * 0x9e37_79b9_7f4a_7c15),
        host: host.into(),
        user: Some(user.into()),
        actor_kind: ActorKind::User,
        actor: user.into(),
        start,
        end: start + chrono::Duration::seconds(300),
        duration_s: 300,
        hour: 9,
        weekend: false,
        formats: [("win_json".to_string(), 10 + (i % 90) as u64)]
            .into_iter()
            .collect(),
        events: 10 + (i % 90) as u64,
        parsed_events: 10,
        fallback_events: 0,
        detections,
        label: None,
        content_hash: String::new(),
        event_ids: Default::default(),
        processes: Vec::new(),
        remote_ips: Vec::new(),
        accounts: Default::default(),
        linked: Vec::new(),
    }
}

pub fn bench_frames(opts: &BenchFramesOptions) -> anyhow::Result<BenchFramesReport> {
    {
        let mut case = Case::open(&opts.data_dir, &opts.case)?;
        if case.sessions()?.is_empty() && opts.synthetic_sessions > 0 {
            synthesize_sessions(&mut case, opts.synthetic_sessions)?;
        }
    }
    // First frame: what start-up does before the table shows (open, load, build, draw).
    let started = Instant::now();
    let case = Case::open(&opts.data_dir, &opts.case)?;
    let loaded = Loaded {
        sessions: case.sessions()?,
        corrections: case.store.corrections(Some(&case.name))?,
    };
    let events = case.index.num_events();
    let mut workbench = Headless::new(&opts.case, loaded, opts.size)?;
    let draw_started = Instant::now();
    workbench.draw()?;
    let (first_draw, first_frame) = (draw_started.elapsed(), started.elapsed());
    let sessions = workbench.sessions();
    drop(case);

    // Key latency: the real loop and workers, keys injected at a steady pace while the selected
    // session's assessment streams tokens into the open session's pane.
    let (backend, assessing): (Arc<dyn AssessBackend>, String) = match &opts.live {
        None => (
            Arc::new(FakeAssess::new(opts.token_interval, usize::MAX / 2)),
            format!(
                "fake assessment, a token every {} ms",
                opts.token_interval.as_millis()
            ),
        ),
        Some(model) => (
            Arc::new(LiveAssess::start(
                opts.data_dir.clone(),
                opts.case.clone(),
                opts.config.clone(),
                model.clone(),
            )),
            format!(
                "the model ({})",
                crate::assess::model_file::resolve_model(
                    &opts.data_dir,
                    None,
                    crate::assess::run::model_path(model, &opts.config).as_deref(),
                )
                .ok()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "none set up".into())
            ),
        ),
    };
    // Start streaming on the selected session, then move around the table.
    let keys = std::iter::once('a')
        .chain((0..opts.keys).map(key_at))
        .collect();
    let times = workbench.run_keys(
        HeadlessCase {
            data_dir: opts.data_dir.clone(),
            case: opts.case.clone(),
            config: opts.config.clone(),
            backend: backend.clone(),
        },
        keys,
        opts.key_interval,
    )?;
    let mut latencies = times.latencies;
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(BenchFramesReport {
        sessions,
        events,
        first_frame,
        first_draw,
        keys: latencies.len(),
        frames: times.frames,
        tokens: backend
            .progress()
            .tokens
            .load(std::sync::atomic::Ordering::Relaxed),
        assessing,
        assessed: backend
            .progress()
            .done
            .load(std::sync::atomic::Ordering::Relaxed),
        key_p50: pct(0.50),
        key_p99: pct(0.99),
        key_max: latencies.last().copied().unwrap_or_default(),
    })
}

/// The `i`th injected key: down the table and back up, and every 50 keys the selected session
/// is (re)assessed too, so that a real model, seconds per session, keeps generating while keys
/// arrive.
fn key_at(i: usize) -> char {
    match i % 50 {
        0 => 'a',
        1..=29 => 'j',
        30..=39 => 'k',
        40 => 's',
        _ => 'j',
    }
}

#[cfg(test)]
mod tests {
    use super::{BenchFramesOptions, bench_frames};

    /// The frame benchmark on a temporary case (ignored: it prints figures and takes seconds).
    /// `cargo test --lib bench::tui::tests -- --ignored --nocapture`
    #[test]
    #[ignore = "benchmark: prints figures"]
    fn frames_on_a_big_synthetic_case() {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = BenchFramesOptions::new(dir.path().to_path_buf(), "bench");
        if let Some(n) = std::env::var("LOOKOUT_BENCH_SESSIONS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            opts.synthetic_sessions = n;
        }
        let report = bench_frames(&opts).unwrap();
        println!("{report}");
        assert!(report.keys > 0);
    }
}
