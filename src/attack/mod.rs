//! ATT&CK: the Enterprise catalog (validate technique ids, names and tactics).
//!
//! Loaded from the compact v18.1 lookup that `scripts/setup-model.sh` extracts, from MITRE's
//! full STIX bundle (`enterprise-attack.json`), or from a `techniques.tsv` table. Ids of other
//! ATT&CK versions meet through a crosswalk (see `versions`): a rule tagged with a v19 id is
//! kept and compared with v18 labels.

pub mod atomics;
mod catalog;
pub mod crosswalk;
mod load;
pub mod paths;
pub mod procedures;
mod versions;

pub use catalog::{Catalog, Technique};
pub use crosswalk::builtin_key;
pub use procedures::{ProcedureKind, ProcedureText, Procedures};
pub use versions::Equivalent;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    #[error("ATT&CK catalog {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("ATT&CK catalog {path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("ATT&CK catalog {path}: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error(
        "no ATT&CK catalog found (run scripts/setup-model.sh, or set LOOKOUT_ATTACK); looked in: {}",
        .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound { searched: Vec<PathBuf> },
}

pub type Result<T> = std::result::Result<T, AttackError>;
