//! lookout: a terminal workbench to triage security logs with a local small language model.
//!
//! The modules are the pipeline: `ingest` -> `index`/`store` -> `sessions` -> `detect` ->
//! `assess` -> `tui`, with `learn` and `eval` closing the loop. `case` ties the stages together
//! for one case; `cli` and `tui` are the edges.

pub mod assess;
pub mod attack;
pub mod bench;
pub mod case;
pub mod cli;
pub mod config;
pub mod detect;
pub mod eval;
pub mod event;
pub mod index;
pub mod ingest;
pub mod learn;
pub mod sessions;
pub mod store;
/// Synthetic labelled sessions from ATT&CK procedures and benign/misconfiguration scenarios.
pub mod synth;
pub mod text;
pub mod tui;

pub use event::{Cause, Event, Format, Label, Risk};
