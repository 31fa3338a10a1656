//! The command line (clap): each command parses its arguments and calls into the library.

mod assess;
mod bench;
mod cases;
mod correct;
mod eval;
mod learn;
mod output;
mod rules;
mod sessions;
mod store;
mod synth;
mod train_eval;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, default_data_dir};

#[derive(Parser, Debug)]
#[command(
    name = "lookout",
    version,
    about = "Triage security logs with a local small language model"
)]
pub struct Cli {
    /// Where cases, the store and models live.
    #[arg(long, global = true, env = "LOOKOUT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The case to work on.
    #[arg(long, global = true, default_value = "default", env = "LOOKOUT_CASE")]
    pub case: String,
    /// A config file overriding the embedded defaults.
    #[arg(long, global = true, env = "LOOKOUT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Assess with an OpenAI-compatible server, e.g. http://127.0.0.1:8089/v1 (llama-server,
    /// mistralrs-server, vLLM) instead of the embedded model; API key from the environment
    /// variable `model.inference_key_env` names (LOOKOUT_INFERENCE_KEY).
    #[arg(long, global = true, value_name = "URL")]
    pub inference: Option<String>,
    /// The team store, postgres://user@host/db (README, "Team deployment"), instead of the
    /// data dir's SQLite file; also `store.url` in the config. Password: in the URL or
    /// PGPASSWORD.
    #[arg(long, global = true, value_name = "URL", env = "LOOKOUT_STORE")]
    pub store: Option<String>,
    /// Where cases' events are indexed: opensearch://host:9200/prefix (README, "Team
    /// deployment"; several nodes as host:9200,host:9201) instead of the per-case tantivy
    /// index under the data dir; also `index.url` in the config.
    #[arg(long, global = true, value_name = "URL", env = "LOOKOUT_INDEX")]
    pub index: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Ingest log files or folders (recursive; .gz and .zip read transparently).
    Ingest(cases::IngestArgs),
    /// Search the case's events (tantivy query syntax).
    Search(cases::SearchArgs),
    /// List cases with event counts, time span and sources.
    Cases(cases::CasesArgs),
    /// List the case's sessions.
    Sessions(sessions::SessionsArgs),
    /// Print a session's condensed (or full) timeline.
    Show(sessions::ShowArgs),
    /// Run Sigma rules over the case and summarise hits.
    Detect(sessions::DetectArgs),
    /// List the Sigma rules that load and the refused ones by reason (no case needed).
    Rules(rules::RulesArgs),
    /// Benchmarks that print figures (ingest, sessions, Sigma).
    Bench(bench::BenchArgs),
    /// Assess sessions with the local model (rules and the learned prior as evidence).
    Assess(assess::AssessArgs),
    /// Correct (or confirm) a session's verdict, as the workbench's form does.
    Correct(correct::CorrectArgs),
    /// Export corrections as a fine-tuning dataset (chat, alpaca, sharegpt, dpo).
    Export(learn::ExportArgs),
    /// Fine-tune the default model on the corrections, on this machine, into a GGUF.
    Train(learn::TrainArgs),
    /// Score rules, the learned prior, the model and their combination on labelled sessions.
    Eval(eval::EvalArgs),
    /// The ATT&CK catalog: import MITRE's STIX bundle, look techniques up.
    Attack(assess::AttackArgs),
    /// Generate labelled sessions from Atomic Red Team procedures (verified by ingest and rules).
    Synth(synth::SynthArgs),
    /// Open the workbench (the default with no command, on a terminal).
    Tui(TuiArgs),
    /// Walk the sessions that need a human, one at a time.
    Review(TuiArgs),
    /// The store: migrate its schema, copy cases between SQLite and PostgreSQL.
    Store(store::StoreArgs),
    /// The shared review queue: hand sessions out to analysts with leases that expire.
    Queue(store::QueueArgs),
}

#[derive(clap::Args, Debug, Default)]
pub struct TuiArgs {
    /// Theme: dark, light, high-contrast, colorblind, mono, or NAME.toml in the user config dir.
    #[arg(long)]
    pub theme: Option<String>,
    /// A GGUF file (or a model registered by `lookout train`) instead of the default model.
    #[arg(long)]
    pub model: Option<String>,
}

/// The workbench with the real engines: the assess worker and the ATT&CK catalog.
fn tui_options(g: Globals, a: TuiArgs) -> anyhow::Result<crate::tui::TuiOptions> {
    use crate::tui::live::{CatalogLookup, LiveAssess};
    let model = assess::model_arg(&g, a.model.as_deref())?;
    let mut o = crate::tui::TuiOptions::new(g.data_dir.clone(), g.case.clone(), g.config.clone());
    o.theme = a.theme;
    o.assess = std::sync::Arc::new(LiveAssess::start(g.data_dir, g.case, g.config, model));
    // Without a catalog (not set up) ids are shown without names.
    if let Ok(c) = crate::attack::Catalog::load_default() {
        o.techniques = std::sync::Arc::new(CatalogLookup(c));
    }
    Ok(o)
}

/// Everything a command needs from the global options.
pub struct Globals {
    pub data_dir: PathBuf,
    pub case: String,
    pub config: Config,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Errors can quote input (a file name, a record): never raw to the terminal.
            eprintln!("lookout: {}", crate::text::sanitize(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(url) = cli.inference {
        config.model.inference_url = url;
    }
    if let Some(url) = cli.store {
        config.store.url = url;
    }
    if !config.store.url.trim().is_empty() {
        crate::store::set_default_url(crate::store::StoreUrl::parse(&config.store.url)?);
    }
    if let Some(url) = cli.index {
        config.index.url = url;
    }
    if !config.index.url.trim().is_empty() {
        crate::index::set_default_url(crate::index::IndexUrl::parse(&config.index.url)?);
    }
    let g = Globals {
        data_dir: cli.data_dir.unwrap_or_else(default_data_dir),
        case: cli.case,
        config,
    };
    match cli.command {
        Some(Command::Ingest(a)) => cases::ingest(&g, a),
        Some(Command::Search(a)) => cases::search(&g, a),
        Some(Command::Cases(a)) => cases::cases(&g, a),
        Some(Command::Sessions(a)) => sessions::sessions(&g, a),
        Some(Command::Show(a)) => sessions::show(&g, a),
        Some(Command::Detect(a)) => sessions::detect(&g, a),
        Some(Command::Rules(a)) => rules::rules(&g, a),
        Some(Command::Bench(a)) => bench::bench(&g, a),
        Some(Command::Assess(a)) => assess::assess(&g, a),
        Some(Command::Correct(a)) => correct::correct(&g, a),
        Some(Command::Export(a)) => learn::export(&g, a),
        Some(Command::Train(a)) => learn::train_cmd(&g, a),
        Some(Command::Eval(a)) => eval::eval(&g, a),
        Some(Command::Attack(a)) => assess::attack(a),
        Some(Command::Synth(a)) => synth::synth(&g, a),
        Some(Command::Tui(a)) => crate::tui::run(tui_options(g, a)?).map(|_| ExitCode::SUCCESS),
        Some(Command::Store(a)) => store::store(&g, a),
        Some(Command::Queue(a)) => store::queue(&g, a),
        Some(Command::Review(a)) => {
            crate::tui::run_review(tui_options(g, a)?).map(|_| ExitCode::SUCCESS)
        }
        None if std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            crate::tui::run(tui_options(g, TuiArgs::default())?).map(|_| ExitCode::SUCCESS)
        }
        None => cases::cases(&g, cases::CasesArgs { json: false }),
    }
}
