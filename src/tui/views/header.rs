//! The header: the case, session counts by risk and cause, and background work.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::event::{Cause, Risk};
use crate::tui::app::App;
use crate::tui::fmt;
use crate::tui::theme::{Role, Theme};

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let wide = area.width >= 120;
    let s = &app.sessions;
    let mut first = vec![
        Span::styled(" lookout ", t.style(Role::Title)),
        Span::styled(
            format!(" case {} ", crate::text::one_line(&app.case_name, 40)),
            t.style(Role::Header),
        ),
    ];
    let count = if !s.loaded {
        "loading sessions…".to_string()
    } else if s.view.len() == s.all.len() {
        format!(" {} sessions", s.all.len())
    } else {
        format!(" {} of {} sessions", s.view.len(), s.all.len())
    };
    first.push(Span::styled(count, t.style(Role::Header)));
    let p = &app.progress;
    // Queued: at the backend, plus the workbench's own background queue (sent one at a time).
    let queued = p.assess_queued + app.queue.waiting() as u64;
    if p.assess_running + queued > 0 {
        first.push(Span::styled(" │ ", t.style(Role::Border)));
        first.push(Span::styled(
            format!(
                "assessing {} running, {} queued, {} done",
                p.assess_running, queued, p.assess_done
            ),
            t.style(Role::StateRunning),
        ));
    }
    if p.ingesting {
        first.push(Span::styled(" │ ", t.style(Role::Border)));
        first.push(Span::styled(
            format!(
                "ingest {}/{} files, {} events",
                p.ingest_files_done,
                p.ingest_files_total,
                fmt::count(p.ingest_events)
            ),
            t.style(Role::StateRunning),
        ));
    }
    let second = counts_line(t, app, wide);
    let lines = vec![
        Line::from(first).style(t.style(Role::Header)),
        Line::from(second),
    ];
    f.render_widget(Paragraph::new(lines), area);
}

fn counts_line(t: &Theme, app: &App, wide: bool) -> Vec<Span<'static>> {
    let c = &app.sessions.counts;
    let mut spans = vec![Span::raw(" ")];
    for r in Risk::ALL.iter().rev() {
        let label = if wide {
            r.as_str().to_string()
        } else {
            r.as_str()[..1].to_uppercase()
        };
        spans.push(Span::styled(
            format!(" {label} {} ", c.risk[r.rank() as usize]),
            t.style(Role::risk(Some(*r))),
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled("│ ", t.style(Role::Border)));
    for (i, cause) in Cause::ALL.iter().enumerate() {
        let label = match (cause, wide) {
            (_, true) => cause.as_str(),
            (Cause::Malicious, false) => "mal",
            (Cause::Legitimate, false) => "legit",
            (Cause::Misconfiguration, false) => "misconf",
        };
        spans.push(Span::styled(
            format!("{label} {}", c.cause[i]),
            t.style(Role::cause(Some(*cause))),
        ));
        spans.push(Span::raw(" "));
    }
    let unassessed = if wide { "unassessed" } else { "?" };
    spans.push(Span::styled(
        format!("{unassessed} {}", c.unassessed),
        t.style(Role::Dim),
    ));
    spans.push(Span::styled(" │ ", t.style(Role::Border)));
    let reviewed = if wide { "reviewed" } else { "✓" };
    spans.push(Span::styled(
        format!("{reviewed} {}", c.reviewed),
        t.style(Role::ReviewConfirmed),
    ));
    spans
}
