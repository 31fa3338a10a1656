//! Screen layouts as pure functions of the terminal size, shared by the views (to draw) and
//! by `update` (page sizes, keeping selections visible, mouse hit tests).

use ratatui::layout::{Constraint, Layout, Rect};

use super::state::detail::Pane;

/// Below this width the session screen shows one pane at a time, with tabs.
pub const WIDE: u16 = 120;
pub const HEADER_ROWS: u16 = 2;

fn full(size: (u16, u16)) -> Rect {
    Rect::new(0, 0, size.0, size.1)
}

/// Header, body, status line: the frame every screen shares.
pub fn frame(size: (u16, u16)) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(HEADER_ROWS),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(full(size))
}

pub struct SessionsLayout {
    pub filter: Rect,
    pub table: Rect,
}

pub fn sessions(size: (u16, u16)) -> SessionsLayout {
    let [_, body, _] = frame(size);
    let [filter, table] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
    SessionsLayout { filter, table }
}

/// Data rows the sessions table shows (inside its border, under its header row).
pub fn sessions_rows(size: (u16, u16)) -> usize {
    sessions(size).table.height.saturating_sub(3) as usize
}

/// First screen row of table data (for mouse clicks).
pub fn sessions_first_row(size: (u16, u16)) -> u16 {
    sessions(size).table.y + 2
}

#[derive(Debug, Default)]
pub struct SessionLayout {
    pub meta: Rect,
    pub tabs: Option<Rect>,
    pub timeline: Option<Rect>,
    pub event: Option<Rect>,
    pub assessment: Option<Rect>,
    pub rules: Option<Rect>,
}

impl SessionLayout {
    pub fn pane(&self, p: Pane) -> Option<Rect> {
        match p {
            Pane::Timeline => self.timeline,
            Pane::Event => self.event,
            Pane::Assessment => self.assessment,
            Pane::Rules => self.rules,
        }
    }
}

pub fn session(size: (u16, u16), focused: Pane) -> SessionLayout {
    let [_, body, _] = frame(size);
    let [meta, rest] = Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(body);
    if size.0 >= WIDE {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(rest);
        let [timeline, event] =
            Layout::vertical([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(left);
        let [assessment, rules] =
            Layout::vertical([Constraint::Percentage(68), Constraint::Percentage(32)]).areas(right);
        return SessionLayout {
            meta,
            tabs: None,
            timeline: Some(timeline),
            event: Some(event),
            assessment: Some(assessment),
            rules: Some(rules),
        };
    }
    let [tabs, pane] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(rest);
    let mut l = SessionLayout {
        meta,
        tabs: Some(tabs),
        ..Default::default()
    };
    match focused {
        Pane::Timeline => l.timeline = Some(pane),
        Pane::Event => l.event = Some(pane),
        Pane::Assessment => l.assessment = Some(pane),
        Pane::Rules => l.rules = Some(pane),
    }
    l
}

/// Rows of a bordered pane's content.
pub fn inner_rows(r: Option<Rect>) -> usize {
    r.map(|r| r.height.saturating_sub(2) as usize).unwrap_or(0)
}

pub struct SearchLayout {
    pub input: Rect,
    pub histogram: Rect,
    pub hits: Rect,
}

pub fn search(size: (u16, u16)) -> SearchLayout {
    let [_, body, _] = frame(size);
    let chart = if body.height >= 24 { 9 } else { 6 };
    let [input, histogram, hits] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(chart),
        Constraint::Min(0),
    ])
    .areas(body);
    SearchLayout {
        input,
        histogram,
        hits,
    }
}

pub fn search_rows(size: (u16, u16)) -> usize {
    search(size).hits.height.saturating_sub(2) as usize
}

pub fn review(size: (u16, u16)) -> [Rect; 2] {
    let [_, body, _] = frame(size);
    Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(body)
}

/// A centred popup of at most `w`×`h`, never larger than the screen less a margin.
pub fn popup(size: (u16, u16), w: u16, h: u16) -> Rect {
    let area = full(size);
    let w = w.min(area.width.saturating_sub(2)).max(1);
    let h = h.min(area.height.saturating_sub(2)).max(1);
    Rect::new((area.width - w) / 2, (area.height - h) / 2, w, h)
}

pub fn form(size: (u16, u16)) -> Rect {
    popup(size, 96, 22)
}

pub fn picker(size: (u16, u16)) -> Rect {
    popup(size, 80, 16)
}

pub fn help(size: (u16, u16)) -> Rect {
    popup(size, 100, 40)
}

pub fn contains(r: Rect, col: u16, row: u16) -> bool {
    col >= r.x && col < r.x + r.width && row >= r.y && row < r.y + r.height
}
