//! `lookout correct`: from the shell what the workbench's correction form does.

use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;
use clap::Args;

use super::Globals;
use crate::case::Case;
use crate::event::{Cause, Risk};
use crate::store::{Correction, CorrectionKind, analyst_name};

#[derive(Args, Debug)]
pub struct CorrectArgs {
    /// Session id (or a unique prefix).
    pub session: String,
    #[arg(long)]
    pub cause: Cause,
    #[arg(long)]
    pub risk: Risk,
    /// ATT&CK technique ids, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "")]
    pub techniques: Vec<String>,
    /// 1 = investigate now … 4 = when convenient.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=4))]
    pub priority: Option<u8>,
    /// The analyst's rationale.
    #[arg(long, default_value = "")]
    pub note: String,
    #[arg(long, default_value = "")]
    pub summary: String,
    /// Record an explicit confirmation of the shown verdict rather than a change.
    #[arg(long)]
    pub confirm: bool,
}

pub fn correct(g: &Globals, a: CorrectArgs) -> Result<ExitCode> {
    let case = Case::open(&g.data_dir, &g.case)?;
    let session = case.session(&a.session)?;
    let techniques: Vec<String> = a
        .techniques
        .iter()
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .collect();
    let shown = case.store.latest_assessment(&session.id)?;
    let c = Correction {
        id: 0,
        case_name: case.name.clone(),
        session_id: session.id.clone(),
        kind: if a.confirm {
            CorrectionKind::Confirmation
        } else {
            CorrectionKind::Correction
        },
        analyst: analyst_name(),
        created: Utc::now(),
        cause: a.cause,
        risk: a.risk,
        priority: a.priority,
        techniques,
        summary: a.summary,
        rationale: a.note,
        model_id: shown
            .as_ref()
            .map(|s| s.model_id.clone())
            .unwrap_or_default(),
        prompt_version: shown
            .as_ref()
            .map(|s| s.prompt_version.clone())
            .unwrap_or_default(),
        model_output: shown.as_ref().and_then(|s| serde_json::to_value(s).ok()),
        session_host: session.host.clone(),
    };
    let id = case.store.add_correction(&c)?;
    println!(
        "correction {id} stored for session {} ({} {}, by {})",
        session.id, c.cause, c.risk, c.analyst
    );
    Ok(ExitCode::SUCCESS)
}
