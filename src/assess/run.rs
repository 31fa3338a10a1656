//! The assess stage as the CLI drives it (`lookout assess`, `lookout bench assess`): pick
//! sessions of a case, build their inputs, assess with the model (or rules only when no model
//! can be loaded), print one line or one JSON object per session.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use super::assessor::{AssessOptions, Assessor};
use super::bench::{BenchOptions, BenchReport, bench};
use super::input::{AssessInput, build};
use crate::attack::Catalog;
use crate::case::Case;
use crate::config::Config;
use crate::model::Assessment;
use crate::model::PriorSource;
use crate::sessions::Session;
use crate::store::Store;

#[derive(Debug, Clone, Default)]
pub struct AssessCliOptions {
    /// Session ids or unique prefixes; empty with `all` = every session.
    pub sessions: Vec<String>,
    pub all: bool,
    /// Overrides `model.path` of the config.
    pub model: Option<PathBuf>,
    pub json: bool,
    /// Skip the model: rules (and prior) only.
    pub rules_only: bool,
}

/// Counts of one run, for the caller's exit status and summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssessRunSummary {
    pub assessed: usize,
    pub from_cache: usize,
    pub failed: usize,
    pub rules_only: bool,
}

/// The assessment the workbench shows for a session: the latest stored one.
pub fn shown_assessment(case: &Case, session_id: &str) -> Result<Option<Assessment>> {
    Ok(case.store.latest_assessment(session_id)?)
}

/// The model path from the options or the config (`None` = the default model).
pub(crate) fn model_path(opts_model: &Option<PathBuf>, config: &Config) -> Option<PathBuf> {
    opts_model
        .clone()
        .or_else(|| (!config.model.path.is_empty()).then(|| PathBuf::from(&config.model.path)))
}

/// Loads the assessor: the model, or rules only (with a note on stderr) when it cannot load.
pub fn load_assessor(
    config: &Config,
    model: &Option<PathBuf>,
    rules_only: bool,
) -> Result<Assessor> {
    let catalog = Catalog::load_default().context("loading the ATT&CK catalog")?;
    if rules_only {
        return Ok(Assessor::rules_only(catalog));
    }
    let opts = AssessOptions {
        threads: config.model.threads,
        ..AssessOptions::default()
    };
    // The catalog is small (~1 MB): a second copy spares a clone-on-failure dance.
    match Assessor::new(model_path(model, config).as_deref(), catalog.clone(), opts) {
        Ok(a) => Ok(a),
        Err(e) if model.is_some() => Err(e).context("loading the model given with --model"),
        Err(e) => {
            eprintln!("lookout: no model ({e}); using rules-only verdicts");
            Ok(Assessor::rules_only(catalog))
        }
    }
}

/// Sessions named in `opts`, or all of them most severe first.
fn pick_sessions(case: &Case, opts: &AssessCliOptions) -> Result<Vec<Session>> {
    if !opts.sessions.is_empty() {
        return opts.sessions.iter().map(|id| case.session(id)).collect();
    }
    if !opts.all {
        anyhow::bail!("name sessions to assess, or pass --all");
    }
    let mut all = case.sessions()?;
    most_severe_first(&mut all);
    Ok(all)
}

/// The order `assess --all` works in: highest rule level, then the most recent end, then id
/// (so that `--limit N` picks the same sessions whatever order the store returned).
pub fn most_severe_first(sessions: &mut [Session]) {
    sessions.sort_by(|a, b| {
        b.max_rule_level()
            .cmp(&a.max_rule_level())
            .then(b.end.cmp(&a.end))
            .then(a.id.cmp(&b.id))
    });
}

/// `lookout assess`: assesses the chosen sessions, caching in the case's store.
pub fn run_assess_cli(
    case: &Case,
    config: &Config,
    opts: &AssessCliOptions,
    prior: Option<&dyn PriorSource>,
    out: &mut dyn Write,
) -> Result<AssessRunSummary> {
    let sessions = pick_sessions(case, opts)?;
    let store = Store::open(&crate::case::store_path(&case.data_dir))?;
    let assessor = load_assessor(config, &opts.model, opts.rules_only)?.with_store(store);
    let mut summary = AssessRunSummary {
        rules_only: !assessor.has_model(),
        ..Default::default()
    };
    for s in &sessions {
        let result = build(&case.view(), s, config, prior, config.model.fewshot)
            .map_err(anyhow::Error::from)
            .and_then(|i| Ok(assessor.assess(&i)?));
        match result {
            Ok(a) => {
                summary.assessed += 1;
                summary.from_cache += usize::from(a.from_cache);
                if opts.json {
                    writeln!(out, "{}", json_line(&a))?;
                } else {
                    writeln!(out, "{}", text_line(&a))?;
                }
            }
            Err(e) => {
                summary.failed += 1;
                eprintln!("lookout: session {}: {e:#}", s.id);
            }
        }
    }
    Ok(summary)
}

/// One JSON object per assessment: `session_id` and the final verdict's fields at the top
/// level, `model_verdict` when the combination changed the model's answer, `model`,
/// `latency_ms`, and the adjustments.
pub fn json_line(a: &Assessment) -> Value {
    let mut m = Map::new();
    m.insert("session_id".into(), json!(a.session_id));
    if let Ok(Value::Object(v)) = serde_json::to_value(&a.verdict) {
        m.extend(v);
    }
    if let Some(mv) = a.model_verdict.as_ref().filter(|mv| **mv != a.verdict) {
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
pub fn text_line(a: &Assessment) -> String {
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

/// `lookout bench assess`: the benchmark over up to `limit` sessions of the case (most severe
/// first), printed to `out`.
pub fn run_bench_cli(
    case: &Case,
    config: &Config,
    model: Option<PathBuf>,
    compare_llama: Option<PathBuf>,
    limit: usize,
    prefill_tokens: usize,
    out: &mut dyn Write,
) -> Result<BenchReport> {
    let opts = AssessCliOptions {
        all: true,
        ..Default::default()
    };
    let sessions = pick_sessions(case, &opts)?;
    let inputs: Vec<AssessInput> = sessions
        .iter()
        .take(limit.max(1))
        .map(|s| Ok(build(&case.view(), s, config, None, config.model.fewshot)?))
        .collect::<Result<_>>()?;
    let catalog = Catalog::load_default().context("loading the ATT&CK catalog")?;
    let report = bench(
        &inputs,
        catalog,
        &BenchOptions {
            model: model_path(&model, config),
            threads: config.model.threads,
            compare_llama,
            prefill_tokens,
        },
    )?;
    write!(out, "{report}")?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::testutil::{benign_answer, catalog, detection, input};
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
}
