//! Workbench state, one file per screen or concern; only `update` changes it.

pub mod assess;
pub mod detail;
pub mod form;
pub mod nav;
pub mod queue;
pub mod review;
pub mod search;
pub mod sessions;
