//! Keys of the sessions screen: moving, filtering, sorting, assessing, correcting.

use super::{Edit, edit_text};
use crate::event::{Cause, Risk};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::backend::AssessPriority;
use crate::tui::keymap::Key;
use crate::tui::layout;
use crate::tui::msg::Command;

pub fn action(app: &mut App, action: Action) -> Vec<Command> {
    let rows = layout::sessions_rows(app.size);
    if let Some(step) = super::nav_step(action, rows) {
        let len = app.sessions.view.len();
        app.sessions.nav.move_by(step, len, rows);
        return Vec::new();
    }
    match action {
        Action::Open => {
            if let Some(id) = app.sessions.selected().map(|s| s.id.clone()) {
                return super::open_session(app, &id, None);
            }
        }
        Action::Filter => app.sessions.editing = Some(app.sessions.filter.text.clone()),
        Action::ClearFilter => {
            app.sessions.filter = Default::default();
            app.rebuild_view();
        }
        Action::SortNext => {
            app.sessions.sort = app.sessions.sort.next();
            app.sessions.reverse = false;
            app.rebuild_view();
        }
        Action::SortReverse => {
            app.sessions.reverse = !app.sessions.reverse;
            app.rebuild_view();
        }
        Action::DetectedOnly => {
            app.sessions.filter.detected_only = !app.sessions.filter.detected_only;
            app.rebuild_view();
        }
        Action::UnreviewedOnly => {
            app.sessions.filter.unreviewed_only = !app.sessions.filter.unreviewed_only;
            app.rebuild_view();
        }
        Action::RiskFilter => {
            app.sessions.filter.min_risk = match app.sessions.filter.min_risk {
                None => Some(Risk::Medium),
                Some(Risk::Low | Risk::Medium) => Some(Risk::High),
                Some(Risk::High) => Some(Risk::Critical),
                Some(Risk::Critical) => None,
            };
            app.rebuild_view();
        }
        Action::CauseFilter => {
            app.sessions.filter.cause = match app.sessions.filter.cause {
                None => Some(Cause::Malicious),
                Some(Cause::Malicious) => Some(Cause::Misconfiguration),
                Some(Cause::Misconfiguration) => Some(Cause::Legitimate),
                Some(Cause::Legitimate) => None,
            };
            app.rebuild_view();
        }
        Action::Assess => {
            if let Some(id) = app.sessions.selected().map(|s| s.id.clone()) {
                super::queue::jump(app, &id);
                return assess(app, &[id], AssessPriority::Now);
            }
        }
        Action::AssessVisible => {
            if app.queue.waiting() > 0 {
                let n = super::queue::pause(app);
                app.info(format!(
                    "background assessment paused: {n} sessions left waiting (A queues the visible ones)"
                ));
                return Vec::new();
            }
            let ids: Vec<String> = app
                .sessions
                .view
                .iter()
                .filter_map(|&i| app.sessions.all.get(i))
                .filter(|s| super::queue::wants_model(app, &s.id))
                .map(|s| s.id.clone())
                .collect();
            app.info(format!(
                "{} sessions queued for assessment, most severe first",
                ids.len()
            ));
            return super::queue::enqueue(app, &ids);
        }
        Action::Correct => {
            if let Some(id) = app.sessions.selected().map(|s| s.id.clone()) {
                super::form::open(app, &id);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Asks the backend to assess sessions, each under a fresh request id.
pub fn assess(app: &mut App, ids: &[String], priority: AssessPriority) -> Vec<Command> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let request = app.request_id();
        app.assess.entry(id.clone()).or_default().requested(request);
        out.push(Command::Assess {
            session_id: id.clone(),
            request,
            priority,
        });
    }
    out
}

/// Typing in the filter bar filters as you type; `esc` restores the filter from before.
pub fn filter_key(app: &mut App, key: Key) -> Vec<Command> {
    let mut text = app.sessions.filter.text.clone();
    match edit_text(app, &mut text, key) {
        Edit::Submit => {
            app.sessions.editing = None;
            app.sessions.filter.text = text.trim().to_string();
        }
        Edit::Cancel => {
            if let Some(before) = app.sessions.editing.take() {
                app.sessions.filter.text = before;
            }
        }
        Edit::Changed => app.sessions.filter.text = text,
        Edit::Ignored => return Vec::new(),
    }
    app.rebuild_view();
    Vec::new()
}
