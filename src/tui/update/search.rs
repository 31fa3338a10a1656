//! The search screen: queries as you type (newest wins), hits, and the jump to a hit's session.

use super::{Edit, edit_text};
use crate::tui::action::Action;
use crate::tui::app::{App, Screen};
use crate::tui::keymap::Key;
use crate::tui::layout;
use crate::tui::msg::{Command, SearchResult};
use crate::tui::state::search::SEARCH_LIMIT;

pub fn open(app: &mut App) -> Vec<Command> {
    app.push(Screen::Search);
    app.search.editing = true;
    Vec::new()
}

fn run(app: &mut App) -> Vec<Command> {
    let query = app.search.input.trim().to_string();
    if query.is_empty() {
        return Vec::new();
    }
    let request = app.request_id();
    app.search.request = request;
    app.search.pending = true;
    vec![Command::Search {
        request,
        query,
        limit: SEARCH_LIMIT,
    }]
}

pub fn input_key(app: &mut App, key: Key) -> Vec<Command> {
    let mut text = std::mem::take(&mut app.search.input);
    let edit = edit_text(app, &mut text, key);
    app.search.input = text;
    match edit {
        Edit::Submit => {
            app.search.editing = false;
            let current = app.search.result.as_ref().map(|r| r.query.as_str())
                == Some(app.search.input.trim());
            if current && !app.search.pending {
                Vec::new()
            } else {
                run(app)
            }
        }
        Edit::Cancel => {
            app.search.editing = false;
            if app.search.result.is_none() && !app.search.pending {
                return super::back(app);
            }
            Vec::new()
        }
        // Search as you type; the worker runs only the newest query it has.
        Edit::Changed if app.search.input.trim().chars().count() >= 2 => run(app),
        Edit::Changed | Edit::Ignored => Vec::new(),
    }
}

pub fn done(app: &mut App, request: u64, result: Result<SearchResult, String>) -> Vec<Command> {
    if request != app.search.request {
        return Vec::new(); // an older query: a newer one is on its way
    }
    app.search.pending = false;
    match result {
        Ok(r) => {
            app.search.result = Some(r);
            app.search.error = None;
            app.search.nav = Default::default();
        }
        Err(e) => app.search.error = Some(e),
    }
    Vec::new()
}

pub fn action(app: &mut App, action: Action) -> Vec<Command> {
    let rows = layout::search_rows(app.size);
    if let Some(step) = super::nav_step(action, rows) {
        let len = app.search.hit_count();
        app.search.nav.move_by(step, len, rows);
        return Vec::new();
    }
    match action {
        Action::EditQuery => app.search.editing = true,
        Action::Open => return locate(app),
        _ => {}
    }
    Vec::new()
}

/// Asks which session holds the selected hit.
pub fn locate(app: &mut App) -> Vec<Command> {
    let hit = app
        .search
        .result
        .as_ref()
        .and_then(|r| r.hits.get(app.search.nav.selected))
        .cloned();
    let Some(hit) = hit else { return Vec::new() };
    let request = app.request_id();
    app.search.locate = request;
    app.info("finding the hit's session…");
    vec![Command::Locate { request, hit }]
}

pub fn located(
    app: &mut App,
    request: u64,
    event_id: String,
    session_id: Option<String>,
) -> Vec<Command> {
    if request != app.search.locate {
        return Vec::new();
    }
    app.search.locate = 0;
    match session_id {
        Some(id) => {
            app.status = None;
            super::open_session(app, &id, Some(event_id))
        }
        None => {
            app.error("no session holds this event (sessions are recomputed after each ingest)");
            Vec::new()
        }
    }
}
