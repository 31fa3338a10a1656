//! Mouse: the wheel scrolls what is under the pointer, a click selects (a second click on the
//! selected row opens it). Hit tests use the same layout functions as the views.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use crate::tui::action::Action;
use crate::tui::app::{App, Screen};
use crate::tui::layout::{self, contains};
use crate::tui::msg::Command;
use crate::tui::state::detail::Pane;

const WHEEL_STEP: isize = 3;

pub fn on_mouse(app: &mut App, m: MouseEvent) -> Vec<Command> {
    if app.form.is_some() {
        return Vec::new();
    }
    let wheel = match m.kind {
        MouseEventKind::ScrollDown => Some(WHEEL_STEP),
        MouseEventKind::ScrollUp => Some(-WHEEL_STEP),
        _ => None,
    };
    if app.help {
        if let Some(step) = wheel {
            app.help_scroll = app.help_scroll.saturating_add_signed(step);
        }
        return Vec::new();
    }
    let click = matches!(m.kind, MouseEventKind::Down(MouseButton::Left));
    if wheel.is_none() && !click {
        return Vec::new();
    }
    match app.screen() {
        Screen::Sessions => sessions(app, wheel, click, m.column, m.row),
        Screen::Session => session(app, wheel, m.column, m.row),
        Screen::Search => search(app, wheel, click, m.column, m.row),
        Screen::Review => Vec::new(),
    }
}

fn sessions(app: &mut App, wheel: Option<isize>, click: bool, col: u16, row: u16) -> Vec<Command> {
    let rows = layout::sessions_rows(app.size);
    let len = app.sessions.view.len();
    if let Some(step) = wheel {
        app.sessions.nav.move_by(step, len, rows);
        return Vec::new();
    }
    let table = layout::sessions(app.size).table;
    let first = layout::sessions_first_row(app.size);
    if click && contains(table, col, row) && row >= first {
        let index = app.sessions.nav.offset + (row - first) as usize;
        if index < len {
            if index == app.sessions.nav.selected {
                return super::sessions::action(app, Action::Open);
            }
            app.sessions.nav.select(index, len, rows);
        }
    }
    Vec::new()
}

fn session(app: &mut App, wheel: Option<isize>, col: u16, row: u16) -> Vec<Command> {
    let size = app.size;
    let Some(d) = app.detail.as_mut() else {
        return Vec::new();
    };
    let lay = layout::session(size, d.pane);
    // Focus follows the pointer; in the narrow layout only the focused pane is on screen.
    let under = Pane::ALL
        .into_iter()
        .find(|p| lay.pane(*p).is_some_and(|r| contains(r, col, row)));
    if let Some(p) = under {
        d.pane = p;
    }
    let mut out = Vec::new();
    match wheel {
        Some(step) => out = super::detail::scroll_pane(app, step),
        None => {
            if let (Some(Pane::Timeline), Some(r)) = (under, lay.timeline)
                && row > r.y
            {
                let target = d.timeline.offset + (row - r.y - 1) as usize;
                let delta = target as isize - d.timeline.selected as isize;
                out = super::detail::scroll_pane(app, delta);
            }
        }
    }
    out
}

fn search(app: &mut App, wheel: Option<isize>, click: bool, col: u16, row: u16) -> Vec<Command> {
    let rows = layout::search_rows(app.size);
    let len = app.search.hit_count();
    if let Some(step) = wheel {
        app.search.nav.move_by(step, len, rows);
        return Vec::new();
    }
    let hits = layout::search(app.size).hits;
    if click && contains(hits, col, row) && row > hits.y {
        let index = app.search.nav.offset + (row - hits.y - 1) as usize;
        if index < len {
            if index == app.search.nav.selected {
                return super::search::locate(app);
            }
            app.search.nav.select(index, len, rows);
        }
    }
    Vec::new()
}
