//! `lookout rules`: which Sigma rules load (id, title, level, logsource, techniques) and which
//! are refused, grouped by reason, with counts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use super::Globals;
use super::output::json_line;
use crate::detect::{RuleSet, by_reason};
use crate::text::{one_line, sanitize};

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Rule folders on top of the configured `rules.dirs` (a SigmaHQ checkout as it is:
    /// its rules*/ folders load, deprecated/ and unsupported/ are skipped and reported).
    #[arg(long)]
    pub rules: Vec<PathBuf>,
    /// Only the folders' rules, not the built-in set.
    #[arg(long)]
    pub no_builtin: bool,
    /// Counts and refusals only, without the list of loaded rules.
    #[arg(long)]
    pub summary: bool,
    /// Print exactly one JSON object: `loaded`, `rules`, `refused`, `by_reason`.
    #[arg(long)]
    pub json: bool,
}

pub fn rules(g: &Globals, a: RulesArgs) -> Result<ExitCode> {
    let mut dirs = g.config.rules.dirs.clone();
    dirs.extend(a.rules);
    let (rules, report) = RuleSet::load(&dirs, g.config.rules.builtin && !a.no_builtin);
    let groups = by_reason(&report.unsupported);
    if a.json {
        json_line(&json!({
            "loaded": report.loaded,
            "refused": report.unsupported.len(),
            "rules": if a.summary { &[][..] } else { rules.rules() },
            "by_reason": groups,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if !a.summary {
        for r in rules.rules() {
            println!(
                "{:<36}  {:<8}  {:<32}  {:<24}  {}",
                one_line(&r.id, 36),
                r.level.as_str(),
                one_line(&r.logsource, 32),
                one_line(&r.techniques.join(","), 24),
                sanitize(&one_line(&r.title, 100))
            );
        }
        println!();
    }
    println!(
        "{} rules loaded, {} refused",
        report.loaded,
        report.unsupported.len()
    );
    for g in &groups {
        println!("  {:>5}  {}", g.count, g.label);
        if g.kind.is_logsource() {
            let names: Vec<String> = g.names.iter().map(|(n, c)| format!("{n} {c}")).collect();
            println!("         {}", sanitize(&names.join(", ")));
        } else {
            for r in &g.refusals {
                let what = match &r.rule {
                    Some(t) => format!("{} (`{}`)", r.file, t),
                    None => r.file.clone(),
                };
                println!(
                    "         {}: {}",
                    sanitize(&what),
                    sanitize(&one_line(&r.detail, 160))
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
