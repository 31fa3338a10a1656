//! The workbench: ratatui UI state, update, views and widgets.
//!
//! Data flow (see STYLE.md): terminal input, ticks and worker results enter the loop as one
//! [`msg::Msg`] type; [`update::update`] is the only code that changes [`app::App`] and returns
//! [`msg::Command`]s that [`workers`] and the assessment backend carry out; views only read.
//! The assessment engine and the ATT&CK catalog plug in through [`backend`].

pub mod action;
pub mod app;
pub mod backend;
pub mod fake;
mod fmt;
pub mod fuzzy;
pub mod headless;
pub mod highlight;
pub mod keymap;
pub mod layout;
pub mod live;
pub mod msg;
pub mod runtime;
pub mod state;
mod terminal;
pub mod theme;
pub mod update;
mod views;
mod widgets;
pub mod workers;

#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

pub use backend::{AssessBackend, AssessPriority, AssessSink, AssessUpdate, TechniqueLookup};

use crate::case::IngestProgress;
use crate::config::{Config, user_config_dir};

/// What the workbench needs from the command line.
pub struct TuiOptions {
    pub data_dir: PathBuf,
    pub case: String,
    pub config: Config,
    /// `--theme NAME`, over the config's `ui.theme`.
    pub theme: Option<String>,
    /// The assessment engine (default: none; requests fail with a clear note).
    pub assess: Arc<dyn AssessBackend>,
    /// The ATT&CK catalog (default: none; ids are shown without names).
    pub techniques: Arc<dyn TechniqueLookup>,
    /// Counters of an ingest running beside the workbench, shown in the header.
    pub ingest: Option<Arc<IngestProgress>>,
    /// The user's keymap and themes (default: the user config dir).
    pub config_dir: Option<PathBuf>,
}

impl TuiOptions {
    pub fn new(data_dir: PathBuf, case: impl Into<String>, config: Config) -> TuiOptions {
        TuiOptions {
            data_dir,
            case: case.into(),
            config,
            theme: None,
            assess: Arc::new(backend::NoAssessBackend::default()),
            techniques: Arc::new(backend::NoTechniques),
            ingest: None,
            config_dir: user_config_dir(),
        }
    }
}

/// Opens the workbench on the sessions screen.
pub fn run(opts: TuiOptions) -> anyhow::Result<()> {
    run_app(opts, false)
}

/// Opens the workbench on the review queue (`lookout review`); leaving the queue quits.
pub fn run_review(opts: TuiOptions) -> anyhow::Result<()> {
    run_app(opts, true)
}

/// The theme and keymap the options ask for: errors name the bad key and its file.
pub fn load_look(opts: &TuiOptions) -> anyhow::Result<(theme::Theme, keymap::Keymap)> {
    let name = opts
        .theme
        .clone()
        .unwrap_or_else(|| opts.config.ui.theme.clone());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = theme::Theme::load(&name, opts.config_dir.as_deref(), no_color)?;
    let keymap = keymap::Keymap::load(
        opts.config_dir
            .as_ref()
            .map(|d| d.join("keymap.toml"))
            .as_deref(),
    )?;
    Ok((theme, keymap))
}

fn run_app(opts: TuiOptions, review: bool) -> anyhow::Result<()> {
    let (theme, keymap) = load_look(&opts)?;
    anyhow::ensure!(
        std::io::stdout().is_terminal() && std::io::stdin().is_terminal(),
        "the workbench needs a terminal (for scripts use `lookout sessions`, `show`, `search`)"
    );
    crate::fsutil::validate_name("case", &opts.case)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = rt.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut app = app::App::new(&opts.case, theme, keymap);
        app.lookup = opts.techniques.clone();
        app.review_only = review;
        app.auto_assess = opts.config.ui.auto_assess && opts.assess.runs_model();
        app.size = crossterm::terminal::size().unwrap_or((80, 24));
        let sink_tx = tx.clone();
        opts.assess.connect(AssessSink::from_fn(move |u| {
            sink_tx.send(msg::Msg::Assess(u)).is_ok()
        }));
        let workers = workers::Workers::spawn(
            opts.data_dir.clone(),
            opts.case.clone(),
            opts.config.clone(),
            opts.assess.clone(),
            tx.clone(),
        );
        workers.dispatch(msg::Command::LoadSessions);
        workers::spawn_correction_watch(opts.data_dir.clone(), opts.case.clone(), tx.clone());
        let (mut term, guard) = terminal::enter()?;
        runtime::spawn_input(tx.clone());
        runtime::spawn_signals(tx.clone());
        let (progress, ingest) = (opts.assess.progress(), opts.ingest.clone());
        runtime::spawn_ticks(tx.clone(), move || {
            backend::ProgressSnapshot::read(&progress, ingest.as_deref())
        });
        drop(tx);
        let result = runtime::run_loop(
            &mut term,
            &mut app,
            &mut rx,
            &mut |c| workers.dispatch(c),
            None,
        )
        .await;
        drop(guard);
        result
    });
    // Workers or the input reader may still be busy; they end with the process.
    rt.shutdown_background();
    result
}
