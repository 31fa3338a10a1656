//! The background assessment queue through `update`: `A` sends the most severe session first
//! (rule level, then the instant verdict's risk), one at a time; the selected session jumps the
//! queue; `a` and cancelling take a waiting session out. The last test closes the loop through
//! the fake assessor, the seam the real model sits behind.

use std::time::Duration;

use tokio::sync::mpsc::unbounded_channel;

use super::fixture::*;
use crate::assess::{AssessState, Assessment};
use crate::event::Risk;
use crate::tui::app::App;
use crate::tui::backend::{AssessBackend, AssessSink, AssessUpdate};
use crate::tui::fake::FakeAssess;
use crate::tui::msg::{Command, Msg};

/// A rules-only verdict (what ingest stores at once): no model answer.
fn instant(session_id: &str, risk: Risk) -> Msg {
    let mut a: Assessment = assessment(session_id, Vec::new());
    a.verdict.risk_level = risk;
    a.model_verdict = None;
    a.model_id = crate::assess::assessor::RULES_ONLY.into();
    let mut u = AssessUpdate::state(session_id, 0, AssessState::FromCache);
    u.assessment = Some(a);
    Msg::Assess(u)
}

/// The fixture with instant verdicts: S2 (no rule) medium, S5 (no rule) low. S1 has a model
/// verdict and S3 is assessing, so `A` queues S4 (medium rule), S6 (low rule), S2, S5.
fn app_with_instant_verdicts() -> App {
    let mut app = app((100, 30));
    send(
        &mut app,
        [instant(S2, Risk::Medium), instant(S5, Risk::Low)],
    );
    app
}

fn sent(cmds: &[Command]) -> Vec<(String, u64)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Assess {
                session_id,
                request,
                ..
            } => Some((session_id.clone(), *request)),
            _ => None,
        })
        .collect()
}

fn done(session_id: &str, request: u64) -> Msg {
    let mut u = AssessUpdate::state(session_id, request, AssessState::Done);
    u.assessment = Some(assessment(session_id, Vec::new()));
    Msg::Assess(u)
}

/// Completes the one assessment in flight and returns the next one sent.
fn finish(app: &mut App, (id, request): &(String, u64)) -> Option<(String, u64)> {
    let next = sent(&send(app, [done(id, *request)]));
    assert!(next.len() <= 1, "one at a time: {next:?}");
    next.into_iter().next()
}

/// Finishes the one in flight, and each sent after it, until the queue is empty; returns the
/// sessions sent after `current`, in order.
fn drain(app: &mut App, mut current: (String, u64)) -> Vec<String> {
    let mut order = Vec::new();
    while let Some(next) = finish(app, &current) {
        order.push(next.0.clone());
        current = next;
    }
    order
}

fn select(app: &mut App, id: &str) {
    for _ in 0..app.sessions.view.len() {
        if app.sessions.selected().is_some_and(|s| s.id == id) {
            return;
        }
        send(app, [key('j')]);
    }
    panic!("{id} not in the view");
}

#[test]
fn most_severe_first_then_instant_risk_one_at_a_time() {
    let mut app = app_with_instant_verdicts();
    select(&mut app, S1);
    let cmds = send(&mut app, [key('A')]);
    let first = sent(&cmds);
    assert_eq!(first.len(), 1, "one sent, the rest wait: {cmds:?}");
    assert_eq!(app.queue.waiting(), 3);
    for id in [S4, S6, S2, S5] {
        assert_eq!(
            app.assess[id].state,
            AssessState::Queued,
            "{id} shows as queued"
        );
    }
    let mut order = vec![first[0].0.clone()];
    order.extend(drain(&mut app, first[0].clone()));
    assert_eq!(order, [S4, S6, S2, S5]);
    assert!(app.queue.is_empty());
}

#[test]
fn the_selected_session_jumps_the_queue() {
    let mut app = app_with_instant_verdicts();
    select(&mut app, S1);
    let first = sent(&send(&mut app, [key('A')])).remove(0);
    assert_eq!(first.0, S4);
    // The analyst moves to the least severe waiting session: it goes next.
    select(&mut app, S5);
    let next = finish(&mut app, &first).expect("next sent");
    assert_eq!(next.0, S5);
    // Opening a session selects it too.
    crate::tui::update::open_session(&mut app, S2, None);
    let next = finish(&mut app, &next).expect("next sent");
    assert_eq!(next.0, S2, "the open session, ahead of S6's low rule");
    let last = finish(&mut app, &next).expect("last sent");
    assert_eq!(last.0, S6);
    assert_eq!(finish(&mut app, &last), None);
}

#[test]
fn assess_now_takes_a_session_out_of_the_queue() {
    let mut app = app_with_instant_verdicts();
    select(&mut app, S1);
    let first = sent(&send(&mut app, [key('A')])).remove(0);
    select(&mut app, S6);
    let now = send(&mut app, [key('a')]);
    let [
        Command::Assess {
            session_id,
            priority: crate::tui::backend::AssessPriority::Now,
            ..
        },
    ] = now.as_slice()
    else {
        panic!("{now:?}")
    };
    assert_eq!(session_id, S6);
    assert!(!app.queue.contains(S6));
    let next = finish(&mut app, &first).expect("next sent");
    assert_eq!(next.0, S2, "S6 is no longer waiting");
}

#[test]
fn cancelling_a_waiting_session_needs_no_backend() {
    let mut app = app_with_instant_verdicts();
    select(&mut app, S1);
    send(&mut app, [key('A')]);
    let request = open_s1(&mut app);
    loaded(&mut app, request, false);
    // S6 waits; open it and cancel.
    crate::tui::update::open_session(&mut app, S6, None);
    let cmds = send(&mut app, [key('x')]);
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Command::CancelAssess { .. })),
        "{cmds:?}"
    );
    assert!(!app.queue.contains(S6));
    assert_eq!(app.assess[S6].state, AssessState::NotAssessed);
    // S2 had an instant verdict: cancelling leaves it shown.
    crate::tui::update::open_session(&mut app, S2, None);
    send(&mut app, [key('x')]);
    assert_eq!(app.assess[S2].state, AssessState::FromCache);
    assert!(app.assess[S2].assessment.is_some());
}

#[test]
fn stale_and_foreign_updates_do_not_free_the_slot() {
    let mut app = app_with_instant_verdicts();
    select(&mut app, S1);
    let first = sent(&send(&mut app, [key('A')])).remove(0);
    // A cached verdict (request 0) for the same session, and a running update: not the end.
    let mut running = AssessUpdate::state(&first.0, first.1, AssessState::Running);
    running.tokens = Some("{".into());
    let cmds = send(
        &mut app,
        [instant(&first.0, Risk::Low), Msg::Assess(running)],
    );
    assert!(sent(&cmds).is_empty(), "{cmds:?}");
    // A failure ends it: the next goes.
    let failed = AssessUpdate::state(&first.0, first.1, AssessState::Failed);
    assert_eq!(sent(&send(&mut app, [Msg::Assess(failed)])).len(), 1);
}

/// The whole loop with the fake assessor: commands go to the backend, its updates come back
/// as messages, and the backend is asked in the queue's order.
#[test]
fn the_fake_assessor_is_asked_in_queue_order() {
    let mut app = app_with_instant_verdicts();
    select(&mut app, S1);
    let backend = FakeAssess::new(Duration::ZERO, 2);
    let (tx, mut rx) = unbounded_channel();
    backend.connect(AssessSink::new(tx));
    let mut pending = send(&mut app, [key('A')]);
    let mut finished = 0;
    while finished < 4 {
        for c in pending.drain(..) {
            if let Command::Assess {
                session_id,
                request,
                priority,
            } = c
            {
                backend.assess(&session_id, request, priority);
            }
        }
        let u = rx.blocking_recv().expect("the fake backend answers");
        if u.state == AssessState::Done {
            finished += 1;
        }
        pending = send(&mut app, [Msg::Assess(u)]);
    }
    let asked = backend.asked.lock().map(|a| a.clone()).unwrap_or_default();
    assert_eq!(asked, [S4, S6, S2, S5]);
    for id in [S4, S6, S2, S5] {
        assert_eq!(app.assess[id].state, AssessState::Done);
    }
}

/// The case as it opens with `ui.auto_assess` and a model behind the backend: no verdicts
/// loaded yet, so every session waits for the model.
fn opened_with_auto_assess() -> (App, Vec<Command>) {
    let mut app = App::new(
        "demo",
        crate::tui::theme::Theme::builtin_dark(),
        crate::tui::keymap::Keymap::builtin(),
    );
    app.size = (100, 30);
    app.auto_assess = true;
    app.next_request = 100;
    let cmds = send(
        &mut app,
        [Msg::SessionsLoaded(Ok(crate::tui::msg::Loaded {
            sessions: sessions(),
            corrections: Vec::new(),
        }))],
    );
    (app, cmds)
}

#[test]
fn with_auto_assess_the_opened_case_queues_every_session_and_stored_answers_take_theirs_out() {
    let (mut app, cmds) = opened_with_auto_assess();
    assert!(
        matches!(cmds.first(), Some(Command::LoadCachedAssessments { session_ids }) if session_ids.len() == 6),
        "{cmds:?}"
    );
    let first = sent(&cmds);
    assert_eq!(first.len(), 1, "one at a time: {cmds:?}");
    let selected = app.sessions.selected().map(|s| s.id.clone());
    assert_eq!(
        Some(&first[0].0),
        selected.as_ref(),
        "the selected session goes first"
    );
    assert_eq!(app.queue.waiting(), 5);
    assert!(
        matches!(&app.status, Some(crate::tui::app::Status::Info(t)) if t.contains("6 sessions"))
    );

    // The store answers after the queue was filled: S1 has a model answer (it leaves the queue
    // and shows it), S2 only the instant verdict (shown, and S2 still waits for the model).
    let mut s1 = AssessUpdate::state(S1, 0, AssessState::FromCache);
    s1.assessment = Some(assessment(S1, Vec::new()));
    assert_eq!(
        first[0].0, S3,
        "the first row: the critical rule, selected at start"
    );
    send(&mut app, [Msg::Assess(s1), instant(S2, Risk::High)]);
    assert!(!app.queue.contains(S1));
    assert_eq!(app.assess[S1].state, AssessState::FromCache);
    assert!(
        app.assess[S1]
            .assessment
            .as_ref()
            .is_some_and(|a| a.model_verdict.is_some())
    );
    assert!(app.queue.contains(S2));
    assert_eq!(app.assess[S2].state, AssessState::Queued);
    assert_eq!(
        app.assess[S2]
            .assessment
            .as_ref()
            .map(|a| a.verdict.risk_level),
        Some(Risk::High),
        "the instant verdict shows while the model's is awaited"
    );

    // The rest by severity: the medium rule (S4), the low rule (S6), then S2 (instant verdict
    // high), S5 (nothing).
    assert_eq!(drain(&mut app, first[0].clone()), [S4, S6, S2, S5]);
    assert!(app.queue.is_empty());
}

#[test]
fn a_pauses_the_queue_and_again_queues_the_visible_sessions() {
    let (mut app, cmds) = opened_with_auto_assess();
    let first = sent(&cmds).remove(0);
    assert!(
        sent(&send(&mut app, [key('A')])).is_empty(),
        "pausing sends nothing"
    );
    assert_eq!(app.queue.waiting(), 0);
    for s in sessions().iter().filter(|s| s.id != first.0) {
        assert_eq!(
            app.assess[&s.id].state,
            AssessState::NotAssessed,
            "{}",
            s.id
        );
    }
    // The one in flight finishes; nothing follows it.
    assert_eq!(finish(&mut app, &first), None);
    // `A` again: the visible sessions the model has not judged.
    let again = sent(&send(&mut app, [key('A')]));
    assert_eq!(again.len(), 1);
    assert_eq!(app.queue.waiting(), 4);
}

#[test]
fn without_auto_assess_opening_a_case_queues_nothing() {
    let app = app((100, 30));
    assert!(app.queue.is_empty());
    assert!(
        app.assess
            .get(S2)
            .is_none_or(|e| e.state == AssessState::NotAssessed)
    );
}
