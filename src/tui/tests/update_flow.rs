//! `update` driven by scripted messages: filter, sort, open, timeline toggle, evidence jump,
//! assessment requests, help, quit, mouse and resize.

use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::fixture::*;
use crate::assess::AssessState;
use crate::event::{Cause, Risk};
use crate::tui::app::{App, Screen};
use crate::tui::backend::AssessUpdate;
use crate::tui::msg::{Command, Msg};
use crate::tui::state::detail::Pane;
use crate::tui::state::sessions::SortKey;

fn visible(app: &App) -> Vec<&str> {
    app.sessions
        .view
        .iter()
        .map(|&i| app.sessions.all[i].id.as_str())
        .collect()
}

#[test]
fn default_sort_is_risk_then_time() {
    let app = app((80, 24));
    // S3 critical (rules), S1 high (verdict), S4 medium, S6 low, then no risk by time.
    assert_eq!(visible(&app), vec![S3, S1, S4, S6, S2, S5]);
    assert_eq!(app.sessions.counts.risk, [1, 1, 1, 1]);
    assert_eq!(app.sessions.counts.cause[0], 1, "one malicious verdict");
}

#[test]
fn filter_by_text_host_cause_and_flags() {
    let mut app = app((80, 24));
    send(&mut app, [key('f')]);
    typed(&mut app, "host:dc");
    assert_eq!(visible(&app), vec![S3], "filters as you type");
    send(&mut app, [code(KeyCode::Esc)]);
    assert_eq!(
        app.sessions.view.len(),
        6,
        "esc restores the previous filter"
    );

    send(&mut app, [key('f')]);
    typed(&mut app, "brute");
    send(&mut app, [code(KeyCode::Enter)]);
    assert_eq!(app.sessions.filter.text, "brute");
    assert_eq!(visible(&app), vec![S1, S4]);
    send(&mut app, [key('F')]);
    assert_eq!(app.sessions.view.len(), 6);

    send(&mut app, [key('f')]);
    typed(&mut app, "cause:malicious");
    send(&mut app, [code(KeyCode::Enter)]);
    assert_eq!(visible(&app), vec![S1]);
    send(&mut app, [key('F'), key('f')]);
    typed(&mut app, "risk:medium+");
    send(&mut app, [code(KeyCode::Enter)]);
    assert_eq!(visible(&app), vec![S3, S1, S4]);

    send(&mut app, [key('F'), key('d')]);
    assert_eq!(visible(&app), vec![S3, S1, S4, S6], "detected only");
    send(&mut app, [key('r'), key('r')]);
    assert_eq!(app.sessions.filter.min_risk, Some(Risk::High));
    assert_eq!(visible(&app), vec![S3, S1]);
    send(&mut app, [key('F'), key('m')]);
    assert_eq!(app.sessions.filter.cause, Some(Cause::Malicious));
    assert_eq!(visible(&app), vec![S1]);
}

#[test]
fn sort_keys_cycle_and_reverse() {
    let mut app = app((80, 24));
    send(&mut app, [key('s')]);
    assert_eq!(app.sessions.sort, SortKey::Priority);
    assert_eq!(visible(&app)[..2], [S3, S1]);
    send(&mut app, [key('s')]);
    assert_eq!(app.sessions.sort, SortKey::Time);
    assert_eq!(visible(&app), vec![S1, S2, S3, S4, S5, S6]);
    send(&mut app, [key('S')]);
    assert_eq!(visible(&app), vec![S6, S5, S4, S3, S2, S1]);
    send(&mut app, [key('s')]);
    assert_eq!(app.sessions.sort, SortKey::Events);
    assert_eq!(visible(&app)[0], S3);
}

#[test]
fn selection_follows_the_session_across_resorts() {
    let mut app = app((80, 24));
    send(&mut app, [key('j'), key('j')]);
    assert_eq!(app.sessions.selected().unwrap().id, S4);
    send(&mut app, [key('s'), key('s')]);
    assert_eq!(
        app.sessions.selected().unwrap().id,
        S4,
        "still selected after sorting by time"
    );
}

#[test]
fn open_session_loads_and_drops_stale_results() {
    let mut app = app((80, 24));
    send(&mut app, [key('j')]);
    let cmds = send(&mut app, [code(KeyCode::Enter)]);
    let request = match cmds.as_slice() {
        [
            Command::LoadSession {
                request,
                session_id,
                full: false,
            },
        ] if session_id == S1 => *request,
        other => panic!("{other:?}"),
    };
    assert_eq!(app.screen(), Screen::Session);
    // A result for some other request is ignored.
    loaded(&mut app, request + 50, true);
    assert!(app.detail.as_ref().unwrap().data.is_none());
    let cmds = loaded(&mut app, request, false);
    let d = app.detail.as_ref().unwrap();
    assert!(!d.full && d.data.is_some());
    assert!(
        matches!(cmds.as_slice(), [Command::Highlight { .. }]),
        "asks for the first event's highlighting: {cmds:?}"
    );
    // Moving selects the next line and asks for its highlighting.
    let cmds = send(&mut app, [key('j')]);
    assert!(matches!(cmds.as_slice(), [Command::Highlight { .. }]));
    send(&mut app, [code(KeyCode::Esc)]);
    assert_eq!(app.screen(), Screen::Sessions);
}

#[test]
fn toggle_full_timeline_requests_it_and_keeps_the_event() {
    let mut app = app((160, 48));
    let request = open_s1(&mut app);
    loaded(&mut app, request, false);
    send(&mut app, [key('G')]);
    let selected = app
        .detail
        .as_ref()
        .unwrap()
        .selected_event()
        .unwrap()
        .id
        .clone();
    let cmds = send(&mut app, [key('t')]);
    let full_request = match cmds.as_slice() {
        [
            Command::LoadSession {
                request,
                full: true,
                ..
            },
        ] => *request,
        other => panic!("{other:?}"),
    };
    // The condensed result arriving late is stale now.
    loaded(&mut app, request, false);
    assert!(!app.detail.as_ref().unwrap().data.as_ref().unwrap().full);
    loaded(&mut app, full_request, true);
    let d = app.detail.as_ref().unwrap();
    assert!(d.full);
    assert_eq!(d.timeline_len(), 6);
    assert_eq!(
        d.selected_event().unwrap().id,
        selected,
        "same event selected in the full timeline"
    );
}

#[test]
fn evidence_jump_selects_the_event() {
    let mut app = app((160, 48));
    let request = open_s1(&mut app);
    loaded(&mut app, request, true);
    send(&mut app, [code(KeyCode::Tab), code(KeyCode::Tab)]);
    assert_eq!(app.detail.as_ref().unwrap().pane, Pane::Assessment);
    send(&mut app, [code(KeyCode::Enter)]);
    let d = app.detail.as_ref().unwrap();
    assert_eq!(d.pane, Pane::Timeline);
    assert_eq!(d.selected_event().unwrap().id, events()[4].id);
}

#[test]
fn assess_requests_and_stale_updates() {
    let mut app = app((80, 24));
    send(&mut app, [key('j'), key('j')]);
    let cmds = send(&mut app, [key('a')]);
    let [
        Command::Assess {
            session_id,
            request,
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(session_id, S4);
    let mut old = AssessUpdate::state(S4, request - 1, AssessState::Running);
    old.tokens = Some("old".into());
    send(&mut app, [Msg::Assess(old)]);
    assert_eq!(
        app.assess[S4].tokens, "",
        "update of an older request dropped"
    );
    let mut new = AssessUpdate::state(S4, *request, AssessState::Running);
    new.tokens = Some("{\"cause\"".into());
    send(&mut app, [Msg::Assess(new)]);
    assert_eq!(app.assess[S4].state, AssessState::Running);
    assert_eq!(app.assess[S4].tokens, "{\"cause\"");
    let cmds = send(&mut app, [key('A')]);
    assert_eq!(
        app.queue.waiting() + cmds.len(),
        3,
        "every visible session without a verdict or a running assessment"
    );
    assert_eq!(cmds.len(), 1, "sent one at a time: {cmds:?}");
}

#[test]
fn help_quit_mouse_and_resize() {
    let mut app = app((80, 24));
    send(&mut app, [key('?')]);
    assert!(app.help);
    assert!(send(&mut app, [key('j')]).is_empty() && app.help_scroll == 1);
    send(&mut app, [code(KeyCode::Esc)]);
    assert!(!app.help);

    let mouse = |kind, column, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    send(&mut app, [mouse(MouseEventKind::ScrollDown, 10, 10)]);
    assert_eq!(app.sessions.nav.selected, 3);
    let first = crate::tui::layout::sessions_first_row(app.size);
    send(
        &mut app,
        [mouse(
            MouseEventKind::Down(MouseButton::Left),
            10,
            first + 1,
        )],
    );
    assert_eq!(app.sessions.nav.selected, 1);
    let cmds = send(
        &mut app,
        [mouse(
            MouseEventKind::Down(MouseButton::Left),
            10,
            first + 1,
        )],
    );
    assert!(
        matches!(cmds.as_slice(), [Command::LoadSession { session_id, .. }] if session_id == S1),
        "second click opens"
    );

    let mut app = self::app((80, 24));
    send(&mut app, [key('G'), Msg::Resize(80, 8)]);
    let rows = crate::tui::layout::sessions_rows(app.size);
    assert!(
        app.sessions.nav.offset + rows > app.sessions.nav.selected,
        "selection visible after resize"
    );
    let cmds = send(&mut app, [key('q')]);
    assert_eq!(cmds, vec![Command::Quit]);
    assert!(app.quit);
    let mut app = self::app((80, 24));
    send(&mut app, [key('c'), ctrl('c')]);
    assert!(app.quit, "ctrl-c quits even from the form");
}
