//! Eval: metrics and reports on labelled data.
