//! The session screen: opening and loading a session, panes, the timeline toggle, evidence
//! jumps and the highlight requests for the selected event's raw record.

use crate::tui::action::Action;
use crate::tui::app::{App, Screen};
use crate::tui::backend::AssessPriority;
use crate::tui::highlight::HlLine;
use crate::tui::layout::{self, inner_rows};
use crate::tui::msg::{Command, SessionData};
use crate::tui::state::detail::{DetailState, Pane};

/// Opens a session (optionally selecting an event once loaded).
pub fn open_session(app: &mut App, session_id: &str, event_id: Option<String>) -> Vec<Command> {
    let request = app.request_id();
    let mut d = DetailState::new(session_id, request);
    d.pending_event = event_id;
    app.detail = Some(d);
    app.push(Screen::Session);
    vec![Command::LoadSession {
        request,
        session_id: session_id.to_string(),
        full: false,
    }]
}

pub fn loaded(
    app: &mut App,
    request: u64,
    result: Result<Box<SessionData>, String>,
) -> Vec<Command> {
    let Some(d) = app.detail.as_mut().filter(|d| d.request == request) else {
        return Vec::new(); // stale: another session (or timeline) was asked for since
    };
    match result {
        Ok(data) => {
            d.set_data(data);
            if let Some(ev) = d.pending_event.take()
                && let Some(line) = d.line_of(&ev)
            {
                let len = d.timeline_len();
                d.timeline.select(line, len, 1);
            }
            relayout(app);
            highlight_selected(app)
        }
        Err(e) => {
            d.error = Some(e);
            Vec::new()
        }
    }
}

pub fn highlighted(
    app: &mut App,
    request: u64,
    event_id: String,
    lines: Vec<HlLine>,
) -> Vec<Command> {
    if let Some(d) = app.detail.as_mut().filter(|d| d.hl_request == request) {
        d.highlighted = Some((event_id, lines));
    }
    Vec::new()
}

/// Keeps the timeline selection visible in the current layout.
pub fn relayout(app: &mut App) {
    let size = app.size;
    if let Some(d) = app.detail.as_mut() {
        let rows = inner_rows(layout::session(size, d.pane).timeline).max(1);
        let len = d.timeline_len();
        d.timeline.follow(len, rows);
    }
}

/// Asks for the selected event's highlighted raw record unless it is already shown or asked.
fn highlight_selected(app: &mut App) -> Vec<Command> {
    let request = app.next_request;
    let Some(d) = app.detail.as_mut() else {
        return Vec::new();
    };
    let Some(ev) = d.selected_event() else {
        return Vec::new();
    };
    if d.hl_event.as_deref() == Some(ev.id.as_str()) {
        return Vec::new();
    }
    let cmd = Command::Highlight {
        request,
        event_id: ev.id.clone(),
        format: ev.format,
        raw: ev.raw.clone(),
    };
    d.hl_event = Some(ev.id.clone());
    d.hl_request = request;
    d.event_scroll = 0;
    app.next_request += 1;
    vec![cmd]
}

pub fn action(app: &mut App, action: Action) -> Vec<Command> {
    let size = app.size;
    let Some(d) = app.detail.as_mut() else {
        return Vec::new();
    };
    let lay = layout::session(size, d.pane);
    match action {
        Action::NextPane | Action::PrevPane => {
            d.pane = d.pane.step(action == Action::NextPane);
            relayout(app);
            return Vec::new();
        }
        Action::ToggleFull => {
            let request = app.next_request;
            app.next_request += 1;
            d.request = request;
            d.full = !d.full;
            d.pending_event = d.selected_event().map(|e| e.id.clone());
            let (id, full) = (d.session_id.clone(), d.full);
            return vec![Command::LoadSession {
                request,
                session_id: id,
                full,
            }];
        }
        Action::Assess => {
            let id = d.session_id.clone();
            super::queue::jump(app, &id);
            return super::sessions::assess(app, &[id], AssessPriority::Now);
        }
        Action::CancelAssess => {
            let id = d.session_id.clone();
            if super::queue::cancel_waiting(app, &id) {
                return Vec::new();
            }
            return vec![Command::CancelAssess { session_id: id }];
        }
        Action::Correct => {
            let id = d.session_id.clone();
            super::form::open(app, &id);
            return Vec::new();
        }
        Action::Open => return open_in_pane(app),
        _ => {}
    }
    match super::nav_step(action, inner_rows(lay.pane(d.pane))) {
        Some(step) => scroll_pane(app, step),
        None => Vec::new(),
    }
}

/// Moves within the focused pane: a selection (timeline, evidence) or a scroll offset.
pub fn scroll_pane(app: &mut App, step: isize) -> Vec<Command> {
    let size = app.size;
    let evidence_len = evidence_of(app).len();
    let Some(d) = app.detail.as_mut() else {
        return Vec::new();
    };
    let lay = layout::session(size, d.pane);
    match d.pane {
        Pane::Timeline => {
            let len = d.timeline_len();
            d.timeline.move_by(step, len, inner_rows(lay.timeline));
            return highlight_selected(app);
        }
        Pane::Event => {
            let max = event_lines(d).saturating_sub(inner_rows(lay.event));
            d.event_scroll = d.event_scroll.saturating_add_signed(step).min(max);
        }
        // Single steps select evidence; bigger ones (pages, the wheel) scroll the text.
        Pane::Assessment if step.abs() == 1 => {
            d.evidence
                .move_by(step, evidence_len, inner_rows(lay.assessment));
            d.assess_scroll = 0;
        }
        Pane::Assessment => {
            d.assess_scroll = d.assess_scroll.saturating_add_signed(step).min(500);
        }
        Pane::Rules => {
            let max = d
                .data
                .as_ref()
                .map(|x| {
                    x.session
                        .detections
                        .iter()
                        .map(|r| 1 + r.techniques.len())
                        .sum::<usize>()
                        + crate::tui::views::rules::candidate_line_count(
                            x.candidates.len(),
                            x.candidates_error.is_some(),
                        )
                })
                .unwrap_or(0);
            d.rules_scroll = d.rules_scroll.saturating_add_signed(step).min(max);
        }
    }
    Vec::new()
}

/// About how many lines the event pane holds (fields, original fields, raw record), to bound
/// its scrolling.
fn event_lines(d: &DetailState) -> usize {
    let Some(ev) = d.selected_event() else {
        return 0;
    };
    let raw = match &d.highlighted {
        Some((id, lines)) if *id == ev.id => lines.len(),
        _ => crate::tui::highlight::plain(&ev.raw).len(),
    };
    16 + ev.fields.len() + raw
}

/// Evidence event ids of the open session's assessment.
pub fn evidence_of(app: &App) -> Vec<String> {
    app.detail
        .as_ref()
        .and_then(|d| app.assess.get(&d.session_id))
        .and_then(|a| a.assessment.as_ref())
        .map(|a| a.verdict.evidence.clone())
        .unwrap_or_default()
}

/// `enter`: from the assessment pane, jump to the selected evidence event in the timeline
/// (loading the full timeline when the condensed one folds it away).
fn open_in_pane(app: &mut App) -> Vec<Command> {
    let evidence = evidence_of(app);
    let size = app.size;
    let Some(d) = app.detail.as_mut() else {
        return Vec::new();
    };
    match d.pane {
        Pane::Assessment => {
            let Some(ev) = evidence.get(d.evidence.selected).cloned() else {
                return Vec::new();
            };
            let own_line = d
                .data
                .as_ref()
                .and_then(|data| data.timeline.lines.iter().position(|l| l.event_id == ev));
            match own_line {
                Some(line) => {
                    d.pane = if size.0 >= layout::WIDE {
                        Pane::Timeline
                    } else {
                        Pane::Event
                    };
                    let rows = inner_rows(layout::session(size, Pane::Timeline).timeline);
                    let len = d.timeline_len();
                    d.timeline.select(line, len, rows);
                    highlight_selected(app)
                }
                None if !d.full && d.event_index.contains_key(&ev) => {
                    let request = app.next_request;
                    app.next_request += 1;
                    d.request = request;
                    d.full = true;
                    d.pending_event = Some(ev);
                    d.pane = Pane::Timeline;
                    vec![Command::LoadSession {
                        request,
                        session_id: d.session_id.clone(),
                        full: true,
                    }]
                }
                None => {
                    app.error(format!(
                        "evidence event {} is not in this session",
                        crate::text::one_line(&ev, 40)
                    ));
                    Vec::new()
                }
            }
        }
        Pane::Timeline => {
            d.pane = Pane::Event;
            Vec::new()
        }
        _ => Vec::new(),
    }
}
