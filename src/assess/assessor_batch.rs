//! Several sessions through the assessor at once: cache hits answer at once, the rest go to
//! the engine together (continuous batching), each answer combined and cached as
//! [`Assessor::assess`] does. Without an embedded model (a server, rules only) the sessions
//! are taken one at a time.

use std::ops::ControlFlow;

use super::{AssessError, Assessor};
use crate::assess::input::AssessInput;
use crate::model::Assessment;

#[cfg(feature = "model")]
use super::Backend;
#[cfg(feature = "model")]
use crate::assess::{prompt::build_prompt, schema::verdict_schema};
#[cfg(feature = "model")]
use std::time::Instant;

impl Assessor {
    /// Assesses every input, `width` at a time through the engine; `on_done(i, result)` gets
    /// each one's assessment as it is ready (cache hits first, then in completion order) and
    /// may stop the rest (`ControlFlow::Break`). `cancelled(i)`, asked as input `i` starts and
    /// at each of its tokens, drops that one alone (it gets [`AssessError::Cancelled`]).
    /// Answers are those of [`Assessor::assess`] for the same session, up to the engine's
    /// batched arithmetic (see `tests/assess_batch.rs`).
    #[allow(clippy::type_complexity)]
    pub fn assess_many(
        &self,
        inputs: &[AssessInput],
        width: usize,
        cancelled: &dyn Fn(usize) -> bool,
        on_done: &mut dyn FnMut(usize, Result<Assessment, AssessError>) -> ControlFlow<()>,
    ) -> Result<(), AssessError> {
        #[cfg(feature = "model")]
        if let Backend::Model(engine) = &self.backend
            && width > 1
        {
            return self.assess_batched(engine, inputs, width, cancelled, on_done);
        }
        #[cfg(not(feature = "model"))]
        let _ = width;
        // One at a time: a server (its own concurrency limit), rules only, or width 1.
        for (i, input) in inputs.iter().enumerate() {
            let mut stop = |_: &str| {
                if cancelled(i) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            };
            let r = match cancelled(i) {
                true => Err(AssessError::Cancelled),
                false => self
                    .assess_streaming(input, &mut stop)
                    .and_then(|a| a.ok_or(AssessError::Cancelled)),
            };
            if on_done(i, r).is_break() {
                break;
            }
        }
        Ok(())
    }

    #[cfg(feature = "model")]
    fn assess_batched(
        &self,
        engine: &super::Engine,
        inputs: &[AssessInput],
        width: usize,
        cancelled: &dyn Fn(usize) -> bool,
        on_done: &mut dyn FnMut(usize, Result<Assessment, AssessError>) -> ControlFlow<()>,
    ) -> Result<(), AssessError> {
        // Cache hits first; the rest (their index, prompt and cache key) go to the engine.
        let mut asked = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let prompt = build_prompt(input, &self.catalog);
            let key = self.cache_key(input, &prompt);
            let hit = match &self.store {
                Some(store) => store.cached_assessment(&key)?,
                None => None,
            };
            if let Some(mut a) = hit {
                a.from_cache = true;
                if on_done(i, Ok(a)).is_break() {
                    return Ok(());
                }
            } else {
                asked.push((i, prompt, key));
            }
        }
        let prompts: Vec<_> = asked.iter().map(|(_, p, _)| p.clone()).collect();
        let start = Instant::now();
        engine.generate_many(
            &prompts,
            &verdict_schema(),
            self.max_answer_tokens,
            width,
            &|k| cancelled(asked[k].0),
            &mut |k, generated| {
                let (i, _, key) = &asked[k];
                let input = &inputs[*i];
                let result = generated.map_err(AssessError::from).and_then(|g| {
                    if g.cancelled {
                        return Err(AssessError::Cancelled);
                    }
                    // The latency of a batched answer is its own request's, not the batch's.
                    let since = Instant::now()
                        .checked_sub(std::time::Duration::from_millis(g.wall_ms))
                        .unwrap_or(start);
                    let raw = self.recorded(g);
                    let a = self.assessment_from_answer(input, &raw, since)?;
                    if let Some(store) = &self.store {
                        store.put_assessment(key, &a, &raw.text)?;
                    }
                    Ok(a)
                });
                on_done(*i, result)
            },
        )?;
        Ok(())
    }
}
