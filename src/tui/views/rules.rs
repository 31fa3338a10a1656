//! The rules pane: Sigma detections of the session with their ATT&CK techniques (names from
//! the catalog lookup), then the technique candidates from procedure knowledge, as `lookout
//! show` lists them. Candidates quote log text (the terms and facts they matched): every
//! string goes through `one_line`, which replaces control and invisible characters.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::Candidate;
use crate::sessions::Session;
use crate::text::one_line;
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::widgets::{badge, pane, technique};

pub fn render(
    f: &mut Frame,
    area: Rect,
    app: &App,
    s: Option<&Session>,
    candidates: Option<(&[Candidate], Option<&str>)>,
    scroll: usize,
    focused: bool,
) {
    let t = &app.theme;
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let dets = s.map(|s| s.detections.as_slice()).unwrap_or(&[]);
    if dets.is_empty() {
        lines.push(Line::from(Span::styled(
            "no rule fired in this session",
            t.style(Role::Placeholder),
        )));
    }
    for d in dets {
        lines.push(Line::from(vec![
            badge::risk(t, Some(d.level), true),
            Span::styled(
                format!(" {}", one_line(&d.title, width.saturating_sub(14).max(8))),
                t.style(Role::RuleHit),
            ),
            Span::styled(format!(" ×{}", d.count), t.style(Role::Dim)),
        ]));
        for id in &d.techniques {
            lines.push(technique::line(t, app.lookup.as_ref(), id, "    ", "", " "));
        }
    }
    let shown = candidates.map_or(0, |(c, _)| c.len());
    if let Some((list, error)) = candidates {
        lines.extend(candidate_lines(app, list, error, width));
    }
    let title = if shown > 0 {
        format!("Rules ({}) · candidates ({shown})", dets.len())
    } else {
        format!("Rules ({})", dets.len())
    };
    let scroll = scroll
        .min(lines.len().saturating_sub(1))
        .min(u16::MAX as usize) as u16;
    f.render_widget(
        Paragraph::new(lines)
            .block(pane::block(t, title, focused))
            .scroll((scroll, 0)),
        area,
    );
}

/// Lines the candidates section takes for `n` candidates (the scroll limit counts them).
pub fn candidate_line_count(n: usize, error: bool) -> usize {
    if n == 0 && !error {
        0
    } else {
        1 + 2 * n + usize::from(n == 0)
    }
}

/// The heading, then per candidate: its technique, name and score; the procedure it came from
/// and the terms the session shares with it.
fn candidate_lines(
    app: &App,
    list: &[Candidate],
    error: Option<&str>,
    width: usize,
) -> Vec<Line<'static>> {
    let t = &app.theme;
    if list.is_empty() && error.is_none() {
        return Vec::new();
    }
    let mut lines = vec![Line::from(Span::styled(
        "Technique candidates (procedure knowledge)",
        t.style(Role::Title),
    ))];
    if list.is_empty() {
        let why = error.map_or("none".to_string(), |e| {
            format!("none: {}", one_line(e, 120))
        });
        lines.push(Line::from(Span::styled(why, t.style(Role::Placeholder))));
    }
    for c in list {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} ", one_line(&c.technique, 12)),
                t.style(Role::Key),
            ),
            Span::styled(
                one_line(&c.name, width.saturating_sub(24).max(8)),
                t.style(Role::Base),
            ),
            Span::styled(format!(" {:.1}", c.score), t.style(Role::Dim)),
        ]));
        // `one_line` trims, so the indent is its own span.
        let via = format!(
            "via {}: {}",
            one_line(&c.source, 80),
            one_line(&c.terms.join(", "), 80)
        );
        lines.push(Line::from(vec![
            Span::raw("    "),
            Span::styled(
                one_line(&via, width.saturating_sub(4).max(8)),
                t.style(Role::Dim),
            ),
        ]));
    }
    lines
}
