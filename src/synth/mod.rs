//! Synth: labelled sessions generated from ATT&CK procedures (Atomic Red Team tests) and from
//! benign and misconfiguration scenarios of the same hosts, verified by lookout's own ingest
//! and Sigma rules, for training and evaluation.
//!
//! Pipeline: `atomics` (procedures) -> `windows` / `linux` (records a test leaves, inside
//! `winbg` / `linbg` background activity; command analysis in `wintools`, `wineffects`,
//! `wincmdlets`, `lincmd`; record shapes in `winrec`, `linrec`; the network sensor's Zeek
//! `conn` records of the Windows hosts in `winflow`) -> `verify` + `rulecheck`
//! (the evaluator) -> `run` (generate, check, vary with `augment`, retry; `benign*`,
//! `misconfig*`, `network_win` and `callback*` scenarios interleaved) -> `output` (files, labels, manifest) and `report`.
//! Everything is seeded (`rng`): the same seed gives the same bytes.

mod atomics;
mod augment;
mod benign;
mod benign_linux;
mod benign_win;
mod callback_linux;
mod callback_win;
mod linbg;
mod lincmd;
mod linfx;
mod linrec;
mod linux;
mod lookalike_linux;
mod lookalike_win;
mod misconfig_linux;
mod misconfig_win;
mod network_win;
mod output;
mod record;
mod rename;
mod report;
mod rng;
mod rulecheck;
mod run;
mod schedule;
mod verify;
mod winbg;
mod winbinary;
mod wincmdlets;
mod windows;
mod wineffects;
mod winemit;
mod winflow;
mod winrec;
mod winsec;
mod wintables;
mod wintools;
mod world;

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

pub use atomics::{AtomicTest, Atomics, Executor, Platform};
pub use output::OutputFile;
pub use record::OutFormat;
pub use rename::{is_estate_host, vary_estate_names};
pub use report::{SynthReport, TechniqueStat, TechniqueStatus};

use crate::detect::RuleSet;

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("atomics folder {dir}: {reason}")]
    Atomics { dir: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("nothing to generate: {0}")]
    Nothing(String),
}

impl From<crate::attack::atomics::AtomicsError> for SynthError {
    fn from(e: crate::attack::atomics::AtomicsError) -> Self {
        SynthError::Atomics {
            dir: e.dir,
            reason: e.reason,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// An Atomic Red Team `atomics/` folder.
    pub atomics: PathBuf,
    /// Technique ids to generate (`T1003.001`; `T1003` takes its sub-techniques); empty: all.
    pub techniques: Vec<String>,
    pub platforms: Vec<Platform>,
    /// Output kinds; tests of a platform none of whose kinds is enabled are skipped.
    pub formats: Vec<OutFormat>,
    /// Sessions per test: the first as written (or its passing variant), the rest augmented.
    pub count: u32,
    /// Retry rounds with variants when no rule vouches for a candidate.
    pub rounds: u32,
    pub seed: u64,
    /// Copies of each scenario: benign, misconfiguration and network-only.
    pub benign: u32,
    /// When the synthetic week starts.
    pub start: DateTime<Utc>,
    pub out: PathBuf,
}

impl SynthOptions {
    pub fn new(atomics: PathBuf, out: PathBuf) -> SynthOptions {
        SynthOptions {
            atomics,
            techniques: Vec::new(),
            platforms: vec![Platform::Windows, Platform::Linux],
            formats: OutFormat::ALL.to_vec(),
            count: 1,
            rounds: 3,
            seed: 1,
            benign: 2,
            start: Utc
                .with_ymd_and_hms(2026, 3, 9, 7, 0, 0)
                .single()
                .unwrap_or_default(),
            out,
        }
    }
}

/// What a synthesis wrote.
#[derive(Debug)]
pub struct Synthesis {
    pub report: SynthReport,
    pub files: Vec<OutputFile>,
    pub sessions: usize,
}

/// Generates, verifies and writes the sessions `opts` asks for, checking them against
/// `rules` (the built-in rules and any extra folders, loaded as `detect` loads them).
pub fn synthesize(opts: &SynthOptions, rules: &RuleSet) -> Result<Synthesis, SynthError> {
    let started = std::time::Instant::now();
    let atomics = atomics::load(&opts.atomics)?;
    let (tests, skipped, techniques) = schedule::select(&atomics.tests, opts);
    if tests.is_empty() && opts.benign == 0 {
        return Err(SynthError::Nothing(format!(
            "no atomic test of {} runs on {} with the formats asked for",
            if opts.techniques.is_empty() {
                "any technique".to_string()
            } else {
                opts.techniques.join(", ")
            },
            opts.platforms
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("/")
        )));
    }
    let index = rulecheck::RuleIndex::new(rules, &opts.formats);
    let run::Loop { kept, mut report } = run::run(&tests, skipped, &index, opts)?;
    report.atomics = opts.atomics.display().to_string();
    report.platforms = opts.platforms.clone();
    report.formats = opts.formats.iter().map(|f| f.name().to_string()).collect();
    report.rules_loaded = rules.len();
    report.techniques_selected = techniques.len() as u64;
    summarise(&mut report);
    report.sample_problems.extend(
        atomics
            .problems
            .iter()
            .take(10)
            .map(|(f, e)| format!("{f}: {e}")),
    );
    let source = std::fs::read_to_string(opts.atomics.join("../SOURCE.txt"))
        .ok()
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| opts.atomics.display().to_string());
    report.seconds = started.elapsed().as_secs_f64();
    let files = output::write(&opts.out, &kept, &mut report, &source)?;
    report.seconds = started.elapsed().as_secs_f64();
    // Written again so that it carries the final check and the whole time.
    let path = opts.out.join("report.json");
    let text = serde_json::to_string_pretty(&report).unwrap_or_default() + "\n";
    std::fs::write(&path, text).map_err(|source| SynthError::Io { path, source })?;
    Ok(Synthesis {
        report,
        files,
        sessions: kept.len(),
    })
}

/// Per-platform and overall technique counts from the per-technique rows.
fn summarise(r: &mut SynthReport) {
    use std::collections::BTreeSet;
    let mut by: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>> =
        Default::default();
    let (mut generated, mut verified, mut unverified, mut failed) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );
    for t in &r.per_technique {
        let m = by.entry(t.platform.as_str().to_string()).or_default();
        let key = match t.status {
            TechniqueStatus::RuleVerified => "rule_verified",
            TechniqueStatus::UnverifiedByRule => "unverified_by_rule",
            TechniqueStatus::Failed => "failed",
        };
        *m.entry(key.into()).or_insert(0) += 1;
        *m.entry("sessions".into()).or_insert(0) += t.sessions;
        *m.entry("tests".into()).or_insert(0) += t.tests;
        *m.entry("tests_passed".into()).or_insert(0) += t.tests_passed;
        if t.status != TechniqueStatus::Failed {
            *m.entry("generated".into()).or_insert(0) += 1;
            generated.insert(t.technique.clone());
        }
        match t.status {
            TechniqueStatus::RuleVerified => verified.insert(t.technique.clone()),
            TechniqueStatus::UnverifiedByRule => unverified.insert(t.technique.clone()),
            TechniqueStatus::Failed => failed.insert(t.technique.clone()),
        };
    }
    r.per_platform = by;
    r.techniques_generated = generated.len() as u64;
    r.techniques_rule_verified = verified.len() as u64;
    r.techniques_unverified_by_rule = unverified.difference(&verified).count() as u64;
    r.techniques_failed = failed.difference(&generated).count() as u64;
    r.sessions = r.per_technique.iter().map(|t| t.sessions).sum::<u64>() + r.benign.passed;
}

/// The shared Atomic Red Team copy: `$LOOKOUT_SHARED/datasets/atomic-red-team/atomics`, else
/// `shared/datasets/…` beside `from` or one of its ancestors, else beside this source tree.
pub fn find_atomics(from: &Path) -> Option<PathBuf> {
    let rel = Path::new("datasets/atomic-red-team/atomics");
    let mut candidates = Vec::new();
    if let Ok(s) = std::env::var("LOOKOUT_SHARED") {
        candidates.push(PathBuf::from(s).join(rel));
    }
    for dir in from.ancestors() {
        candidates.push(dir.join("shared").join(rel));
    }
    candidates.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared")
            .join(rel),
    );
    candidates.into_iter().find(|p| p.is_dir())
}
