//! Detect: Sigma rules with ATT&CK tags, the fast non-LLM baseline and evidence for the model.

pub mod hit;

pub use hit::Hit;
