//! Instant verdicts: once sessions are built, every session with evidence (a rule hit, or a
//! learned prior from labels and corrections) gets the verdict of the rules and the prior at
//! once, stored as a rules-only assessment. The case is sorted and explained before the model
//! has run; the model's later assessment of a session becomes the latest one shown.

use anyhow::{Context, Result};

use super::Case;
use crate::assess::{AssessInput, Assessor};
use crate::attack::Catalog;
use crate::model::PriorSource;
use crate::store::Store;

/// Verdicts written per store transaction: one transaction each took over 40 minutes for the
/// 700,000 sessions of a 128 MiB auth.log under load; a few thousand keep the write lock short.
const VERDICTS_PER_TRANSACTION: usize = 2000;

/// What [`Case::instant_verdicts`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstantVerdicts {
    /// Sessions given a verdict (newly computed or already stored for the same evidence).
    pub verdicts: usize,
    /// Sessions with no evidence at all: no rule hit, no prior.
    pub without_evidence: usize,
}

impl Case {
    /// Gives every session with evidence its rules-and-prior verdict (cached by content, so
    /// a re-ingest that changes nothing computes nothing new).
    pub fn instant_verdicts(&self, catalog: &Catalog) -> Result<InstantVerdicts> {
        let view = self.view();
        let prior = crate::learn::examples::case_prior(&view)?;
        let store = Store::open_data_dir(&self.data_dir)?;
        let assessor = Assessor::rules_only(catalog.clone()).with_store(store);
        let mut batch = assessor
            .store()
            .map(|s| s.batch(VERDICTS_PER_TRANSACTION))
            .transpose()?;
        let mut out = InstantVerdicts::default();
        // One session at a time, straight from the store: a large case has millions.
        view.for_each_session(|s| {
            let prior = prior.evidence(&s, 0).map(|(e, _)| e);
            if s.detections.is_empty() && prior.is_none() {
                out.without_evidence += 1;
                return Ok(());
            }
            // Rules and prior read the session's aggregated detections, not its timeline:
            // no events are read back from the index.
            let input = AssessInput {
                session: s,
                timeline_text: String::new(),
                hits: Vec::new(),
                prior,
                examples: Vec::new(),
                candidates: Vec::new(),
            };
            assessor
                .assess(&input)
                .with_context(|| format!("instant verdict of session {}", input.session.id))?;
            out.verdicts += 1;
            if let Some(b) = &mut batch {
                b.wrote()?;
            }
            Ok::<_, anyhow::Error>(())
        })?;
        if let Some(b) = batch {
            b.finish()?;
        }
        Ok(out)
    }
}
