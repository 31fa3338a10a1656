//! Index: the per-case tantivy index of events (schema, the single writer, queries).
