//! Learn: corrections become fine-tuning datasets (export, splits, anonymisation) and a
//! learned prior that improves the next similar assessment at once.

pub mod anonymize;
pub mod examples;
pub mod export;
pub mod features;
pub mod prior;
pub mod target;
pub mod train;

pub use prior::{Example, ExampleSource, Prior, PriorVerdict};

#[cfg(test)]
mod prior_tests;
