//! The sessions screen: the filter bar and a virtualised table (only visible rows are built,
//! so a case with hundreds of thousands of sessions draws as fast as a small one).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use crate::assess::AssessState;
use crate::sessions::Session;
use crate::text::one_line;
use crate::tui::app::App;
use crate::tui::fmt;
use crate::tui::layout;
use crate::tui::theme::Role;
use crate::tui::widgets::{badge, input, pane};

pub fn render(f: &mut Frame, app: &App) {
    let l = layout::sessions(app.size);
    filter_bar(f, l.filter, app);
    table(f, l.table, app);
}

fn filter_bar(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let s = &app.sessions;
    let editing = s.editing.is_some();
    let mut line = input::line(
        t,
        " filter ",
        &s.filter.text,
        editing,
        "text host:H user:U cause:C risk:R+",
    );
    let mut flags: Vec<String> = Vec::new();
    if let Some(r) = s.filter.min_risk {
        flags.push(format!("risk≥{}", r.as_str()));
    }
    if let Some(c) = s.filter.cause {
        flags.push(format!("cause={}", c.as_str()));
    }
    if s.filter.detected_only {
        flags.push("detected".into());
    }
    if s.filter.unreviewed_only {
        flags.push("unreviewed".into());
    }
    for fl in flags {
        line.spans.push(Span::raw(" "));
        line.spans
            .push(Span::styled(format!("[{fl}]"), t.style(Role::Key)));
    }
    let arrow = if s.reverse { "↑" } else { "↓" };
    line.spans.push(Span::styled(
        format!("  sort {} {arrow}", s.sort.name()),
        t.style(Role::Dim),
    ));
    f.render_widget(Paragraph::new(line), area);
}

fn table(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let s = &app.sessions;
    let wide = area.width >= 120;
    let title = format!(
        "Sessions {}/{}",
        if s.view.is_empty() {
            0
        } else {
            s.nav.selected + 1
        },
        s.view.len()
    );
    let block = pane::block(t, title, true);
    if s.view.is_empty() {
        let msg = if !s.loaded {
            "loading…".to_string()
        } else if let Some(e) = &s.load_error {
            format!("could not load sessions: {}", one_line(e, 200))
        } else if s.all.is_empty() {
            "no sessions in this case yet: ingest logs with `lookout ingest PATH`".to_string()
        } else {
            "no session matches the filter (F clears it)".to_string()
        };
        f.render_widget(
            Paragraph::new(Span::styled(msg, t.style(Role::Placeholder))).block(block),
            area,
        );
        return;
    }
    let rows_h = layout::sessions_rows(app.size);
    let window = s.nav.window(s.view.len(), rows_h);
    let rows: Vec<Row> = s.view[window.clone()]
        .iter()
        .filter_map(|&i| s.all.get(i))
        .map(|sess| row(app, sess, wide))
        .collect();
    let (header, widths) = columns(wide);
    let header = Row::new(header.iter().map(|h| Cell::from(*h))).style(t.style(Role::Header));
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(t.style(Role::Selection))
        .highlight_symbol("▶ ");
    // The state is relative to the window: only its rows exist.
    let mut state = TableState::default().with_selected(Some(s.nav.selected - window.start));
    f.render_stateful_widget(table, area, &mut state);
}

fn columns(wide: bool) -> (Vec<&'static str>, Vec<Constraint>) {
    use Constraint::{Length, Min};
    if wide {
        (
            vec![
                "Start", "Host", "Actor", "Dur", "Events", "Sources", "Rules", "Cause", "Risk",
                "P", "Review",
            ],
            vec![
                Length(16),
                Length(16),
                Min(18),
                Length(6),
                Length(7),
                Length(18),
                Length(12),
                Length(16),
                Length(10),
                Length(2),
                Length(11),
            ],
        )
    } else {
        (
            vec![
                "Start", "Host", "Actor", "Dur", "Evts", "Rules", "Cause", "Risk", "R",
            ],
            vec![
                Length(11),
                Length(10),
                Min(10),
                Length(5),
                Length(5),
                Length(5),
                Length(7),
                Length(6),
                Length(1),
            ],
        )
    }
}

fn row<'a>(app: &'a App, s: &'a Session, wide: bool) -> Row<'a> {
    let t = &app.theme;
    let sh = app.shown(s);
    let rules = match (s.detections.len(), s.max_rule_level()) {
        (0, _) => Span::styled("—", t.style(Role::Dim)),
        (n, lvl) if wide => Span::styled(
            format!("{n} {}", lvl.map(|l| l.as_str()).unwrap_or("")),
            t.style(Role::RuleHit),
        ),
        (n, _) => Span::styled(n.to_string(), t.style(Role::RuleHit)),
    };
    let entry = app.assess.get(&s.id);
    let cause = match (sh.cause, entry.map(|e| e.state)) {
        (None, Some(st @ (AssessState::Queued | AssessState::Running | AssessState::Failed))) => {
            badge::state(t, st)
        }
        (c, _) => badge::cause(t, c, !wide),
    };
    let host = one_line(&s.host, 40);
    let actor = one_line(&s.actor, 60);
    let mut cells = vec![
        Cell::from(fmt::time(&s.start, wide)),
        Cell::from(host),
        Cell::from(actor),
        Cell::from(fmt::duration(s.duration_s)),
        Cell::from(Line::from(fmt::count(s.events)).right_aligned()),
    ];
    if wide {
        let sources: Vec<&str> = s.formats.keys().map(String::as_str).collect();
        cells.push(Cell::from(one_line(&sources.join(","), 40)));
    }
    cells.push(Cell::from(rules));
    cells.push(Cell::from(cause));
    cells.push(Cell::from(badge::risk(t, sh.risk, !wide)));
    if wide {
        cells.push(Cell::from(
            sh.priority
                .map(|p| p.to_string())
                .unwrap_or_else(|| "—".into()),
        ));
    }
    cells.push(Cell::from(badge::review(t, sh.review, !wide)));
    Row::new(cells).style(t.style(Role::Base))
}
