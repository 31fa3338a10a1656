//! The help overlay, generated from the keymap (so it cannot drift from the bindings).

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::tui::action::Context;
use crate::tui::app::{App, Screen};
use crate::tui::layout;
use crate::tui::theme::Role;
use crate::tui::widgets::pane;

pub fn render(f: &mut Frame, app: &App) {
    let t = &app.theme;
    let area = layout::help(app.size);
    f.render_widget(Clear, area);
    // The current screen's keys first, then the rest.
    let first = match app.screen() {
        Screen::Sessions => Context::Sessions,
        Screen::Session => Context::Session,
        Screen::Search => Context::Search,
        Screen::Review => Context::Review,
    };
    let mut order = vec![first, Context::Nav, Context::Global];
    // The overlay's own keys (closing it) are in its title.
    for &c in Context::ALL {
        if c != Context::Help && !order.contains(&c) {
            order.push(c);
        }
    }
    let mut lines: Vec<Line> = Vec::new();
    for ctx in order {
        let bindings = app.keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(ctx.title(), t.style(Role::Title))));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", keys.join(" ")), t.style(Role::Key)),
                Span::styled(b.desc.clone(), t.style(Role::Base)),
            ]));
        }
        lines.push(Line::from(""));
    }
    let rows = area.height.saturating_sub(2) as usize;
    let scroll = app
        .help_scroll
        .min(lines.len().saturating_sub(rows))
        .min(u16::MAX as usize) as u16;
    f.render_widget(
        Paragraph::new(lines)
            .block(pane::block(t, "Keys (esc closes)", true))
            .scroll((scroll, 0)),
        area,
    );
}
