//! The synthesis report: pass rate per round and per technique, how many techniques a rule
//! confirmed, which had no rule to ask (kept, unverified), and the benign/misconfiguration
//! sessions; printed and written as `report.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::atomics::Platform;

#[derive(Debug, Clone, Default, Serialize)]
pub struct RoundStat {
    pub round: u32,
    /// Candidates evaluated in this round (round 0: every test as written; later rounds:
    /// variants of the tests still failing).
    pub tried: u64,
    pub passed: u64,
    pub pass_rate: f64,
}

/// How a technique fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TechniqueStatus {
    /// A rule tagged with it (or with its parent technique) fired on a kept session.
    RuleVerified,
    /// Kept, but no loaded rule for these formats is tagged with it, and none of its
    /// parent's rules fired.
    UnverifiedByRule,
    /// Rules exist and none fired on any variant in the rounds allowed: nothing kept.
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct TechniqueStat {
    pub technique: String,
    pub platform: Platform,
    pub status: TechniqueStatus,
    pub tests: u64,
    /// Tests with a kept session.
    pub tests_passed: u64,
    /// Sessions kept (tests passed plus accepted augmentations).
    pub sessions: u64,
    /// Applicable rules tagged with the technique.
    pub tagged_rules: usize,
    /// Rounds each passing test needed (0: as written).
    pub rounds: Vec<u32>,
    pub fired_rules: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Augmentation {
    pub tried: u64,
    pub kept: u64,
    /// Kept variants by augmentation name.
    pub kept_by_op: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BenignStat {
    pub scenarios: u64,
    pub instances: u64,
    pub passed: u64,
    pub by_cause: BTreeMap<String, u64>,
    /// Scenario sessions on which some rule fired (lookalikes).
    pub with_rule_hits: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FinalCheck {
    pub files: u64,
    pub records: u64,
    /// Events the records make (auditd merges the records of one audit event).
    pub expected_events: u64,
    pub events: u64,
    pub bad_records: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SynthReport {
    pub synthetic: bool,
    pub seed: u64,
    pub atomics: String,
    pub platforms: Vec<Platform>,
    pub formats: Vec<String>,
    pub rules_loaded: usize,
    pub tests_selected: u64,
    /// Tests of the selected techniques that cannot run here (manual, other platforms'
    /// executors, FreeBSD variants).
    pub tests_skipped: u64,
    pub techniques_selected: u64,
    pub techniques_generated: u64,
    pub techniques_rule_verified: u64,
    pub techniques_unverified_by_rule: u64,
    pub techniques_failed: u64,
    pub sessions: u64,
    pub rounds: Vec<RoundStat>,
    pub augmentation: Augmentation,
    pub benign: BenignStat,
    pub per_platform: BTreeMap<String, BTreeMap<String, u64>>,
    pub per_technique: Vec<TechniqueStat>,
    /// Why candidates failed: `no_tagged_rule_fired`, `parse` (ingest), `consistency`.
    pub failures: BTreeMap<String, u64>,
    /// The first problems of candidates that failed, for diagnosis.
    pub sample_problems: Vec<String>,
    pub final_check: FinalCheck,
    pub seconds: f64,
}

impl SynthReport {
    /// The human summary `lookout synth` prints.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "synth: {} tests of {} techniques selected ({} skipped: manual or not for this platform), {} rules loaded",
            self.tests_selected, self.techniques_selected, self.tests_skipped, self.rules_loaded
        );
        for (p, m) in &self.per_platform {
            let get = |k: &str| m.get(k).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "  {p:<8} techniques generated {} (rule-verified {}, unverified-by-rule {}, failed {}), sessions {}",
                get("generated"),
                get("rule_verified"),
                get("unverified_by_rule"),
                get("failed"),
                get("sessions")
            );
        }
        let _ = writeln!(s, "pass rate per round:");
        let mut cumulative = 0;
        for r in &self.rounds {
            cumulative += r.passed;
            let _ = writeln!(
                s,
                "  round {}: {:>5} tried, {:>5} passed ({:>5.1} %), {} passed so far",
                r.round,
                r.tried,
                r.passed,
                r.pass_rate * 100.0,
                cumulative
            );
        }
        let why: Vec<String> = self
            .failures
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if !why.is_empty() {
            let _ = writeln!(s, "failed candidates: {}", why.join(", "));
        }
        let a = &self.augmentation;
        let _ = writeln!(
            s,
            "augmentation: {} variants tried, {} kept",
            a.tried, a.kept
        );
        let b = &self.benign;
        let causes: Vec<String> = b.by_cause.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let _ = writeln!(
            s,
            "scenarios (benign, misconfiguration, network-only): {} scenarios, {} sessions ({}), {} with rule hits (lookalikes)",
            b.scenarios,
            b.passed,
            causes.join(", "),
            b.with_rule_hits
        );
        let f = &self.final_check;
        let _ = writeln!(
            s,
            "final check: {} files, {} records -> {} events ({} expected), {} bad records",
            f.files, f.records, f.events, f.expected_events, f.bad_records
        );
        let _ = writeln!(s, "{:.1} s", self.seconds);
        s
    }
}
