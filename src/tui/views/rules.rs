//! The rules pane: Sigma detections of the session with their ATT&CK techniques (names from
//! the catalog lookup).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

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
    let title = format!("Rules ({})", dets.len());
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
