//! The status line: the latest message, else key hints for the screen (from the keymap).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::{Action, Context};
use crate::tui::app::{App, Screen, Status};
use crate::tui::theme::Role;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = match &app.status {
        Some(Status::Info(m)) => Line::from(Span::styled(
            format!(" {}", crate::text::one_line(m, 300)),
            t.style(Role::Status),
        )),
        Some(Status::Error(m)) => Line::from(Span::styled(
            format!(" {}", crate::text::one_line(m, 300)),
            t.style(Role::Error),
        )),
        None => hints(app),
    };
    f.render_widget(Paragraph::new(line).style(t.style(Role::Status)), area);
}

fn hints(app: &App) -> Line<'static> {
    let k = &app.keymap;
    let pairs: Vec<(Context, Action, &str)> = match (app.form.is_some(), app.screen()) {
        (true, _) => vec![
            (Context::Form, Action::NextField, "field"),
            (Context::Form, Action::Increase, "value"),
            (Context::Form, Action::Save, "save"),
            (Context::Form, Action::Cancel, "cancel"),
        ],
        (_, Screen::Sessions) => vec![
            (Context::Nav, Action::Open, "open"),
            (Context::Sessions, Action::Filter, "filter"),
            (Context::Sessions, Action::SortNext, "sort"),
            (Context::Global, Action::Search, "search"),
            (Context::Sessions, Action::Assess, "assess"),
            (Context::Sessions, Action::Correct, "correct"),
            (Context::Global, Action::Review, "review"),
            (Context::Global, Action::Help, "help"),
            (Context::Global, Action::Quit, "quit"),
        ],
        (_, Screen::Session) => vec![
            (Context::Session, Action::NextPane, "pane"),
            (Context::Session, Action::ToggleFull, "full/condensed"),
            (Context::Session, Action::Assess, "assess"),
            (Context::Session, Action::Correct, "correct"),
            (Context::Global, Action::Back, "back"),
            (Context::Global, Action::Help, "help"),
        ],
        (_, Screen::Search) => vec![
            (Context::Search, Action::EditQuery, "edit query"),
            (Context::Search, Action::Open, "go to session"),
            (Context::Global, Action::Back, "back"),
            (Context::Global, Action::Help, "help"),
        ],
        (_, Screen::Review) => vec![
            (Context::Review, Action::Accept, "accept"),
            (Context::Review, Action::Correct, "correct"),
            (Context::Review, Action::Skip, "skip"),
            (Context::Review, Action::Undo, "undo"),
            (Context::Review, Action::Open, "open"),
            (Context::Global, Action::Back, "back"),
        ],
    };
    let t = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    for (ctx, action, label) in pairs {
        spans.push(Span::styled(k.hint(ctx, action), t.style(Role::Key)));
        spans.push(Span::styled(format!(" {label}  "), t.style(Role::Status)));
    }
    Line::from(spans)
}
