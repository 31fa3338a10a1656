//! Renders a [`Report`] as Markdown: tables that read well raw in a terminal, and bar charts
//! (F1, MCC, precision at the lowest prevalence) in fenced blocks.

use std::fmt::Write;

use super::chart::bar_chart;
use super::report::{MethodReport, Report, format_prevalence};

/// Cells come from method names and labels files: keep them on one line and inside their cell.
pub(super) fn cell(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Three decimals, or "n/a".
pub(super) fn f3(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}"))
}

/// One decimal, or "n/a".
pub(super) fn dec1(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}"))
}

pub(super) fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{:.1}%", v * 100.0))
}

pub(super) fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

/// A table with one row per method, made by `row`.
pub(super) fn method_table(
    out: &mut String,
    r: &Report,
    header: &[&str],
    row: impl Fn(&MethodReport) -> Vec<String>,
) {
    let rows: Vec<Vec<String>> = r.methods.iter().map(row).collect();
    table(out, header, &rows);
}

const BAR_WIDTH: usize = 30;

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let d = &r.dataset;
    o.push_str("# lookout evaluation\n\n## Dataset\n\n");
    if let Some(desc) = &d.description {
        let _ = writeln!(o, "{}\n", cell(desc));
    }
    let _ = writeln!(
        o,
        "- {} labelled sessions: {} malicious, {} legitimate, {} misconfiguration \
         (prevalence {})",
        d.sessions,
        d.malicious,
        d.legitimate,
        d.misconfiguration,
        pct(d.prevalence)
    );
    let _ = writeln!(
        o,
        "- {} hosts; {} sessions with a true risk, {} with true techniques",
        d.hosts, d.with_risk, d.with_techniques
    );
    if d.duplicate_truths > 0 {
        let _ = writeln!(o, "- {} duplicate truth rows ignored", d.duplicate_truths);
    }
    let _ = writeln!(
        o,
        "- resampling: {} draws of {} sessions per prevalence, seed {}\n",
        r.resample.rounds, r.resample.size, r.resample.seed
    );

    o.push_str("## Methods\n\n");
    method_table(
        &mut o,
        r,
        &[
            "method",
            "split",
            "how it decides",
            "predictions",
            "missing",
            "unlabelled",
        ],
        |m| {
            vec![
                cell(&m.name),
                cell(&m.split.to_string()),
                cell(m.note.as_deref().unwrap_or("")),
                m.predictions.to_string(),
                m.missing.to_string(),
                m.unlabelled.to_string(),
            ]
        },
    );
    if r.methods.iter().any(|m| m.missing > 0) {
        o.push_str("Missing predictions count as \"not flagged\" (legitimate, no risk).\n\n");
    }

    o.push_str("## Malicious vs not\n\n");
    method_table(
        &mut o,
        r,
        &[
            "method",
            "TP",
            "FP",
            "TN",
            "FN",
            "precision",
            "recall",
            "F1",
            "bal. acc.",
            "MCC",
        ],
        |m| {
            let b = &m.binary;
            let c = &b.counts;
            vec![
                cell(&m.name),
                c.tp.to_string(),
                c.fp.to_string(),
                c.tn.to_string(),
                c.fn_.to_string(),
                f3(b.precision),
                f3(b.recall),
                f3(b.f1),
                f3(b.balanced_accuracy),
                f3(b.mcc),
            ]
        },
    );
    let chart = |o: &mut String, title: &str, values: Vec<(&str, Option<f64>)>| {
        let _ = writeln!(
            o,
            "{title}\n\n```text\n{}```\n",
            bar_chart(&values, 1.0, BAR_WIDTH)
        );
    };
    chart(
        &mut o,
        "F1",
        r.methods
            .iter()
            .map(|m| (m.name.as_str(), m.binary.f1))
            .collect(),
    );
    chart(
        &mut o,
        "MCC",
        r.methods
            .iter()
            .map(|m| (m.name.as_str(), m.binary.mcc))
            .collect(),
    );

    if !r.prevalences.is_empty() {
        o.push_str("## At other prevalences\n\n");
        o.push_str(
            "Analytic precision follows exactly from TPR and FPR; resampled figures pool the \
             draws above.\n\n",
        );
        let mut rows = Vec::new();
        for m in &r.methods {
            for p in &m.at_prevalence {
                rows.push(vec![
                    cell(&m.name),
                    format_prevalence(p.prevalence),
                    f3(p.analytic_precision),
                    f3(p.resampled_precision),
                    f3(p.analytic_recall),
                    f3(p.resampled_recall),
                ]);
            }
        }
        table(
            &mut o,
            &[
                "method",
                "prevalence",
                "precision (analytic)",
                "precision (resampled)",
                "recall",
                "recall (resampled)",
            ],
            &rows,
        );
        if let Some(low) = r.prevalences.iter().copied().min_by(f64::total_cmp) {
            let values = r
                .methods
                .iter()
                .map(|m| {
                    let p = m.at_prevalence.iter().find(|p| p.prevalence == low);
                    (m.name.as_str(), p.and_then(|p| p.analytic_precision))
                })
                .collect();
            chart(
                &mut o,
                &format!("Precision at {}", format_prevalence(low)),
                values,
            );
        }
    }

    super::markdown_details::render_details(r, &mut o);
    o.push_str("## Choice of combination\n\n");
    o.push_str(&r.choice);
    o.push('\n');
    o
}
