//! The evaluation report: every figure per method, serialisable as JSON (for `--json` and
//! `--compare`) and rendered as Markdown with terminal bar charts (`markdown.rs`).

use serde::{Deserialize, Serialize};

use super::by_rules::EvidenceScores;
use super::metrics::{BinaryScores, CauseScores, CostScores, RiskScores};
use super::outcomes::SessionOutcome;
use super::resample::{PrevalencePoint, ResamplePlan};
use super::split::Split;
use super::techniques::TechniqueScores;

/// Bumped when a field changes meaning, so that `--compare` can refuse mismatched reports.
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub dataset: DatasetSummary,
    /// Requested prevalences, in order.
    pub prevalences: Vec<f64>,
    pub resample: ResamplePlan,
    pub methods: Vec<MethodReport>,
    /// The "choice of combination" paragraph, generated from the figures.
    pub choice: String,
    /// Every labelled session's truth and each method's scored answer (`eval --per-session`
    /// writes them; not part of the JSON report).
    #[serde(skip)]
    pub sessions: Vec<SessionOutcome>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    /// Free text from the caller: case, labels source, corpus caveats.
    pub description: Option<String>,
    /// Labelled sessions (the denominator of every metric).
    pub sessions: u64,
    pub malicious: u64,
    pub legitimate: u64,
    pub misconfiguration: u64,
    /// Share of malicious sessions in the labelled data.
    pub prevalence: Option<f64>,
    /// Distinct hosts (see `split::host_key`).
    pub hosts: u64,
    pub with_risk: u64,
    pub with_techniques: u64,
    /// Truth rows given twice for one session (the first is kept).
    pub duplicate_truths: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodReport {
    pub name: String,
    pub split: Split,
    /// How the method decides (e.g. the rules threshold).
    pub note: Option<String>,
    /// Distinct sessions the method gave a prediction for.
    pub predictions: u64,
    /// Labelled sessions without a prediction: scored as "not flagged" (legitimate, no risk,
    /// no technique), as an analyst would see them.
    pub missing: u64,
    /// Predictions for sessions with no truth: ignored by the metrics.
    pub unlabelled: u64,
    /// Extra predictions for a session already predicted (the first is kept).
    pub duplicates: u64,
    pub binary: BinaryScores,
    pub at_prevalence: Vec<PrevalencePoint>,
    pub cause: CauseScores,
    pub risk: RiskScores,
    pub techniques: TechniqueScores,
    /// The technique figures over the sessions whose true techniques were all unseen in the
    /// model's training (`eval --trained-techniques`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub techniques_unseen: Option<TechniqueScores>,
    /// The technique figures over each class of sessions by what their rule hits name (when
    /// the run knew the sessions' rule hits): where the method adds to the rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques_by_rules: Vec<EvidenceScores>,
    pub cost: CostScores,
    /// Summaries checked against their sessions (methods that write one: the model's).
    #[serde(default)]
    pub summaries: Option<SummaryScores>,
}

/// Shares of a method's summaries that name a fact of their session (grounded) and that
/// repeat a sentence or phrase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryScores {
    pub checked: u64,
    pub grounded: Option<f64>,
    pub repeated: Option<f64>,
}

/// Whether a larger value of a figure is better (for `compare`'s arrows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

impl MethodReport {
    /// The method's figures as `(name, value, direction)`, in a fixed order: the rows of
    /// `compare` and the keys a dashboard can rely on.
    pub fn figures(&self) -> Vec<(String, Option<f64>, Better)> {
        use Better::*;
        let b = &self.binary;
        let mut v = vec![
            ("precision".to_string(), b.precision, Higher),
            ("recall".to_string(), b.recall, Higher),
            ("f1".to_string(), b.f1, Higher),
            ("balanced_accuracy".to_string(), b.balanced_accuracy, Higher),
            ("mcc".to_string(), b.mcc, Higher),
        ];
        for p in &self.at_prevalence {
            let pct = format_prevalence(p.prevalence);
            v.push((
                format!("precision@{pct} (analytic)"),
                p.analytic_precision,
                Higher,
            ));
            v.push((
                format!("precision@{pct} (resampled)"),
                p.resampled_precision,
                Higher,
            ));
            v.push((
                format!("recall@{pct} (resampled)"),
                p.resampled_recall,
                Higher,
            ));
        }
        v.extend([
            ("cause_accuracy".to_string(), self.cause.accuracy, Higher),
            ("cause_macro_f1".to_string(), self.cause.macro_f1, Higher),
            ("risk_exact".to_string(), self.risk.exact, Higher),
            ("risk_within_one".to_string(), self.risk.within_one, Higher),
            (
                "techniques_exact".to_string(),
                self.techniques.exact,
                Higher,
            ),
            (
                "techniques_partial".to_string(),
                self.techniques.partial,
                Higher,
            ),
            (
                "summary_grounded".to_string(),
                self.summaries.as_ref().and_then(|s| s.grounded),
                Higher,
            ),
            (
                "summary_repeated".to_string(),
                self.summaries.as_ref().and_then(|s| s.repeated),
                Lower,
            ),
            (
                "techniques_parent".to_string(),
                self.techniques.parent,
                Higher,
            ),
            (
                "techniques_tactic".to_string(),
                self.techniques.tactic,
                Higher,
            ),
            (
                "techniques_unseen_partial".to_string(),
                self.techniques_unseen.as_ref().and_then(|t| t.partial),
                Higher,
            ),
            (
                "techniques_unseen_tactic".to_string(),
                self.techniques_unseen.as_ref().and_then(|t| t.tactic),
                Higher,
            ),
            (
                "techniques_without_rule_technique_partial".to_string(),
                self.techniques_by_rules
                    .iter()
                    .find(|e| e.evidence == super::by_rules::RuleEvidence::NoRuleTechnique)
                    .and_then(|e| e.scores.partial),
                Higher,
            ),
            (
                "sessions_per_s".to_string(),
                self.cost.sessions_per_s,
                Higher,
            ),
            ("mean_ms".to_string(), self.cost.mean_ms, Lower),
            ("p95_ms".to_string(), self.cost.p95_ms, Lower),
        ]);
        v
    }
}

/// `0.01` -> `1%`, `0.005` -> `0.5%`.
pub fn format_prevalence(p: f64) -> String {
    let pct = p * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{pct:.0}%")
    } else {
        format!("{}%", format!("{pct:.3}").trim_end_matches('0'))
    }
}

impl Report {
    pub fn to_json(&self) -> String {
        // Plain data with string keys and finite numbers only: serialisation cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn from_json(text: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn to_markdown(&self) -> String {
        super::markdown::render(self)
    }

    pub fn method(&self, name: &str) -> Option<&MethodReport> {
        self.methods.iter().find(|m| m.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prevalences_print_as_percentages() {
        assert_eq!(format_prevalence(0.01), "1%");
        assert_eq!(format_prevalence(0.5), "50%");
        assert_eq!(format_prevalence(0.005), "0.5%");
        assert_eq!(format_prevalence(0.0001), "0.01%");
    }
}
