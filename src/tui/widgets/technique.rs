//! An ATT&CK technique on one line: its id, its name from the catalog lookup, its tactics.

use ratatui::text::{Line, Span};

use crate::text::one_line;
use crate::tui::backend::TechniqueLookup;
use crate::tui::theme::{Role, Theme};

/// `indent`, the id, its name (`unknown` when the catalog has none), then its tactics after
/// `gap`. The panes differ only in these three strings.
pub fn line(
    theme: &Theme,
    lookup: &dyn TechniqueLookup,
    id: &str,
    indent: &str,
    unknown: &str,
    gap: &str,
) -> Line<'static> {
    let name = lookup.name(id).unwrap_or_else(|| unknown.to_string());
    let tactics = lookup.tactics(id);
    let mut spans = vec![
        Span::styled(
            format!("{indent}{} ", one_line(id, 12)),
            theme.style(Role::Key),
        ),
        Span::styled(one_line(&name, 60), theme.style(Role::Base)),
    ];
    if !tactics.is_empty() {
        spans.push(Span::styled(
            format!("{gap}({})", tactics.join(", ")),
            theme.style(Role::Dim),
        ));
    }
    Line::from(spans)
}
