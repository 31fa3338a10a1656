//! Sessions: group events into per-actor sessions with metadata and a condensed timeline,
//! streamed from a large case in time order.

mod describe;
mod drain;
pub mod group;
mod links;
mod prepass;
#[cfg(test)]
mod reference;
mod remote;
mod stream;
pub mod timeline;
mod view;

pub use drain::Miner;
pub use group::{GroupOptions, sessionize};
pub use prepass::Prepared;
pub use stream::Sessionizer;
pub use view::{CaseView, ViewError};

/// The session types live in [`crate::model`], below every stage; re-exported here.
pub use crate::model::session::*;

#[cfg(test)]
mod group_tests;
#[cfg(test)]
mod remote_tests;
#[cfg(test)]
mod stream_tests;
