//! `lookout assess` and `lookout attack`: the model's verdicts per session, and the ATT&CK
//! catalog they are checked against.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use serde_json::{Map, Value, json};

use super::Globals;
use crate::assess::Assessment;
use crate::assess::input;
use crate::assess::run::{load_assessor, most_severe_first};
use crate::case::Case;
use crate::model::PriorSource;
use crate::sessions::Session;
use crate::store::Store;

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
    /// Sessions the model assesses together (default: `model.batch`; 0 = one at a time).
    #[arg(long)]
    pub batch: Option<usize>,
}

pub fn assess(g: &Globals, a: AssessArgs) -> Result<ExitCode> {
    let case = Case::open(&g.data_dir, &g.case)?;
    let prior = if a.no_prior {
        None
    } else {
        Some(crate::learn::examples::case_prior(&case.view())?)
    };
    let (sessions, all) = match a.limit {
        Some(n) if a.all => (
            most_severe(&case)?
                .into_iter()
                .take(n)
                .map(|s| s.id)
                .collect(),
            false,
        ),
        _ => (a.sessions, a.all),
    };
    let model = model_arg(g, a.model.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let sessions = pick_sessions(&case, &sessions, all)?;
    let store = Store::open_data_dir(&case.data_dir)?;
    let mut config = g.config.clone();
    if let Some(n) = a.batch {
        config.model.batch = n.max(1);
    }
    let width = config.model.batch_size();
    let assessor = load_assessor(&config, &model, a.rules_only)?.with_store(store);
    let (mut assessed, mut from_cache, mut failed, mut unanswered) = (0, 0, 0, 0);
    let mut inputs = Vec::with_capacity(sessions.len());
    let mut asked = Vec::with_capacity(sessions.len());
    for s in &sessions {
        let prior = prior.as_ref().map(|p| p as &dyn PriorSource);
        match input::build(&case.view(), s, &g.config, prior, g.config.model.fewshot) {
            Ok(i) => {
                inputs.push(i);
                asked.push(s);
            }
            Err(e) => {
                failed += 1;
                eprintln!("lookout: session {}: {e:#}", s.id);
            }
        }
    }
    // Answers arrive in completion order; they are printed in the sessions' order.
    let mut ready = std::collections::BTreeMap::new();
    let mut next = 0;
    let mut write_error = None;
    assessor.assess_many(&inputs, width, &|_| false, &mut |i, result| {
        ready.insert(i, result);
        while let Some(result) = ready.remove(&next) {
            let s = asked[next];
            next += 1;
            match result {
                Ok(asm) => {
                    assessed += 1;
                    from_cache += usize::from(asm.from_cache);
                    unanswered += usize::from(server_unavailable(&asm));
                    let line = if a.json {
                        crate::text::inert_json(&json_line(&asm)).map_err(anyhow::Error::from)
                    } else {
                        Ok(text_line(&asm))
                    };
                    if let Err(e) = line.and_then(|l| Ok(writeln!(out, "{l}")?)) {
                        write_error = Some(e);
                        return std::ops::ControlFlow::Break(());
                    }
                }
                Err(e) => {
                    failed += 1;
                    eprintln!("lookout: session {}: {e:#}", s.id);
                }
            }
        }
        std::ops::ControlFlow::Continue(())
    })?;
    if let Some(e) = write_error {
        return Err(e);
    }
    out.flush()?;
    eprintln!(
        "lookout: {assessed} assessed ({from_cache} from cache), {failed} failed{}{}",
        if assessor.has_model() {
            ""
        } else {
            ", rules only"
        },
        if unanswered > 0 {
            format!(
                ", {unanswered} with the rules' verdict ({}, see adjustments)",
                crate::assess::remote::UNAVAILABLE
            )
        } else {
            String::new()
        }
    );
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// True when the inference server did not answer and the rules' verdict stands in.
fn server_unavailable(a: &Assessment) -> bool {
    a.adjustments
        .first()
        .is_some_and(|n| n.starts_with(crate::assess::remote::UNAVAILABLE))
}

/// Sessions named by `ids` (or unique prefixes), or with `all` every session most severe
/// first.
fn pick_sessions(case: &Case, ids: &[String], all: bool) -> Result<Vec<Session>> {
    if !ids.is_empty() {
        return ids.iter().map(|id| case.session(id)).collect();
    }
    if !all {
        anyhow::bail!("name sessions to assess, or pass --all");
    }
    most_severe(case)
}

/// Every session of the case, in the order `assess --all` takes them.
fn most_severe(case: &Case) -> Result<Vec<Session>> {
    let mut all = case.sessions()?;
    most_severe_first(&mut all);
    Ok(all)
}

/// One JSON object per assessment: `session_id` and the final verdict's fields at the top
/// level, `model_verdict` (the model's own answer) whenever the model ran, `model`,
/// `latency_ms`, and the adjustments.
fn json_line(a: &Assessment) -> Value {
    let mut m = Map::new();
    m.insert("session_id".into(), json!(a.session_id));
    if let Ok(Value::Object(v)) = serde_json::to_value(&a.verdict) {
        m.extend(v);
    }
    if let Some(mv) = &a.model_verdict {
        m.insert(
            "model_verdict".into(),
            serde_json::to_value(mv).unwrap_or(Value::Null),
        );
    }
    m.insert("adjustments".into(), json!(a.adjustments));
    if !a.dropped_techniques.is_empty() {
        m.insert("dropped_techniques".into(), json!(a.dropped_techniques));
    }
    m.insert("model".into(), json!(a.model_id));
    m.insert("prompt_version".into(), json!(a.prompt_version));
    m.insert("latency_ms".into(), json!(a.latency_ms));
    m.insert("from_cache".into(), json!(a.from_cache));
    Value::Object(m)
}

/// `3f2a…  malicious  high  P2  T1110,T1021.004  summary` (log-derived text sanitised).
fn text_line(a: &Assessment) -> String {
    let v = &a.verdict;
    let id: String = a.session_id.chars().take(12).collect();
    format!(
        "{id:<12}  {:<16}  {:<8}  P{}  {:<24}  {}{}",
        v.cause.as_str(),
        v.risk_level.as_str(),
        v.investigation_priority,
        v.techniques.join(","),
        crate::text::one_line(&v.summary, 100),
        if a.from_cache { "  (cached)" } else { "" }
    )
}

/// `--model NAME|PATH` (a registered model name or a file), resolved now so that a wrong name
/// fails before any work; `None` when not given, which leaves the configured or default model
/// to the assessor (that falls back to rules only when it is not set up).
pub fn model_arg(g: &Globals, m: Option<&str>) -> Result<Option<PathBuf>> {
    m.map(|m| crate::assess::model_file::resolve_model(&g.data_dir, Some(m), None))
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

    use super::*;
    use crate::assess::testutil::{benign_answer, catalog, detection, input};
    use crate::attack::{Catalog, Technique};
    use crate::event::Risk;

    fn assessment(model: bool) -> Assessment {
        let i = input(
            vec![detection("Mimikatz", Risk::High, &["T1003.001"], 1)],
            "",
        );
        let c = crate::assess::combine(&benign_answer(), &i, &catalog());
        Assessment {
            session_id: "s-1".into(),
            verdict: c.verdict,
            model_verdict: model.then(benign_answer),
            adjustments: c.adjustments,
            dropped_techniques: vec![],
            model_id: "m.gguf#00".into(),
            prompt_version: "assess-v1".into(),
            latency_ms: 42,
            created: chrono::Utc::now(),
            from_cache: false,
            prompt_tokens: 1,
            completion_tokens: 1,
        }
    }

    #[test]
    fn json_line_has_verdict_fields_at_top_level() {
        let v = json_line(&assessment(true));
        assert_eq!(v["session_id"], "s-1");
        assert_eq!(v["cause"], "malicious");
        assert_eq!(v["risk_level"], "high");
        assert_eq!(v["techniques"], json!(["T1003.001"]));
        assert_eq!(v["model_verdict"]["cause"], "legitimate");
        assert_eq!(v["model"], "m.gguf#00");
        assert_eq!(v["latency_ms"], 42);
        let rules = json_line(&assessment(false));
        assert!(rules.get("model_verdict").is_none());
        assert!(text_line(&assessment(true)).starts_with("s-1           malicious"));
    }

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
