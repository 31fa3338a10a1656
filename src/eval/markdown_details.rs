//! The detail sections of the Markdown report: cause confusion, risk, techniques and cost.

use std::fmt::Write;

use super::by_rules::RuleEvidence;
use super::markdown::{cell, dec1, f3, method_table, table};
use super::report::{MethodReport, Report};
use super::techniques::TechniqueScores;
use crate::event::Cause;

/// Rows of the per-technique coverage table shown at most: the rest is in the JSON.
const MAX_TECHNIQUE_ROWS: usize = 30;

pub(super) fn render_details(r: &Report, o: &mut String) {
    o.push_str("## Cause (3 classes)\n\n");
    method_table(
        o,
        r,
        &[
            "method",
            "accuracy",
            "macro-F1",
            "F1 malicious",
            "F1 legitimate",
            "F1 misconfig.",
        ],
        |m| {
            let mut row = vec![cell(&m.name), f3(m.cause.accuracy), f3(m.cause.macro_f1)];
            row.extend(m.cause.per_class.iter().map(|c| f3(c.f1)));
            row
        },
    );
    let mut header = vec!["truth \\ predicted"];
    header.extend(Cause::ALL.iter().map(|c| c.as_str()));
    for m in &r.methods {
        let _ = writeln!(o, "Confusion, {}:\n", cell(&m.name));
        let rows: Vec<Vec<String>> = Cause::ALL
            .iter()
            .zip(&m.cause.matrix)
            .map(|(c, counts)| {
                let mut row = vec![c.as_str().to_string()];
                row.extend(counts.iter().map(u64::to_string));
                row
            })
            .collect();
        table(o, &header, &rows);
    }

    o.push_str("## Risk level\n\n");
    method_table(
        o,
        r,
        &[
            "method",
            "with true risk",
            "answered",
            "exact",
            "within one",
        ],
        |m| {
            vec![
                cell(&m.name),
                m.risk.n.to_string(),
                m.risk.answered.to_string(),
                f3(m.risk.exact),
                f3(m.risk.within_one),
            ]
        },
    );

    o.push_str("## ATT&CK techniques\n\n");
    method_table(o, r, &TECHNIQUE_COLUMNS, |m| {
        technique_row(m, &m.techniques)
    });
    if r.methods.iter().any(|m| m.techniques_unseen.is_some()) {
        o.push_str("Over the sessions whose true techniques were all unseen in training:\n\n");
        method_table(o, r, &TECHNIQUE_COLUMNS, |m| {
            technique_row(m, &m.techniques_unseen.clone().unwrap_or_default())
        });
    }
    for evidence in RuleEvidence::ALL {
        let of = |m: &MethodReport| {
            m.techniques_by_rules
                .iter()
                .find(|e| e.evidence == evidence)
                .map(|e| e.scores.clone())
        };
        if r.methods.iter().any(|m| of(m).is_some_and(|s| s.n > 0)) {
            o.push_str(&format!(
                "Over the sessions where {} (by the tags of their rule hits):\n\n",
                evidence.label()
            ));
            method_table(o, r, &TECHNIQUE_COLUMNS, |m| {
                technique_row(m, &of(m).unwrap_or_default())
            });
        }
    }
    technique_coverage(r, o);

    o.push_str("## Cost\n\n");
    method_table(
        o,
        r,
        &["method", "sessions", "sessions/s", "mean ms", "p95 ms"],
        |m| {
            let c = &m.cost;
            vec![
                cell(&m.name),
                c.n.to_string(),
                dec1(c.sessions_per_s),
                dec1(c.mean_ms),
                dec1(c.p95_ms),
            ]
        },
    );
}

/// One row per true technique (most supported first), one `hits/support` column per method,
/// and the false alarms each method raised for it.
fn technique_coverage(r: &Report, o: &mut String) {
    // Support is a property of the truth, the same in every method's table.
    let mut techniques: Vec<(String, u64)> = Vec::new();
    for m in &r.methods {
        for row in &m.techniques.per_technique {
            if row.support > 0 && !techniques.iter().any(|(t, _)| *t == row.technique) {
                techniques.push((row.technique.clone(), row.support));
            }
        }
    }
    if techniques.is_empty() {
        return;
    }
    techniques.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let shown = techniques.len().min(MAX_TECHNIQUE_ROWS);
    o.push_str("Coverage per technique (hits/support, false alarms in brackets):\n\n");
    let mut header = vec!["technique".to_string(), "support".to_string()];
    header.extend(r.methods.iter().map(|m| cell(&m.name)));
    let rows: Vec<Vec<String>> = techniques[..shown]
        .iter()
        .map(|(t, support)| {
            let mut row = vec![cell(t), support.to_string()];
            for m in &r.methods {
                let hit = m
                    .techniques
                    .per_technique
                    .iter()
                    .find(|x| x.technique == *t);
                row.push(hit.map_or_else(
                    || format!("0/{support}"),
                    |x| format!("{}/{} ({})", x.hits, x.support, x.false_alarms),
                ));
            }
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(o, &header, &rows);
    if techniques.len() > shown {
        let _ = writeln!(
            o,
            "… and {} more in the JSON report.\n",
            techniques.len() - shown
        );
    }
}

const TECHNIQUE_COLUMNS: [&str; 6] = [
    "method",
    "sessions",
    "exact set",
    "any overlap",
    "same parent",
    "same tactic",
];

/// A method's row of a technique table.
fn technique_row(m: &MethodReport, t: &TechniqueScores) -> Vec<String> {
    vec![
        cell(&m.name),
        t.n.to_string(),
        f3(t.exact),
        f3(t.partial),
        f3(t.parent),
        f3(t.tactic),
    ]
}
