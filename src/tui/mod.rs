//! The workbench: ratatui UI state, update, views and widgets.
