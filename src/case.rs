//! A case: one investigation, tying index, store, sessions and detections together.
