//! Detect: Sigma rules with ATT&CK tags, the fast non-LLM baseline and evidence for the model.
//!
//! `load` parses and compiles rules (rsigma), `logsource` routes them to the events they are
//! written for, `fields` maps Sigma field names onto our `Event`, `ruleset` matches;
//! `correlation` and `correlate` run Sigma correlation rules over the matched events in time
//! order; `detectors` counts across events (brute force, scans); `summary` serves
//! `lookout detect` (the matching benchmark belongs to `lookout bench`).

mod builtin;
pub mod candidates;
mod correlate;
mod correlation;
mod detectors;
mod dispatch;
mod fields;
mod fixups;
mod limits;
mod load;
mod logsource;
mod prefilter;
mod refusal;
mod ruleset;
mod summary;
mod tags;

pub use crate::model::Hit;
pub use correlate::Correlator;
pub use detectors::{DetectorConfig, detectors, detectors_with};
pub use load::{LoadReport, RuleInfo};
pub use refusal::{ReasonGroup, Refusal, RefusalKind, by_reason};
pub use ruleset::RuleSet;
pub use summary::{DetectSummary, RuleCount};

#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod routing_tests;
#[cfg(test)]
mod tests;
