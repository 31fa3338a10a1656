//! The tuned models that `lookout train` registered: `<data_dir>/models/registry.json`, a JSON
//! array of [`RegistryEntry`], and the lookup of a model name in it. It lives in `assess`
//! because choosing the model to assess with reads it ([`super::model_file::resolve_model`]);
//! `learn::train` writes it.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::fsutil::validate_name;

/// How the weights were tuned (`lookout train --method`, recorded in the registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// All weights of the trained layers.
    #[default]
    Full,
    /// Low-rank adapters on the trained layers' projections, merged into the weights.
    Lora,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Full => "full",
            Method::Lora => "lora",
        }
    }
}

/// One tuned model in `<data_dir>/models/registry.json` (a JSON array of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryEntry {
    pub name: String,
    pub path: PathBuf,
    pub base: PathBuf,
    pub created: DateTime<Utc>,
    pub method: Method,
    pub epochs: f64,
    pub steps: usize,
    pub examples: usize,
    pub val_examples: usize,
    pub train_loss: Option<f64>,
    pub val_loss: Option<f64>,
    pub val_loss_before: Option<f64>,
    /// Training and conversion, wall-clock (venv set-up excluded).
    pub seconds: f64,
    /// train.py's peak resident memory.
    pub peak_rss_mb: f64,
    pub outtype: String,
    pub train_layers: usize,
    /// sha256 of each dataset file, as `manifest.json` lists them (checked against the files).
    pub dataset_sha256: BTreeMap<String, String>,
    /// sha256 of each extra training file, by path.
    #[serde(default)]
    pub extra_sha256: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The cause stays a source (not in the message) so that callers' reports chain it.
    #[error("{action} {}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing {}", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("a model named {name:?} is already registered")]
    Taken { name: String },
}

/// `<data_dir>/models`: the tuned GGUF files and the registry.
pub fn models_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models")
}

pub fn registry_path(data_dir: &Path) -> PathBuf {
    models_dir(data_dir).join("registry.json")
}

/// Reads the registry (an absent file is an empty registry).
pub fn load_registry(data_dir: &Path) -> Result<Vec<RegistryEntry>, RegistryError> {
    let path = registry_path(data_dir);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = fs::read_to_string(&path).map_err(io("reading", &path))?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(&text).map_err(|source| RegistryError::Parse { path, source })
}

/// Adds `entry` (replacing one of the same name when `replace`), written atomically.
pub fn register(data_dir: &Path, entry: RegistryEntry, replace: bool) -> Result<(), RegistryError> {
    let mut all = load_registry(data_dir)?;
    if let Some(i) = all.iter().position(|e| e.name == entry.name) {
        if !replace {
            return Err(RegistryError::Taken { name: entry.name });
        }
        all.remove(i);
    }
    all.push(entry);
    let path = registry_path(data_dir);
    let dir = models_dir(data_dir);
    fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
    let tmp = dir.join(format!(".registry.json.{}", std::process::id()));
    {
        let mut f = fs::File::create(&tmp).map_err(io("writing", &tmp))?;
        serde_json::to_writer_pretty(&mut f, &all).map_err(|e| io("writing", &tmp)(e.into()))?;
        f.write_all(b"\n").map_err(io("writing", &tmp))?;
        f.sync_all().map_err(io("writing", &tmp))?;
    }
    fs::rename(&tmp, &path).map_err(io("writing", &path))
}

/// Maps an I/O error to [`RegistryError::Io`] on `path`.
fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RegistryError {
    let path = path.to_path_buf();
    move |source| RegistryError::Io {
        action,
        path,
        source,
    }
}

/// True when a model named `name` is registered.
pub fn is_registered(data_dir: &Path, name: &str) -> Result<bool, RegistryError> {
    Ok(load_registry(data_dir)?.iter().any(|e| e.name == name))
}

/// The file a `--model` value names: an existing file path, else the GGUF of the latest
/// registered model of that name, else `<data_dir>/models/NAME.gguf`. A value that is not a
/// valid model name is never joined to a folder, so `../x` cannot reach outside it.
pub fn find(data_dir: &Path, name_or_path: &str) -> Option<PathBuf> {
    let p = Path::new(name_or_path);
    if p.is_file() {
        return Some(p.to_path_buf());
    }
    if validate_name("model", name_or_path).is_err() {
        return None;
    }
    // An unreadable registry does not hide the models dir's files.
    if let Ok(all) = load_registry(data_dir)
        && let Some(e) = all.iter().rev().find(|e| e.name == name_or_path)
        && e.path.is_file()
    {
        return Some(e.path.clone());
    }
    let f = models_dir(data_dir).join(format!("{name_or_path}.gguf"));
    f.is_file().then_some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, path: &Path) -> RegistryEntry {
        RegistryEntry {
            name: name.into(),
            path: path.to_path_buf(),
            base: PathBuf::from("/base.gguf"),
            created: Utc::now(),
            method: Method::Lora,
            epochs: 1.0,
            steps: 3,
            examples: 6,
            val_examples: 2,
            train_loss: Some(1.5),
            val_loss: Some(1.2),
            val_loss_before: Some(2.0),
            seconds: 10.0,
            peak_rss_mb: 2000.0,
            outtype: "q8_0".into(),
            train_layers: 8,
            dataset_sha256: BTreeMap::new(),
            extra_sha256: BTreeMap::new(),
        }
    }

    #[test]
    fn registry_appends_refuses_duplicates_and_finds() {
        let d = tempfile::tempdir().unwrap();
        let models = models_dir(d.path());
        fs::create_dir_all(&models).unwrap();
        let g = models.join("tuned.gguf");
        fs::write(&g, b"GGUF").unwrap();
        assert!(load_registry(d.path()).unwrap().is_empty());
        register(d.path(), entry("tuned", &g), false).unwrap();
        assert!(matches!(
            register(d.path(), entry("tuned", &g), false),
            Err(RegistryError::Taken { .. })
        ));
        register(d.path(), entry("tuned", &g), true).unwrap();
        register(d.path(), entry("other", &g), false).unwrap();
        let all = load_registry(d.path()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].method, Method::Lora);
        assert!(is_registered(d.path(), "other").unwrap());
        assert!(!is_registered(d.path(), "nope").unwrap());
        assert_eq!(find(d.path(), "tuned"), Some(g.clone()));
        // A path is taken as it is; an unknown name is None.
        assert_eq!(find(d.path(), g.to_str().unwrap()), Some(g.clone()));
        assert_eq!(find(d.path(), "nope"), None);
        assert_eq!(find(d.path(), "../no-such-dir/tuned"), None);
        // Without a registry entry, <data_dir>/models/NAME.gguf.
        fs::write(models.join("loose.gguf"), b"GGUF").unwrap();
        assert_eq!(find(d.path(), "loose"), Some(models.join("loose.gguf")));
    }

    #[test]
    fn a_corrupt_registry_is_an_error_that_names_the_file() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(models_dir(d.path())).unwrap();
        fs::write(registry_path(d.path()), "[{").unwrap();
        let e = load_registry(d.path()).unwrap_err();
        assert!(e.to_string().contains("registry.json"), "{e}");
        // An empty file is an empty registry.
        fs::write(registry_path(d.path()), "\n").unwrap();
        assert!(load_registry(d.path()).unwrap().is_empty());
    }
}
