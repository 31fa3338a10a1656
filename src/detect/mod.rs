//! Detect: Sigma rules with ATT&CK tags, the fast non-LLM baseline and evidence for the model.
//! (Interface placeholder in the lead's branch; the engine lands from the `detect` branch.)

pub mod hit;

use std::path::PathBuf;

pub use hit::Hit;

use crate::event::Event;

#[derive(Default)]
pub struct RuleSet;

#[derive(Default)]
pub struct LoadReport {
    pub loaded: usize,
    pub unsupported: Vec<(String, String)>,
}

impl RuleSet {
    pub fn load(_dirs: &[PathBuf], _builtin: bool) -> (RuleSet, LoadReport) {
        (RuleSet, LoadReport::default())
    }
    pub fn matches(&self, _ev: &Event) -> Vec<Hit> {
        Vec::new()
    }
}

#[derive(Default, serde::Serialize)]
pub struct DetectSummary;

impl DetectSummary {
    pub fn add(&mut self, _h: &Hit) {}
}
