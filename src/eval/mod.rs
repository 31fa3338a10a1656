//! Eval: metrics and reports on labelled data.

pub mod corpus;
