//! Learn: corrections become fine-tuning datasets and a learned prior.

pub mod features;
pub mod prior;

pub use prior::{Example, ExampleSource, Prior, PriorVerdict};
