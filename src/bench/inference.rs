//! `lookout bench inference`: assessment throughput and latency against one OpenAI-compatible
//! server with 1, 2, 4 … concurrent clients (threads of this process, each with its own
//! assessor, sharing one client whose request limit is the number of clients). Every client
//! count assesses the same sessions, uncached; the caller prints the figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context;

use super::assess::percentile;
use crate::assess::remote::{RemoteEngine, RemoteOptions, UNAVAILABLE};
use crate::assess::run::most_severe_first;
use crate::assess::{AssessInput, AssessOptions, Assessor, input};
use crate::attack::Catalog;
use crate::case::Case;
use crate::config::Config;

/// The figures of one client count.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub clients: usize,
    pub assessments: usize,
    /// Assessments whose answer could not be used (server unavailable, off-schema).
    pub failed: usize,
    pub wall_s: f64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub mean_prompt_tokens: f64,
    pub mean_completion_tokens: f64,
}

impl Round {
    pub fn per_s(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.assessments as f64 / self.wall_s
        } else {
            0.0
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InferenceReport {
    pub url: String,
    pub model: String,
    pub sessions: usize,
    pub rounds: Vec<Round>,
}

impl std::fmt::Display for InferenceReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "server           {}", self.url)?;
        writeln!(f, "model            {}", self.model)?;
        writeln!(
            f,
            "sessions         {} per client count, uncached",
            self.sessions
        )?;
        writeln!(
            f,
            "{:>7}  {:>13}  {:>7}  {:>7}  {:>6}  {:>13}",
            "clients", "assessments/s", "p50 ms", "p95 ms", "failed", "tokens/answer"
        )?;
        for r in &self.rounds {
            writeln!(
                f,
                "{:>7}  {:>13.2}  {:>7}  {:>7}  {:>6}  {:>6.0} / {:<4.0}",
                r.clients,
                r.per_s(),
                r.p50_ms,
                r.p95_ms,
                r.failed,
                r.mean_prompt_tokens,
                r.mean_completion_tokens
            )?;
        }
        writeln!(f, "(tokens/answer: prompt / answer, means)")
    }
}

/// The benchmark over up to `limit` sessions of the case (most severe first) against `url`.
pub fn run(
    case: &Case,
    config: &Config,
    url: &str,
    clients: &[usize],
    limit: usize,
) -> anyhow::Result<InferenceReport> {
    let mut sessions = case.sessions()?;
    if sessions.is_empty() {
        anyhow::bail!("case {} has no sessions: ingest logs first", case.name);
    }
    most_severe_first(&mut sessions);
    let inputs: Vec<AssessInput> = sessions
        .iter()
        .take(limit.max(1))
        .map(|s| {
            Ok(input::build(
                &case.view(),
                s,
                config,
                None,
                config.model.fewshot,
            )?)
        })
        .collect::<anyhow::Result<_>>()?;
    let catalog = Catalog::load_default().context("loading the ATT&CK catalog")?;
    let base = RemoteOptions::from_config(url, &config.model);
    // One request first, unmeasured: the server loads its model's pages, the client learns
    // the model's name.
    let warm = Assessor::remote(
        Arc::new(RemoteEngine::new(base.clone())?),
        catalog.clone(),
        AssessOptions::default(),
    );
    let first = warm.assess(&inputs[0])?;
    if unusable(&first) {
        anyhow::bail!(
            "the server's first answer was unusable: {}",
            first.adjustments.first().cloned().unwrap_or_default()
        );
    }
    let mut rounds = Vec::new();
    for &n in clients {
        let engine = Arc::new(RemoteEngine::new(RemoteOptions {
            concurrency: n.max(1),
            ..base.clone()
        })?);
        rounds.push(round(&engine, &catalog, &inputs, n.max(1)));
    }
    Ok(InferenceReport {
        url: base.url,
        model: first.model_id,
        sessions: inputs.len(),
        rounds,
    })
}

fn unusable(a: &crate::model::Assessment) -> bool {
    a.model_verdict.is_none()
        || a.adjustments
            .first()
            .is_some_and(|n| n.starts_with(UNAVAILABLE))
}

/// `clients` threads take the inputs in turn until none is left.
fn round(
    engine: &Arc<RemoteEngine>,
    catalog: &Catalog,
    inputs: &[AssessInput],
    clients: usize,
) -> Round {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            let tx = tx.clone();
            let next = &next;
            let assessor =
                Assessor::remote(engine.clone(), catalog.clone(), AssessOptions::default());
            s.spawn(move || {
                while let Some(i) = inputs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    // An error here is a store error, and the benchmark has no store.
                    let _ = tx.send(assessor.assess(i).ok());
                }
            });
        }
    });
    let wall_s = start.elapsed().as_secs_f64();
    drop(tx);
    let (mut latencies, mut failed, mut ptok, mut ctok) = (Vec::new(), 0, 0, 0);
    for a in rx.into_iter().flatten() {
        failed += usize::from(unusable(&a));
        latencies.push(a.latency_ms);
        ptok += a.prompt_tokens;
        ctok += a.completion_tokens;
    }
    let n = latencies.len().max(1) as f64;
    Round {
        clients,
        assessments: latencies.len(),
        failed,
        wall_s,
        p50_ms: percentile(&latencies, 50),
        p95_ms: percentile(&latencies, 95),
        mean_prompt_tokens: ptok as f64 / n,
        mean_completion_tokens: ctok as f64 / n,
    }
}
