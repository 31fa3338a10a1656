//! The assess stage as a run over a case: load the assessor (an inference server when one is
//! configured, else the model, or rules only when no model can be loaded) and the order
//! `assess --all` works in. A session's input is built by
//! [`super::input::build`].

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};

use super::assessor::{AssessOptions, Assessor};
use super::remote::{RemoteEngine, RemoteOptions};
use crate::attack::Catalog;
use crate::config::Config;
use crate::model::Session;

/// The model path from the options or the config (`None` = the default model).
pub(crate) fn model_path(opts_model: &Option<PathBuf>, config: &Config) -> Option<PathBuf> {
    opts_model
        .clone()
        .or_else(|| (!config.model.path.is_empty()).then(|| PathBuf::from(&config.model.path)))
}

/// The inference server of the config (`model.inference_url`, which `--inference` sets), if
/// any: one client, shared by every assessor of the process.
pub fn remote_engine(config: &Config) -> Result<Option<Arc<RemoteEngine>>> {
    let url = config.model.inference_url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let opts = RemoteOptions::from_config(url, &config.model);
    Ok(Some(Arc::new(RemoteEngine::new(opts)?)))
}

/// Loads the assessor: the inference server when one is configured, else the model, or rules
/// only (with a note on stderr) when it cannot load.
pub fn load_assessor(
    config: &Config,
    model: &Option<PathBuf>,
    rules_only: bool,
) -> Result<Assessor> {
    let catalog = Catalog::load_default().context("loading the ATT&CK catalog")?;
    if rules_only {
        return Ok(Assessor::rules_only(catalog));
    }
    if let Some(remote) = remote_engine(config)? {
        if model.is_some() {
            anyhow::bail!(
                "--model and --inference both name a model: the server's model is set on the \
                 server (or with model.inference_model)"
            );
        }
        return Ok(Assessor::remote(remote, catalog, AssessOptions::default()));
    }
    let opts = AssessOptions {
        threads: config.model.threads,
        batch: config.model.batch_size(),
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
