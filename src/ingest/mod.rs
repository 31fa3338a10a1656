//! Ingest: read log files of many kinds, detect their format and normalise each record.
