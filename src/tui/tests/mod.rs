//! Workbench tests: `update` driven by scripted messages, screens rendered on `TestBackend`
//! and compared as snapshots, and the frame benchmark (ignored; it prints figures).

mod bench;
mod fixture;
mod render;
mod update_flow;
mod update_review;
mod update_search_form;
