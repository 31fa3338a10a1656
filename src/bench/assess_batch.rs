//! `lookout bench assess --batch 1,2,4,8`: the same sessions assessed with 1, 2, 4 … of them
//! decoded together (a fresh engine per width, no cache): sessions per minute, the speed-up
//! over one at a time, and how many answers equal the one-at-a-time answers.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::assess::BenchOptions;
use crate::assess::{AssessError, AssessInput, AssessOptions, Assessor};
use crate::attack::Catalog;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRound {
    pub width: usize,
    pub sessions: usize,
    pub wall_s: f64,
    pub sessions_per_min: f64,
    /// Answer tokens of all sessions over the round's wall time.
    pub gen_tok_per_s: f64,
    /// Answers (the model's raw verdict JSON) equal to the first round's, session by session.
    pub same_as_first: usize,
}

/// One round per width over every input, in the order given.
pub fn rounds(
    inputs: &[AssessInput],
    catalog: &Catalog,
    opts: &BenchOptions,
    widths: &[usize],
) -> Result<Vec<BatchRound>, AssessError> {
    let mut out: Vec<BatchRound> = Vec::new();
    let mut first: Option<Vec<Option<String>>> = None;
    for &width in widths {
        let assessor = Assessor::new(
            opts.model.as_deref(),
            catalog.clone(),
            AssessOptions {
                threads: opts.threads,
                batch: width.max(1),
                ..AssessOptions::default()
            },
        )?;
        let mut answers: Vec<Option<String>> = vec![None; inputs.len()];
        let mut error = None;
        let start = Instant::now();
        assessor.assess_many(inputs, width, &|_| false, &mut |i, r| match r {
            Ok(a) => {
                answers[i] = a.model_verdict.as_ref().map(|v| v.answer_json());
                std::ops::ControlFlow::Continue(())
            }
            Err(e) => {
                error = Some(e);
                std::ops::ControlFlow::Break(())
            }
        })?;
        if let Some(e) = error {
            return Err(e);
        }
        let wall_s = start.elapsed().as_secs_f64().max(1e-3);
        let same = first.as_ref().map_or(inputs.len(), |f| {
            f.iter().zip(&answers).filter(|(a, b)| a == b).count()
        });
        first.get_or_insert(answers);
        out.push(BatchRound {
            width,
            sessions: inputs.len(),
            wall_s,
            sessions_per_min: inputs.len() as f64 * 60.0 / wall_s,
            gen_tok_per_s: assessor.stats().gen_tokens as f64 / wall_s,
            same_as_first: same,
        });
    }
    Ok(out)
}

/// The rounds as a table, with each width's speed-up over the first.
pub fn table(rounds: &[BatchRound]) -> String {
    let mut s = String::from(
        "batch  sessions  wall s  sessions/min  speed-up  answer tok/s  same answers\n",
    );
    let base = rounds.first().map_or(1.0, |r| r.sessions_per_min.max(1e-9));
    for r in rounds {
        s.push_str(&format!(
            "{:<6} {:<9} {:<7.1} {:<13.1} {:<9.2} {:<13.1} {}/{}\n",
            r.width,
            r.sessions,
            r.wall_s,
            r.sessions_per_min,
            r.sessions_per_min / base,
            r.gen_tok_per_s,
            r.same_as_first,
            r.sessions
        ));
    }
    s
}
