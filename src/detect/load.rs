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
use rsigma_parser::{CorrelationRule, LogSource, SigmaRule, Status, parse_sigma_yaml};
use serde::Serialize;

use super::correlation::{Correlation, Targets, resolve};
use super::fixups::{fix_base64offset, fix_keyword_all, fix_wildcards, fix_windash};
use super::limits::check_value_lengths;
use super::logsource::Route;
use super::prefilter::required_event_ids;
use super::refusal::{Refusal, RefusalKind};
use super::tags::attack_tags;
use crate::event::Risk;

/// What loading produced: how many rules compiled, and every document that did not, with why.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadReport {
    pub loaded: usize,
    /// Each rule, document, file or skipped folder that could not be used, with why.
    pub unsupported: Vec<Refusal>,
}

impl LoadReport {
    /// Refusals other than log sources lookout does not ingest: rule defects, duplicates,
    /// unreadable files (what a user should look at).
    pub fn defects(&self) -> impl Iterator<Item = &Refusal> {
        self.unsupported.iter().filter(|r| !r.kind.is_logsource())
    }
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
    /// The rule's `name`, which correlation rules may reference it by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the rule came from (`builtin:rules/windows/…` or a path).
    pub file: String,
    /// `product/category/service` as written in the rule (`windows/process_access/-`); for a
    /// correlation rule `correlation/<type>` (`correlation/event_count`).
    pub logsource: String,
    pub description: Option<String>,
    pub falsepositives: Vec<String>,
}

/// A compiled rule with the event ids it can match (`None`: any).
pub(crate) type RoutedRule = (CompiledRule, Option<Vec<u32>>);

/// Accumulates rules grouped by route; finished into a `RuleSet` by `ruleset.rs`.
#[derive(Default)]
pub(crate) struct Builder {
    pub rules: Vec<RuleInfo>,
    /// One entry per distinct route, with the compiled rules that share it and the event ids
    /// each can match (`None`: any, see prefilter.rs). Each compiled rule's `id` is replaced
    /// by its index in `rules`, so a match maps back without lookups.
    pub groups: Vec<(Route, Vec<RoutedRule>)>,
    seen: HashMap<String, String>,
    /// Correlation documents with their file, resolved once every rule is loaded (they may
    /// reference rules of other files).
    pub correlations: Vec<(String, CorrelationRule)>,
    pub report: LoadReport,
}

impl Builder {
    fn refuse(
        &mut self,
        file: &str,
        rule: Option<&str>,
        kind: RefusalKind,
        detail: impl Into<String>,
    ) {
        self.report.unsupported.push(Refusal {
            file: file.to_string(),
            rule: rule.map(str::to_string),
            kind,
            detail: detail.into(),
        });
    }

    /// Adds every document of one YAML text; never fails, problems go to the report.
    pub fn add_source(&mut self, file: &str, text: &str) {
        let correlations_before = self.correlations.len();
        if let Err(why) = crate::text::check_yaml_flow_depth(text) {
            self.refuse(file, None, RefusalKind::Parse, why);
            return;
        }
        let collection = match parse_sigma_yaml(text) {
            Ok(c) => c,
            Err(e) => {
                self.refuse(
                    file,
                    None,
                    problem_kind(&e.to_string(), RefusalKind::Parse),
                    e.to_string(),
                );
                return;
            }
        };
        for err in &collection.errors {
            self.refuse(
                file,
                None,
                problem_kind(err, RefusalKind::Parse),
                err.clone(),
            );
        }
        for c in collection.correlations {
            self.correlations.push((file.to_string(), c));
        }
        for f in &collection.filters {
            self.refuse(
                file,
                Some(&f.title),
                RefusalKind::Filter,
                "filter documents are not supported",
            );
        }
        if collection.rules.is_empty()
            && collection.filters.is_empty()
            && self.correlations.len() == correlations_before
            && collection.errors.is_empty()
        {
            self.refuse(file, None, RefusalKind::NotARule, "no rule document");
        }
        for rule in collection.rules {
            let title = rule.title.clone();
            if let Err((kind, detail)) = self.add_rule(file, rule) {
                self.refuse(file, Some(&title), kind, detail);
            }
        }
    }

    fn add_rule(&mut self, file: &str, mut rule: SigmaRule) -> Result<(), (RefusalKind, String)> {
        if let Some(s) = rule
            .status
            .filter(|s| matches!(s, Status::Deprecated | Status::Unsupported))
        {
            let status = if s == Status::Deprecated {
                "deprecated"
            } else {
                "unsupported"
            };
            return Err((RefusalKind::Deprecated, format!("status: {status}")));
        }
        let ls = &rule.logsource;
        let route = Route::new(
            ls.product.as_deref(),
            ls.category.as_deref(),
            ls.service.as_deref(),
        )?;
        let logsource = logsource_label(ls);
        let id = rule.id.clone().unwrap_or_else(|| rule.title.clone());
        if let Some(first) = self.seen.get(&id) {
            return Err((
                RefusalKind::Duplicate,
                format!("id {id} already loaded from {first}"),
            ));
        }
        check_value_lengths(&rule).map_err(|why| (RefusalKind::Compile, why))?;
        fix_base64offset(&mut rule);
        fix_windash(&mut rule);
        fix_keyword_all(&mut rule);
        fix_wildcards(&mut rule);
        let event_ids = required_event_ids(&rule);
        let mut compiled = compile_rule(&rule).map_err(|e| {
            let msg = e.to_string();
            (problem_kind(&msg, RefusalKind::Compile), msg)
        })?;
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
            name: rule.name.clone(),
            file: file.to_string(),
            logsource,
            description: rule.description.clone(),
            falsepositives: rule.falsepositives.clone(),
        });
        self.seen.insert(id, file.to_string());
        match self.groups.iter_mut().find(|(r, _)| *r == route) {
            Some((_, rules)) => rules.push((compiled, event_ids)),
            None => self.groups.push((route, vec![(compiled, event_ids)])),
        }
        self.report.loaded += 1;
        Ok(())
    }

    /// Resolves the correlation documents against the loaded rules: each that can run gets
    /// a `RuleInfo` (after the rules) and is returned; the others are refused with why.
    pub fn resolve_correlations(&mut self) -> Vec<Correlation> {
        let ids: Vec<(String, Option<String>)> = self
            .rules
            .iter()
            .map(|r| (r.id.clone(), r.name.clone()))
            .collect();
        let documents: Vec<(Option<String>, Option<String>)> = self
            .correlations
            .iter()
            .map(|(_, c)| (c.id.clone(), c.name.clone()))
            .collect();
        let targets = Targets {
            ids: &ids,
            correlations: &documents,
        };
        let mut out = Vec::new();
        for (file, c) in std::mem::take(&mut self.correlations) {
            let id = c.id.clone().unwrap_or_else(|| c.title.clone());
            let resolved = if let Some(first) = self.seen.get(&id) {
                Err(format!("id {id} already loaded from {first}"))
            } else {
                resolve(&c, self.rules.len(), &targets)
            };
            let corr = match resolved {
                Ok(corr) => corr,
                Err(why) => {
                    self.refuse(&file, Some(&c.title), RefusalKind::Correlation, why);
                    continue;
                }
            };
            let (techniques, tactics) = attack_tags(&c.tags);
            self.rules.push(RuleInfo {
                id: id.clone(),
                title: c.title.clone(),
                level: c
                    .level
                    .and_then(|l| Risk::from_sigma_level(l.as_str()))
                    .unwrap_or(Risk::Medium),
                techniques,
                tactics,
                name: c.name.clone(),
                file: file.clone(),
                logsource: format!("correlation/{}", corr.kind.as_str()),
                description: c.description.clone(),
                falsepositives: c.falsepositives.clone(),
            });
            self.seen.insert(id, file);
            self.report.loaded += 1;
            out.push(corr);
        }
        out
    }

    /// Adds every `.yml`/`.yaml` under `dir` (recursive, sorted for a stable order). A SigmaHQ
    /// checkout is taken as is: its rule folders are loaded, the folders of rules not meant to
    /// run (`deprecated/`, `unsupported/`, `rules-placeholder/`) are skipped and reported, and
    /// everything else (`tests/`, `.github/`, `other/`) is left alone.
    pub fn add_dir(&mut self, dir: &Path) {
        if !dir.is_dir() {
            self.refuse(
                &dir.display().to_string(),
                None,
                RefusalKind::Io,
                "rule folder not found",
            );
            return;
        }
        if is_sigmahq_checkout(dir) {
            for name in SIGMAHQ_RULE_FOLDERS {
                let sub = dir.join(name);
                if sub.is_dir() {
                    self.add_tree(&sub);
                }
            }
            for name in SIGMAHQ_SKIPPED_FOLDERS {
                let sub = dir.join(name);
                if sub.is_dir() {
                    self.skip_folder(&sub);
                }
            }
        } else {
            self.add_tree(&dir.to_path_buf());
        }
    }

    /// Every rule file under `dir`, except in hidden folders and in folders named like
    /// SigmaHQ's skipped ones (reported once each).
    fn add_tree(&mut self, dir: &PathBuf) {
        let mut files: Vec<PathBuf> = Vec::new();
        let mut skipped: Vec<PathBuf> = Vec::new();
        let walk = walkdir::WalkDir::new(dir)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 || !e.file_type().is_dir() {
                    return true;
                }
                let name = e.file_name().to_string_lossy();
                if SIGMAHQ_SKIPPED_FOLDERS.contains(&name.as_ref()) {
                    skipped.push(e.path().to_path_buf());
                    return false;
                }
                !name.starts_with('.')
            });
        let mut errors = Vec::new();
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() && is_yaml(e.path()) => {
                    files.push(e.into_path());
                }
                Ok(_) => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
        for e in errors {
            self.refuse(&dir.display().to_string(), None, RefusalKind::Io, e);
        }
        files.sort();
        for path in files {
            let name = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => self.add_source(&name, &text),
                Err(e) => self.refuse(&name, None, RefusalKind::Io, e.to_string()),
            }
        }
        skipped.sort();
        for folder in skipped {
            self.skip_folder(&folder);
        }
    }

    fn skip_folder(&mut self, folder: &Path) {
        let n = walkdir::WalkDir::new(folder)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file() && is_yaml(e.path()))
            .count();
        self.refuse(
            &folder.display().to_string(),
            None,
            RefusalKind::SkippedFolder,
            format!("{n} rule files not loaded (not meant to run as they are)"),
        );
    }
}

/// The folders of a SigmaHQ checkout whose rules run as they are.
const SIGMAHQ_RULE_FOLDERS: [&str; 5] = [
    "rules",
    "rules-threat-hunting",
    "rules-emerging-threats",
    "rules-compliance",
    "rules-dfir",
];

/// Folders of rules that are not meant to run: retired rules, rules for features backends
/// lack, and rules whose `%placeholders%` must be filled in per site first.
const SIGMAHQ_SKIPPED_FOLDERS: [&str; 3] = ["deprecated", "unsupported", "rules-placeholder"];

/// A SigmaHQ checkout's root: a `rules/` folder beside another of its known folders.
fn is_sigmahq_checkout(dir: &Path) -> bool {
    dir.join("rules").is_dir()
        && SIGMAHQ_RULE_FOLDERS[1..]
            .iter()
            .chain(SIGMAHQ_SKIPPED_FOLDERS.iter())
            .any(|f| dir.join(f).is_dir())
}

/// Parser messages about modifiers are their own kind: they name a Sigma feature, not a typo.
fn problem_kind(message: &str, otherwise: RefusalKind) -> RefusalKind {
    let m = message.to_ascii_lowercase();
    if m.contains("unknown modifier") || m.contains("not a value modifier") {
        RefusalKind::Modifier
    } else {
        otherwise
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
