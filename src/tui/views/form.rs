//! The correction form overlay: cause, risk, priority, techniques, summary and rationale.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::event::{Cause, Risk};
use crate::text::one_line;
use crate::tui::action::{Action, Context};
use crate::tui::app::App;
use crate::tui::fmt;
use crate::tui::layout;
use crate::tui::state::form::{CorrectionForm, Field};
use crate::tui::theme::Role;
use crate::tui::widgets::{badge, pane};

pub fn render(f: &mut Frame, app: &App, form: &CorrectionForm) {
    let t = &app.theme;
    let area = layout::form(app.size);
    let width = area.width.saturating_sub(16) as usize;
    f.render_widget(Clear, area);
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(
        format!(
            "session {} on {}",
            fmt::short_id(&form.session_id),
            one_line(&form.session_host, 40)
        ),
        t.style(Role::Dim),
    ))];
    for field in Field::ALL {
        let focused = form.field == field;
        let label = Span::styled(
            format!("{} {:<11}", if focused { "▶" } else { " " }, field.label()),
            t.style(if focused { Role::Key } else { Role::SyntaxKey }),
        );
        let mut spans = vec![label];
        match field {
            Field::Cause => {
                for c in Cause::ALL {
                    spans.push(choice(
                        app,
                        c.as_str(),
                        c == form.cause,
                        Role::cause(Some(c)),
                    ));
                }
            }
            Field::Risk => {
                for r in Risk::ALL {
                    if r == form.risk {
                        spans.push(badge::risk(t, Some(r), false));
                    } else {
                        spans.push(Span::styled(
                            format!(" {} ", r.as_str()),
                            t.style(Role::Dim),
                        ));
                    }
                    spans.push(Span::raw(" "));
                }
            }
            Field::Priority => {
                for p in 1..=4u8 {
                    spans.push(choice(app, &p.to_string(), p == form.priority, Role::Base));
                }
                spans.push(Span::styled(
                    " (1 = now … 4 = when convenient)",
                    t.style(Role::Dim),
                ));
            }
            Field::Techniques => {
                if form.techniques.is_empty() {
                    spans.push(Span::styled(
                        "none (enter: pick)",
                        t.style(Role::Placeholder),
                    ));
                }
                for id in &form.techniques {
                    let name = app
                        .lookup
                        .name(id)
                        .map(|n| format!(" {}", fmt::fit(&n, 24)))
                        .unwrap_or_default();
                    spans.push(Span::styled(
                        format!("{}{name}", one_line(id, 12)),
                        t.style(Role::Key),
                    ));
                    spans.push(Span::raw("  "));
                }
            }
            Field::Summary | Field::Rationale => {
                let text = if field == Field::Summary {
                    &form.summary
                } else {
                    &form.rationale
                };
                let shown = one_line(text, 2000);
                // Show the end of long text, where the cursor is.
                let tail: String = shown
                    .chars()
                    .rev()
                    .take(width.saturating_sub(2))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if text.is_empty() && !focused {
                    let hint = if field == Field::Rationale {
                        "why the verdict is wrong (free text)"
                    } else {
                        "one line"
                    };
                    spans.push(Span::styled(hint, t.style(Role::Placeholder)));
                } else {
                    spans.push(Span::styled(tail, t.style(Role::Input)));
                }
                if focused {
                    spans.push(Span::styled("▏", t.style(Role::Input)));
                }
            }
        }
        lines.push(Line::from(spans));
        lines.push(Line::from(""));
    }
    let original = match &form.original {
        Some(a) => format!(
            "model verdict kept beside it: {} / {} (model {})",
            a.verdict.cause.as_str(),
            a.verdict.risk_level.as_str(),
            fmt::fit(&a.model_id, 12)
        ),
        None => "no assessment shown: stored without model output".to_string(),
    };
    lines.push(Line::from(Span::styled(original, t.style(Role::Dim))));
    match (&form.error, form.saving) {
        (Some(e), _) => lines.push(Line::from(Span::styled(
            format!("not saved: {}", one_line(e, 200)),
            t.style(Role::Error),
        ))),
        (None, Some(_)) => lines.push(Line::from(Span::styled(
            "saving…",
            t.style(Role::StateRunning),
        ))),
        _ => {}
    }
    let title = format!(
        "Correct the verdict — {} save, {} cancel",
        app.keymap.hint(Context::Form, Action::Save),
        app.keymap.hint(Context::Form, Action::Cancel)
    );
    f.render_widget(
        Paragraph::new(lines).block(pane::block(t, title, true)),
        area,
    );
}

fn choice(app: &App, text: &str, on: bool, role: Role) -> Span<'static> {
    let t = &app.theme;
    if on {
        Span::styled(
            format!("[{text}] "),
            t.style(role).patch(t.style(Role::Selection)),
        )
    } else {
        Span::styled(format!(" {text}  "), t.style(Role::Dim))
    }
}
