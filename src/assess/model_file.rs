//! The model file: where the default one is, what it is (GGUF header), and its content hash
//! (part of the assessment cache key and of every stored verdict's provenance).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::gguf::{GgufError, GgufInfo, check_supported};
use crate::attack::paths::models_dirs;

/// Default model files, preferred first: the Q8_0 re-quantization runs faster on CPU.
pub const DEFAULT_MODEL_FILES: [&str; 2] = [
    "SmolLM2-135M-Instruct.Q8_0.gguf",
    "SmolLM2-135M-Instruct.Q4_1.gguf",
];

#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error(
        "no model found (run scripts/setup-model.sh, or pass --model PATH); looked for {} in: {}",
        DEFAULT_MODEL_FILES.join(" or "),
        .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound { searched: Vec<PathBuf> },
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

/// The model to use: `configured` when given (a path, or empty for the default), else
/// `$LOOKOUT_MODEL`, else the first default file found in the models dirs.
pub fn resolve_model(configured: Option<&Path>) -> Result<PathBuf, ModelFileError> {
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
    let mut f = std::fs::File::open(path)?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:032x}", h.digest128()))
}
