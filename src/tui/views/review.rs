//! The review queue screen: progress, why this session needs a human, the session in brief and
//! its assessment.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use crate::text::one_line;
use crate::tui::app::App;
use crate::tui::fmt;
use crate::tui::layout;
use crate::tui::state::review::ReviewState;
use crate::tui::theme::Role;
use crate::tui::widgets::{badge, pane};

pub fn render(f: &mut Frame, app: &App) {
    let t = &app.theme;
    let [top, body] = layout::review(app.size);
    let Some(r) = &app.review else { return };
    progress(f, top, app, r);
    let Some(item) = r.current() else {
        let done = format!(
            "queue done: {} reviewed, {} skipped. {} undo, {} back.",
            r.reviewed(),
            r.skipped(),
            app.keymap.hint(
                crate::tui::action::Context::Review,
                crate::tui::action::Action::Undo
            ),
            app.keymap.hint(
                crate::tui::action::Context::Global,
                crate::tui::action::Action::Back
            ),
        );
        let text = if r.queue.is_empty() {
            "nothing needs a review in the sessions shown".to_string()
        } else {
            done
        };
        f.render_widget(
            Paragraph::new(Span::styled(text, t.style(Role::Placeholder)))
                .block(pane::block(t, "Review", true)),
            body,
        );
        return;
    };
    let wide = body.width >= layout::WIDE;
    let [left, right]: [Rect; 2] = if wide {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body)
    } else {
        Layout::vertical([Constraint::Length(9), Constraint::Min(0)]).areas(body)
    };
    let mut lines = vec![Line::from(vec![
        Span::styled("needs a human: ", t.style(Role::SyntaxKey)),
        Span::styled(item.reason.text(), t.style(Role::Error)),
    ])];
    if let Some(s) = app.sessions.get(&item.session_id) {
        let sh = app.shown(s);
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", fmt::short_id(&s.id)), t.style(Role::Title)),
            Span::styled(one_line(&s.host, 40), t.style(Role::SyntaxHost)),
            Span::styled(
                format!(" · {}", one_line(&s.actor, 60)),
                t.style(Role::Base),
            ),
        ]));
        lines.push(Line::from(Span::styled(
            format!(
                "{} · {} · {} events",
                fmt::time_secs(&s.start),
                fmt::duration(s.duration_s),
                s.events
            ),
            t.style(Role::SyntaxTime),
        )));
        let mut shown = vec![Span::styled("shown ", t.style(Role::SyntaxKey))];
        shown.extend(badge::verdict(t, &sh));
        lines.push(Line::from(shown));
        for d in s.detections.iter().take(4) {
            lines.push(Line::from(vec![
                badge::risk(t, Some(d.level), true),
                Span::styled(
                    format!(" {} ×{}", one_line(&d.title, 60), d.count),
                    t.style(Role::RuleHit),
                ),
            ]));
        }
        if s.detections.len() > 4 {
            lines.push(Line::from(Span::styled(
                format!("… {} more rules", s.detections.len() - 4),
                t.style(Role::Dim),
            )));
        }
    }
    f.render_widget(
        Paragraph::new(lines).block(pane::block(t, "Session", false)),
        left,
    );
    super::assessment::render(f, right, app, &item.session_id, None, false);
}

fn progress(f: &mut Frame, area: Rect, app: &App, r: &ReviewState) {
    let t = &app.theme;
    let total = r.queue.len();
    let reviewed = r.reviewed();
    let skipped = r.skipped();
    let [text, bar] = Layout::vertical([Constraint::Length(2), Constraint::Length(1)]).areas(area);
    let label = format!(" Review queue: {reviewed}/{total} reviewed, {skipped} skipped");
    let pos = if r.finished() {
        "done".to_string()
    } else {
        format!(" · session {} of {total}", r.pos + 1)
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(label, t.style(Role::Title)),
            Span::styled(pos, t.style(Role::Dim)),
        ])),
        text,
    );
    let ratio = if total == 0 {
        1.0
    } else {
        (reviewed + skipped) as f64 / total as f64
    };
    f.render_widget(
        Gauge::default()
            .ratio(ratio.clamp(0.0, 1.0))
            .gauge_style(t.style(Role::Chart))
            .label(""),
        bar,
    );
}
