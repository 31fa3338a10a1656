//! A one-line text input: the text, a block cursor when editing, a placeholder when empty.

use ratatui::text::{Line, Span};

use crate::tui::theme::{Role, Theme};

pub fn line(
    theme: &Theme,
    label: &str,
    text: &str,
    editing: bool,
    placeholder: &str,
) -> Line<'static> {
    let mut spans = vec![Span::styled(label.to_string(), theme.style(Role::Key))];
    // The input is typed by the analyst, but may be pasted: show it safely too.
    let safe = crate::text::one_line(text, 500);
    if safe.is_empty() && !editing {
        spans.push(Span::styled(
            placeholder.to_string(),
            theme.style(Role::Placeholder),
        ));
    } else {
        spans.push(Span::styled(safe, theme.style(Role::Input)));
    }
    if editing {
        spans.push(Span::styled("▏", theme.style(Role::Input)));
        if text.is_empty() {
            spans.push(Span::styled(
                placeholder.to_string(),
                theme.style(Role::Placeholder),
            ));
        }
    }
    Line::from(spans)
}
