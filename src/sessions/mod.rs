//! Sessions: group events into per-actor sessions with metadata and a condensed timeline.

mod drain;
pub mod group;
pub mod model;
pub mod timeline;

pub use drain::Miner;
pub use group::{GroupOptions, sessionize};
pub use model::*;

#[cfg(test)]
mod group_tests;
