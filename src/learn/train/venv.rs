//! The Python side of `lookout train`: the source tree holding `training/` and `scripts/`, and
//! the training venv that `scripts/setup-train.sh` makes (and reports) on first use.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};

/// The training venv and llama.cpp's converter in it, as setup-train.sh reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct Venv {
    pub dir: PathBuf,
    pub python: PathBuf,
    pub convert: PathBuf,
}

impl Venv {
    /// The venv's python running `script`: no `__pycache__` in the source tree, and progress
    /// lines that stream as they are printed.
    pub fn python_command(&self, script: &Path) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONUNBUFFERED", "1")
            .arg(script);
        cmd
    }
}

/// `$LOOKOUT_TRAIN_VENV`, else `<data_dir>/train-venv`.
pub fn default_venv(data_dir: &Path) -> PathBuf {
    match std::env::var_os("LOOKOUT_TRAIN_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => data_dir.join("train-venv"),
    }
}

/// True when setup-train.sh has completed in `venv` (it writes its stamp last).
pub fn venv_ready(venv: &Path) -> bool {
    venv.join(".lookout-train-stamp").is_file()
        && venv.join("bin").join("python").exists()
        && venv
            .join("llama.cpp")
            .join("convert_hf_to_gguf.py")
            .is_file()
}

/// The source tree holding `scripts/` and `training/`: `$LOOKOUT_REPO_DIR`, else the tree this
/// binary was built from.
pub fn repo_dir() -> PathBuf {
    match std::env::var_os("LOOKOUT_REPO_DIR") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    }
}

/// A file of the source tree, which must exist.
pub fn repo_file(rel: &str) -> Result<PathBuf> {
    let p = repo_dir().join(rel);
    if p.is_file() {
        Ok(p)
    } else {
        bail!(
            "{} not found: `lookout train` runs the Python in lookout's source tree \
             (set LOOKOUT_REPO_DIR to a checkout of it)",
            p.display()
        )
    }
}

/// Makes sure the venv is set up, running setup-train.sh when it is not (and `allow_setup`).
/// The script runs even on a ready venv: it is quick then, and it is what reports the paths.
pub fn ensure_venv(venv: &Path, allow_setup: bool) -> Result<Venv> {
    if !venv_ready(venv) && !allow_setup {
        bail!(
            "the training venv {} is not set up: run scripts/setup-train.sh {} (downloads ~3 GB)",
            venv.display(),
            venv.display()
        );
    }
    let script = repo_file("scripts/setup-train.sh")?;
    if !venv_ready(venv) {
        eprintln!(
            "train: setting up the training venv in {} (first time: ~3 GB download)",
            venv.display()
        );
    }
    let out = Command::new("bash")
        .arg(&script)
        .arg(venv)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!("{} failed ({})", script.display(), out.status);
    }
    parse_setup_output(&String::from_utf8_lossy(&out.stdout))
        .map_err(|key| anyhow!("{} printed no `{key}=` line", script.display()))
}

/// setup-train.sh's `venv=`, `python=` and `convert=` lines; `Err` names the first missing key.
fn parse_setup_output(text: &str) -> Result<Venv, &'static str> {
    let get = |key: &'static str| -> Result<PathBuf, &'static str> {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
            .map(|v| PathBuf::from(v.trim()))
            .ok_or(key)
    };
    Ok(Venv {
        dir: get("venv")?,
        python: get("python")?,
        convert: get("convert")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_output_gives_the_paths() {
        let text = "some progress\nvenv=/v\npython=/v/bin/python \nconvert=/v/llama.cpp/c.py\n";
        let v = parse_setup_output(text).unwrap();
        assert_eq!(v.dir, PathBuf::from("/v"));
        assert_eq!(v.python, PathBuf::from("/v/bin/python"));
        assert_eq!(v.convert, PathBuf::from("/v/llama.cpp/c.py"));
        assert_eq!(parse_setup_output("venv=/v\npython=/p\n"), Err("convert"));
    }

    #[test]
    fn a_venv_without_its_stamp_is_not_ready() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("bin")).unwrap();
        std::fs::create_dir_all(d.path().join("llama.cpp")).unwrap();
        std::fs::write(d.path().join("bin/python"), "").unwrap();
        std::fs::write(d.path().join("llama.cpp/convert_hf_to_gguf.py"), "").unwrap();
        assert!(!venv_ready(d.path()));
        std::fs::write(d.path().join(".lookout-train-stamp"), "").unwrap();
        assert!(venv_ready(d.path()));
    }
}
