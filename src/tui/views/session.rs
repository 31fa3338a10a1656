//! The session screen: metadata, then the timeline, event, assessment and rules panes (side by
//! side when wide, one at a time with tabs when narrow).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::sessions::Session;
use crate::text::one_line;
use crate::tui::app::App;
use crate::tui::fmt;
use crate::tui::layout;
use crate::tui::state::detail::{DetailState, Pane};
use crate::tui::theme::Role;
use crate::tui::widgets::badge;

pub fn render(f: &mut Frame, app: &App) {
    let Some(d) = &app.detail else { return };
    let l = layout::session(app.size, d.pane);
    let session = d
        .data
        .as_ref()
        .map(|x| &x.session)
        .or_else(|| app.sessions.get(&d.session_id));
    meta(f, l.meta, app, d, session);
    if let Some(tabs) = l.tabs {
        render_tabs(f, tabs, app, d.pane);
    }
    if let Some(r) = l.timeline {
        super::timeline::render(f, r, app, d);
    }
    if let Some(r) = l.event {
        super::event::render(f, r, app, d);
    }
    if let Some(r) = l.assessment {
        super::assessment::render(
            f,
            r,
            app,
            &d.session_id,
            Some(d),
            d.pane == Pane::Assessment,
        );
    }
    if let Some(r) = l.rules {
        let candidates = d
            .data
            .as_ref()
            .map(|x| (x.candidates.as_slice(), x.candidates_error.as_deref()));
        super::rules::render(
            f,
            r,
            app,
            session,
            candidates,
            d.rules_scroll,
            d.pane == Pane::Rules,
        );
    }
}

fn render_tabs(f: &mut Frame, area: Rect, app: &App, focused: Pane) {
    let t = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    for p in Pane::ALL {
        let role = if p == focused {
            Role::TabActive
        } else {
            Role::Tab
        };
        spans.push(Span::styled(format!(" {} ", p.title()), t.style(role)));
        spans.push(Span::styled("│", t.style(Role::Border)));
    }
    spans.push(Span::styled(
        format!(
            "  {} next pane",
            app.keymap.hint(
                crate::tui::action::Context::Session,
                crate::tui::action::Action::NextPane
            )
        ),
        t.style(Role::Dim),
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn meta(f: &mut Frame, area: Rect, app: &App, d: &DetailState, s: Option<&Session>) {
    let t = &app.theme;
    let Some(s) = s else {
        let msg = match &d.error {
            Some(e) => Span::styled(
                format!(" could not open session: {}", one_line(e, 200)),
                t.style(Role::Error),
            ),
            None => Span::styled(" loading session…", t.style(Role::Placeholder)),
        };
        f.render_widget(Paragraph::new(msg), area);
        return;
    };
    let sep = || Span::styled(" · ", t.style(Role::Dim));
    let first = Line::from(vec![
        Span::styled(
            format!(" Session {}", fmt::short_id(&s.id)),
            t.style(Role::Title),
        ),
        sep(),
        Span::styled(one_line(&s.host, 60), t.style(Role::SyntaxHost)),
        sep(),
        Span::styled(one_line(&s.actor, 80), t.style(Role::Base)),
        sep(),
        Span::styled(
            format!(
                "{} → {} ({})",
                fmt::time_secs(&s.start),
                s.end.format("%H:%M:%S"),
                fmt::duration(s.duration_s)
            ),
            t.style(Role::SyntaxTime),
        ),
        sep(),
        Span::styled(format!("{} events", s.events), t.style(Role::Base)),
    ]);
    let sources: Vec<String> = s.formats.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let mut second = vec![Span::styled(
        format!(" sources {}", one_line(&sources.join(", "), 120)),
        t.style(Role::Dim),
    )];
    if !s.processes.is_empty() {
        second.push(sep());
        second.push(Span::styled(
            format!("processes {}", one_line(&s.processes.join(", "), 120)),
            t.style(Role::Dim),
        ));
    }
    if !s.remote_ips.is_empty() {
        second.push(sep());
        second.push(Span::styled(
            format!("remote {}", one_line(&s.remote_ips.join(", "), 120)),
            t.style(Role::Dim),
        ));
    }
    let sh = app.shown(s);
    let mut third = vec![Span::raw(" ")];
    third.extend(badge::verdict(t, &sh));
    third.extend([sep(), badge::review(t, sh.review, false)]);
    if let Some(c) = app.reviews.get(&s.id) {
        third.push(Span::styled(
            format!(" by {}", one_line(&c.analyst, 40)),
            t.style(Role::Dim),
        ));
    }
    let rules = s.detections.len();
    third.push(sep());
    third.push(Span::styled(
        format!("{rules} rule{}", if rules == 1 { "" } else { "s" }),
        t.style(if rules > 0 { Role::RuleHit } else { Role::Dim }),
    ));
    if let Some(e) = &d.error {
        third.push(sep());
        third.push(Span::styled(one_line(e, 100), t.style(Role::Error)));
    }
    f.render_widget(
        Paragraph::new(vec![first, Line::from(second), Line::from(third)]),
        area,
    );
}
