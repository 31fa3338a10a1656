//! The model file: which one to use ([`resolve_model`], the one rule for `--model`, the config
//! and the defaults), what it is (GGUF header), and its content hash (part of the assessment
//! cache key and of every stored verdict's provenance).

use std::path::{Path, PathBuf};

use super::gguf::{GgufError, GgufInfo, check_supported};
use super::registry;
use crate::attack::paths::models_dirs;

/// The tuned default model: the base with lookout's shipped adapter (`models/lookout-tuned/`)
/// merged in by set-up.
pub const TUNED_MODEL_FILE: &str = "SmolLM2-135M-lookout.Q8_0.gguf";

/// The untuned base model's files, preferred first: the Q8_0 re-quantization runs faster on
/// CPU.
pub const BASE_MODEL_FILES: [&str; 2] = [
    "SmolLM2-135M-Instruct.Q8_0.gguf",
    "SmolLM2-135M-Instruct.Q4_1.gguf",
];

/// Default model files, preferred first: the tuned model (its own answer names the technique
/// and the cause of attack sessions it never saw, where the base model's is noise; issue #19's
/// figures), else the base model where set-up has not merged the adapter. `--model base`
/// selects the untuned one by name.
pub const DEFAULT_MODEL_FILES: [&str; 3] =
    [TUNED_MODEL_FILE, BASE_MODEL_FILES[0], BASE_MODEL_FILES[1]];

/// Names that select a set-up model by what it is, whatever the default: `base` (the model as
/// downloaded) and `lookout-tuned` (the shipped tuned one). A model registered under the same
/// name by `lookout train` comes first.
pub const BUILTIN_MODELS: [(&str, &[&str]); 2] = [
    ("base", &BASE_MODEL_FILES),
    ("lookout-tuned", &[TUNED_MODEL_FILE]),
];

#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error(
        "no model found (run scripts/setup-model.sh, or pass --model PATH); looked for {} in: {}",
        DEFAULT_MODEL_FILES.join(" or "),
        .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound { searched: Vec<PathBuf> },
    #[error("no model file or registered model named `{name}`")]
    Unknown { name: String },
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error("model file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A checked model file.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    pub path: PathBuf,
    /// xxh3-128 of the content, hex.
    pub hash: String,
    pub info: GgufInfo,
}

impl ModelFile {
    /// Reads the header (refusing unsupported architectures) and hashes the file.
    pub fn open(path: &Path) -> Result<ModelFile, ModelFileError> {
        let info = check_supported(path)?;
        let hash = file_hash(path).map_err(|source| ModelFileError::Io {
            path: path.into(),
            source,
        })?;
        Ok(ModelFile {
            path: path.into(),
            hash,
            info,
        })
    }

    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// `SmolLM2-135M-Instruct.Q8_0.gguf#0c1d3326cd9793cf`: readable and exact.
    pub fn model_id(&self) -> String {
        format!(
            "{}#{}",
            self.file_name(),
            &self.hash[..16.min(self.hash.len())]
        )
    }
}

/// The model file to use, one rule for every command, the workbench and `train`:
/// - `requested` (`--model`) when given: an existing file, or a name registered by `lookout
///   train` ([`registry::find`]). Anything else is an error, never a quiet fall back to
///   another model than the one asked for.
/// - else [`default_model`]`(configured)`: `data_dir` is not read.
pub fn resolve_model(
    data_dir: &Path,
    requested: Option<&str>,
    configured: Option<&Path>,
) -> Result<PathBuf, ModelFileError> {
    match requested {
        Some(name) => registry::find(data_dir, name)
            .or_else(|| builtin_model(name))
            .ok_or_else(|| ModelFileError::Unknown {
                name: name.to_string(),
            }),
        None => default_model(configured),
    }
}

/// The set-up file a [`BUILTIN_MODELS`] name stands for, when set-up made it.
pub fn builtin_model(name: &str) -> Option<PathBuf> {
    let (_, files) = BUILTIN_MODELS.iter().find(|(n, _)| *n == name)?;
    models_dirs()
        .iter()
        .flat_map(|d| files.iter().map(move |f| d.join(f)))
        .find(|p| p.is_file())
}

/// The model when none is requested by name: `configured` when given (a path, e.g. the
/// config's `model.path`; empty = not given), else `$LOOKOUT_MODEL`, else the first default
/// file found in the models dirs. The tail of [`resolve_model`], for callers that hold a path
/// already (the assessor, benchmarks).
pub fn default_model(configured: Option<&Path>) -> Result<PathBuf, ModelFileError> {
    if let Some(p) = configured.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("LOOKOUT_MODEL").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let searched = models_dirs();
    for d in &searched {
        for f in DEFAULT_MODEL_FILES {
            let p = d.join(f);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(ModelFileError::NotFound { searched })
}

/// xxh3-128 of a file's content (~0.1 s for the default model): fast enough to run at every
/// start, unlike sha256.
pub fn file_hash(path: &Path) -> std::io::Result<String> {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    crate::fsutil::for_each_chunk(path, |chunk| h.update(chunk))?;
    Ok(format!("{:032x}", h.digest128()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requested_name_resolves_through_the_registry_or_fails() {
        let d = tempfile::tempdir().unwrap();
        let models = registry::models_dir(d.path());
        std::fs::create_dir_all(&models).unwrap();
        std::fs::write(models.join("tuned.gguf"), b"GGUF").unwrap();
        let configured = d.path().join("configured.gguf");
        assert_eq!(
            resolve_model(d.path(), Some("tuned"), Some(&configured)).unwrap(),
            models.join("tuned.gguf")
        );
        let e = resolve_model(d.path(), Some("nope"), Some(&configured)).unwrap_err();
        assert!(matches!(&e, ModelFileError::Unknown { name } if name == "nope"));
        assert_eq!(
            e.to_string(),
            "no model file or registered model named `nope`"
        );
        // Nothing requested: the configured path, as it is (whether or not it exists).
        assert_eq!(
            resolve_model(d.path(), None, Some(&configured)).unwrap(),
            configured
        );
    }

    #[test]
    fn file_hash_is_the_xxh3_of_the_whole_content() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.gguf");
        // Over two read chunks, so that chunks are joined as one stream.
        let content: Vec<u8> = (0..(2 << 20) + 7).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &content).unwrap();
        let want = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&content));
        assert_eq!(file_hash(&p).unwrap(), want);
    }
}
