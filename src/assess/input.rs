//! What one assessment reads: the session, its condensed timeline, its rule hits, and the
//! learned prior's evidence when there is one; and [`build`], the one place that gathers them
//! for a stored session (the CLI, the workbench, export and eval all call it).

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::detect::candidates;
use crate::event::Risk;
use crate::model::{
    Candidate, FewShotExample, Hit, PriorEvidence, PriorSource, Session, SessionDetection,
};
use crate::sessions::{CaseView, ViewError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessInput {
    pub session: Session,
    /// The condensed timeline as text (`Timeline::render()`): untrusted log text.
    pub timeline_text: String,
    /// The rule hits of the session's events.
    pub hits: Vec<Hit>,
    pub prior: Option<PriorEvidence>,
    /// Worked examples: labelled or corrected sessions like this one (of other hosts), shown
    /// before it in the prompt (`model.fewshot`; none by default).
    #[serde(default)]
    pub examples: Vec<FewShotExample>,
    /// Techniques whose public procedures match what the session did (`detect::candidates`):
    /// suggestions for the model to pick from, not findings.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
}

impl AssessInput {
    /// The session's rule evidence, one entry per rule, most severe first: the session's
    /// aggregated detections, or the raw hits aggregated here when the session has none.
    pub fn detections(&self) -> Vec<SessionDetection> {
        let mut out = self.session.detections.clone();
        if out.is_empty() {
            for h in &self.hits {
                match out.iter_mut().find(|d| *d.rule_id == *h.rule_id) {
                    Some(d) => {
                        d.count += 1;
                        if d.event_ids.len() < 5 && !d.event_ids.contains(&h.event_id) {
                            d.event_ids.push(h.event_id.clone());
                        }
                    }
                    None => out.push(SessionDetection {
                        rule_id: h.rule_id.to_string(),
                        title: h.title.to_string(),
                        level: h.level,
                        techniques: h.techniques.to_vec(),
                        count: 1,
                        event_ids: vec![h.event_id.clone()],
                    }),
                }
            }
        }
        out.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(b.count.cmp(&a.count))
                .then(a.title.cmp(&b.title))
        });
        out
    }

    /// The highest rule level among the detections.
    pub fn max_rule_level(&self) -> Option<Risk> {
        self.detections().iter().map(|d| d.level).max()
    }
}

/// The input of one stored session: its condensed timeline (`sessions.timeline_tokens` of the
/// config), its hits, and, when a prior is given, the prior's evidence with `fewshot` worked
/// examples (its nearest judged sessions that are still in the case, most similar first).
pub fn build(
    view: &CaseView,
    session: &Session,
    config: &Config,
    prior: Option<&dyn PriorSource>,
    fewshot: usize,
) -> Result<AssessInput, ViewError> {
    build_seen_by(view, session, config, prior, fewshot, &|_| true)
}

/// The input as a case whose rule set holds only the rules `keep` accepts (by rule id) would
/// build it: the other rules' hits are in neither the rule section nor the timeline. Training
/// uses it to show a session as lookout's built-in rules alone see it, or with no rule at all.
pub fn build_seen_by(
    view: &CaseView,
    session: &Session,
    config: &Config,
    prior: Option<&dyn PriorSource>,
    fewshot: usize,
    keep: &dyn Fn(&str) -> bool,
) -> Result<AssessInput, ViewError> {
    let (timeline, events, hits) =
        view.timeline_seen_by(session, config.sessions.timeline_tokens, false, keep)?;
    let mut session = session.clone();
    session.detections.retain(|d| keep(&d.rule_id));
    // Without an installed catalog the session is assessed without candidates, as before.
    let candidates = match config.candidates.in_prompt {
        true => candidates::shared(config.candidates.atomics.as_deref())
            .map(|ix| ix.candidates(&events, config.candidates.top_k))
            .unwrap_or_default(),
        false => Vec::new(),
    };
    let evidence = prior.and_then(|p| p.evidence(&session, fewshot));
    let mut examples = Vec::new();
    if let Some((_, refs)) = &evidence {
        for r in refs {
            // A correction may be of another case's session, or of one re-sessionized away.
            let Some(s) = view.store.session(view.name, &r.session_id)? else {
                continue;
            };
            examples.push(FewShotExample {
                session: s,
                cause: r.cause,
                risk: r.risk,
                techniques: r.techniques.clone(),
            });
        }
    }
    Ok(AssessInput {
        session,
        timeline_text: timeline.render(),
        hits,
        prior: evidence.map(|(e, _)| e),
        examples,
        candidates,
    })
}
