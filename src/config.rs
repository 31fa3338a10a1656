//! Configuration: the TOML config file with embedded defaults and partial user overrides.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The embedded defaults (`config/default.toml`).
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub sessions: SessionsConfig,
    pub rules: RulesConfig,
    pub model: ModelConfig,
    pub candidates: CandidatesConfig,
    pub ui: UiConfig,
    pub store: StoreConfig,
    pub index: IndexConfig,
}

/// Where cases' events are indexed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct IndexConfig {
    /// An OpenSearch cluster, `opensearch://host:9200/prefix`; empty = the per-case tantivy
    /// index under the data dir.
    pub url: String,
}

/// Where cases, sessions, verdicts and corrections are stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// A team store, `postgres://user@host/db`; empty = the data dir's SQLite file.
    pub url: String,
}

/// Technique candidates (`detect::candidates`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CandidatesConfig {
    /// An Atomic Red Team `atomics/` folder whose commands join the index; none by default.
    pub atomics: Option<PathBuf>,
    /// Candidates per session.
    pub top_k: usize,
    /// Whether the model's prompt lists them. Off by default: the shipped tuned model was
    /// trained on prompts without them (a model tuned on prompts with them turns this on).
    pub in_prompt: bool,
}

impl Default for CandidatesConfig {
    fn default() -> Self {
        CandidatesConfig {
            atomics: None,
            top_k: 5,
            in_prompt: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SessionsConfig {
    pub gap_minutes: u32,
    pub timeline_tokens: usize,
    pub host_ips: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    pub dirs: Vec<PathBuf>,
    pub builtin: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    pub path: String,
    pub threads: usize,
    /// Sessions the embedded model decodes together; 0 = one at a time (see `batch_size`).
    pub batch: usize,
    pub fewshot: usize,
    /// An OpenAI-compatible server to assess with instead of the embedded model (`--inference`).
    pub inference_url: String,
    /// The environment variable holding its API key.
    pub inference_key_env: String,
    /// The model to ask it for ("" = the first it lists).
    pub inference_model: String,
    pub inference_timeout_s: u64,
    pub inference_retries: u32,
    pub inference_concurrency: usize,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            path: String::new(),
            threads: 0,
            batch: 0,
            fewshot: 0,
            inference_url: String::new(),
            inference_key_env: "LOOKOUT_INFERENCE_KEY".into(),
            inference_model: String::new(),
            inference_timeout_s: 120,
            inference_retries: 3,
            inference_concurrency: 4,
        }
    }
}

impl ModelConfig {
    /// Sessions to assess together: the configured batch, or with 0 one at a time. Measured
    /// on the 2-core machine (`bench assess --batch 1,2,4`, demo case, under load): batches of
    /// 2 and 4 gave 0.55x and 0.44x the sessions per minute of one at a time — prefill is most
    /// of a session's work and gains nothing from batching, and the engine's batched decode
    /// steps cost more than they save there — so batching stays opt-in until it pays.
    pub fn batch_size(&self) -> usize {
        self.batch.max(1)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    pub theme: String,
    /// The workbench queues every session the model has not judged yet as soon as the case is
    /// open, most severe first (when a model or an inference server is there to answer).
    pub auto_assess: bool,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        SessionsConfig {
            gap_minutes: 5,
            timeline_tokens: 1500,
            host_ips: Default::default(),
        }
    }
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            dirs: Vec::new(),
            builtin: true,
        }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            theme: "dark".into(),
            auto_assess: true,
        }
    }
}

impl Default for Config {
    /// The same values as the embedded `config/default.toml` (a test keeps the two equal; the
    /// file documents them, this code needs no parsing to get them).
    fn default() -> Self {
        Config {
            sessions: SessionsConfig::default(),
            rules: RulesConfig::default(),
            model: ModelConfig::default(),
            candidates: CandidatesConfig::default(),
            ui: UiConfig::default(),
            store: StoreConfig::default(),
            index: IndexConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
}

impl Config {
    /// Defaults, overridden by `path` when given, else by the user config file when present.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let user = path.map(Path::to_path_buf).or_else(|| {
            let p = user_config_dir()?.join("config.toml");
            p.exists().then_some(p)
        });
        match user {
            Some(p) => Self::from_file(&p),
            None => Ok(Config::default()),
        }
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.display().to_string(),
            message,
        })
    }

    /// Partial overrides: keys absent from `text` keep their defaults.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let mut base: toml::Table = toml::from_str(DEFAULT_TOML).map_err(|e| e.to_string())?;
        let user: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        merge(&mut base, user);
        toml::Value::Table(base)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// `~/.config/lookout` (or the platform's equivalent).
pub fn user_config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lookout").map(|d| d.config_dir().to_path_buf())
}

/// `~/.local/share/lookout` (or the platform's equivalent): cases, store, models cache.
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "lookout")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".lookout"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_parse() {
        let c: Config = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.sessions.gap_minutes, 5);
    }

    #[test]
    fn partial_override_keeps_other_defaults() {
        let c = Config::from_toml("[sessions]\ngap_minutes = 10\n").unwrap();
        assert_eq!(c.sessions.gap_minutes, 10);
        assert_eq!(c.sessions.timeline_tokens, 1500);
        assert_eq!(c.ui.theme, "dark");
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let e = Config::from_toml("[sessions]\ngap_minuts = 10\n").unwrap_err();
        assert!(e.contains("gap_minuts"), "{e}");
    }
}
