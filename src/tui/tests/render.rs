//! Screens on ratatui's `TestBackend`, compared as snapshots at 80×24 and 160×48. The state
//! comes from the hand-made fixture and no render reads the clock, so they are deterministic.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::fixture::*;
use crate::tui::app::App;
use crate::tui::msg::{Command, Msg};
use crate::tui::theme::Theme;
use crate::tui::views;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn render(app: &App) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    term.draw(|f| views::draw(f, app)).unwrap();
    term
}

fn snap(name: &str, app: &App) {
    let term = render(app);
    insta::assert_snapshot!(
        format!("{name}_{}x{}", app.size.0, app.size.1),
        term.backend()
    );
}

fn opened(size: (u16, u16), full: bool) -> App {
    let mut app = app(size);
    let request = open_s1(&mut app);
    let cmds = loaded(&mut app, request, full);
    // The highlighter's answer, as the worker would send it.
    if let Some(Command::Highlight {
        request,
        event_id,
        format,
        raw,
    }) = cmds.into_iter().next()
    {
        let lines = crate::tui::highlight::highlight(format, &raw);
        send(
            &mut app,
            [Msg::Highlighted {
                request,
                event_id,
                lines,
            }],
        );
    }
    app
}

#[test]
fn sessions_list() {
    for size in SIZES {
        snap("sessions", &app(size));
    }
}

#[test]
fn sessions_filtered_and_loading() {
    let mut a = app((80, 24));
    send(&mut a, [key('d'), key('f')]);
    typed(&mut a, "brute");
    snap("sessions_filtering", &a);
    let empty = App::new(
        "demo",
        Theme::builtin_dark(),
        crate::tui::keymap::Keymap::builtin(),
    );
    snap("sessions_loading", &empty);
}

#[test]
fn session_detail() {
    for size in SIZES {
        snap("session", &opened(size, false));
    }
    // Narrow: the event pane, then the assessment pane.
    let mut a = opened((80, 24), true);
    send(&mut a, [key('G'), code(KeyCode::Tab)]);
    snap("session_event", &a);
    send(&mut a, [code(KeyCode::Tab)]);
    snap("session_assessment", &a);
}

#[test]
fn assessment_streaming() {
    for size in SIZES {
        let mut a = app(size);
        let _ = crate::tui::update::open_session(&mut a, S3, None);
        if size.0 < 120 {
            send(&mut a, [code(KeyCode::Tab), code(KeyCode::Tab)]);
        }
        snap("assessment_running", &a);
    }
}

#[test]
fn search_screen() {
    for size in SIZES {
        let mut a = app(size);
        send(&mut a, [key('/')]);
        let cmds = typed(&mut a, "failed bob");
        let Some(Command::Search { request, .. }) = cmds.last() else {
            panic!()
        };
        send(
            &mut a,
            [
                Msg::SearchDone {
                    request: *request,
                    result: Ok(search_result("failed bob")),
                },
                code(KeyCode::Enter),
            ],
        );
        snap("search", &a);
    }
}

#[test]
fn correction_form() {
    for size in SIZES {
        let mut a = app(size);
        send(
            &mut a,
            [
                key('j'),
                key('c'),
                code(KeyCode::Tab),
                code(KeyCode::Tab),
                code(KeyCode::Tab),
            ],
        );
        snap("form", &a);
        send(&mut a, [code(KeyCode::Enter)]);
        typed(&mut a, "brute");
        snap("picker", &a);
    }
}

#[test]
fn help_overlay() {
    for size in SIZES {
        let mut a = app(size);
        send(&mut a, [key('?')]);
        snap("help", &a);
    }
}

#[test]
fn review_queue() {
    for size in SIZES {
        let mut a = app(size);
        send(&mut a, [key('R'), key('y')]);
        snap("review", &a);
    }
}

#[test]
fn log_text_is_shown_not_executed() {
    // S5's actor and S1's command line carry ESC sequences.
    let mut a = app((160, 48));
    send(&mut a, [key('G')]);
    let term = render(&a);
    let text = term.backend().to_string();
    assert!(!text.contains('\x1b'));
    assert!(text.contains("carol\\e[2J"), "{text}");
    let mut a = opened((160, 48), true);
    send(&mut a, [key('G')]);
    let text = render(&a).backend().to_string();
    assert!(!text.contains('\x1b'));
    assert!(text.contains("\\e[2Jpwned"), "{text}");
}

#[test]
fn no_color_theme_draws_without_colours() {
    let mut a = app((80, 24));
    a.theme = Theme::embedded("mono").unwrap();
    let term = render(&a);
    for cell in term.backend().buffer().content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
}

#[test]
fn search_marks_matched_terms() {
    let mut a = app((80, 24));
    send(&mut a, [key('/')]);
    let cmds = typed(&mut a, "failed");
    let Some(Command::Search { request, .. }) = cmds.last() else {
        panic!()
    };
    send(
        &mut a,
        [Msg::SearchDone {
            request: *request,
            result: Ok(search_result("failed")),
        }],
    );
    let term = render(&a);
    let buf = term.backend().buffer();
    let marked = a.theme.style(crate::tui::theme::Role::Match);
    let mut found = 0;
    let hits = crate::tui::layout::search(a.size).hits;
    for y in hits.y..hits.y + hits.height {
        let row: Vec<&str> = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        let text: String = row.concat();
        if let Some(byte) = text.find("failed") {
            let col = text[..byte].chars().count() as u16;
            let cell = &buf[(col, y)];
            assert_eq!(
                (Some(cell.fg), Some(cell.bg)),
                (marked.fg, marked.bg),
                "row {y}: {text}"
            );
            found += 1;
        }
    }
    assert_eq!(found, 4, "four hits say `failed`");
}
