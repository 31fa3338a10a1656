//! `lookout sessions`, `show` and `detect`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::json;

use super::Globals;
use super::output::{json_line, rfc3339, short_time};
use crate::case::Case;
use crate::detect::candidates;
use crate::detect::{DetectSummary, RuleSet};
use crate::sessions::Session;
use crate::text::{one_line, sanitize};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SessionSort {
    Start,
    Risk,
    Events,
}

#[derive(Args, Debug)]
pub struct SessionsArgs {
    #[arg(long, value_enum, default_value = "start")]
    pub sort: SessionSort,
    /// Only sessions on this host (case-insensitive).
    #[arg(long)]
    pub host: Option<String>,
    /// Only sessions with rule detections.
    #[arg(long)]
    pub detected: bool,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// A session as one JSON object: times as RFC 3339 UTC.
pub fn session_json(s: &Session) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("start".into(), json!(rfc3339(&s.start)));
        o.insert("end".into(), json!(rfc3339(&s.end)));
        o.insert("max_rule_level".into(), json!(s.max_rule_level()));
    }
    v
}

pub fn sessions(g: &Globals, a: SessionsArgs) -> Result<ExitCode> {
    let case = Case::open(&g.data_dir, &g.case)?;
    let mut list = case.sessions()?;
    if let Some(h) = &a.host {
        list.retain(|s| {
            s.host.eq_ignore_ascii_case(h)
                || s.host
                    .to_lowercase()
                    .starts_with(&format!("{}.", h.to_lowercase()))
        });
    }
    if a.detected {
        list.retain(|s| !s.detections.is_empty());
    }
    match a.sort {
        SessionSort::Start => list.sort_by_key(|x| x.start),
        SessionSort::Risk => list.sort_by(|x, y| {
            y.max_rule_level()
                .cmp(&x.max_rule_level())
                .then(y.detections.len().cmp(&x.detections.len()))
                .then(x.start.cmp(&y.start))
        }),
        SessionSort::Events => list.sort_by_key(|x| std::cmp::Reverse(x.events)),
    }
    if a.json {
        for s in &list {
            let mut v = session_json(s);
            if let (Some(o), Some(a)) = (v.as_object_mut(), case.store.latest_assessment(&s.id)?) {
                o.insert(
                    "verdict".into(),
                    json!({"cause": a.verdict.cause, "risk_level": a.verdict.risk_level,
                           "model": a.model_id, "summary": a.verdict.summary}),
                );
            }
            json_line(&v)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<16} {:<19} {:>8} {:<18} {:<22} {:>6} {:<8} {:<22} rules",
        "id", "start", "duration", "host", "actor", "events", "level", "verdict"
    );
    for s in &list {
        let level = s.max_rule_level().map(|l| l.as_str()).unwrap_or("-");
        // The latest stored verdict: the model's, else the instant one of rules and prior.
        let verdict = match case.store.latest_assessment(&s.id)? {
            Some(a) => format!("{} {}", a.verdict.cause, a.verdict.risk_level),
            None => "-".into(),
        };
        let rules: Vec<&str> = s
            .detections
            .iter()
            .take(2)
            .map(|d| d.title.as_str())
            .collect();
        println!(
            "{:<16} {:<19} {:>8} {:<18} {:<22} {:>6} {:<8} {:<22} {}",
            s.id,
            short_time(&s.start),
            format!("{}s", s.duration_s),
            one_line(&s.host, 18),
            one_line(&s.actor, 22),
            s.events,
            level,
            verdict,
            one_line(&rules.join("; "), 60)
        );
    }
    eprintln!("{} sessions", list.len());
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Session id (or a unique prefix).
    pub session: String,
    /// Every event, nothing condensed.
    #[arg(long)]
    pub full: bool,
    #[arg(long)]
    pub json: bool,
    /// An Atomic Red Team `atomics/` folder for the technique candidates (default: the
    /// config's `candidates.atomics`).
    #[arg(long, value_name = "DIR")]
    pub atomics: Option<PathBuf>,
}

pub fn show(g: &Globals, a: ShowArgs) -> Result<ExitCode> {
    let case = Case::open(&g.data_dir, &g.case)?;
    let s = case.session(&a.session)?;
    let (timeline, events) = case
        .view()
        .timeline(&s, g.config.sessions.timeline_tokens, a.full)?;
    let atomics = a
        .atomics
        .as_deref()
        .or(g.config.candidates.atomics.as_deref());
    let candidates = match candidates::shared(atomics) {
        Ok(ix) => ix.candidates(&events, g.config.candidates.top_k),
        Err(e) => {
            eprintln!("lookout: no technique candidates: {e}");
            Vec::new()
        }
    };
    if a.json {
        json_line(&json!({
            "session": session_json(&s),
            "candidates": candidates,
            "timeline": timeline,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "session {}  host {}  actor {}  {} .. {}  {} events ({} parsed, {} text)",
        s.id,
        sanitize(&s.host),
        sanitize(&s.actor),
        short_time(&s.start),
        short_time(&s.end),
        s.events,
        s.parsed_events,
        s.fallback_events
    );
    for d in &s.detections {
        println!(
            "  rule [{}] {} ×{} {}",
            d.level,
            sanitize(&d.title),
            d.count,
            d.techniques.join(",")
        );
    }
    for c in &candidates {
        println!(
            "  candidate {} {} ({:.1}) via {}: {}",
            c.technique,
            c.name,
            c.score,
            sanitize(&c.source),
            sanitize(&c.terms.join(", "))
        );
    }
    if let Some(l) = &s.label {
        println!("  label: {} {}", l.cause, l.techniques.join(","));
    }
    println!();
    // Timeline text is already sanitised line by line; sanitise again as the last defence.
    print!("{}", sanitize(&timeline.render()));
    println!(
        "({} events, ~{} tokens)",
        timeline.total_events, timeline.tokens
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct DetectArgs {
    /// Extra rule folders (on top of the built-in rules and the configured folders).
    #[arg(long)]
    pub rules: Vec<PathBuf>,
    /// Only these folders' rules, not the built-in set.
    #[arg(long)]
    pub no_builtin: bool,
    #[arg(long)]
    pub json: bool,
    /// With --json: every hit as `[rule id, event id]` under `pairs` (for comparing with
    /// another Sigma engine, see scripts/sigma-agreement.py).
    #[arg(long, requires = "json")]
    pub pairs: bool,
}

pub fn detect(g: &Globals, a: DetectArgs) -> Result<ExitCode> {
    let mut case = Case::open(&g.data_dir, &g.case)?;
    let mut dirs = g.config.rules.dirs.clone();
    dirs.extend(a.rules);
    let (rules, report) = RuleSet::load(&dirs, g.config.rules.builtin && !a.no_builtin);
    let hits = case.redetect(&rules, &g.config)?;
    let mut summary = DetectSummary::default();
    for h in &hits {
        summary.add(h);
    }
    if a.json {
        json_line(&json!({
            "rules_loaded": report.loaded,
            "unsupported": report.unsupported.iter().map(|r| json!({"file": r.file, "kind": r.kind, "reason": r.to_string()})).collect::<Vec<_>>(),
            "hits": hits.len(),
            "summary": summary,
            "pairs": if a.pairs {
                hits.iter().map(|h| json!([h.rule_id, h.event_id])).collect::<Vec<_>>()
            } else {
                Vec::new()
            },
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} rules loaded, {} unsupported",
        report.loaded,
        report.unsupported.len()
    );
    for r in &report.unsupported {
        println!("  unsupported: {}: {}", r.file, sanitize(&r.to_string()));
    }
    println!("{} hits", hits.len());
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(ExitCode::SUCCESS)
}
