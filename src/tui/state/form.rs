//! The correction form: the verdict fields the analyst edits, pre-filled from what is shown,
//! and the technique picker.

use super::nav::ListNav;
use crate::assess::Assessment;
use crate::event::{Cause, Risk};
use crate::store::{Correction, CorrectionKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Cause,
    Risk,
    Priority,
    Techniques,
    Summary,
    Rationale,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Cause,
        Field::Risk,
        Field::Priority,
        Field::Techniques,
        Field::Summary,
        Field::Rationale,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Field::Cause => "Cause",
            Field::Risk => "Risk",
            Field::Priority => "Priority",
            Field::Techniques => "Techniques",
            Field::Summary => "Summary",
            Field::Rationale => "Rationale",
        }
    }
    pub fn is_text(self) -> bool {
        matches!(self, Field::Summary | Field::Rationale)
    }
    pub fn step(self, forward: bool) -> Field {
        let i = Field::ALL.iter().position(|f| *f == self).unwrap_or(0);
        let n = Field::ALL.len();
        Field::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

#[derive(Debug, Clone, Default)]
pub struct Picker {
    pub query: String,
    pub results: Vec<(String, String)>,
    pub nav: ListNav,
}

#[derive(Debug, Clone)]
pub struct CorrectionForm {
    pub session_id: String,
    pub session_host: String,
    pub field: Field,
    pub cause: Cause,
    pub risk: Risk,
    pub priority: u8,
    pub techniques: Vec<String>,
    pub summary: String,
    pub rationale: String,
    /// The assessment the analyst saw (stored beside the correction).
    pub original: Option<Assessment>,
    pub picker: Option<Picker>,
    /// The save request in flight.
    pub saving: Option<u64>,
    pub error: Option<String>,
}

impl CorrectionForm {
    pub fn cycle(&mut self, forward: bool) {
        fn step<T: Copy + PartialEq>(all: &[T], v: T, forward: bool) -> T {
            let i = all.iter().position(|x| *x == v).unwrap_or(0);
            let n = all.len();
            all[if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }]
        }
        match self.field {
            Field::Cause => self.cause = step(&Cause::ALL, self.cause, forward),
            Field::Risk => self.risk = step(&Risk::ALL, self.risk, forward),
            Field::Priority => self.priority = step(&[1, 2, 3, 4], self.priority, forward),
            _ => {}
        }
    }

    pub fn text_mut(&mut self) -> Option<&mut String> {
        match self.field {
            Field::Summary => Some(&mut self.summary),
            Field::Rationale => Some(&mut self.rationale),
            _ => None,
        }
    }

    /// The correction this form stores; `created` and `analyst` come from the caller so that
    /// `update` stays deterministic under test.
    pub fn to_correction(
        &self,
        case_name: &str,
        kind: CorrectionKind,
        analyst: &str,
        created: chrono::DateTime<chrono::Utc>,
    ) -> Correction {
        let (model_id, prompt_version, model_output) = match &self.original {
            Some(a) => (
                a.model_id.clone(),
                a.prompt_version.clone(),
                serde_json::to_value(a).ok(),
            ),
            None => (String::new(), String::new(), None),
        };
        Correction {
            id: 0,
            case_name: case_name.to_string(),
            session_id: self.session_id.clone(),
            kind,
            analyst: analyst.to_string(),
            created,
            cause: self.cause,
            risk: self.risk,
            priority: Some(self.priority),
            techniques: self.techniques.clone(),
            summary: self.summary.trim().to_string(),
            rationale: self.rationale.trim().to_string(),
            model_id,
            prompt_version,
            model_output,
            session_host: self.session_host.clone(),
        }
    }
}
