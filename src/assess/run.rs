//! The assess stage for one case: build a session's input, load the assessor (the model, or
//! rules only when no model can be loaded), the order `assess --all` works in, the assessment
//! the workbench shows.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::assessor::{AssessOptions, Assessor};
use super::input::{AssessInput, FewShotExample, PriorEvidence};
use super::verdict::Assessment;
use crate::attack::Catalog;
use crate::case::Case;
use crate::config::Config;
use crate::learn::Prior;
use crate::sessions::Session;

/// The inputs of one session: its condensed timeline, hits and (when given) the prior.
pub fn input_for(
    case: &Case,
    session: &Session,
    config: &Config,
    prior: Option<&Prior>,
) -> Result<AssessInput> {
    input_with_examples(case, session, config, prior, config.model.fewshot)
}

/// [`input_for`] with `fewshot` worked examples: the prior's nearest labelled or corrected
/// sessions, most similar first (the prior never offers the session itself, and `eval` gives
/// it a prior without the evaluated hosts).
pub fn input_with_examples(
    case: &Case,
    session: &Session,
    config: &Config,
    prior: Option<&Prior>,
    fewshot: usize,
) -> Result<AssessInput> {
    let (timeline, events) = case.timeline(session, config.sessions.timeline_tokens, false)?;
    let hits = case.session_hits(&events)?;
    let verdict = prior.and_then(|p| p.predict(session));
    let mut examples = Vec::new();
    if let (Some(p), Some(v)) = (prior, &verdict) {
        for n in v.neighbours.iter().take(fewshot) {
            let Some(e) = p.example(&n.session_id) else {
                continue;
            };
            // A correction may be of another case's session, or of one re-sessionized away.
            let Some(s) = case.store.session(&case.name, &n.session_id)? else {
                continue;
            };
            examples.push(FewShotExample {
                session: s,
                cause: e.cause,
                risk: e.risk.unwrap_or(e.cause.typical_risk()),
                techniques: e.techniques.clone(),
            });
        }
    }
    Ok(AssessInput {
        session: session.clone(),
        timeline_text: timeline.render(),
        hits,
        prior: verdict.as_ref().map(PriorEvidence::from_prior),
        examples,
    })
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
