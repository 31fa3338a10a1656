//! Sessions: group events into per-actor sessions with metadata and a condensed timeline.

pub mod model;

pub use model::*;
