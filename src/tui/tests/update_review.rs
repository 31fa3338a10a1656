//! The review queue through `update`: order, accept (`y`), skip (`n`), correct (`c`), undo (`u`).

use crossterm::event::KeyCode;

use super::fixture::*;
use crate::event::{Cause, Risk};
use crate::store::{Correction, CorrectionKind};
use crate::tui::app::{App, Screen};
use crate::tui::msg::{Command, Msg};
use crate::tui::state::review::Reason;
use crate::tui::state::sessions::ReviewMark;

fn queue(app: &App) -> Vec<(&str, Reason)> {
    app.review
        .as_ref()
        .unwrap()
        .queue
        .iter()
        .map(|i| (i.session_id.as_str(), i.reason))
        .collect()
}

fn mark(app: &App, id: &str) -> ReviewMark {
    let s = app.sessions.get(id).unwrap().clone();
    app.shown(&s).review
}

#[test]
fn queue_puts_disagreement_first() {
    let mut app = app((80, 24));
    send(&mut app, [key('R')]);
    assert_eq!(app.screen(), Screen::Review);
    let q = queue(&app);
    assert_eq!(q.len(), 6);
    // S1's verdict was raised by the rule floor: rules and model disagree.
    assert_eq!(q[0], (S1, Reason::Disagreement));
    assert!(
        q[1..].iter().all(|(_, r)| *r == Reason::LowConfidence),
        "no verdict yet: {q:?}"
    );
    assert_eq!(q[1].0, S3, "then by risk");
}

#[test]
fn a_session_without_a_verdict_cannot_be_accepted() {
    let mut app = app((80, 24));
    send(&mut app, [key('R'), key('n')]);
    // Second in the queue: S3, neither assessed nor reviewed.
    let pos = app.review.as_ref().unwrap().pos;
    assert_eq!(queue(&app)[pos].0, S3);
    let cmds = send(&mut app, [key('y')]);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(app.review.as_ref().unwrap().pos, pos, "still on S3");
    assert!(!app.reviews.contains_key(S3));
    assert!(
        matches!(&app.status, Some(crate::tui::app::Status::Info(t)) if t.contains("no verdict")),
        "{:?}",
        app.status
    );
}

#[test]
fn accept_skip_and_undo() {
    let mut app = app((80, 24));
    send(&mut app, [key('R')]);
    let (request, correction) = save_command(&send(&mut app, [key('y')]));
    assert_eq!(correction.kind, CorrectionKind::Confirmation);
    assert_eq!(correction.session_id, S1);
    assert_eq!(
        (correction.cause, correction.risk, correction.priority),
        (Cause::Malicious, Risk::High, Some(2))
    );
    assert!(correction.model_output.is_some());
    assert_eq!(
        mark(&app, S1),
        ReviewMark::Confirmed,
        "shown reviewed at once"
    );
    let r = app.review.as_ref().unwrap();
    assert_eq!((r.pos, r.reviewed()), (1, 1));

    assert!(send(&mut app, [key('n')]).is_empty());
    assert_eq!(app.review.as_ref().unwrap().pos, 2);
    // Undo the skip, then the accept (no earlier correction: forgotten here, nothing stored).
    assert!(send(&mut app, [key('u')]).is_empty());
    assert_eq!(app.review.as_ref().unwrap().pos, 1);
    assert!(send(&mut app, [key('u')]).is_empty());
    let r = app.review.as_ref().unwrap();
    assert_eq!((r.pos, r.reviewed()), (0, 0));
    assert_eq!(mark(&app, S1), ReviewMark::Unreviewed);
    // The late confirmation of the undone accept must not mark it reviewed again.
    saved(&mut app, request, &correction, 3);
    assert_eq!(mark(&app, S1), ReviewMark::Unreviewed);
}

#[test]
fn undo_restores_the_previous_correction_by_appending_it() {
    let mut app = app((80, 24));
    let earlier = Correction {
        id: 11,
        case_name: "demo".into(),
        session_id: S3.into(),
        kind: CorrectionKind::Correction,
        analyst: "bo".into(),
        created: t(8, 0, 0),
        cause: Cause::Misconfiguration,
        risk: Risk::Low,
        priority: Some(4),
        techniques: vec![],
        summary: "backup agent".into(),
        rationale: "known agent".into(),
        model_id: String::new(),
        prompt_version: String::new(),
        model_output: None,
        session_host: "DC01".into(),
    };
    app.reviews.insert(S3.into(), earlier.clone());
    app.rebuild_view();
    // Reviewed sessions are not queued: put S3 in the queue by hand, as an earlier run would.
    send(&mut app, [key('R')]);
    assert!(queue(&app).iter().all(|(id, _)| *id != S3));
    let r = app.review.as_mut().unwrap();
    r.queue.insert(
        0,
        crate::tui::state::review::ReviewItem {
            session_id: S3.into(),
            reason: Reason::Unreviewed,
        },
    );
    let (_, confirmation) = save_command(&send(&mut app, [key('y')]));
    assert_eq!(confirmation.kind, CorrectionKind::Confirmation);
    let (_, correction) = save_command(&send(&mut app, [key('u')]));
    assert_eq!(correction.id, 0, "a new row");
    assert_eq!(
        (correction.kind, correction.cause, correction.risk),
        (
            CorrectionKind::Correction,
            Cause::Misconfiguration,
            Risk::Low
        )
    );
    assert_eq!(correction.created, clock());
    assert!(
        correction
            .rationale
            .starts_with("undo: restores correction #11")
    );
    assert_eq!(app.reviews[S3].cause, Cause::Misconfiguration);
}

#[test]
fn correct_from_the_queue_advances_when_saved() {
    let mut app = app((80, 24));
    send(&mut app, [key('R'), key('c')]);
    assert!(app.form.is_some());
    send(&mut app, [code(KeyCode::Right)]);
    let (request, correction) = save_command(&send(&mut app, [ctrl('s')]));
    assert_eq!(
        app.review.as_ref().unwrap().pos,
        0,
        "not before it is stored"
    );
    saved(&mut app, request, &correction, 5);
    let r = app.review.as_ref().unwrap();
    assert_eq!((r.pos, r.reviewed()), (1, 1));
    assert_eq!(mark(&app, S1), ReviewMark::Corrected);
    send(&mut app, [key('n'), key('n'), key('n'), key('n'), key('n')]);
    assert!(app.review.as_ref().unwrap().finished());
    send(&mut app, [code(KeyCode::Esc)]);
    assert_eq!(app.screen(), Screen::Sessions);
}

#[test]
fn review_only_mode_opens_the_queue_and_quits_on_back() {
    let mut app = crate::tui::app::App::new(
        "demo",
        crate::tui::theme::Theme::builtin_dark(),
        crate::tui::keymap::Keymap::builtin(),
    );
    app.review_only = true;
    send(
        &mut app,
        [Msg::SessionsLoaded(Ok(crate::tui::msg::Loaded {
            sessions: sessions(),
            corrections: vec![],
        }))],
    );
    assert_eq!(app.screen(), Screen::Review);
    assert_eq!(send(&mut app, [code(KeyCode::Esc)]), vec![Command::Quit]);
}

#[test]
fn another_analysts_correction_is_shown_at_once_unless_a_newer_one_is() {
    let mut app = app((80, 24));
    let theirs = |id: i64, cause: Cause| Correction {
        id,
        case_name: "demo".into(),
        session_id: S2.into(),
        kind: CorrectionKind::Correction,
        analyst: "bo".into(),
        created: t(8, 0, 0),
        cause,
        risk: Risk::Medium,
        priority: None,
        techniques: vec![],
        summary: String::new(),
        rationale: String::new(),
        model_id: String::new(),
        prompt_version: String::new(),
        model_output: None,
        session_host: "DC01".into(),
    };
    send(
        &mut app,
        [Msg::CorrectionsArrived(vec![theirs(7, Cause::Malicious)])],
    );
    assert_eq!(app.reviews[S2].id, 7);
    assert_ne!(mark(&app, S2), ReviewMark::Unreviewed);
    // An older one arriving late does not replace it; one of this analyst's own is left to
    // `CorrectionSaved`.
    let mut own = theirs(9, Cause::Legitimate);
    own.analyst = app.analyst.clone();
    send(
        &mut app,
        [Msg::CorrectionsArrived(vec![
            theirs(5, Cause::Legitimate),
            own,
        ])],
    );
    assert_eq!(app.reviews[S2].id, 7);
}
