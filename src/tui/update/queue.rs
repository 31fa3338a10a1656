//! Background assessment: `A` queues the visible sessions the model has not judged yet; they go
//! to the backend one at a time in the queue's order (state/queue.rs: the selected session, then
//! rule level, then the instant verdict's risk), and each assessment that ends sends the next.

use std::collections::HashMap;

use crate::assess::AssessState;
use crate::tui::app::{App, Screen};
use crate::tui::backend::{AssessPriority, AssessUpdate};
use crate::tui::msg::Command;
use crate::tui::state::assess::AssessEntry;
use crate::tui::state::queue::Severity;
use crate::tui::state::sessions::SessionsState;

/// The whole case, as soon as it is loaded (`ui.auto_assess`): every session the model has not
/// judged, most severe first. Stored answers that load afterwards take their sessions back out.
pub fn start_all(app: &mut App) -> Vec<Command> {
    let ids: Vec<String> = app
        .sessions
        .all
        .iter()
        .filter(|s| wants_model(app, &s.id))
        .map(|s| s.id.clone())
        .collect();
    if ids.is_empty() {
        return Vec::new();
    }
    app.info(format!(
        "assessing {} sessions in the background, most severe first (A pauses)",
        ids.len()
    ));
    enqueue(app, &ids)
}

/// `A` while sessions wait: they leave the queue (those in flight finish); the verdicts they
/// had stay. Returns how many left.
pub fn pause(app: &mut App) -> usize {
    let waiting = app.queue.take_waiting();
    for w in &waiting {
        not_waiting(app, &w.session_id);
    }
    app.rebuild_view();
    waiting.len()
}

/// A session taken out of the queue before it was sent shows what it had before.
fn not_waiting(app: &mut App, id: &str) {
    if let Some(e) = app.assess.get_mut(id) {
        e.state = match e.assessment {
            Some(_) => AssessState::FromCache,
            None => AssessState::NotAssessed,
        };
    }
}

/// Queues sessions for the background assessment (each under a fresh request, shown as queued
/// at once) and sends the first if the backend has room.
pub fn enqueue(app: &mut App, ids: &[String]) -> Vec<Command> {
    for id in ids {
        if app.queue.contains(id) {
            continue;
        }
        let request = app.request_id();
        app.queue.push(id, request);
        app.assess.entry(id.clone()).or_default().requested(request);
    }
    pump(app)
}

/// Whether the session still waits for the model: no verdict yet, or only the instant one (the
/// rules and the prior, stored at ingest), and nothing queued or running for it.
pub fn wants_model(app: &App, id: &str) -> bool {
    app.assess.get(id).is_none_or(|a| {
        !a.is_busy()
            && a.assessment
                .as_ref()
                .is_none_or(|x| x.model_verdict.is_none())
    })
}

/// The session the analyst has in front of them: the open session on its screen, else the
/// selected row of the sessions list.
pub fn selected(app: &App) -> Option<&str> {
    match (app.screen(), &app.detail) {
        (Screen::Session, Some(d)) => Some(d.session_id.as_str()),
        _ => app.sessions.selected().map(|s| s.id.as_str()),
    }
}

/// What the queue orders by: the session's highest rule level, then its current verdict's risk
/// (the instant verdict, for a session the model has not judged).
fn severity_of(
    sessions: &SessionsState,
    assess: &HashMap<String, AssessEntry>,
    id: &str,
) -> Severity {
    Severity {
        rule_level: sessions.get(id).and_then(|s| s.max_rule_level()),
        instant_risk: assess
            .get(id)
            .and_then(|a| a.assessment.as_ref())
            .map(|a| a.verdict.risk_level),
    }
}

/// Sends waiting sessions while the backend has room.
pub fn pump(app: &mut App) -> Vec<Command> {
    let selected = selected(app).map(str::to_string);
    let (sessions, assess) = (&app.sessions, &app.assess);
    std::iter::from_fn(|| {
        app.queue
            .pick(selected.as_deref(), |id| severity_of(sessions, assess, id))
    })
    .map(|w| Command::Assess {
        session_id: w.session_id,
        request: w.request,
        priority: AssessPriority::Background,
    })
    .collect()
}

/// An update that ends one of the queue's assessments frees its slot for the next session.
pub fn on_update(app: &mut App, u: &AssessUpdate) -> Vec<Command> {
    let ended = matches!(
        u.state,
        AssessState::Done | AssessState::FromCache | AssessState::Failed | AssessState::NotAssessed
    );
    if ended && app.queue.finished(&u.session_id, u.request) {
        return pump(app);
    }
    Vec::new()
}

/// The analyst asked for this session now: it leaves the background queue (its request is sent
/// at once, ahead of the queue, by the caller).
pub fn jump(app: &mut App, id: &str) {
    app.queue.remove(id);
}

/// Cancels a waiting session without asking the backend (it has not been sent); false when it
/// was not waiting.
pub fn cancel_waiting(app: &mut App, id: &str) -> bool {
    if !app.queue.remove(id) {
        return false;
    }
    not_waiting(app, id);
    app.rebuild_view();
    true
}
