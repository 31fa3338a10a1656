//! Sessions: group events into per-actor sessions with metadata and a condensed timeline.

mod describe;
mod drain;
pub mod group;
mod remote;
pub mod timeline;
mod view;

pub use drain::Miner;
pub use group::{GroupOptions, sessionize, sessionize_each};
pub use view::{CaseView, ViewError};

/// The session types live in [`crate::model`], below every stage; re-exported here.
pub use crate::model::session::*;

#[cfg(test)]
mod group_tests;
#[cfg(test)]
mod remote_tests;
