//! lookout: a terminal workbench to triage security logs with a local small language model.
//!
//! The modules are the pipeline, in the order they run and import each other (a module imports
//! only those before it; `tests/layers.rs` checks it):
//!
//! `text`, `config`, `event` (the normalised event), `model` (the value types the stages hand
//! each other: sessions, hits, verdicts, assessments, prior evidence), `attack` (the ATT&CK
//! catalog) -> `ingest` -> `index` (tantivy) / `store` (SQLite, or PostgreSQL for a team) ->
//! `detect` (Sigma rules, run during ingest) -> `sessions` (grouping on the hits, timelines, a
//! read-only view of a case) -> `assess` -> `learn` / `synth` -> `eval` (which measures them
//! all) -> `case` (the orchestrator for one case, called by the edges, never by a stage) ->
//! `tui` -> `bench` -> `cli`.

pub mod assess;
pub mod attack;
pub mod bench;
pub mod case;
pub mod cli;
pub mod config;
pub mod detect;
pub mod eval;
pub mod event;
pub mod fsutil;
pub mod index;
pub mod ingest;
pub mod learn;
pub mod model;
pub mod sessions;
pub mod store;
/// Synthetic labelled sessions from ATT&CK procedures and benign/misconfiguration scenarios.
pub mod synth;
pub mod text;
pub mod tui;

pub use event::{Cause, Event, Format, Label, Risk};
