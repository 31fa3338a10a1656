//! Worker results that are not tied to one screen: the case at start-up and assessment updates.

use crate::assess::AssessState;
use crate::store::Correction;
use crate::tui::app::App;
use crate::tui::backend::AssessUpdate;
use crate::tui::msg::{Command, Loaded};

pub fn sessions_loaded(app: &mut App, result: Result<Loaded, String>) -> Vec<Command> {
    match result {
        Ok(loaded) => {
            let ids: Vec<String> = loaded.sessions.iter().map(|s| s.id.clone()).collect();
            app.sessions.set_sessions(loaded.sessions);
            // Oldest first, so the latest per session ends up in force.
            for c in loaded.corrections {
                app.reviews.insert(c.session_id.clone(), c);
            }
            app.rebuild_view();
            let mut out = vec![Command::LoadCachedAssessments { session_ids: ids }];
            if app.auto_assess {
                out.extend(super::queue::start_all(app));
            }
            if app.review_only {
                out.extend(super::review::open(app));
            }
            out
        }
        Err(e) => {
            app.sessions.loaded = true;
            app.sessions.load_error = Some(e.clone());
            app.error(e);
            Vec::new()
        }
    }
}

/// Other analysts' corrections, as the store announced them: each becomes the one in force
/// for its session unless a newer one is already shown. This analyst's own come back through
/// `CorrectionSaved` (with the review's undo bookkeeping), so they are left to it.
pub fn corrections_arrived(app: &mut App, list: Vec<Correction>) -> Vec<Command> {
    let mut changed = 0;
    for c in list.into_iter().filter(|c| c.analyst != app.analyst) {
        let newer = app
            .reviews
            .get(&c.session_id)
            .is_some_and(|shown| shown.id >= c.id);
        if !newer {
            app.reviews.insert(c.session_id.clone(), c);
            changed += 1;
        }
    }
    if changed > 0 {
        app.rebuild_view();
        app.info(format!("{changed} correction(s) from other analysts"));
    }
    Vec::new()
}

pub fn assess_update(app: &mut App, u: AssessUpdate) -> Vec<Command> {
    let id = u.session_id.clone();
    // A stored model answer loaded while the session waits in the background queue (filled
    // before the store answered): nothing is left for the model to do.
    let cached_answer = u.request == 0
        && u.state == AssessState::FromCache
        && u.assessment
            .as_ref()
            .is_some_and(|a| a.model_verdict.is_some());
    if cached_answer && app.queue.remove(&id) {
        // Back to "no request": the stored answer below then applies as it would have.
        if let Some(e) = app.assess.get_mut(&id) {
            e.request = 0;
        }
    }
    // Only a new verdict (or a changed state) moves rows; streamed tokens do not.
    let affects_view = u.assessment.is_some() || !matches!(u.state, AssessState::Running);
    // Whether the update is current or stale for the row, it may end a queued assessment.
    let next = super::queue::on_update(app, &u);
    let entry = app.assess.entry(id).or_default();
    if entry.apply(u) && affects_view {
        app.rebuild_view();
    }
    next
}
