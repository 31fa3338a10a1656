//! `lookout bench assess`: model load time, per-session latency (p50/p95), prompt and
//! generation speed, peak memory; optionally llama.cpp's `llama-bench` on the same file and
//! token counts for comparison. The caller prints the figures; nothing is asserted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::{mib, peak_rss_bytes};
use crate::assess::input;
use crate::assess::run::{model_path, most_severe_first};
use crate::assess::{AssessError, AssessInput, AssessOptions, Assessor};
use crate::attack::Catalog;
use crate::case::Case;
use crate::config::Config;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub model: String,
    pub load_ms: u64,
    pub sessions: usize,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub mean_prompt_tokens: f64,
    pub mean_completion_tokens: f64,
    /// Prompt tokens per second of prefill (all sessions' tokens over their prefill time).
    pub prompt_tok_per_s: f64,
    pub gen_tok_per_s: f64,
    /// `VmHWM` of this process after the sessions (before the prefill probe), in MiB.
    pub peak_rss_mib: Option<f64>,
    /// Prefill of one fresh prompt (nothing from the prefix cache): its tokens and tokens/s.
    pub prefill_probe: Option<(usize, f64)>,
    /// llama.cpp's `llama-bench` output for the same model and token counts, when asked.
    pub llama_bench: Option<String>,
    /// llama.cpp's `llama-batched-bench` (beside `llama-bench`) for the same prompt and answer
    /// lengths and the batch widths of `batch`, when both were asked for.
    #[serde(default)]
    pub llama_batched_bench: Option<String>,
    /// The same sessions with several decoded together, per batch width, when asked.
    pub batch: Vec<super::assess_batch::BatchRound>,
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "model            {}", self.model)?;
        writeln!(f, "load             {} ms", self.load_ms)?;
        writeln!(f, "sessions         {}", self.sessions)?;
        writeln!(f, "latency p50/p95  {} / {} ms", self.p50_ms, self.p95_ms)?;
        writeln!(
            f,
            "tokens/session   {:.0} prompt, {:.0} answer",
            self.mean_prompt_tokens, self.mean_completion_tokens
        )?;
        writeln!(f, "prefill          {:.1} tok/s", self.prompt_tok_per_s)?;
        // Answer tokens over decode time: grammar-forced tokens (JSON keys and punctuation)
        // are included, and the engine runs them in chunks rather than one step each.
        writeln!(
            f,
            "generation       {:.1} tok/s (forced tokens included)",
            self.gen_tok_per_s
        )?;
        if let Some((tokens, speed)) = self.prefill_probe {
            writeln!(
                f,
                "prefill @{tokens:<7} {speed:.1} tok/s (one fresh prompt, wall time)"
            )?;
        }
        match self.peak_rss_mib {
            Some(m) => writeln!(f, "peak RSS         {m:.0} MiB")?,
            None => writeln!(f, "peak RSS         (unknown)")?,
        }
        if !self.batch.is_empty() {
            writeln!(
                f,
                "\nbatched (sessions decoded together, fresh engine per width, no cache):"
            )?;
            write!(f, "{}", super::assess_batch::table(&self.batch))?;
        }
        if let Some(l) = &self.llama_bench {
            // tgN @ dP: N answer tokens after a context of P tokens, as a session's answer is
            // decoded; lookout's generation figure above is that, forced tokens included.
            writeln!(
                f,
                "\nllama.cpp llama-bench (tg @ d: generation after the prompt):\n{l}"
            )?;
        }
        if let Some(l) = &self.llama_batched_bench {
            writeln!(
                f,
                "\nllama.cpp llama-batched-bench (B sequences of PP prompt + TG answer tokens):\n{l}"
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct BenchOptions {
    pub model: Option<PathBuf>,
    pub threads: usize,
    /// Path of llama.cpp's `llama-bench` binary to compare with.
    pub compare_llama: Option<PathBuf>,
    /// Prompt length of the fresh-prompt prefill figure (0: not measured).
    pub prefill_tokens: usize,
    /// Batch widths to compare (`--batch 1,2,4,8`; empty: none).
    pub batch: Vec<usize>,
}

/// The benchmark over up to `limit` sessions of the case, most severe first (as `assess --all`
/// takes them), with the model of `model` or the config.
pub fn run(
    case: &Case,
    config: &Config,
    model: Option<PathBuf>,
    compare_llama: Option<PathBuf>,
    limit: usize,
    prefill_tokens: usize,
    batch: Vec<usize>,
) -> anyhow::Result<BenchReport> {
    let mut sessions = case.sessions()?;
    if sessions.is_empty() {
        anyhow::bail!(
            "case {} has no sessions to assess: `lookout --case {} ingest PATH` first",
            case.name,
            case.name
        );
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
    Ok(measure(
        &inputs,
        catalog,
        &BenchOptions {
            model: model_path(&model, config),
            threads: config.model.threads,
            compare_llama,
            prefill_tokens,
            batch,
        },
    )?)
}

/// Loads the model, assesses every input once (no cache), and reports the figures.
pub fn measure(
    inputs: &[AssessInput],
    catalog: Catalog,
    opts: &BenchOptions,
) -> Result<BenchReport, AssessError> {
    let load_start = Instant::now();
    let assessor = Assessor::new(
        opts.model.as_deref(),
        catalog.clone(),
        AssessOptions {
            threads: opts.threads,
            ..AssessOptions::default()
        },
    )?;
    let load_ms = load_start.elapsed().as_millis() as u64;
    let mut latencies = Vec::new();
    let (mut ptok, mut ctok) = (0usize, 0usize);
    for input in inputs {
        let a = assessor.assess(input)?;
        latencies.push(a.latency_ms);
        ptok += a.prompt_tokens;
        ctok += a.completion_tokens;
    }
    let n = inputs.len().max(1) as f64;
    let stats = assessor.stats();
    // Peak memory of the sessions' work, before the long probe prompt adds its own.
    let peak_rss_mib = peak_rss_bytes().map(mib);
    let prefill_probe = match opts.prefill_tokens {
        0 => None,
        tokens => assessor.prefill_probe(tokens)?,
    };
    let mut prompts = vec![(ptok as f64 / n).round() as usize];
    prompts.extend(prefill_probe.map(|(tokens, _)| tokens));
    let answer_tokens = (ctok as f64 / n).round() as usize;
    // llama.cpp's tools on the same GGUF (the model file is resolved once for both).
    let (llama_bench, llama_batched_bench) = match &opts.compare_llama {
        Some(bin) => {
            let model = assessor_model_path(opts)?;
            let single = llama_bench(bin, &model, &prompts, answer_tokens, opts.threads);
            let batched = (!opts.batch.is_empty()).then(|| {
                llama_batched_bench(
                    &bin.with_file_name("llama-batched-bench"),
                    &model,
                    prompts[0],
                    answer_tokens,
                    &opts.batch,
                    opts.threads,
                )
            });
            (Some(single), batched)
        }
        None => (None, None),
    };
    let model = assessor.model_id().to_string();
    // One engine at a time: the batched rounds load their own.
    drop(assessor);
    let batch = super::assess_batch::rounds(inputs, &catalog, opts, &opts.batch)?;
    Ok(BenchReport {
        model,
        load_ms,
        sessions: inputs.len(),
        p50_ms: percentile(&latencies, 50),
        p95_ms: percentile(&latencies, 95),
        mean_prompt_tokens: ptok as f64 / n,
        mean_completion_tokens: ctok as f64 / n,
        prompt_tok_per_s: stats.prompt_tok_per_s(),
        gen_tok_per_s: stats.gen_tok_per_s(),
        peak_rss_mib,
        prefill_probe,
        llama_bench,
        llama_batched_bench,
        batch,
    })
}

fn assessor_model_path(opts: &BenchOptions) -> Result<PathBuf, AssessError> {
    Ok(crate::assess::model_file::default_model(
        opts.model.as_deref(),
    )?)
}

/// The `p`th percentile (nearest rank) of `values`, 0 when empty.
pub fn percentile(values: &[u64], p: usize) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let rank = (p * v.len()).div_ceil(100).clamp(1, v.len());
    v[rank - 1]
}

/// Runs `llama-bench -m MODEL -p PROMPT,... -n GEN -d 0,PROMPT -t THREADS` and returns its
/// table (or the error, as text: a comparison that cannot run should not fail the benchmark).
/// The depth list measures generation both on an empty context and after the sessions' mean
/// prompt, where an answer is actually decoded (attention over the prompt costs per token).
pub fn llama_bench(
    bin: &Path,
    model: &Path,
    prompts: &[usize],
    gen_tokens: usize,
    threads: usize,
) -> String {
    let mut cmd = Command::new(bin);
    cmd.arg("-m").arg(model);
    let depth = prompts.first().copied().unwrap_or(0);
    let prompts: Vec<String> = prompts.iter().map(|p| p.max(&1).to_string()).collect();
    cmd.arg("-p").arg(prompts.join(","));
    cmd.arg("-n").arg(gen_tokens.max(1).to_string());
    cmd.arg("-d").arg(format!("0,{depth}"));
    if threads > 0 {
        cmd.arg("-t").arg(threads.to_string());
    }
    run_reference(cmd, bin)
}

/// Runs `llama-batched-bench` with `batches` sequences of `prompt` + `gen_tokens` tokens each
/// (its table, or the error as text).
pub fn llama_batched_bench(
    bin: &Path,
    model: &Path,
    prompt: usize,
    gen_tokens: usize,
    batches: &[usize],
    threads: usize,
) -> String {
    let widest = batches.iter().copied().max().unwrap_or(1).max(1);
    let mut cmd = Command::new(bin);
    cmd.arg("-m").arg(model);
    // Room for every sequence's prompt and answer in one KV cache.
    cmd.arg("-c")
        .arg(((prompt + gen_tokens + 16) * widest).to_string());
    cmd.args(["-b", "2048", "-ub", "512"]);
    cmd.arg("-npp").arg(prompt.max(1).to_string());
    cmd.arg("-ntg").arg(gen_tokens.max(1).to_string());
    let widths: Vec<String> = batches.iter().map(|b| b.max(&1).to_string()).collect();
    cmd.arg("-npl").arg(widths.join(","));
    if threads > 0 {
        cmd.arg("-t").arg(threads.to_string());
    }
    run_reference(cmd, bin)
}

/// A reference tool's table rows (its log lines dropped), or why it did not run.
fn run_reference(mut cmd: Command, bin: &Path) -> String {
    let name = bin.file_name().map_or_else(
        || bin.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    match cmd.output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with('|') || l.starts_with("build"))
            .map(|l| format!("{l}\n"))
            .collect(),
        Ok(o) => format!(
            "{name} failed ({}): {}",
            o.status,
            crate::text::one_line(&String::from_utf8_lossy(&o.stderr), 400)
        ),
        Err(e) => format!("{name} {}: {e}", bin.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50), 0);
        assert_eq!(percentile(&[7], 95), 7);
        let v: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile(&v, 50), 10);
        assert_eq!(percentile(&v, 95), 19);
        assert_eq!(percentile(&v, 100), 20);
    }
}
