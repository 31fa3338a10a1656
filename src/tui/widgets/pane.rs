//! A bordered pane whose border shows focus.

use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::tui::theme::{Role, Theme};

pub fn block<'a>(theme: &Theme, title: impl Into<String>, focused: bool) -> Block<'a> {
    let (border, kind) = if focused {
        (Role::BorderFocus, BorderType::Thick)
    } else {
        (Role::Border, BorderType::Plain)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(kind)
        .border_style(theme.style(border))
        .title(Line::from(Span::styled(
            format!(" {} ", title.into()),
            theme.style(Role::Title),
        )))
        .style(theme.style(Role::Base))
}
