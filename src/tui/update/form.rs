//! The correction form and its technique picker: pre-fill, editing, save through the store
//! worker, and the saved result.

use super::{Edit, edit_text};
use crate::store::{Correction, CorrectionKind};
use crate::tui::action::{Action, Context};
use crate::tui::app::App;
use crate::tui::keymap::Key;
use crate::tui::msg::Command;
use crate::tui::state::form::{CorrectionForm, Field, Picker};
use crate::tui::state::review::{Decision, DecisionKind};
use crate::tui::state::sessions::priority_of;

const PICKER_LIMIT: usize = 200;

/// The form for a session, pre-filled with what the analyst sees: their latest correction,
/// else the assessment's verdict, else what the rules say.
pub fn prefill(app: &App, session_id: &str) -> Option<CorrectionForm> {
    let s = app.sessions.get(session_id)?;
    let original = app
        .assess
        .get(session_id)
        .and_then(|e| e.assessment.clone());
    let mut f = CorrectionForm {
        session_id: s.id.clone(),
        session_host: s.host.clone(),
        field: Field::Cause,
        cause: crate::event::Cause::Legitimate,
        risk: crate::event::Risk::Low,
        priority: 4,
        techniques: Vec::new(),
        summary: String::new(),
        rationale: String::new(),
        original: original.clone(),
        picker: None,
        saving: None,
        error: None,
    };
    if let Some(c) = app.reviews.get(session_id) {
        (f.cause, f.risk, f.techniques, f.summary) =
            (c.cause, c.risk, c.techniques.clone(), c.summary.clone());
        f.priority = c.priority.unwrap_or(priority_of(c.risk));
    } else if let Some(a) = &original {
        let v = &a.verdict;
        (f.cause, f.risk, f.techniques, f.summary) = (
            v.cause,
            v.risk_level,
            v.techniques.clone(),
            v.summary.clone(),
        );
        f.priority = v.investigation_priority.clamp(1, 4);
    } else {
        // No verdict yet: start from the rules' baseline (the `rules` method of `eval`).
        let p = crate::eval::rules_prediction(s);
        f.cause = p.cause;
        f.risk = p.risk.unwrap_or(crate::event::Risk::Low);
        f.priority = priority_of(f.risk);
        f.techniques = p.techniques;
    }
    Some(f)
}

pub fn open(app: &mut App, session_id: &str) {
    match prefill(app, session_id) {
        Some(f) => app.form = Some(f),
        None => app.error("that session is not loaded"),
    }
}

fn close(app: &mut App) {
    app.form = None;
    if let Some(r) = app.review.as_mut() {
        r.correcting = None;
    }
}

pub fn on_key(app: &mut App, key: Key) -> Vec<Command> {
    let Some(form) = app.form.as_ref() else {
        return Vec::new();
    };
    if form.picker.is_some() {
        picker_key(app, key);
        return Vec::new();
    }
    let field = form.field;
    let action = app.keymap.lookup(&[Context::Form], key);
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    match action {
        Some(Action::Cancel) => close(app),
        Some(Action::Save) => return save(app),
        Some(Action::NextField) => form.field = field.step(true),
        Some(Action::PrevField) => form.field = field.step(false),
        Some(Action::Increase) if !field.is_text() => form.cycle(true),
        Some(Action::Decrease) if !field.is_text() => form.cycle(false),
        Some(Action::Pick) if field == Field::Techniques => {
            let results = app.lookup.search("", PICKER_LIMIT);
            form.picker = Some(Picker {
                query: String::new(),
                results,
                nav: Default::default(),
            });
        }
        Some(Action::Pick) => form.field = field.step(true),
        Some(Action::RemoveTechnique) if field == Field::Techniques => {
            form.techniques.pop();
        }
        _ if field.is_text() => {
            let mut text = form.text_mut().map(std::mem::take).unwrap_or_default();
            let edit = edit_text(app, &mut text, key);
            if let Some(form) = app.form.as_mut() {
                if let Some(t) = form.text_mut() {
                    *t = text;
                }
                if edit == Edit::Submit {
                    form.field = field.step(true);
                }
            }
        }
        _ => {
            if let (Field::Priority, crossterm::event::KeyCode::Char(c @ '1'..='4')) =
                (field, key.code)
            {
                form.priority = c as u8 - b'0';
            }
        }
    }
    Vec::new()
}

fn picker_key(app: &mut App, key: Key) {
    let action = app.keymap.lookup(&[Context::Picker], key);
    let Some(picker) = app.form.as_mut().and_then(|f| f.picker.as_mut()) else {
        return;
    };
    let len = picker.results.len();
    let rows = crate::tui::layout::picker(app.size)
        .height
        .saturating_sub(4) as usize;
    match action {
        Some(Action::Up) => picker.nav.move_by(-1, len, rows),
        Some(Action::Down) => picker.nav.move_by(1, len, rows),
        Some(Action::Cancel) => {
            if let Some(f) = app.form.as_mut() {
                f.picker = None;
            }
        }
        Some(Action::Submit) => {
            let chosen = picker
                .results
                .get(picker.nav.selected)
                .map(|(id, _)| id.clone())
                .or_else(|| {
                    // Without a catalog (or for ids it lacks) a well-formed id typed in full is kept.
                    let q = picker.query.trim().to_ascii_uppercase();
                    looks_like_technique(&q).then_some(q)
                });
            if let Some(f) = app.form.as_mut() {
                if let Some(id) = chosen
                    && !f.techniques.contains(&id)
                {
                    f.techniques.push(id);
                }
                f.picker = None;
            }
        }
        _ => {
            let mut q = std::mem::take(&mut picker.query);
            let edit = edit_text(app, &mut q, key);
            let results = if edit == Edit::Changed {
                Some(app.lookup.search(&q, PICKER_LIMIT))
            } else {
                None
            };
            if let Some(p) = app.form.as_mut().and_then(|f| f.picker.as_mut()) {
                p.query = q;
                if let Some(r) = results {
                    p.results = r;
                    p.nav = Default::default();
                }
            }
        }
    }
}

/// `T1234` or `T1234.001`.
fn looks_like_technique(s: &str) -> bool {
    let b = s.as_bytes();
    let base = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    base && (b.len() == 5
        || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

pub fn save(app: &mut App) -> Vec<Command> {
    if app.form.as_ref().is_none_or(|f| f.saving.is_some()) {
        return Vec::new();
    }
    let request = app.request_id();
    let created = (app.clock)();
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    let correction = form.to_correction(
        &app.case_name,
        CorrectionKind::Correction,
        &app.analyst,
        created,
    );
    form.saving = Some(request);
    form.error = None;
    vec![Command::SaveCorrection {
        request,
        correction,
    }]
}

pub fn saved(app: &mut App, request: u64, result: Result<Correction, String>) -> Vec<Command> {
    let form_request = app.form.as_ref().and_then(|f| f.saving);
    let undone = app
        .review
        .as_ref()
        .is_some_and(|r| r.undone.contains(&request));
    match result {
        Ok(c) => {
            let previous = if undone {
                None
            } else {
                app.reviews.insert(c.session_id.clone(), c.clone())
            };
            if form_request == Some(request) {
                app.form = None;
                if let Some(r) = app.review.as_mut()
                    && let Some(pos) = r.correcting.take()
                {
                    r.decisions.push(Decision {
                        pos,
                        kind: DecisionKind::Corrected,
                        previous,
                        request: Some(request),
                    });
                    r.pos = pos + 1;
                }
                app.info(format!(
                    "correction #{} saved for session {}",
                    c.id,
                    short(&c.session_id)
                ));
            }
            app.rebuild_view();
        }
        Err(e) => match app.form.as_mut() {
            Some(f) if form_request == Some(request) => {
                f.saving = None;
                f.error = Some(e);
            }
            _ => app.error(format!("could not store the review decision: {e}")),
        },
    }
    Vec::new()
}

pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn technique_ids() {
        assert!(super::looks_like_technique("T1059"));
        assert!(super::looks_like_technique("T1059.001"));
        assert!(!super::looks_like_technique("T105"));
        assert!(!super::looks_like_technique("X1059.001"));
    }
}
