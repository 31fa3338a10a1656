//! `lookout ingest`, `search` and `cases`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use super::Globals;
use super::output::{IngestBar, json_line, rfc3339, short_time};
use crate::case::{Case, IngestProgress};
use crate::detect::RuleSet;
use crate::event::{Format, Label};
use crate::index::Order;
use crate::ingest::IngestOptions;
use crate::text::{one_line, sanitize};

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Force a parser instead of detecting the format.
    #[arg(long)]
    pub format: Option<Format>,
    /// Ground truth for every event of these paths: CAUSE[:TECHNIQUE,...].
    #[arg(long)]
    pub label: Option<Label>,
    /// Ground truth per file from a corpus labels file (`evtx-attack/labels.tsv`,
    /// `security-datasets/labels.tsv`: a `file` column relative to the labels file's folder).
    #[arg(long, conflicts_with = "label")]
    pub labels: Option<PathBuf>,
    /// Host for records that name none (web access logs, flat text logs).
    #[arg(long)]
    pub host: Option<String>,
    /// Print exactly one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn ingest(g: &Globals, a: IngestArgs) -> Result<ExitCode> {
    let mut case = Case::open(&g.data_dir, &g.case)?;
    let (rules, report) = RuleSet::load(&g.config.rules.dirs, g.config.rules.builtin);
    if !report.unsupported.is_empty() && !a.json {
        eprintln!(
            "{} rules not supported (see `lookout detect`)",
            report.unsupported.len()
        );
    }
    let opts = IngestOptions {
        format: a.format,
        label: a.label,
        ..IngestOptions::default()
    };
    let progress = Arc::new(IngestProgress::default());
    let bar = IngestBar::start(progress.clone());
    let mut file_labels = match &a.labels {
        Some(path) => crate::eval::corpus::file_labels(path)?,
        None => crate::ingest::FileLabels::default(),
    };
    file_labels.default_host = a.host.clone();
    let summary = case.ingest(&a.paths, &opts, &file_labels, &rules, &g.config, &progress)?;
    drop(bar);
    if a.json {
        json_line(&summary)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "case {}: {} files, {} events in {:.1} s ({} files unchanged since an earlier ingest)",
        case.name, summary.files, summary.events, summary.seconds, summary.unchanged_files
    );
    for (f, n) in &summary.formats {
        println!("  {f:<14} {n:>10}");
    }
    if summary.indexed_here_files > 0 {
        println!(
            "{} file(s) of the case that another analyst ingested were read into this machine's index ({} events; the case did not change)",
            summary.indexed_here_files, summary.indexed_here_events
        );
    }
    if summary.duplicates > 0 {
        println!(
            "{} events were already in the case (same record in an earlier ingest), not added again",
            summary.duplicates
        );
    }
    if !summary.skipped.is_empty() {
        println!("skipped:");
        for (reason, n) in &summary.skipped {
            println!("  {reason:<14} {n:>10}");
        }
        for p in summary.problems.iter().take(20) {
            println!("  {}", sanitize(&p.to_string()));
        }
        if summary.problems.len() > 20 {
            println!("  … {} more problems", summary.problems.len() - 20);
        }
    }
    let s = case.summary()?;
    println!(
        "case now holds {} events, {} sessions, {} rule hits",
        s.events, s.sessions, summary.detections
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Query, e.g. `host:WS01 AND event_id:4625`, `user:bob`, `format:evtx`,
    /// `ts:[2026-03-03T00:00:00Z TO 2026-03-04T00:00:00Z]`, `fields.CommandLine:mimikatz`.
    pub query: String,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Oldest first instead of newest first.
    #[arg(long)]
    pub oldest: bool,
    /// One JSON event per line.
    #[arg(long)]
    pub json: bool,
}

pub fn search(g: &Globals, a: SearchArgs) -> Result<ExitCode> {
    let case = Case::open(&g.data_dir, &g.case)?;
    let order = if a.oldest {
        Order::OldestFirst
    } else {
        Order::NewestFirst
    };
    let hits = case.search(&a.query, a.limit, order)?;
    if a.json {
        for ev in &hits.events {
            json_line(ev)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    for ev in &hits.events {
        let t = ev
            .timestamp
            .as_ref()
            .map(short_time)
            .unwrap_or_else(|| "(no time)".into());
        println!(
            "{t}  {:<12} {:<16} {}",
            ev.format.as_str(),
            one_line(ev.host.as_deref().unwrap_or("-"), 16),
            one_line(&ev.message, 160)
        );
    }
    eprintln!(
        "{} of {} matching events shown",
        hits.events.len(),
        hits.total
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct CasesArgs {
    /// One JSON object per case.
    #[arg(long)]
    pub json: bool,
}

pub fn cases(g: &Globals, a: CasesArgs) -> Result<ExitCode> {
    let names = Case::names(&g.data_dir)?;
    if names.is_empty() && !a.json {
        println!(
            "no cases in {} yet: `lookout --case NAME ingest PATH` creates one",
            g.data_dir.display()
        );
    }
    for name in names {
        let s = Case::open(&g.data_dir, &name)?.summary()?;
        if a.json {
            json_line(&json!({
                "name": s.name,
                "events": s.events,
                "first": s.first.as_ref().map(rfc3339),
                "last": s.last.as_ref().map(rfc3339),
                "formats": s.formats,
                "hosts": s.hosts,
                "sessions": s.sessions,
                "files": s.files,
            }))?;
            continue;
        }
        let span = match (&s.first, &s.last) {
            (Some(f), Some(l)) => format!("{} .. {}", short_time(f), short_time(l)),
            _ => "(no timestamps)".into(),
        };
        let formats: Vec<String> = s.formats.iter().map(|(f, n)| format!("{f}:{n}")).collect();
        println!(
            "{:<16} {:>9} events {:>6} sessions {:>4} hosts  {span}\n{:<16} {}",
            s.name,
            s.events,
            s.sessions,
            s.hosts,
            "",
            formats.join(" ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
