//! Assess: the local SLM verdict per session (prompt, schema, engine, combination, cache, worker).

pub mod verdict;

pub use verdict::*;
