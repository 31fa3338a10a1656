//! Rule loading: Sigma YAML text -> parsed (rsigma-parser), routed, compiled (rsigma-eval)
//! rules, with every rule that cannot be used reported by file and reason.
//!
//! Why rsigma: it is a maintained Rust Sigma engine that covers every modifier we need
//! (`contains|all`, `re`, `cidr`, `base64offset`, `windash`, wildcards, null, keywords) and
//! indexes rules by field witnesses, so we only add what is ours: field mapping
//! (`fields.rs`) and logsource routing (`logsource.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rsigma_eval::{CompiledRule, compile_rule};
use rsigma_parser::{LogSource, SigmaRule, parse_sigma_yaml};
use serde::Serialize;

use super::fixups::{fix_base64offset, fix_keyword_all};
use super::logsource::Route;
use super::tags::attack_tags;
use crate::event::Risk;

/// What loading produced: how many rules compiled, and every document that did not, with why.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadReport {
    pub loaded: usize,
    /// `(file, reason)` for each rule, document or file that could not be used.
    pub unsupported: Vec<(String, String)>,
}

/// A loaded rule's metadata, for listings, evidence and hits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleInfo {
    /// The rule's `id` (a UUID in SigmaHQ), or its title when it has none.
    pub id: String,
    pub title: String,
    pub level: Risk,
    pub techniques: Vec<String>,
    pub tactics: Vec<String>,
    /// Where the rule came from (`builtin:rules/windows/…` or a path).
    pub file: String,
    /// `product/category/service` as written in the rule (`windows/process_access/-`).
    pub logsource: String,
    pub description: Option<String>,
    pub falsepositives: Vec<String>,
}

/// Accumulates rules grouped by route; finished into a `RuleSet` by `ruleset.rs`.
#[derive(Default)]
pub(crate) struct Builder {
    pub rules: Vec<RuleInfo>,
    /// One entry per distinct route, with the compiled rules that share it. Each compiled
    /// rule's `id` is replaced by its index in `rules`, so a match maps back without lookups.
    pub groups: Vec<(Route, Vec<CompiledRule>)>,
    seen: HashMap<String, String>,
    pub report: LoadReport,
}

impl Builder {
    fn unsupported(&mut self, file: &str, reason: impl Into<String>) {
        self.report
            .unsupported
            .push((file.to_string(), reason.into()));
    }

    /// Adds every document of one YAML text; never fails, problems go to the report.
    pub fn add_source(&mut self, file: &str, text: &str) {
        let collection = match parse_sigma_yaml(text) {
            Ok(c) => c,
            Err(e) => {
                self.unsupported(file, format!("not a Sigma rule: {e}"));
                return;
            }
        };
        for err in &collection.errors {
            self.unsupported(file, format!("parse error: {err}"));
        }
        for c in &collection.correlations {
            self.unsupported(
                file,
                format!(
                    "`{}`: correlation rules ({}) aggregate many events; the per-event matcher \
                     does not run them (see detect::detectors for thresholds)",
                    c.title,
                    c.correlation_type.as_str()
                ),
            );
        }
        for f in &collection.filters {
            self.unsupported(
                file,
                format!("`{}`: filter documents are not supported", f.title),
            );
        }
        if collection.is_empty() && collection.errors.is_empty() {
            self.unsupported(file, "no Sigma rule in file");
        }
        for rule in collection.rules {
            let title = rule.title.clone();
            if let Err(reason) = self.add_rule(file, rule) {
                self.unsupported(file, format!("`{title}`: {reason}"));
            }
        }
    }

    fn add_rule(&mut self, file: &str, mut rule: SigmaRule) -> Result<(), String> {
        let ls = &rule.logsource;
        let route = Route::new(
            ls.product.as_deref(),
            ls.category.as_deref(),
            ls.service.as_deref(),
        )?;
        let logsource = logsource_label(ls);
        let id = rule.id.clone().unwrap_or_else(|| rule.title.clone());
        if let Some(first) = self.seen.get(&id) {
            return Err(format!(
                "duplicate rule id {id} (already loaded from {first})"
            ));
        }
        fix_base64offset(&mut rule);
        fix_keyword_all(&mut rule);
        let mut compiled = compile_rule(&rule).map_err(|e| format!("does not compile: {e}"))?;
        let index = self.rules.len();
        compiled.id = Some(index.to_string());
        let (techniques, tactics) = attack_tags(&rule.tags);
        self.rules.push(RuleInfo {
            id: id.clone(),
            title: rule.title.clone(),
            level: rule
                .level
                .and_then(|l| Risk::from_sigma_level(l.as_str()))
                .unwrap_or(Risk::Medium),
            techniques,
            tactics,
            file: file.to_string(),
            logsource,
            description: rule.description.clone(),
            falsepositives: rule.falsepositives.clone(),
        });
        self.seen.insert(id, file.to_string());
        match self.groups.iter_mut().find(|(r, _)| *r == route) {
            Some((_, rules)) => rules.push(compiled),
            None => self.groups.push((route, vec![compiled])),
        }
        self.report.loaded += 1;
        Ok(())
    }

    /// Adds every `.yml`/`.yaml` under `dir` (recursive, sorted for a stable order).
    pub fn add_dir(&mut self, dir: &Path) {
        if !dir.is_dir() {
            self.unsupported(&dir.display().to_string(), "rule folder not found");
            return;
        }
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in walkdir::WalkDir::new(dir).follow_links(true) {
            match entry {
                Ok(e) if e.file_type().is_file() && is_yaml(e.path()) => {
                    files.push(e.into_path());
                }
                Ok(_) => {}
                Err(e) => self.unsupported(&dir.display().to_string(), format!("walk error: {e}")),
            }
        }
        files.sort();
        for path in files {
            let name = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => self.add_source(&name, &text),
                Err(e) => self.unsupported(&name, format!("cannot read: {e}")),
            }
        }
    }
}

fn is_yaml(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

fn logsource_label(ls: &LogSource) -> String {
    let part = |p: &Option<String>| p.clone().unwrap_or_else(|| "-".to_string());
    format!(
        "{}/{}/{}",
        part(&ls.product),
        part(&ls.category),
        part(&ls.service)
    )
}
