//! The technique picker overlay: fuzzy search over the ATT&CK catalog by id or name.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::text::one_line;
use crate::tui::app::App;
use crate::tui::layout;
use crate::tui::state::form::Picker;
use crate::tui::theme::Role;
use crate::tui::widgets::{input, pane};

pub fn render(f: &mut Frame, app: &App, p: &Picker) {
    let t = &app.theme;
    let area = layout::picker(app.size);
    f.render_widget(Clear, area);
    let rows = area.height.saturating_sub(4) as usize;
    let mut lines = vec![
        input::line(
            t,
            "technique ",
            &p.query,
            true,
            "id or name, e.g. t1110 or spraying",
        ),
        Line::from(""),
    ];
    if p.results.is_empty() {
        let msg = if app.lookup.all().is_empty() {
            "no ATT&CK catalog loaded: type a full id (T1234.001) and press enter"
        } else {
            "no technique matches"
        };
        lines.push(Line::from(Span::styled(msg, t.style(Role::Placeholder))));
    }
    for i in p.nav.window(p.results.len(), rows) {
        let Some((id, name)) = p.results.get(i) else {
            continue;
        };
        let mut line = Line::from(vec![
            Span::styled(format!("{:<10} ", one_line(id, 10)), t.style(Role::Key)),
            Span::styled(one_line(name, 70), t.style(Role::Base)),
        ]);
        if i == p.nav.selected {
            line = line.style(t.style(Role::Selection));
        }
        lines.push(line);
    }
    f.render_widget(
        Paragraph::new(lines).block(pane::block(t, "Add a technique", true)),
        area,
    );
}
