//! `lookout bench …`: benchmarks that print figures.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Globals;
use crate::bench;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

#[derive(Subcommand, Debug)]
pub enum BenchWhat {
    /// Ingest 1M synthetic JSONL and 1M syslog events and the shared EVTX corpus; then
    /// sessionize and Sigma-match the result.
    Ingest {
        /// Events per synthetic corpus.
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Scratch folder (removed and recreated).
        #[arg(long, default_value = "/tmp/lookout-bench")]
        work_dir: PathBuf,
        /// EVTX folder for the EVTX figure.
        #[arg(long, default_value = "../shared/datasets/evtx-attack")]
        evtx: PathBuf,
        /// Extra Sigma rule folders for the matching figure.
        #[arg(long, default_value = "../shared/datasets/sigma/rules")]
        sigma: Vec<PathBuf>,
    },
}

pub fn bench(_g: &Globals, a: BenchArgs) -> Result<ExitCode> {
    match a.what {
        BenchWhat::Ingest {
            events,
            work_dir,
            evtx,
            sigma,
        } => {
            let opts = bench::ingest::BenchOptions {
                events,
                work_dir,
                evtx_dir: Some(evtx),
                sigma_dirs: sigma.into_iter().filter(|d| d.exists()).collect(),
            };
            bench::ingest::run(&opts)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
