//! Atomic Red Team procedures, read by `crate::attack::atomics` (shared with the technique
//! candidates); re-exported here under the name the generators use.

pub use crate::attack::atomics::*;
