//! The real engines behind the workbench's seams: the mistral.rs assess worker (with the case's
//! learned prior as evidence) and the ATT&CK catalog.
//!
//! Every call from the loop only posts a request to the coordinator thread, which owns the
//! case, builds inputs and feeds the worker; a forwarder thread turns the worker's progress
//! into [`AssessUpdate`]s. Loading the model (seconds) happens there too, on first use.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use super::backend::TechniqueLookup;
use super::backend::{AssessBackend, AssessPriority, AssessProgress, AssessSink, AssessUpdate};
use crate::assess::input;
use crate::assess::{AssessOptions, AssessState, AssessWorker, Assessor, JobId, Progress};
use crate::attack::Catalog;
use crate::case::Case;
use crate::config::Config;
use crate::store::Store;

/// The ATT&CK catalog as the workbench's technique lookup.
pub struct CatalogLookup(pub Catalog);

impl TechniqueLookup for CatalogLookup {
    fn name(&self, id: &str) -> Option<String> {
        self.0.display_name(id)
    }
    fn tactics(&self, id: &str) -> Vec<String> {
        self.0.tactics_of(id).to_vec()
    }
    fn all(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|t| t.is_active())
            .map(|t| (t.id.clone(), self.0.display_name(&t.id).unwrap_or_default()))
            .collect()
    }
}

enum Request {
    Connect(AssessSink),
    Cached(Vec<String>),
    Assess { session_id: String, request: u64 },
    Cancel(String),
}

/// A job the worker holds: which session and request it answers, and where it is.
#[derive(Clone)]
struct JobInfo {
    session_id: String,
    request: u64,
    running: bool,
}

type Jobs = Arc<Mutex<HashMap<JobId, JobInfo>>>;

/// The assessment engine of the workbench: the case's sessions through [`AssessWorker`].
pub struct LiveAssess {
    tx: Mutex<Sender<Request>>,
    progress: Arc<AssessProgress>,
    runs_model: bool,
}

impl LiveAssess {
    /// Starts the coordinator for `case` (opened on its own thread; nothing loads yet).
    pub fn start(
        data_dir: std::path::PathBuf,
        case: String,
        config: Config,
        model: Option<std::path::PathBuf>,
    ) -> LiveAssess {
        let (tx, rx) = channel();
        let progress: Arc<AssessProgress> = Arc::default();
        let runs_model = has_model(&config, &model);
        let p = progress.clone();
        // Should the thread not start, requests go nowhere and nothing shows as running.
        let _ = std::thread::Builder::new()
            .name("lookout-assess-coordinator".into())
            .spawn(move || {
                Coordinator {
                    data_dir,
                    case_name: case,
                    config,
                    model,
                    progress: p,
                    sink: None,
                    case: None,
                    worker: None,
                    jobs: Arc::default(),
                    by_session: HashMap::new(),
                }
                .run(rx)
            });
        LiveAssess {
            tx: Mutex::new(tx),
            progress,
            runs_model,
        }
    }

    fn post(&self, r: Request) {
        if let Ok(tx) = self.tx.lock() {
            let _ = tx.send(r);
        }
    }
}

impl AssessBackend for LiveAssess {
    fn connect(&self, sink: AssessSink) {
        self.post(Request::Connect(sink));
    }
    fn load_cached(&self, session_ids: Vec<String>) {
        self.post(Request::Cached(session_ids));
    }
    fn assess(&self, session_id: &str, request: u64, _priority: AssessPriority) {
        // The worker's queue already puts the most severe sessions first.
        self.post(Request::Assess {
            session_id: session_id.to_string(),
            request,
        });
    }
    fn cancel(&self, session_id: &str) {
        self.post(Request::Cancel(session_id.to_string()));
    }
    fn progress(&self) -> Arc<AssessProgress> {
        self.progress.clone()
    }
    fn runs_model(&self) -> bool {
        self.runs_model
    }
}

/// An inference server is configured, or this build embeds the engine and a model file is
/// there (checked by name only: loading it takes seconds and happens on first use).
fn has_model(config: &Config, model: &Option<std::path::PathBuf>) -> bool {
    if !config.model.inference_url.trim().is_empty() {
        return true;
    }
    let path = crate::assess::run::model_path(model, config);
    cfg!(feature = "model")
        && crate::assess::model_file::default_model(path.as_deref()).is_ok_and(|p| p.is_file())
}

struct Coordinator {
    data_dir: std::path::PathBuf,
    case_name: String,
    config: Config,
    model: Option<std::path::PathBuf>,
    progress: Arc<AssessProgress>,
    sink: Option<AssessSink>,
    case: Option<Case>,
    worker: Option<AssessWorker>,
    jobs: Jobs,
    by_session: HashMap<String, JobId>,
}

impl Coordinator {
    fn run(mut self, rx: Receiver<Request>) {
        while let Ok(r) = rx.recv() {
            match r {
                Request::Connect(s) => self.sink = Some(s),
                Request::Cached(ids) => self.cached(ids),
                Request::Assess {
                    session_id,
                    request,
                } => {
                    if let Err(e) = self.assess(&session_id, request) {
                        self.fail(&session_id, request, format!("{e:#}"));
                    }
                }
                Request::Cancel(id) => {
                    if let (Some(w), Some(job)) = (&self.worker, self.by_session.get(&id)) {
                        w.cancel(*job);
                    }
                }
            }
        }
    }

    fn send(&self, u: AssessUpdate) {
        if let Some(s) = &self.sink {
            s.send(u);
        }
    }

    fn fail(&self, session_id: &str, request: u64, error: String) {
        self.progress.failed.fetch_add(1, Ordering::Relaxed);
        let mut u = AssessUpdate::state(session_id, request, AssessState::Failed);
        u.error = Some(error);
        self.send(u);
    }

    fn case(&mut self) -> anyhow::Result<&Case> {
        if self.case.is_none() {
            self.case = Some(Case::open(&self.data_dir, &self.case_name)?);
        }
        self.case
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("case not open"))
    }

    fn cached(&mut self, ids: Vec<String>) {
        let Ok(case) = self.case() else { return };
        let found: Vec<_> = ids
            .iter()
            .filter_map(|id| case.store.latest_assessment(id).ok().flatten())
            .collect();
        for a in found {
            let mut u = AssessUpdate::state(&a.session_id, 0, AssessState::FromCache);
            u.assessment = Some(a);
            self.send(u);
        }
    }

    fn assess(&mut self, session_id: &str, request: u64) -> anyhow::Result<()> {
        let config = self.config.clone();
        let case = self.case()?;
        let session = case.session(session_id)?;
        // Rebuilt per request: it takes milliseconds and must see the latest corrections.
        let prior = crate::learn::examples::case_prior(&case.view())?;
        let input = input::build(
            &case.view(),
            &session,
            &config,
            Some(&prior),
            config.model.fewshot,
        )?;
        let data_dir = case.data_dir.clone();
        if self.worker.is_none() {
            self.worker = Some(self.spawn_worker(&data_dir)?);
        }
        let Some(worker) = &self.worker else {
            anyhow::bail!("the assess worker is not running");
        };
        // The worker's progress comes back tagged with the job id.
        let (ptx, prx) = tokio::sync::mpsc::unbounded_channel();
        let id = worker.submit_to(input, ptx);
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.insert(
                id,
                JobInfo {
                    session_id: session_id.to_string(),
                    request,
                    running: false,
                },
            );
        }
        self.by_session.insert(session_id.to_string(), id);
        let (jobs, progress, sink) = (self.jobs.clone(), self.progress.clone(), self.sink.clone());
        std::thread::spawn(move || forward(prx, &jobs, &progress, sink));
        Ok(())
    }

    fn spawn_worker(&self, data_dir: &std::path::Path) -> anyhow::Result<AssessWorker> {
        let catalog = Catalog::load_default()?;
        let opts = AssessOptions {
            threads: self.config.model.threads,
            ..AssessOptions::default()
        };
        let model = crate::assess::run::model_path(&self.model, &self.config);
        // No model (not set up, or a file it cannot load): rules and prior still give verdicts,
        // shown with the model id `rules-only` (stderr would scribble over the screen).
        // An inference server (`--inference`, `model.inference_url`) answers instead when set.
        let assessor = match crate::assess::run::remote_engine(&self.config)? {
            Some(remote) => Assessor::remote(remote, catalog, opts),
            None => Assessor::new(model.as_deref(), catalog.clone(), opts)
                .unwrap_or_else(|_| Assessor::rules_only(catalog)),
        };
        Ok(AssessWorker::spawn(
            assessor.with_store(Store::open_data_dir(data_dir)?),
        ))
    }
}

/// Turns one job's progress into workbench updates and keeps the counters.
fn forward(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<(JobId, Progress)>,
    jobs: &Jobs,
    progress: &AssessProgress,
    sink: Option<AssessSink>,
) {
    let dec = |a: &AtomicU64| {
        let _ = a.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1));
    };
    while let Some((id, p)) = rx.blocking_recv() {
        let Some(info) = jobs.lock().ok().and_then(|j| j.get(&id).cloned()) else {
            continue;
        };
        let state = |s| AssessUpdate::state(&info.session_id, info.request, s);
        let finished = matches!(
            p,
            Progress::Done(_) | Progress::Failed(_) | Progress::Cancelled
        );
        let update = match p {
            Progress::Queued { .. } => {
                progress.queued.fetch_add(1, Ordering::Relaxed);
                state(AssessState::Queued)
            }
            Progress::Started => {
                dec(&progress.queued);
                progress.running.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut j) = jobs.lock()
                    && let Some(i) = j.get_mut(&id)
                {
                    i.running = true;
                }
                state(AssessState::Running)
            }
            Progress::Token(t) => {
                progress.tokens.fetch_add(1, Ordering::Relaxed);
                let mut u = state(AssessState::Running);
                u.tokens = Some(t);
                u
            }
            Progress::Done(a) => {
                progress.done.fetch_add(1, Ordering::Relaxed);
                let s = if a.from_cache {
                    AssessState::FromCache
                } else {
                    AssessState::Done
                };
                let mut u = state(s);
                u.assessment = Some(*a);
                u
            }
            Progress::Failed(e) => {
                progress.failed.fetch_add(1, Ordering::Relaxed);
                let mut u = state(AssessState::Failed);
                u.error = Some(e);
                u
            }
            Progress::Cancelled => state(AssessState::NotAssessed),
        };
        if finished {
            let was_running = jobs
                .lock()
                .ok()
                .and_then(|mut j| j.remove(&id))
                .is_some_and(|i| i.running);
            dec(if was_running || info.running {
                &progress.running
            } else {
                &progress.queued
            });
        }
        if let Some(s) = &sink
            && !s.send(update)
        {
            break;
        }
        if finished {
            break;
        }
    }
}
