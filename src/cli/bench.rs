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
    /// Ingest 1M synthetic JSONL and 1M syslog events and the shared EVTX corpus, time the
    /// parser and the index writer alone; then sessionize and Sigma-match the result.
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
    /// Sigma matching alone: the rules (e.g. a SigmaHQ checkout) over the events, read into
    /// memory first, on one thread and on all; events/s and the load average.
    Detect {
        /// Rule folders (a SigmaHQ checkout as it is).
        #[arg(long, default_value = "../shared/datasets/sigmahq/rules")]
        rules: Vec<PathBuf>,
        /// Event files or folders.
        #[arg(long, default_value = "../shared/datasets/evtx-attack")]
        events: Vec<PathBuf>,
        /// Match the events this many times over.
        #[arg(long, default_value_t = 20)]
        passes: usize,
        /// Also the built-in rules.
        #[arg(long)]
        builtin: bool,
        /// Print one JSON object instead.
        #[arg(long)]
        json: bool,
    },
    /// A large generated auth.log read in bounded memory: resident memory as it is read, the
    /// reader's events/s and peak RSS; then an end-to-end ingest of (part of) it.
    Limits {
        /// Bytes of log to generate and read (`2G`, `500M`).
        #[arg(long, default_value = "2G", value_parser = bench::limits::parse_size)]
        size: u64,
        /// Bytes of it to ingest end to end into a throw-away case (`0`: skip).
        #[arg(long, default_value = "256M", value_parser = bench::limits::parse_size)]
        ingest_size: u64,
        /// Scratch folder (removed and recreated, removed at the end).
        #[arg(long, default_value = "/tmp/lookout-bench-limits")]
        work_dir: PathBuf,
        /// Skip the reader-only pass: generate, then ingest (`--size 2G --ingest-size 2G
        /// --skip-read` measures a whole 2 GiB ingest).
        #[arg(long)]
        skip_read: bool,
    },
    /// The model on the case's sessions (most severe first): load time, latency p50/p95,
    /// prompt and generated tokens/s, peak RSS.
    Assess {
        /// A GGUF file (or a registered model name) instead of the default model.
        #[arg(long)]
        model: Option<String>,
        /// A llama.cpp `llama-bench` binary to run on the same model for reference.
        #[arg(long)]
        compare_llama: Option<PathBuf>,
        /// Sessions to assess.
        #[arg(long, default_value_t = 10)]
        sessions: usize,
        /// Also measure prefill on one fresh prompt of about this many tokens (0: skip).
        #[arg(long, default_value_t = 2048)]
        prefill_tokens: usize,
        /// Then the same sessions with this many decoded together, e.g. `1,2,4,8`.
        #[arg(long, value_delimiter = ',')]
        batch: Vec<usize>,
    },
    /// An OpenAI-compatible inference server (`--url`, else `--inference`/the config's) on the
    /// case's sessions: assessments/s and latency p50/p95 with 1, 2, 4 … concurrent clients.
    Inference {
        /// The server's API base, e.g. http://127.0.0.1:8089/v1.
        #[arg(long)]
        url: Option<String>,
        /// Concurrent clients, one round each.
        #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
        clients: Vec<usize>,
        /// Sessions each round assesses (most severe first).
        #[arg(long, default_value_t = 8)]
        sessions: usize,
    },
    /// The instant-verdict pass alone (rules + prior for every session with evidence) on the
    /// sessions of a synthetic case of this many events, in a scratch data folder.
    Verdicts {
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Every n-th session has a rule hit (1: every one, the most work).
        #[arg(long, default_value_t = 1)]
        detected_every: usize,
        /// Scratch folder (removed and recreated).
        #[arg(long, default_value = "/tmp/lookout-bench-verdicts")]
        work_dir: PathBuf,
        /// Print one JSON object instead.
        #[arg(long)]
        json: bool,
    },
    /// The store (`--url`, else `--store`/`store.url`, else the data dir's SQLite file) with
    /// concurrent clients: corrections saved/s and review-queue hand-outs/s.
    Store {
        /// postgres://… or sqlite://PATH.
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Seconds per phase.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Sessions queued for the hand-out phase.
        #[arg(long, default_value_t = 100_000)]
        queued: usize,
    },
    /// The index (`--index opensearch://…`, the global option) against tantivy: synthetic
    /// events ingested into both (events/s), then search latency p50/p95 on both.
    Index {
        #[arg(long, default_value_t = 200_000)]
        events: u64,
        /// Runs of each query per backend.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Where the corpus and the tantivy index are written (removed afterwards).
        #[arg(long, default_value = "/tmp/lookout-bench")]
        work_dir: PathBuf,
    },
    /// The workbench: first frame on the case (synthetic sessions when it is empty) and key
    /// press -> redrawn frame latency while an assessment streams.
    Tui {
        /// Synthetic sessions stored into an empty case first.
        #[arg(long, default_value_t = 100_000)]
        sessions: usize,
        #[arg(long, default_value_t = 500)]
        keys: usize,
        /// Assess with the real model meanwhile (instead of a fake token stream).
        #[arg(long)]
        live: bool,
        /// With --live: a GGUF file (or a registered model name) instead of the default model.
        #[arg(long, requires = "live")]
        model: Option<String>,
    },
}

pub fn bench(g: &Globals, a: BenchArgs) -> Result<ExitCode> {
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
        BenchWhat::Detect {
            rules,
            events,
            passes,
            builtin,
            json,
        } => {
            let report = bench::detect::run(&bench::detect::DetectBenchOptions {
                rules,
                builtin,
                events,
                passes,
            });
            if json {
                super::output::json_line(&report)?;
            } else {
                print!("{report}");
            }
        }
        BenchWhat::Verdicts {
            events,
            detected_every,
            work_dir,
            json,
        } => {
            let report = bench::verdicts::run(&bench::verdicts::VerdictsBenchOptions {
                events,
                detected_every,
                work_dir,
            })?;
            if json {
                super::output::json_line(&report)?;
            } else {
                print!("{report}");
            }
        }
        BenchWhat::Limits {
            size,
            ingest_size,
            work_dir,
            skip_read,
        } => {
            let opts = bench::limits::LimitsOptions {
                size,
                ingest_size,
                work_dir,
                skip_read,
            };
            bench::limits::run(&opts)?;
        }
        BenchWhat::Assess {
            model,
            compare_llama,
            sessions,
            prefill_tokens,
            batch,
        } => {
            let case = crate::case::Case::open(&g.data_dir, &g.case)?;
            let model = super::assess::model_arg(g, model.as_deref())?;
            let report = bench::assess::run(
                &case,
                &g.config,
                model,
                compare_llama,
                sessions,
                prefill_tokens,
                batch,
            )?;
            print!("{report}");
        }
        BenchWhat::Inference {
            url,
            clients,
            sessions,
        } => {
            let url = url
                .or_else(|| Some(g.config.model.inference_url.clone()))
                .filter(|u| !u.trim().is_empty())
                .ok_or_else(|| anyhow::anyhow!("give the server: --url http://HOST:PORT/v1"))?;
            let case = crate::case::Case::open(&g.data_dir, &g.case)?;
            print!(
                "{}",
                bench::inference::run(&case, &g.config, &url, &clients, sessions)?
            );
        }
        BenchWhat::Store {
            url,
            clients,
            seconds,
            queued,
        } => {
            let url = match url {
                Some(u) => crate::store::StoreUrl::parse(&u)?,
                None => crate::store::url_for(&g.data_dir),
            };
            let opts = bench::store::StoreBenchOptions {
                url,
                clients,
                seconds,
                queued,
            };
            print!("{}", bench::store::run(&opts)?);
        }
        BenchWhat::Index {
            events,
            rounds,
            work_dir,
        } => {
            let opts = bench::index::IndexBenchOptions {
                url: crate::index::chosen_url(),
                events,
                rounds,
                work_dir,
            };
            print!("{}", bench::index::run(&opts)?);
        }
        BenchWhat::Tui {
            sessions,
            keys,
            live,
            model,
        } => {
            let mut opts = bench::tui::BenchFramesOptions::new(g.data_dir.clone(), &g.case);
            opts.synthetic_sessions = sessions;
            opts.keys = keys;
            opts.config = g.config.clone();
            if live {
                let model = super::assess::model_arg(g, model.as_deref())?;
                opts.live = Some(model);
            }
            print!("{}", bench::tui::bench_frames(&opts)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
