//! The open session: its loaded timeline and events, the focused pane, the selected line and
//! the highlighted raw record of the selected event.

use std::collections::HashMap;

use super::nav::ListNav;
use crate::event::Event;
use crate::tui::highlight::HlLine;
use crate::tui::msg::SessionData;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Timeline,
    Event,
    Assessment,
    Rules,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Timeline, Pane::Event, Pane::Assessment, Pane::Rules];
    pub fn title(self) -> &'static str {
        match self {
            Pane::Timeline => "Timeline",
            Pane::Event => "Event",
            Pane::Assessment => "Assessment",
            Pane::Rules => "Rules",
        }
    }
    pub fn step(self, forward: bool) -> Pane {
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        let n = Pane::ALL.len();
        Pane::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

#[derive(Debug)]
pub struct DetailState {
    pub session_id: String,
    /// The load request in flight or answered; results of any other are stale.
    pub request: u64,
    pub data: Option<Box<SessionData>>,
    pub error: Option<String>,
    /// The timeline shown (or being loaded) is the full one.
    pub full: bool,
    pub pane: Pane,
    pub timeline: ListNav,
    /// Scroll of the event pane, in lines.
    pub event_scroll: usize,
    /// Selected evidence event in the assessment pane.
    pub evidence: ListNav,
    /// Scroll of the assessment pane (page keys, wheel).
    pub assess_scroll: usize,
    pub rules_scroll: usize,
    /// Event id -> index in `data.events`.
    pub event_index: HashMap<String, usize>,
    /// The highlight request for the selected event, and its result once in.
    pub hl_request: u64,
    pub hl_event: Option<String>,
    pub highlighted: Option<(String, Vec<HlLine>)>,
    /// Select this event once the (full) timeline arrives.
    pub pending_event: Option<String>,
}

impl DetailState {
    pub fn new(session_id: &str, request: u64) -> DetailState {
        DetailState {
            session_id: session_id.to_string(),
            request,
            data: None,
            error: None,
            full: false,
            pane: Pane::Timeline,
            timeline: ListNav::default(),
            event_scroll: 0,
            evidence: ListNav::default(),
            assess_scroll: 0,
            rules_scroll: 0,
            event_index: HashMap::new(),
            hl_request: 0,
            hl_event: None,
            highlighted: None,
            pending_event: None,
        }
    }

    pub fn set_data(&mut self, data: Box<SessionData>) {
        self.event_index = data
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        self.full = data.full;
        self.data = Some(data);
        self.error = None;
        self.timeline = ListNav::default();
        self.event_scroll = 0;
    }

    /// The event of the selected timeline line.
    pub fn selected_event(&self) -> Option<&Event> {
        let data = self.data.as_ref()?;
        let line = data.timeline.lines.get(self.timeline.selected)?;
        self.event_index
            .get(&line.event_id)
            .and_then(|&i| data.events.get(i))
    }

    /// The timeline line standing for `event_id`: its own line, else (condensed timelines)
    /// the line of the closest earlier event.
    pub fn line_of(&self, event_id: &str) -> Option<usize> {
        let data = self.data.as_ref()?;
        let lines = &data.timeline.lines;
        if let Some(i) = lines.iter().position(|l| l.event_id == event_id) {
            return Some(i);
        }
        let ev = data.events.get(*self.event_index.get(event_id)?)?;
        let t = ev.timestamp?;
        lines.iter().rposition(|l| l.first.is_some_and(|f| f <= t))
    }

    pub fn timeline_len(&self) -> usize {
        self.data
            .as_ref()
            .map(|d| d.timeline.lines.len())
            .unwrap_or(0)
    }
}
