//! Workbench tests: `update` driven by scripted messages, screens rendered on `TestBackend`
//! and compared as snapshots.

mod fixture;
mod render;
mod update_flow;
mod update_queue;
mod update_review;
mod update_search_form;
