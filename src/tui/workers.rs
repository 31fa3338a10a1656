//! Workers: threads that own the case's store and index (one `Case` each) and the highlighter.
//! They take [`Command`]s and answer with [`Msg`]s; the UI loop never blocks on them. Queued
//! searches and highlights collapse to the newest, so typing fast never builds a backlog.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use tokio::sync::mpsc::UnboundedSender;

use super::backend::AssessBackend;
use super::highlight;
use super::msg::{Command, Loaded, Msg, SearchHit, SearchResult, SessionData};
use crate::case::Case;
use crate::config::Config;
use crate::index::Order;
use crate::sessions::Session;

/// Where commands go.
pub struct Workers {
    store: Sender<Command>,
    index: Sender<Command>,
    highlight: Sender<Command>,
    backend: Arc<dyn AssessBackend>,
}

impl Workers {
    pub fn spawn(
        data_dir: PathBuf,
        case: String,
        config: Config,
        backend: Arc<dyn AssessBackend>,
        out: UnboundedSender<Msg>,
    ) -> Workers {
        let (store, store_rx) = channel();
        let (index, index_rx) = channel();
        let (hl, hl_rx) = channel();
        // The index worker opens the case after the store worker has: a new case's index is
        // then created once, not raced by two threads.
        let (ready, wait) = channel::<()>();
        let (d, c, o) = (data_dir.clone(), case.clone(), out.clone());
        spawn("lookout-store", move || {
            store_worker(&d, &c, store_rx, o, ready)
        });
        let o = out.clone();
        spawn("lookout-index", move || {
            let _ = wait.recv();
            index_worker(&data_dir, &case, &config, index_rx, o)
        });
        spawn("lookout-highlight", move || highlight_worker(hl_rx, out));
        Workers {
            store,
            index,
            highlight: hl,
            backend,
        }
    }

    pub fn dispatch(&self, cmd: Command) {
        // A worker that is gone has already reported why; the command is dropped.
        let _ = match cmd {
            Command::LoadSessions | Command::SaveCorrection { .. } => self.store.send(cmd),
            Command::LoadSession { .. } | Command::Search { .. } | Command::Locate { .. } => {
                self.index.send(cmd)
            }
            Command::Highlight { .. } => self.highlight.send(cmd),
            Command::Assess {
                session_id,
                request,
                priority,
            } => {
                self.backend.assess(&session_id, request, priority);
                Ok(())
            }
            Command::CancelAssess { session_id } => {
                self.backend.cancel(&session_id);
                Ok(())
            }
            Command::LoadCachedAssessments { session_ids } => {
                self.backend.load_cached(session_ids);
                Ok(())
            }
            Command::Quit => Ok(()),
        };
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) {
    if let Err(e) = std::thread::Builder::new().name(name.to_string()).spawn(f) {
        eprintln!("lookout: cannot start worker {name}: {e}");
    }
}

/// Everything queued now, with only the newest of the commands `supersedes` says replace each
/// other (searches; highlights).
fn batch(rx: &Receiver<Command>, first: Command, supersedes: fn(&Command) -> bool) -> Vec<Command> {
    let mut all = vec![first];
    all.extend(rx.try_iter());
    let last = all.iter().rposition(supersedes);
    all.into_iter()
        .enumerate()
        .filter(|(i, c)| !supersedes(c) || Some(*i) == last)
        .map(|(_, c)| c)
        .collect()
}

fn store_worker(
    data_dir: &std::path::Path,
    case: &str,
    rx: Receiver<Command>,
    out: UnboundedSender<Msg>,
    ready: Sender<()>,
) {
    let opened = Case::open(data_dir, case).map_err(|e| format!("{e:#}"));
    drop(ready);
    while let Ok(cmd) = rx.recv() {
        let msg = match (&opened, cmd) {
            (Ok(c), Command::LoadSessions) => {
                Msg::SessionsLoaded(load(c).map_err(|e| format!("{e:#}")))
            }
            (Err(e), Command::LoadSessions) => Msg::SessionsLoaded(Err(e.clone())),
            (
                Ok(c),
                Command::SaveCorrection {
                    request,
                    mut correction,
                },
            ) => {
                let result = c.store.add_correction(&correction).map(|id| {
                    correction.id = id;
                    correction
                });
                Msg::CorrectionSaved {
                    request,
                    result: result.map_err(|e| e.to_string()),
                }
            }
            (Err(e), Command::SaveCorrection { request, .. }) => Msg::CorrectionSaved {
                request,
                result: Err(e.clone()),
            },
            _ => continue,
        };
        if out.send(msg).is_err() {
            return;
        }
    }
}

fn load(c: &Case) -> anyhow::Result<Loaded> {
    Ok(Loaded {
        sessions: c.sessions()?,
        corrections: c.store.corrections(Some(&c.name))?,
    })
}

fn index_worker(
    data_dir: &std::path::Path,
    case: &str,
    config: &Config,
    rx: Receiver<Command>,
    out: UnboundedSender<Msg>,
) {
    let opened = Case::open(data_dir, case).map_err(|e| format!("{e:#}"));
    let mut sessions: Option<Vec<Session>> = None;
    while let Ok(first) = rx.recv() {
        for cmd in batch(&rx, first, |c| matches!(c, Command::Search { .. })) {
            let c = match &opened {
                Ok(c) => c,
                Err(e) => {
                    if let Some(m) = failed(&cmd, e) {
                        let _ = out.send(m);
                    }
                    continue;
                }
            };
            let msg = match cmd {
                Command::LoadSession {
                    request,
                    session_id,
                    full,
                } => {
                    let result = open_session(c, config, &session_id, full)
                        .map(Box::new)
                        .map_err(|e| format!("{e:#}"));
                    Msg::SessionLoaded { request, result }
                }
                Command::Search {
                    request,
                    query,
                    limit,
                } => Msg::SearchDone {
                    request,
                    result: search(c, &query, limit),
                },
                Command::Locate { request, hit } => {
                    if sessions.is_none() {
                        sessions = c.sessions().ok();
                    }
                    let session_id = locate(c, sessions.as_deref().unwrap_or(&[]), &hit);
                    Msg::Located {
                        request,
                        event_id: hit.event_id,
                        session_id,
                    }
                }
                _ => continue,
            };
            if out.send(msg).is_err() {
                return;
            }
        }
    }
}

fn failed(cmd: &Command, e: &str) -> Option<Msg> {
    let result = Err(e.to_string());
    match cmd {
        Command::LoadSession { request, .. } => Some(Msg::SessionLoaded {
            request: *request,
            result: Err(e.to_string()),
        }),
        Command::Search { request, .. } => Some(Msg::SearchDone {
            request: *request,
            result,
        }),
        _ => None,
    }
}

fn open_session(c: &Case, config: &Config, id: &str, full: bool) -> anyhow::Result<SessionData> {
    let session = c.session(id)?;
    let view = c.view();
    let (timeline, events) = view.timeline(&session, config.sessions.timeline_tokens, full)?;
    let hits = view.session_hits(&events)?;
    // The retrieval index is built once per process (under a second) and then shared.
    let (candidates, candidates_error) =
        match crate::detect::candidates::shared(config.candidates.atomics.as_deref()) {
            Ok(ix) => (ix.candidates(&events, config.candidates.top_k), None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
    Ok(SessionData {
        session,
        full,
        timeline,
        events,
        hits,
        candidates,
        candidates_error,
    })
}

fn search(c: &Case, query: &str, limit: usize) -> Result<SearchResult, String> {
    let found = c
        .search(query, limit, Order::NewestFirst)
        .map_err(|e| format!("{e:#}"))?;
    let hits = found.events.iter().map(SearchHit::of).collect();
    Ok(SearchResult {
        query: query.to_string(),
        total: found.total,
        hits,
    })
}

/// The session whose members include the hit: first those on its host spanning its time, then
/// any other (sessions of network records may be keyed by address, not host).
fn locate(c: &Case, sessions: &[Session], hit: &SearchHit) -> Option<String> {
    let likely = |s: &Session| {
        hit.host
            .as_deref()
            .is_some_and(|h| s.host.eq_ignore_ascii_case(h))
            && hit.time.is_some_and(|t| s.start <= t && t <= s.end)
    };
    let (first, rest): (Vec<&Session>, Vec<&Session>) = sessions.iter().partition(|s| likely(s));
    first.into_iter().chain(rest).find_map(|s| {
        let members = c.store.session_members(&c.name, &s.id).ok()?;
        members.contains(&hit.key).then(|| s.id.clone())
    })
}

fn highlight_worker(rx: Receiver<Command>, out: UnboundedSender<Msg>) {
    while let Ok(first) = rx.recv() {
        for cmd in batch(&rx, first, |c| matches!(c, Command::Highlight { .. })) {
            if let Command::Highlight {
                request,
                event_id,
                format,
                raw,
            } = cmd
            {
                let lines = highlight::highlight(format, &raw);
                if out
                    .send(Msg::Highlighted {
                        request,
                        event_id,
                        lines,
                    })
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Hands the loop every correction other processes save to this case (LISTEN/NOTIFY on a
/// team store, a poll of the table on SQLite), until the loop is gone. Without a store to
/// watch the workbench simply shows what it loaded.
pub fn spawn_correction_watch(data_dir: PathBuf, case: String, out: UnboundedSender<Msg>) {
    std::thread::spawn(move || {
        let Ok(store) = crate::store::Store::open_data_dir(&data_dir) else {
            return;
        };
        let Ok(mut watch) = store.watch_corrections() else {
            return;
        };
        while !out.is_closed() {
            let Ok(notices) = watch.wait(std::time::Duration::from_secs(1)) else {
                return;
            };
            let ids: std::collections::HashSet<i64> = notices
                .iter()
                .filter(|n| n.case_name == case)
                .map(|n| n.id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let Ok(all) = store.corrections(Some(&case)) else {
                continue;
            };
            let new: Vec<_> = all.into_iter().filter(|c| ids.contains(&c.id)).collect();
            if out.send(Msg::CorrectionsArrived(new)).is_err() {
                return;
            }
        }
    });
}
