//! Why a rule file, document or rule was not loaded: a kind that listings group by, and the
//! detail (the product name, the parser's message) that tells the rules of one kind apart.

use std::fmt;

use serde::Serialize;

/// What kind of problem kept a rule out. Ordered as `lookout rules` lists them: log sources
/// lookout does not ingest first (expected with SigmaHQ), then rule defects, then files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusalKind {
    /// `logsource.product` names something no lookout parser reads (cloud, SaaS, macOS…).
    Product,
    /// A `category` no lookout format carries for that product (`antivirus`, `database`).
    Category,
    /// A `service` no lookout format carries for that product (`auditd` before its parser).
    Service,
    /// A Sigma correlation document lookout cannot run (a type, window or condition it does
    /// not support, or a reference to a rule not loaded).
    Correlation,
    /// A Sigma filter document (meta-filter applied to other rules).
    Filter,
    /// `status: deprecated` or `status: unsupported`.
    Deprecated,
    /// A field modifier the engine does not know (`|frobnicate`).
    Modifier,
    /// YAML or detection syntax the parser rejects.
    Parse,
    /// Parsed, but the detection does not compile (a bad regex, CIDR, condition).
    Compile,
    /// The rule's `id` is already loaded (the first one wins).
    Duplicate,
    /// A folder of a SigmaHQ checkout that is not meant to run (`deprecated/`,
    /// `unsupported/`, `rules-placeholder/`); one entry per folder.
    SkippedFolder,
    /// A YAML file without any Sigma document.
    NotARule,
    /// A file or folder that could not be read.
    Io,
}

impl RefusalKind {
    /// A short label for listings (`lookout rules`).
    pub fn label(self) -> &'static str {
        match self {
            RefusalKind::Product => "log source product not ingested",
            RefusalKind::Category => "log source category not ingested",
            RefusalKind::Service => "log source service not ingested",
            RefusalKind::Correlation => "correlation rule not supported",
            RefusalKind::Filter => "filter document",
            RefusalKind::Deprecated => "deprecated or unsupported status",
            RefusalKind::Modifier => "unsupported modifier",
            RefusalKind::Parse => "parse error",
            RefusalKind::Compile => "does not compile",
            RefusalKind::Duplicate => "duplicate rule id",
            RefusalKind::SkippedFolder => "folder skipped (SigmaHQ checkout)",
            RefusalKind::NotARule => "no Sigma rule in file",
            RefusalKind::Io => "cannot read",
        }
    }

    /// True for log sources lookout has no parser for: expected, not a defect of the rule.
    pub fn is_logsource(self) -> bool {
        matches!(
            self,
            RefusalKind::Product | RefusalKind::Category | RefusalKind::Service
        )
    }
}

/// One thing that was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The rule file (or folder).
    pub file: String,
    /// The rule's title, when the refusal concerns one rule of the file.
    pub rule: Option<String>,
    pub kind: RefusalKind,
    /// What exactly: the product, category or service name for log sources, the parser's or
    /// compiler's message otherwise.
    pub detail: String,
}

impl Refusal {
    /// The key that groups refusals of one kind in listings: the log source name for log
    /// sources (`azure`), else the kind alone.
    pub fn group(&self) -> &str {
        if self.kind.is_logsource() {
            &self.detail
        } else {
            ""
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(title) = &self.rule {
            write!(f, "`{title}`: ")?;
        }
        match self.kind {
            RefusalKind::Product => {
                write!(f, "logsource product `{}` is not routed", self.detail)
            }
            RefusalKind::Category => {
                write!(f, "logsource category `{}` is not routed", self.detail)
            }
            RefusalKind::Service => {
                write!(f, "logsource service `{}` is not routed", self.detail)
            }
            _ => write!(f, "{}: {}", self.kind.label(), self.detail),
        }
    }
}

/// Refusals of one kind, for listings: how many, by name for log sources, and each one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonGroup {
    pub kind: RefusalKind,
    pub label: &'static str,
    pub count: usize,
    /// Log source kinds: `(product/category/service name, rules)`, most rules first.
    pub names: Vec<(String, usize)>,
    pub refusals: Vec<Refusal>,
}

/// Groups refusals by kind (in [`RefusalKind`] order), counting log source names.
pub fn by_reason(refusals: &[Refusal]) -> Vec<ReasonGroup> {
    use std::collections::BTreeMap;
    let mut kinds: BTreeMap<RefusalKind, Vec<Refusal>> = BTreeMap::new();
    for r in refusals {
        kinds.entry(r.kind).or_default().push(r.clone());
    }
    kinds
        .into_iter()
        .map(|(kind, refusals)| {
            let mut names: BTreeMap<String, usize> = BTreeMap::new();
            if kind.is_logsource() {
                for r in &refusals {
                    *names.entry(r.group().to_string()).or_default() += 1;
                }
            }
            let mut names: Vec<(String, usize)> = names.into_iter().collect();
            names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            ReasonGroup {
                kind,
                label: kind.label(),
                count: refusals.len(),
                names,
                refusals,
            }
        })
        .collect()
}
