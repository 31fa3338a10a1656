//! Assess: the local SLM verdict per session (prompt, schema, engine, combination, cache, worker).
//!
//! Flow: [`build_prompt`] (fixed instructions, then the session's evidence and its fenced
//! timeline) -> the engine, constrained by [`schema::verdict_schema`] -> a [`Verdict`]
//! checked against the ATT&CK catalog -> [`combine`] with the rule evidence and the learned
//! prior -> [`Assessment`], cached in the store. Only `engine*` imports mistralrs; the rest
//! builds and is tested without the `model` feature, and [`rules_only`] needs no model at all.
//! [`remote`] is the other engine: an OpenAI-compatible inference server (`--inference URL`).

pub mod assessor;
pub mod combine;
#[cfg(feature = "model")]
pub mod engine;
pub mod failure;
pub mod gguf;
pub mod injection;
pub mod input;
pub mod model_file;
pub mod prompt;
pub mod registry;
pub mod remote;
pub mod run;
pub mod schema;
pub mod tidy;
pub mod worker;

#[cfg(test)]
mod combine_tests;
#[cfg(test)]
pub(crate) mod testutil;

pub use crate::model::verdict::*;
pub use crate::model::{FewShotExample, PriorEvidence};
pub use assessor::{AssessError, AssessOptions, Assessor};
pub use combine::{Combined, combine, rules_only};
pub use input::AssessInput;
pub use prompt::{PROMPT_VERSION, Prompt, build_prompt};
pub use worker::{AssessWorker, JobHandle, JobId, Progress};
