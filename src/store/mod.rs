//! Store: the SQLite file of cases, ingest runs, sessions, detections, assessments and corrections.
