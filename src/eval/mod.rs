//! Eval: metrics and reports on labelled data.
//!
//! Methods are plain data: per method name, a list of [`Prediction`]s; the ground truth is a
//! list of [`Truth`]s (from ingest labels or a labels file, see [`truths_for_sessions`]).
//! [`evaluate`] turns both into a [`Report`] (JSON via serde, Markdown via
//! [`Report::to_markdown`]); [`compare`] diffs two reports. The `rules` baseline is
//! [`rules_prediction`]; learning methods get leakage-free folds from [`kfold_by_host`].
//! [`run::report`] builds every method's predictions over a case's labelled sessions.

pub mod by_rules;
mod chart;
mod choice;
pub mod compare;
pub mod corpora;
pub mod corpus;
pub mod evaluate;
mod glob;
pub mod grounding;
pub mod labels;
mod markdown;
mod markdown_details;
pub mod metrics;
pub mod outcomes;
pub mod report;
pub mod resample;
pub mod rules;
pub mod run;
pub mod split;
pub mod techniques;
pub mod truth;
pub mod types;
pub mod zeek;

pub use by_rules::{EvidenceScores, RuleEvidence};
pub use compare::compare;
pub use corpora::{Corpus, corpus_labels};
pub use evaluate::{
    DEFAULT_PREVALENCES, EvalOptions, METHODS, evaluate, parse_methods, parse_prevalences,
};
pub use glob::Glob;
pub use labels::{LabelRow, LabelTable, LabelsError, Selector, SessionRef};
pub use outcomes::{MethodOutcome, SessionOutcome};
pub use report::{MethodReport, Report};
pub use rules::{DEFAULT_RULE_THRESHOLD, rules_note, rules_prediction, rules_prediction_at};
pub use split::{Split, kfold_by_host};
pub use techniques::{SameTechnique, TacticMap};
pub use truth::{TruthSources, truths_for_sessions};
pub use types::{Prediction, Truth};
pub use zeek::ZeekLabeled;
