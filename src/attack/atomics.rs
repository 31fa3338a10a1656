//! Atomic Red Team procedures: load a checkout's `atomics/` (one YAML per ATT&CK technique),
//! keep each atomic test's platforms, executor and command, with `#{arg}` replaced by the
//! argument's default.
//!
//! Both layouts are read: the upstream `atomics/T1003.001/T1003.001.yaml` and the flat
//! `atomics/T1003.001.yaml` of the shared copy. A file that does not parse is reported and
//! skipped; it never stops the load.
//!
//! Read by `synth` (logs generated from the procedures) and by `detect`'s technique candidates
//! (the procedures as retrieval documents), so it sits with the ATT&CK catalog below both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// An atomics folder that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("atomics folder {dir}: {reason}")]
pub struct AtomicsError {
    pub dir: PathBuf,
    pub reason: String,
}

/// How an atomic test runs its command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Executor {
    CommandPrompt,
    PowerShell,
    Sh,
    Bash,
    /// Steps for a human: nothing to generate.
    Manual,
    Other,
}

impl Executor {
    fn parse(name: &str) -> Executor {
        match name.trim().to_ascii_lowercase().as_str() {
            "command_prompt" => Executor::CommandPrompt,
            "powershell" => Executor::PowerShell,
            "sh" => Executor::Sh,
            "bash" => Executor::Bash,
            "manual" => Executor::Manual,
            _ => Executor::Other,
        }
    }
}

/// The operating system a test runs on (the two `synth` generates for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Windows,
    Linux,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Windows => "windows",
            Platform::Linux => "linux",
        }
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "windows" | "win" => Ok(Platform::Windows),
            "linux" => Ok(Platform::Linux),
            other => Err(format!("unknown platform `{other}` (windows or linux)")),
        }
    }
}

/// One atomic test, ready to generate from.
#[derive(Debug, Clone)]
pub struct AtomicTest {
    /// `T1003.001`, upper-case.
    pub technique: String,
    /// The technique's display name (`OS Credential Dumping: LSASS Memory`).
    pub technique_name: String,
    /// 1-based position in the technique's file, as Invoke-AtomicTest numbers tests.
    pub number: usize,
    pub name: String,
    pub guid: String,
    pub platforms: Vec<String>,
    pub executor: Executor,
    /// The command with every `#{arg}` replaced by its default (`PathToAtomicsFolder` is left
    /// for the platform generator to place).
    pub command: String,
    pub elevated: bool,
}

impl AtomicTest {
    pub fn runs_on(&self, p: Platform) -> bool {
        self.platforms
            .iter()
            .any(|x| x.eq_ignore_ascii_case(p.as_str()))
    }

    /// Whether `synth` can generate this test on `p`: a command to run with an executor of
    /// that platform. FreeBSD variants are listed as `linux` upstream but use FreeBSD tools.
    pub fn generatable_on(&self, p: Platform) -> bool {
        let executor_fits = match p {
            Platform::Windows => {
                matches!(
                    self.executor,
                    Executor::CommandPrompt | Executor::PowerShell
                )
            }
            Platform::Linux => matches!(self.executor, Executor::Sh | Executor::Bash),
        };
        self.runs_on(p)
            && executor_fits
            && !self.command.trim().is_empty()
            && !(p == Platform::Linux && self.name.to_ascii_lowercase().contains("freebsd"))
    }
}

/// Everything read from one atomics folder.
#[derive(Debug, Clone, Default)]
pub struct Atomics {
    pub dir: PathBuf,
    /// Tests in technique order, then test number.
    pub tests: Vec<AtomicTest>,
    /// Techniques read (including those without a usable test).
    pub techniques: usize,
    /// `(file, reason)` for each YAML file that could not be read.
    pub problems: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct RawFile {
    attack_technique: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    atomic_tests: Vec<RawTest>,
}

#[derive(Deserialize)]
struct RawTest {
    #[serde(default)]
    name: String,
    #[serde(default)]
    auto_generated_guid: Option<String>,
    #[serde(default)]
    supported_platforms: Vec<String>,
    #[serde(default)]
    input_arguments: Option<BTreeMap<String, RawArg>>,
    executor: Option<RawExecutor>,
}

#[derive(Deserialize)]
struct RawArg {
    #[serde(default)]
    default: Option<serde_yaml::Value>,
}

#[derive(Deserialize)]
struct RawExecutor {
    #[serde(default)]
    name: String,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    elevation_required: Option<bool>,
}

/// Reads every technique YAML under `dir` (flat or one folder per technique).
pub fn load(dir: &Path) -> Result<Atomics, AtomicsError> {
    let files = technique_files(dir)?;
    if files.is_empty() {
        return Err(AtomicsError {
            dir: dir.to_path_buf(),
            reason: "no technique files (T*.yaml) found".into(),
        });
    }
    let mut out = Atomics {
        dir: dir.to_path_buf(),
        ..Atomics::default()
    };
    for path in files {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                out.problems.push((shown, e.to_string()));
                continue;
            }
        };
        match parse_technique(&text) {
            Ok(tests) => {
                out.techniques += 1;
                out.tests.extend(tests);
            }
            Err(e) => out.problems.push((shown, e)),
        }
    }
    Ok(out)
}

/// `T*.yaml` directly in `dir` or one level down, sorted (so the order never depends on the
/// file system).
fn technique_files(dir: &Path) -> Result<Vec<PathBuf>, AtomicsError> {
    let io = |e: std::io::Error| AtomicsError {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let is_technique = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('T') && (n.ends_with(".yaml") || n.ends_with(".yml")))
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            // Upstream layout: atomics/T1003.001/T1003.001.yaml (plus src/ and bin/ payloads).
            if let Ok(inner) = std::fs::read_dir(&path) {
                files.extend(
                    inner
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.is_file() && is_technique(p)),
                );
            }
        } else if is_technique(&path) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The tests of one technique file.
pub fn parse_technique(text: &str) -> Result<Vec<AtomicTest>, String> {
    crate::text::check_yaml_flow_depth(text)?;
    let raw: RawFile = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    let technique = raw.attack_technique.trim().to_ascii_uppercase();
    if !technique.starts_with('T') {
        return Err(format!("`{technique}` is not a technique id"));
    }
    let mut tests = Vec::new();
    for (i, t) in raw.atomic_tests.into_iter().enumerate() {
        let Some(ex) = t.executor else { continue };
        let defaults: BTreeMap<String, String> = t
            .input_arguments
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.default.map(yaml_text).unwrap_or_default()))
            .collect();
        let command = substitute(ex.command.as_deref().unwrap_or(""), &defaults);
        tests.push(AtomicTest {
            technique: technique.clone(),
            technique_name: raw.display_name.clone(),
            number: i + 1,
            name: t.name.trim().to_string(),
            guid: t.auto_generated_guid.unwrap_or_default(),
            platforms: t.supported_platforms,
            executor: Executor::parse(&ex.name),
            command,
            elevated: ex.elevation_required.unwrap_or(false),
        });
    }
    Ok(tests)
}

fn yaml_text(v: serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Null => String::new(),
        other => serde_yaml::to_string(&other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// Replaces `#{name}` with its default; a default may itself name another argument, so a few
/// passes are made. Unknown names are left as written (Invoke-AtomicTest does the same).
pub fn substitute(command: &str, defaults: &BTreeMap<String, String>) -> String {
    let mut s = command.to_string();
    for _ in 0..3 {
        if !s.contains("#{") {
            break;
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s.as_str();
        while let Some(i) = rest.find("#{") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            match after.find('}') {
                Some(j) => {
                    let name = &after[..j];
                    match defaults.get(name) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&rest[i..i + 3 + j]),
                    }
                    rest = &after[j + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        s = out;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_substituted_with_defaults() {
        let text = r##"
attack_technique: t1136.001
display_name: "Create Account: Local Account"
atomic_tests:
- name: Create a new user in a command prompt
  supported_platforms: [windows]
  input_arguments:
    username: {description: x, type: string, default: T1136.001_CMD}
    password: {description: x, type: string, default: "#{username}!"}
    port: {description: x, type: integer, default: 8080}
  executor:
    command: |
      net user /add "#{username}" "#{password}" #{port} #{missing}
    name: command_prompt
    elevation_required: true
- name: manual one
  supported_platforms: [linux]
  executor: {name: manual, steps: "do it"}
"##;
        let tests = parse_technique(text).unwrap();
        assert_eq!(tests.len(), 2);
        let t = &tests[0];
        assert_eq!(t.technique, "T1136.001");
        assert_eq!(
            t.command.trim(),
            r##"net user /add "T1136.001_CMD" "T1136.001_CMD!" 8080 #{missing}"##
        );
        assert!(t.elevated && t.generatable_on(Platform::Windows));
        assert!(!t.generatable_on(Platform::Linux));
        assert!(!tests[1].generatable_on(Platform::Linux));
        assert!(parse_technique("not: [valid").is_err());
    }
}
