//! The review queue: accept (a stored confirmation), correct, skip, undo. The store stays
//! append-only: undo appends the correction that was in force before, or, when there was
//! none, only forgets the decision in this session (see `undo`).

use crate::store::CorrectionKind;
use crate::tui::action::Action;
use crate::tui::app::{App, Screen};
use crate::tui::msg::Command;
use crate::tui::state::review::{Decision, DecisionKind, ReviewItem, ReviewState, reason};

/// How pressing a review item is (sorts ascending: most pressing first).
type Urgency = (i32, u8, chrono::DateTime<chrono::Utc>);

/// Builds the queue from the sessions now visible (the filter applies), most pressing first.
pub fn open(app: &mut App) -> Vec<Command> {
    let mut items: Vec<(ReviewItem, Urgency)> = Vec::new();
    for &i in &app.sessions.view {
        let Some(s) = app.sessions.all.get(i) else {
            continue;
        };
        let Some(r) = reason(s, app.assess.get(&s.id), app.reviews.get(&s.id)) else {
            continue;
        };
        let sh = app.shown(s);
        let risk = -(sh.risk.map(|r| r.rank() as i32 + 1).unwrap_or(0));
        let key = (risk, sh.priority.unwrap_or(9), s.start);
        items.push((
            ReviewItem {
                session_id: s.id.clone(),
                reason: r,
            },
            key,
        ));
    }
    items.sort_by(|a, b| a.0.reason.cmp(&b.0.reason).then(a.1.cmp(&b.1)));
    let n = items.len();
    app.review = Some(ReviewState {
        queue: items.into_iter().map(|(i, _)| i).collect(),
        ..Default::default()
    });
    app.push(Screen::Review);
    if n == 0 {
        app.info("nothing needs a review in the sessions shown");
    }
    Vec::new()
}

pub fn action(app: &mut App, action: Action) -> Vec<Command> {
    let Some(item) = app.review.as_ref().and_then(|r| r.current()).cloned() else {
        return if action == Action::Undo {
            undo(app)
        } else {
            Vec::new()
        };
    };
    match action {
        Action::Accept => accept(app, &item.session_id),
        Action::Correct => {
            super::form::open(app, &item.session_id);
            if app.form.is_some()
                && let Some(r) = app.review.as_mut()
            {
                r.correcting = Some(r.pos);
            }
            Vec::new()
        }
        Action::Skip => {
            if let Some(r) = app.review.as_mut() {
                r.decisions.push(Decision {
                    pos: r.pos,
                    kind: DecisionKind::Skipped,
                    previous: None,
                    request: None,
                });
                r.pos += 1;
            }
            Vec::new()
        }
        Action::Undo => undo(app),
        Action::Open => super::open_session(app, &item.session_id, None),
        _ => Vec::new(),
    }
}

/// Stores a confirmation of the verdict shown (as the form would pre-fill it). A session with
/// no verdict yet (neither assessed nor reviewed) has nothing to confirm: accepting would
/// store a cause the reviewer was never shown.
fn accept(app: &mut App, session_id: &str) -> Vec<Command> {
    // Exactly when the row shows "no verdict".
    let shown = app.sessions.get(session_id).map(|s| app.shown(s).cause);
    if shown == Some(None) {
        app.info("no verdict to accept yet: a assesses the session, c sets the verdict");
        return Vec::new();
    }
    let Some(form) = super::form::prefill(app, session_id) else {
        return Vec::new();
    };
    let request = app.request_id();
    let c = form.to_correction(
        &app.case_name,
        CorrectionKind::Confirmation,
        &app.analyst,
        (app.clock)(),
    );
    // Shown as reviewed at once; the stored row (with its id) replaces it when saved.
    let previous = app.reviews.insert(session_id.to_string(), c.clone());
    if let Some(r) = app.review.as_mut() {
        r.decisions.push(Decision {
            pos: r.pos,
            kind: DecisionKind::Accepted,
            previous,
            request: Some(request),
        });
        r.pos += 1;
    }
    vec![Command::SaveCorrection {
        request,
        correction: c,
    }]
}

/// Takes back the last decision. With a correction in force before it, that one is appended
/// again (a new row: history is never rewritten). Without one there is nothing to append
/// (the store has no "unreviewed" row kind), so the session is only shown unreviewed again
/// here; the stored row stays in the history and counts again after a restart.
fn undo(app: &mut App) -> Vec<Command> {
    let request = app.next_request;
    let created = (app.clock)();
    let Some(r) = app.review.as_mut() else {
        return Vec::new();
    };
    let Some(d) = r.decisions.pop() else {
        app.info("nothing to undo");
        return Vec::new();
    };
    r.pos = d.pos;
    let Some(item) = r.queue.get(d.pos).cloned() else {
        return Vec::new();
    };
    if d.kind == DecisionKind::Skipped {
        return Vec::new();
    }
    if let Some(req) = d.request {
        r.undone.insert(req);
    }
    let out = match d.previous {
        Some(prev) => {
            let mut restored = prev.clone();
            restored.id = 0;
            restored.created = created;
            restored.rationale =
                format!("undo: restores correction #{}. {}", prev.id, prev.rationale)
                    .trim()
                    .to_string();
            app.next_request += 1;
            app.reviews
                .insert(item.session_id.clone(), restored.clone());
            vec![Command::SaveCorrection {
                request,
                correction: restored,
            }]
        }
        None => {
            app.reviews.remove(&item.session_id);
            app.info(
                "undone in this session; the stored decision stays in the append-only history",
            );
            Vec::new()
        }
    };
    app.rebuild_view();
    out
}
