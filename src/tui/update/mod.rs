//! `update`: the only code that changes the workbench's state. It never awaits and never does
//! I/O; what needs doing elsewhere is returned as [`Command`]s for the workers.

mod detail;
mod form;
mod mouse;
mod queue;
mod results;
mod review;
mod search;
mod sessions;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use super::action::{Action, Context};
use super::app::{App, Screen, Status};
use super::keymap::Key;
use super::msg::{Command, Msg};

pub(crate) use detail::open_session;

pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Key(k) => on_key(app, k),
        Msg::Mouse(m) => mouse::on_mouse(app, m),
        Msg::Resize(w, h) => {
            app.size = (w, h);
            relayout(app);
            Vec::new()
        }
        Msg::Tick(p) => {
            app.progress = p;
            Vec::new()
        }
        Msg::Quit => quit(app),
        Msg::SessionsLoaded(r) => results::sessions_loaded(app, r),
        Msg::SessionLoaded { request, result } => detail::loaded(app, request, result),
        Msg::SearchDone { request, result } => search::done(app, request, result),
        Msg::Located {
            request,
            event_id,
            session_id,
        } => search::located(app, request, event_id, session_id),
        Msg::Highlighted {
            request,
            event_id,
            lines,
        } => detail::highlighted(app, request, event_id, lines),
        Msg::CorrectionSaved { request, result } => form::saved(app, request, result),
        Msg::CorrectionsArrived(list) => results::corrections_arrived(app, list),
        Msg::Assess(u) => results::assess_update(app, u),
    }
}

fn quit(app: &mut App) -> Vec<Command> {
    app.quit = true;
    vec![Command::Quit]
}

/// Keeps selections visible after the terminal size changed.
fn relayout(app: &mut App) {
    let rows = super::layout::sessions_rows(app.size);
    app.sessions.nav.follow(app.sessions.view.len(), rows);
    let hits = app.search.hit_count();
    app.search
        .nav
        .follow(hits, super::layout::search_rows(app.size));
    detail::relayout(app);
}

fn on_key(app: &mut App, k: KeyEvent) -> Vec<Command> {
    if k.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let key = Key::from_event(&k);
    if app.keymap.lookup(&[Context::Global], key) == Some(Action::ForceQuit) {
        return quit(app);
    }
    if matches!(app.status, Some(Status::Info(_))) {
        app.status = None;
    }
    if app.help {
        help_key(app, key);
        return Vec::new();
    }
    if app.form.is_some() {
        return form::on_key(app, key);
    }
    let screen = app.screen();
    if screen == Screen::Sessions && app.sessions.editing.is_some() {
        return sessions::filter_key(app, key);
    }
    if screen == Screen::Search && app.search.editing {
        return search::input_key(app, key);
    }
    let chain: &[Context] = match screen {
        Screen::Sessions => &[Context::Sessions, Context::Nav, Context::Global],
        Screen::Session => &[Context::Session, Context::Nav, Context::Global],
        Screen::Search => &[Context::Search, Context::Nav, Context::Global],
        Screen::Review => &[Context::Review, Context::Global],
    };
    let Some(action) = app.keymap.lookup(chain, key) else {
        return Vec::new();
    };
    match action {
        Action::Quit => quit(app),
        Action::Help => {
            app.help = true;
            app.help_scroll = 0;
            Vec::new()
        }
        Action::Back => back(app),
        Action::Search => search::open(app),
        Action::Review if screen != Screen::Review => review::open(app),
        _ => match screen {
            Screen::Sessions => sessions::action(app, action),
            Screen::Session => detail::action(app, action),
            Screen::Search => search::action(app, action),
            Screen::Review => review::action(app, action),
        },
    }
}

fn back(app: &mut App) -> Vec<Command> {
    if app.screen() == Screen::Review && app.review_only {
        return quit(app);
    }
    if app.stack.len() > 1 {
        app.stack.pop();
        if app.screen() == Screen::Sessions {
            // Verdicts may have changed while away (corrections, assessments).
            app.rebuild_view();
        }
    }
    Vec::new()
}

fn help_key(app: &mut App, key: Key) {
    match app.keymap.lookup(&[Context::Help, Context::Nav], key) {
        Some(Action::Back) => app.help = false,
        Some(Action::Down) => app.help_scroll += 1,
        Some(Action::Up) => app.help_scroll = app.help_scroll.saturating_sub(1),
        Some(Action::PageDown) => app.help_scroll += 10,
        Some(Action::PageUp) => app.help_scroll = app.help_scroll.saturating_sub(10),
        Some(Action::Top) => app.help_scroll = 0,
        _ => {}
    }
}

/// How far a movement key (up, down, a page, top, bottom) moves in a view of `rows` rows;
/// `None` for any other action. Top and bottom move further than any list is long, and
/// [`ListNav::move_by`](super::state::nav::ListNav::move_by) clamps.
fn nav_step(action: Action, rows: usize) -> Option<isize> {
    let page = rows.max(1) as isize;
    match action {
        Action::Up => Some(-1),
        Action::Down => Some(1),
        Action::PageUp => Some(-page),
        Action::PageDown => Some(page),
        Action::Top => Some(isize::MIN / 2),
        Action::Bottom => Some(isize::MAX / 2),
        _ => None,
    }
}

/// What a key did to a text being edited.
#[derive(Debug, PartialEq, Eq)]
enum Edit {
    Submit,
    Cancel,
    Changed,
    Ignored,
}

/// Shared line editing: printable characters are typed, `[input]` bindings do the rest.
fn edit_text(app: &App, text: &mut String, key: Key) -> Edit {
    match app.keymap.lookup(&[Context::Input], key) {
        Some(Action::Submit) => Edit::Submit,
        Some(Action::Cancel) => Edit::Cancel,
        Some(Action::DeleteChar) => {
            text.pop();
            Edit::Changed
        }
        Some(Action::ClearInput) => {
            text.clear();
            Edit::Changed
        }
        _ => match key.code {
            KeyCode::Char(c) if !key.ctrl && !key.alt && !c.is_control() => {
                text.push(c);
                Edit::Changed
            }
            _ => Edit::Ignored,
        },
    }
}
