//! `lookout synth`: generate verified, labelled sessions from Atomic Red Team procedures and
//! benign/misconfiguration scenarios; optionally ingest them into a case with their labels.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

use super::Globals;
use crate::case::{Case, FileLabels, IngestProgress};
use crate::detect::RuleSet;
use crate::ingest::IngestOptions;
use crate::synth::{OutFormat, Platform, SynthOptions, find_atomics, synthesize};

#[derive(Args, Debug)]
pub struct SynthArgs {
    /// Techniques to generate (`T1003.001`; `T1003` includes its sub-techniques); all when
    /// none are named.
    pub techniques: Vec<String>,
    /// An Atomic Red Team `atomics/` folder (default: the shared copy beside the repository).
    #[arg(long)]
    pub atomics: Option<PathBuf>,
    /// Only this platform (default: windows and linux).
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Output kinds, comma-separated: sysmon-json, security-json, system-json,
    /// powershell-json, auth.log, syslog, auditd (default: all of the platform's).
    #[arg(long, value_delimiter = ',')]
    pub format: Vec<OutFormat>,
    /// Sessions per atomic test: the first as written (or the variant that passed), the
    /// others augmented variants kept only when they still parse and fire their rule.
    #[arg(long, default_value_t = 1)]
    pub count: u32,
    /// Retry rounds with variants when no rule tagged with the technique fires.
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Copies of each scenario: benign, misconfiguration and network-only (0: none).
    #[arg(long, default_value_t = 2)]
    pub benign: u32,
    /// Extra Sigma rule folders to verify against (e.g. a SigmaHQ checkout's `rules/`).
    #[arg(long)]
    pub rules: Vec<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "synth-out")]
    pub out: PathBuf,
    /// Also ingest the output into this case, every record labelled.
    #[arg(long)]
    pub into_case: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn synth(g: &Globals, a: SynthArgs) -> Result<ExitCode> {
    let atomics = match a.atomics {
        Some(p) => p,
        None => {
            let cwd = std::env::current_dir().context("reading the current directory")?;
            find_atomics(&cwd).context(
                "no Atomic Red Team atomics found: pass --atomics DIR (a checkout's atomics/ folder) \
                 or set LOOKOUT_SHARED to the folder holding datasets/atomic-red-team",
            )?
        }
    };
    let mut opts = SynthOptions::new(atomics, a.out.clone());
    opts.techniques = a.techniques;
    if let Some(p) = a.platform {
        opts.platforms = vec![p];
    }
    if !a.format.is_empty() {
        opts.formats = a.format;
    }
    opts.formats
        .retain(|f| opts.platforms.contains(&f.platform()));
    opts.count = a.count.max(1);
    opts.rounds = a.rounds;
    opts.seed = a.seed;
    opts.benign = a.benign;
    let mut dirs = g.config.rules.dirs.clone();
    dirs.extend(a.rules);
    let (rules, load) = RuleSet::load(&dirs, g.config.rules.builtin);
    if !a.json {
        eprintln!(
            "{} rules loaded ({} unsupported), atomics from {}",
            load.loaded,
            load.unsupported.len(),
            opts.atomics.display()
        );
    }
    let done = synthesize(&opts, &rules)?;
    if a.json {
        println!("{}", serde_json::to_string(&done.report)?);
    } else {
        print!("{}", done.report.text());
        println!(
            "wrote {} sessions in {} files, labels.tsv, stories.json, manifest.json and report.json to {}",
            done.sessions,
            done.files.len(),
            opts.out.display()
        );
    }
    if let Some(name) = a.into_case {
        let mut case = Case::open(&g.data_dir, &name)?;
        let mut labels = FileLabels::default();
        for f in &done.files {
            labels.insert_records(&f.path, f.labels.clone());
        }
        let paths: Vec<PathBuf> = done.files.iter().map(|f| f.path.clone()).collect();
        let progress = Arc::new(IngestProgress::default());
        let summary = case.ingest(
            &paths,
            &IngestOptions::default(),
            &labels,
            &rules,
            &g.config,
            &progress,
        )?;
        if !a.json {
            println!(
                "case {}: ingested {} events from {} files, every record labelled",
                case.name, summary.events, summary.files
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
