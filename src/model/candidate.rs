//! A technique candidate: an ATT&CK technique whose public procedure knowledge (the catalog's
//! procedure examples and detections, Atomic Red Team commands) matches what a session did.
//! Made by `detect::candidates`; read by assess (as evidence in the prompt), eval and the views.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// `T1003.001`, as the installed catalog names it now.
    pub technique: String,
    /// `OS Credential Dumping: LSASS Memory`.
    pub name: String,
    /// The retrieval score of the best-matching procedure (BM25; comparable within a session,
    /// not across sessions).
    pub score: f64,
    /// Where that procedure comes from (`atomic T1003.001 #2: Dump LSASS.exe Memory using
    /// comsvcs.dll`, `ATT&CK procedure: APT28`, `ATT&CK detection: AN1030`).
    pub source: String,
    /// The procedure's text, shortened.
    pub procedure: String,
    /// The terms the procedure and the session share, most specific first (`comsvcs.dll`).
    pub terms: Vec<String>,
    /// The session facts those terms came from (a process, a command line, a registry path),
    /// shortened: untrusted log text.
    pub matched: Vec<String>,
}
