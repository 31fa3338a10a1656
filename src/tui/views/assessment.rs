//! The assessment pane: state (with tokens streaming while the model writes), every verdict
//! field, evidence events (selectable, `enter` jumps), techniques with names and tactics, and
//! the rule-floor notes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::assess::{AssessState, Assessment};
use crate::text::one_line;
use crate::tui::action::{Action, Context};
use crate::tui::app::App;
use crate::tui::fmt;
use crate::tui::state::assess::AssessEntry;
use crate::tui::state::detail::DetailState;
use crate::tui::theme::{Role, Theme};
use crate::tui::widgets::{badge, pane, technique};

/// Lines of streamed model text kept on screen while it runs.
const TOKEN_LINES: usize = 8;

pub fn render(
    f: &mut Frame,
    area: Rect,
    app: &App,
    session_id: &str,
    d: Option<&DetailState>,
    focused: bool,
) {
    let t = &app.theme;
    let width = area.width.saturating_sub(2) as usize;
    let rows = area.height.saturating_sub(2) as usize;
    let default = AssessEntry::default();
    let entry = app.assess.get(session_id).unwrap_or(&default);
    let mut lines = vec![state_line(t, entry)];
    if entry.state == AssessState::Running
        || (entry.state == AssessState::Queued && !entry.tokens.is_empty())
    {
        let wrapped = fmt::wrap(&crate::text::sanitize(&entry.tokens), width);
        let tail = wrapped.len().saturating_sub(TOKEN_LINES);
        for l in &wrapped[tail..] {
            lines.push(Line::from(Span::styled(l.clone(), t.style(Role::Dim))));
        }
    }
    if let Some(e) = &entry.error {
        lines.push(Line::from(Span::styled(
            one_line(e, 300),
            t.style(Role::Error),
        )));
    }
    let mut selected_line = None;
    match &entry.assessment {
        Some(a) => {
            let sel = d.map(|d| d.evidence.selected).filter(|_| focused);
            verdict(app, a, d, width, sel, &mut lines, &mut selected_line);
        }
        None if entry.state == AssessState::NotAssessed => {
            let key = app.keymap.hint(Context::Session, Action::Assess);
            let msg = format!("press {key} to assess this session");
            lines.push(Line::from(Span::styled(msg, t.style(Role::Placeholder))));
        }
        None => {}
    }
    // Page keys scroll; a selected evidence line is always brought into view.
    let wanted = d.map(|d| d.assess_scroll).unwrap_or(0);
    let reveal = selected_line
        .map(|l: usize| (l + 1).saturating_sub(rows))
        .unwrap_or(0);
    let scroll = wanted
        .max(reveal)
        .min(lines.len().saturating_sub(1))
        .min(u16::MAX as usize) as u16;
    let block = pane::block(t, "Assessment", focused);
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

fn state_line(t: &Theme, e: &AssessEntry) -> Line<'static> {
    let mut spans = vec![
        Span::styled("state ", t.style(Role::SyntaxKey)),
        badge::state(t, e.state),
    ];
    if let Some(a) = &e.assessment {
        spans.push(Span::styled(
            format!(
                "  {} · {} · {:.1} s · {}→{} tok",
                fmt::fit(&a.model_id, 12),
                one_line(&a.prompt_version, 12),
                a.latency_ms as f64 / 1000.0,
                a.prompt_tokens,
                a.completion_tokens
            ),
            t.style(Role::Dim),
        ));
    }
    if e.state == AssessState::Running {
        spans.push(Span::styled(
            format!("  {} chars", e.tokens.chars().count()),
            t.style(Role::StateRunning),
        ));
    }
    Line::from(spans)
}

fn verdict(
    app: &App,
    a: &Assessment,
    d: Option<&DetailState>,
    width: usize,
    selected_evidence: Option<usize>,
    lines: &mut Vec<Line<'static>>,
    selected_line: &mut Option<usize>,
) {
    let t = &app.theme;
    let v = &a.verdict;
    lines.push(Line::from(vec![
        Span::styled("verdict ", t.style(Role::SyntaxKey)),
        badge::risk(t, Some(v.risk_level), false),
        Span::raw(" "),
        badge::cause(t, Some(v.cause), false),
        Span::styled(
            format!("  priority {}", v.investigation_priority),
            t.style(Role::Base),
        ),
        Span::styled(
            format!("  likelihood {}", one_line(&v.likelihood, 30)),
            t.style(Role::Base),
        ),
    ]));
    if let Some(m) = &a.model_verdict
        && (m.cause != v.cause || m.risk_level != v.risk_level)
    {
        let said = format!(
            "model alone said {} / {}",
            m.cause.as_str(),
            m.risk_level.as_str()
        );
        lines.push(Line::from(Span::styled(said, t.style(Role::Dim))));
    }
    field(t, lines, width, "summary", &v.summary);
    if !v.evidence.is_empty() {
        let key = app.keymap.hint(Context::Session, Action::Open);
        lines.push(Line::from(Span::styled(
            format!("evidence ({key}: jump)"),
            t.style(Role::SyntaxKey),
        )));
        for (i, id) in v.evidence.iter().enumerate() {
            let mut line = Line::from(Span::styled(
                format!("  ◆ {}", evidence_text(d, id, width.saturating_sub(4))),
                t.style(Role::Evidence),
            ));
            if selected_evidence == Some(i) {
                line = line.style(t.style(Role::Selection));
                *selected_line = Some(lines.len());
            }
            lines.push(line);
        }
    }
    field(t, lines, width, "cause", &v.cause_explanation);
    field(t, lines, width, "risk", &v.risk_justification);
    field(t, lines, width, "business impact", &v.business_impact);
    if !v.techniques.is_empty() {
        lines.push(Line::from(Span::styled(
            "techniques",
            t.style(Role::SyntaxKey),
        )));
        for id in &v.techniques {
            lines.push(technique::line(
                t,
                app.lookup.as_ref(),
                id,
                "  ",
                "(not in catalog)",
                "  ",
            ));
        }
    }
    list(
        t,
        lines,
        width,
        "anomalous patterns",
        &v.anomalous_patterns,
        Role::Base,
    );
    list(t, lines, width, "remediation", &v.remediation, Role::Base);
    list(
        t,
        lines,
        width,
        "rule floor and other adjustments",
        &a.adjustments,
        Role::RuleHit,
    );
    list(
        t,
        lines,
        width,
        "dropped (unknown) techniques",
        &a.dropped_techniques,
        Role::Dim,
    );
}

/// An evidence event as its time and message when the session is open, else its id.
fn evidence_text(d: Option<&DetailState>, id: &str, width: usize) -> String {
    let ev = d.and_then(|d| {
        let data = d.data.as_ref()?;
        data.events.get(*d.event_index.get(id)?)
    });
    match ev {
        Some(e) => {
            let time = e
                .timestamp
                .map(|x| x.format("%H:%M:%S").to_string())
                .unwrap_or_default();
            one_line(&format!("{time} {}", e.message), width.max(8))
        }
        None => one_line(id, 40),
    }
}

/// A titled free-text field, wrapped to the pane (model text is untrusted: sanitised).
fn field(t: &Theme, lines: &mut Vec<Line<'static>>, width: usize, name: &str, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    lines.push(Line::from(Span::styled(
        name.to_string(),
        t.style(Role::SyntaxKey),
    )));
    for l in fmt::wrap(&crate::text::sanitize(text), width.saturating_sub(2)) {
        lines.push(Line::from(Span::styled(
            format!("  {l}"),
            t.style(Role::Base),
        )));
    }
}

fn list(
    t: &Theme,
    lines: &mut Vec<Line<'static>>,
    width: usize,
    name: &str,
    items: &[String],
    role: Role,
) {
    if items.is_empty() {
        return;
    }
    lines.push(Line::from(Span::styled(
        name.to_string(),
        t.style(Role::SyntaxKey),
    )));
    for i in items {
        let text = format!("  • {}", one_line(i, width.saturating_sub(4).max(8)));
        lines.push(Line::from(Span::styled(text, t.style(role))));
    }
}
