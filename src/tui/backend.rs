//! The seams to the assessment engine and the ATT&CK catalog. The workbench only sees these
//! traits; the lead plugs the real mistral.rs worker and catalog in, tests use fakes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::UnboundedSender;

use crate::assess::{AssessState, Assessment};

/// How urgently a session should be assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssessPriority {
    /// The analyst asked for this one (`a`): ahead of the queue.
    Now,
    /// Queued with many others (`A`).
    Background,
}

/// One report from the backend about one session. A running assessment sends `Running` with
/// `tokens` (the newly generated text, to append) many times, then `Done` with `assessment`.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessUpdate {
    pub session_id: String,
    /// The request this update answers ([`AssessBackend::assess`]'s `request`); updates of an
    /// older request than the session's latest are dropped by the workbench.
    pub request: u64,
    pub state: AssessState,
    pub tokens: Option<String>,
    pub assessment: Option<Assessment>,
    /// Why it failed, for `Failed`.
    pub error: Option<String>,
}

impl AssessUpdate {
    pub fn state(session_id: &str, request: u64, state: AssessState) -> AssessUpdate {
        AssessUpdate {
            session_id: session_id.to_string(),
            request,
            state,
            tokens: None,
            assessment: None,
            error: None,
        }
    }
}

/// Where a backend sends its updates; cheap to clone, safe from any thread.
#[derive(Clone)]
pub struct AssessSink(Arc<dyn Fn(AssessUpdate) -> bool + Send + Sync>);

impl AssessSink {
    /// Updates go to a channel (what tests of a backend use).
    pub fn new(tx: UnboundedSender<AssessUpdate>) -> AssessSink {
        AssessSink(Arc::new(move |u| tx.send(u).is_ok()))
    }
    /// Updates go to a function (the workbench turns them into its messages).
    pub fn from_fn(f: impl Fn(AssessUpdate) -> bool + Send + Sync + 'static) -> AssessSink {
        AssessSink(Arc::new(f))
    }
    /// False once the workbench has gone (the backend may stop working then).
    pub fn send(&self, u: AssessUpdate) -> bool {
        (self.0)(u)
    }
}

impl std::fmt::Debug for AssessSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AssessSink")
    }
}

/// Counters the backend keeps up to date; the workbench reads them on each tick.
#[derive(Debug, Default)]
pub struct AssessProgress {
    pub queued: AtomicU64,
    pub running: AtomicU64,
    pub done: AtomicU64,
    pub failed: AtomicU64,
    /// Tokens generated so far in total (for a tokens/s figure).
    pub tokens: AtomicU64,
}

/// A plain copy of [`AssessProgress`] (and the ingest counters), carried by a tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressSnapshot {
    pub assess_queued: u64,
    pub assess_running: u64,
    pub assess_done: u64,
    pub assess_failed: u64,
    pub ingest_files_done: u64,
    pub ingest_files_total: u64,
    pub ingest_events: u64,
    pub ingesting: bool,
}

impl ProgressSnapshot {
    pub fn read(
        assess: &AssessProgress,
        ingest: Option<&crate::case::IngestProgress>,
    ) -> ProgressSnapshot {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut s = ProgressSnapshot {
            assess_queued: r(&assess.queued),
            assess_running: r(&assess.running),
            assess_done: r(&assess.done),
            assess_failed: r(&assess.failed),
            ..Default::default()
        };
        if let Some(i) = ingest {
            s.ingest_files_done = r(&i.files_done);
            s.ingest_files_total = r(&i.files_total);
            s.ingest_events = r(&i.events);
            s.ingesting = s.ingest_files_total > 0 && s.ingest_files_done < s.ingest_files_total;
        }
        s
    }
}

/// The assessment engine as the workbench sees it. Calls must return at once: the work runs
/// on the backend's own threads and reports through the sink given to [`connect`].
///
/// [`connect`]: AssessBackend::connect
pub trait AssessBackend: Send + Sync {
    /// Called once at start-up, before any other call.
    fn connect(&self, sink: AssessSink);
    /// Reports stored assessments of these sessions (state `FromCache`, or `Done`) without
    /// running the model; sessions without one get no update.
    fn load_cached(&self, session_ids: Vec<String>);
    /// Assess (again) a session: `Queued`, then `Running` updates with tokens, then `Done` or
    /// `Failed`, all carrying `request`.
    fn assess(&self, session_id: &str, request: u64, priority: AssessPriority);
    /// Drop a queued or running assessment (reports `NotAssessed`, or its cached result).
    fn cancel(&self, session_id: &str);
    fn progress(&self) -> Arc<AssessProgress>;
    /// Whether a model (embedded or an inference server) is there to answer; without one the
    /// verdicts are the rules' and the prior's, which the case already has from ingest, so the
    /// workbench does not queue sessions by itself.
    fn runs_model(&self) -> bool {
        false
    }
}

/// The ATT&CK catalog as the workbench sees it. Lookups are in memory and fast: views call them
/// while drawing.
pub trait TechniqueLookup: Send + Sync {
    /// `T1110.001` -> `Password Guessing` (sub-techniques may include the parent's name).
    fn name(&self, id: &str) -> Option<String>;
    /// Tactic names of a technique (`credential-access`).
    fn tactics(&self, id: &str) -> Vec<String>;
    /// Every (id, name) pair, for the fuzzy picker.
    fn all(&self) -> Vec<(String, String)>;
    /// Fuzzy search by id or name, best first (the default ranks [`all`] with nucleo).
    ///
    /// [`all`]: TechniqueLookup::all
    fn search(&self, query: &str, limit: usize) -> Vec<(String, String)> {
        super::fuzzy::rank(&self.all(), query, limit)
    }
}

/// Used when no engine is plugged in: every request fails with a clear reason.
pub struct NoAssessBackend {
    sink: std::sync::Mutex<Option<AssessSink>>,
    progress: Arc<AssessProgress>,
}

impl Default for NoAssessBackend {
    fn default() -> Self {
        NoAssessBackend {
            sink: std::sync::Mutex::new(None),
            progress: Arc::default(),
        }
    }
}

impl AssessBackend for NoAssessBackend {
    fn connect(&self, sink: AssessSink) {
        if let Ok(mut s) = self.sink.lock() {
            *s = Some(sink);
        }
    }
    fn load_cached(&self, _session_ids: Vec<String>) {}
    fn assess(&self, session_id: &str, request: u64, _priority: AssessPriority) {
        if let Ok(s) = self.sink.lock()
            && let Some(sink) = s.as_ref()
        {
            let mut u = AssessUpdate::state(session_id, request, AssessState::Failed);
            u.error = Some("no assessment engine in this build".into());
            sink.send(u);
        }
    }
    fn cancel(&self, _session_id: &str) {}
    fn progress(&self) -> Arc<AssessProgress> {
        self.progress.clone()
    }
}

/// Used when no catalog is plugged in: ids are shown without names.
pub struct NoTechniques;

impl TechniqueLookup for NoTechniques {
    fn name(&self, _id: &str) -> Option<String> {
        None
    }
    fn tactics(&self, _id: &str) -> Vec<String> {
        Vec::new()
    }
    fn all(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}
