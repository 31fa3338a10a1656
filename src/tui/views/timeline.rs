//! The timeline pane: condensed or full lines, virtualised, with rule and evidence marks.

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::text::one_line;
use crate::tui::app::App;
use crate::tui::state::detail::{DetailState, Pane};
use crate::tui::theme::Role;
use crate::tui::widgets::pane;

pub fn render(f: &mut Frame, area: Rect, app: &App, d: &DetailState) {
    let t = &app.theme;
    let focused = d.pane == Pane::Timeline;
    let Some(data) = &d.data else {
        let text = if d.error.is_some() {
            "—"
        } else {
            "loading…"
        };
        let block = pane::block(t, "Timeline", focused);
        f.render_widget(
            Paragraph::new(Span::styled(text, t.style(Role::Placeholder))).block(block),
            area,
        );
        return;
    };
    let tl = &data.timeline;
    let kind = if data.full { "full" } else { "condensed" };
    let title = format!(
        "Timeline ({kind}: {} lines, {} events)",
        tl.lines.len(),
        tl.total_events
    );
    let block = pane::block(t, title, focused);
    let rows = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    let evidence: HashSet<String> = app
        .assess
        .get(&d.session_id)
        .and_then(|a| a.assessment.as_ref())
        .map(|a| a.verdict.evidence.iter().cloned().collect())
        .unwrap_or_default();
    let window = d.timeline.window(tl.lines.len(), rows);
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    for i in window.clone() {
        let Some(l) = tl.lines.get(i) else { continue };
        let time = l
            .first
            .map(|t| t.format("%H:%M:%S").to_string())
            .unwrap_or_else(|| "--:--:--".into());
        let mut spans = vec![
            Span::styled(
                if i == d.timeline.selected { "▶" } else { " " },
                t.style(Role::Key),
            ),
            Span::styled(time, t.style(Role::SyntaxTime)),
            Span::raw(" "),
        ];
        spans.push(if evidence.contains(&l.event_id) {
            Span::styled("◆", t.style(Role::Evidence))
        } else {
            Span::raw(" ")
        });
        spans.push(if l.rules.is_empty() {
            Span::raw(" ")
        } else {
            Span::styled("⚑", t.style(Role::RuleHit))
        });
        spans.push(Span::raw(" "));
        if l.count > 1 {
            spans.push(Span::styled(format!("×{} ", l.count), t.style(Role::Key)));
        }
        // Timeline text is sanitised when built; one_line again costs little and guards width.
        spans.push(Span::styled(one_line(&l.text, width), t.style(Role::Base)));
        if !l.rules.is_empty() {
            spans.push(Span::styled(
                format!("  [{}]", one_line(&l.rules.join(", "), 80)),
                t.style(Role::RuleHit),
            ));
        }
        let mut line = Line::from(spans);
        if i == d.timeline.selected {
            line = line.style(t.style(Role::Selection));
        }
        lines.push(line);
    }
    // The notes of what condensing left out follow the last line.
    if window.end == tl.lines.len() {
        for note in tl.omitted.iter().take(rows.saturating_sub(lines.len())) {
            lines.push(Line::from(Span::styled(
                format!("  … {}", one_line(note, width)),
                t.style(Role::Dim),
            )));
        }
    }
    if tl.lines.is_empty() {
        lines.push(Line::from(Span::styled(
            "no events",
            t.style(Role::Placeholder),
        )));
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
}
