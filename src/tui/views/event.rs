//! The event pane: the selected event's normalised fields, its original fields, and the raw
//! record highlighted (plain until the highlighter's result arrives).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::event::Event;
use crate::text::one_line;
use crate::tui::app::App;
use crate::tui::highlight;
use crate::tui::state::detail::{DetailState, Pane};
use crate::tui::theme::Role;
use crate::tui::widgets::pane;

pub fn render(f: &mut Frame, area: Rect, app: &App, d: &DetailState) {
    let t = &app.theme;
    let block = pane::block(t, "Event", d.pane == Pane::Event);
    let Some(ev) = d.selected_event() else {
        let msg = Span::styled("select a timeline line", t.style(Role::Placeholder));
        f.render_widget(Paragraph::new(msg).block(block), area);
        return;
    };
    let width = area.width.saturating_sub(2) as usize;
    let mut lines = fields(app, ev, width);
    lines.push(Line::from(Span::styled("raw record", t.style(Role::Title))));
    let hl = match &d.highlighted {
        Some((id, hl)) if *id == ev.id => hl.clone(),
        _ => highlight::plain(&ev.raw),
    };
    for runs in hl {
        lines.push(Line::from(
            runs.into_iter()
                .map(|(role, text)| Span::styled(text, t.style(role)))
                .collect::<Vec<_>>(),
        ));
    }
    let scroll = d
        .event_scroll
        .min(lines.len().saturating_sub(1))
        .min(u16::MAX as usize) as u16;
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

fn fields(app: &App, ev: &Event, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    let mut kv = |k: &str, v: String| {
        out.push(Line::from(vec![
            Span::styled(format!("{k:>12} "), t.style(Role::SyntaxKey)),
            Span::styled(
                one_line(&v, width.saturating_sub(13).max(8)),
                t.style(Role::Base),
            ),
        ]));
    };
    kv(
        "time",
        ev.timestamp
            .map(|x| x.to_rfc3339())
            .unwrap_or_else(|| "—".into()),
    );
    kv("format", ev.format.as_str().to_string());
    kv("source", format!("{}:{}", ev.source, ev.record));
    let opt = |v: &Option<String>| v.clone();
    for (k, v) in [
        ("host", opt(&ev.host)),
        ("user", opt(&ev.user)),
        (
            "process",
            ev.process.as_ref().map(|p| match ev.pid {
                Some(pid) => format!("{p} (pid {pid})"),
                None => p.clone(),
            }),
        ),
        ("parent", opt(&ev.parent_process)),
        ("command", opt(&ev.command_line)),
        ("event id", opt(&ev.event_id)),
        ("channel", opt(&ev.channel)),
        ("provider", opt(&ev.provider)),
    ] {
        if let Some(v) = v {
            kv(k, v);
        }
    }
    if ev.src_ip.is_some() || ev.dst_ip.is_some() {
        let end = |ip: &Option<String>, port: Option<u16>| {
            format!(
                "{}{}",
                ip.as_deref().unwrap_or("?"),
                port.map(|p| format!(":{p}")).unwrap_or_default()
            )
        };
        kv(
            "network",
            format!(
                "{} → {}",
                end(&ev.src_ip, ev.src_port),
                end(&ev.dst_ip, ev.dst_port)
            ),
        );
    }
    kv("message", ev.message.clone());
    if !ev.fields.is_empty() {
        out.push(Line::from(Span::styled("fields", t.style(Role::Title))));
        for (k, v) in &ev.fields {
            out.push(Line::from(vec![
                Span::styled(
                    format!("  {} = ", one_line(k, 40)),
                    t.style(Role::SyntaxAttr),
                ),
                Span::styled(
                    one_line(v, width.saturating_sub(8).max(8)),
                    t.style(Role::SyntaxString),
                ),
            ]));
        }
    }
    out
}
