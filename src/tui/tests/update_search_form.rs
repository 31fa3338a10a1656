//! `update` driven by scripted messages: search (newest wins, jump to the hit's session) and
//! the correction form (pre-fill, editing, the technique picker, save and its result).

use crossterm::event::KeyCode;

use super::fixture::*;
use crate::event::{Cause, Risk};
use crate::store::CorrectionKind;
use crate::tui::app::Screen;
use crate::tui::msg::{Command, Msg};
use crate::tui::state::sessions::ReviewMark;

#[test]
fn search_newest_wins_and_jumps_to_the_session() {
    let mut app = app((80, 24));
    assert!(send(&mut app, [key('/')]).is_empty());
    assert_eq!(app.screen(), Screen::Search);
    assert!(
        typed(&mut app, "f").is_empty(),
        "one character does not search yet"
    );
    let first = match typed(&mut app, "a").as_slice() {
        [Command::Search { request, query, .. }] if query == "fa" => *request,
        other => panic!("{other:?}"),
    };
    let second = match typed(&mut app, "iled").last() {
        Some(Command::Search { request, query, .. }) if query == "failed" => *request,
        other => panic!("{other:?}"),
    };
    send(
        &mut app,
        [Msg::SearchDone {
            request: first,
            result: Ok(search_result("fa")),
        }],
    );
    assert!(app.search.result.is_none(), "stale result dropped");
    assert!(app.search.pending);
    send(
        &mut app,
        [Msg::SearchDone {
            request: second,
            result: Ok(search_result("failed")),
        }],
    );
    assert_eq!(app.search.result.as_ref().unwrap().hits.len(), 5);
    assert!(!app.search.pending);

    assert!(
        send(&mut app, [code(KeyCode::Enter)]).is_empty(),
        "enter keeps the query"
    );
    assert!(!app.search.editing);
    let cmds = send(&mut app, [key('j'), code(KeyCode::Enter)]);
    let locate = match cmds.as_slice() {
        [Command::Locate { request, hit }] if hit.event_id == events()[1].id => *request,
        other => panic!("{other:?}"),
    };
    send(
        &mut app,
        [Msg::Located {
            request: locate - 1,
            event_id: "x".into(),
            session_id: Some(S2.into()),
        }],
    );
    assert_eq!(app.screen(), Screen::Search, "stale locate dropped");
    let cmds = send(
        &mut app,
        [Msg::Located {
            request: locate,
            event_id: events()[1].id.clone(),
            session_id: Some(S1.into()),
        }],
    );
    assert!(
        matches!(cmds.as_slice(), [Command::LoadSession { session_id, .. }] if session_id == S1)
    );
    assert_eq!(app.screen(), Screen::Session);
    assert_eq!(
        app.detail.as_ref().unwrap().pending_event.as_deref(),
        Some(events()[1].id.as_str())
    );
}

#[test]
fn correction_form_saves_the_right_correction() {
    let mut app = app((80, 24));
    send(&mut app, [key('j'), key('c')]);
    let form = app.form.as_ref().expect("form open");
    assert_eq!(
        (form.cause, form.risk, form.priority),
        (Cause::Malicious, Risk::High, 2),
        "pre-filled from the verdict"
    );
    assert_eq!(form.techniques, vec!["T1110.001", "T1078"]);
    // cause -> legitimate; risk -> medium; priority 4; drop T1078, add T1110.003 by fuzzy name.
    send(
        &mut app,
        [
            code(KeyCode::Right),
            code(KeyCode::Tab),
            code(KeyCode::Left),
            code(KeyCode::Tab),
            key('4'),
        ],
    );
    send(
        &mut app,
        [code(KeyCode::Tab), ctrl('d'), code(KeyCode::Enter)],
    );
    assert!(app.form.as_ref().unwrap().picker.is_some());
    typed(&mut app, "spraying");
    send(&mut app, [code(KeyCode::Enter)]);
    send(&mut app, [code(KeyCode::Tab), ctrl('u')]);
    typed(&mut app, "Scheduled password audit");
    send(&mut app, [code(KeyCode::Tab)]);
    typed(&mut app, "IT runs a spray test every Monday");
    let (request, correction) = save_command(&send(&mut app, [ctrl('s')]));
    assert_eq!(correction.kind, CorrectionKind::Correction);
    assert_eq!(correction.case_name, "demo");
    assert_eq!(correction.session_id, S1);
    assert_eq!(correction.session_host, "WS01");
    assert_eq!(correction.analyst, "ana");
    assert_eq!(correction.created, clock());
    assert_eq!(
        (correction.cause, correction.risk, correction.priority),
        (Cause::Legitimate, Risk::Medium, Some(4))
    );
    assert_eq!(correction.techniques, vec!["T1110.001", "T1110.003"]);
    assert_eq!(correction.summary, "Scheduled password audit");
    assert_eq!(correction.rationale, "IT runs a spray test every Monday");
    assert_eq!(correction.model_id, "3f9a0c1d2e");
    let original = correction.model_output.as_ref().unwrap();
    assert_eq!(
        original["verdict"]["cause"], "malicious",
        "the model's output is kept beside it"
    );
    assert!(
        send(&mut app, [ctrl('s')]).is_empty(),
        "no double save while saving"
    );

    saved(&mut app, request, &correction, 7);
    assert!(app.form.is_none());
    let s1 = app.sessions.get(S1).unwrap().clone();
    let shown = app.shown(&s1);
    assert_eq!(
        (shown.cause, shown.review),
        (Some(Cause::Legitimate), ReviewMark::Corrected)
    );
}

#[test]
fn failed_save_keeps_the_form_with_the_error() {
    let mut app = app((80, 24));
    send(&mut app, [key('c')]);
    let (request, _) = save_command(&send(&mut app, [ctrl('s')]));
    send(
        &mut app,
        [Msg::CorrectionSaved {
            request,
            result: Err("disk full".into()),
        }],
    );
    let f = app.form.as_ref().unwrap();
    assert_eq!(f.error.as_deref(), Some("disk full"));
    assert!(f.saving.is_none());
    send(&mut app, [code(KeyCode::Esc)]);
    assert!(app.form.is_none());
}
