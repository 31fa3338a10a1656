//! Where set-up assets (models, the ATT&CK catalog) are looked for, in order.

use std::path::{Path, PathBuf};

/// Folder names and files that `scripts/setup-model.sh` writes.
pub const ATTACK_LOOKUP_FILE: &str = "attack-patterns-lookup-v18.1.json";
pub const REVOKED_BY_FILE: &str = "revoked-by.tsv";
/// Procedure examples, detection analytics and descriptions per technique.
pub const PROCEDURES_FILE: &str = "procedures-v18.1.tsv";

/// Candidate `models/` folders, most specific first: `$LOOKOUT_MODELS_DIR`, the data dir's
/// `models/`, then the source checkout's `models/` (where `make setup` puts them).
pub fn models_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("LOOKOUT_MODELS_DIR") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(crate::config::default_data_dir().join("models"));
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    dirs
}

/// Candidate catalog files, in the order [`crate::attack::Catalog::load_default`] tries them:
/// `$LOOKOUT_ATTACK`, `<models>/attack/<lookup>.json` for each models dir, then the shared
/// datasets' `techniques.tsv` beside (or above) the checkout.
pub fn catalog_candidates() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(f) = std::env::var_os("LOOKOUT_ATTACK") {
        files.push(PathBuf::from(f));
    }
    for d in models_dirs() {
        files.push(d.join("attack").join(ATTACK_LOOKUP_FILE));
    }
    for a in Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(1)
        .take(3)
    {
        files.push(a.join("shared/datasets/attack/techniques.tsv"));
    }
    files
}
