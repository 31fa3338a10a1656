//! Text with marked ranges (search terms), as a styled line.

use ratatui::text::Span;

use crate::tui::state::search::mark_ranges;
use crate::tui::theme::{Role, Theme};

/// `text` (already sanitised) with every occurrence of `terms` in the `match` role.
pub fn line(theme: &Theme, text: &str, terms: &[String], base: Role) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut pos = 0;
    for (s, e) in mark_ranges(text, terms) {
        if s > pos {
            spans.push(Span::styled(text[pos..s].to_string(), theme.style(base)));
        }
        spans.push(Span::styled(
            text[s..e].to_string(),
            theme.style(Role::Match),
        ));
        pos = e;
    }
    if pos < text.len() {
        spans.push(Span::styled(text[pos..].to_string(), theme.style(base)));
    }
    spans
}
