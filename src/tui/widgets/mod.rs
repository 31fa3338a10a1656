//! Reusable widgets and span builders; each asks the theme for roles.

pub mod badge;
pub mod histogram;
pub mod input;
pub mod marked;
pub mod pane;
pub mod technique;
