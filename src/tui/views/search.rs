//! The search screen: the query, a time histogram of the hits, and the hits with the query's
//! terms marked.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::text::one_line;
use crate::tui::app::App;
use crate::tui::layout;
use crate::tui::state::search::terms;
use crate::tui::theme::Role;
use crate::tui::widgets::{histogram, input, marked, pane};

pub fn render(f: &mut Frame, app: &App) {
    let t = &app.theme;
    let l = layout::search(app.size);
    let s = &app.search;
    let mut q = input::line(
        t,
        " / ",
        &s.input,
        s.editing,
        "tantivy query: host:WS01 AND event_id:4625, \"failed password\"",
    );
    if s.pending {
        q.spans
            .push(Span::styled("  searching…", t.style(Role::StateRunning)));
    }
    f.render_widget(
        Paragraph::new(q).block(pane::block(t, "Search", s.editing)),
        l.input,
    );

    let result = s.result.as_ref();
    let times: Vec<DateTime<Utc>> = result
        .map(|r| r.hits.iter().filter_map(|h| h.time).collect())
        .unwrap_or_default();
    let chart_title = match result {
        Some(r) if r.total > r.hits.len() => {
            format!("Hits over time (first {} of {})", r.hits.len(), r.total)
        }
        Some(r) => format!("Hits over time ({})", r.total),
        None => "Hits over time".to_string(),
    };
    let chart_block = pane::block(t, chart_title, false);
    let inner = chart_block.inner(l.histogram);
    f.render_widget(chart_block, l.histogram);
    if result.is_some() {
        histogram::render(f, inner, t, &times);
    }

    let hits_title = match result {
        Some(r) => format!(
            "Hits {}/{}",
            if r.hits.is_empty() {
                0
            } else {
                s.nav.selected + 1
            },
            r.hits.len()
        ),
        None => "Hits".into(),
    };
    let block = pane::block(t, hits_title, !s.editing);
    let rows = layout::search_rows(app.size);
    let width = l.hits.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(e) = &s.error {
        lines.push(Line::from(Span::styled(
            one_line(e, 300),
            t.style(Role::Error),
        )));
    }
    match result {
        None if s.error.is_none() => {
            lines.push(Line::from(Span::styled(
                "type a query; enter keeps it, esc leaves",
                t.style(Role::Placeholder),
            )));
        }
        Some(r) if r.hits.is_empty() => {
            lines.push(Line::from(Span::styled(
                format!("no event matches `{}`", one_line(&r.query, 80)),
                t.style(Role::Placeholder),
            )));
        }
        Some(r) => {
            let marks = terms(&r.query);
            for i in s.nav.window(r.hits.len(), rows.saturating_sub(lines.len())) {
                let Some(h) = r.hits.get(i) else { continue };
                let time = h
                    .time
                    .map(|x| x.format("%m-%d %H:%M:%S").to_string())
                    .unwrap_or_else(|| "--".into());
                let who = format!(
                    "{}{}",
                    one_line(h.host.as_deref().unwrap_or("?"), 16),
                    h.user
                        .as_deref()
                        .map(|u| format!("/{}", one_line(u, 16)))
                        .unwrap_or_default()
                );
                let mut spans = vec![
                    Span::styled(format!("{time} "), t.style(Role::SyntaxTime)),
                    Span::styled(format!("{who:<20} "), t.style(Role::SyntaxHost)),
                ];
                let room = width.saturating_sub(36).max(10);
                spans.extend(marked::line(
                    t,
                    &one_line(&h.text, room),
                    &marks,
                    Role::Base,
                ));
                let mut line = Line::from(spans);
                if i == s.nav.selected {
                    line = line.style(t.style(Role::Selection));
                }
                lines.push(line);
            }
        }
        None => {}
    }
    f.render_widget(Paragraph::new(lines).block(block), l.hits);
}
