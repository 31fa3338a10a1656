//! `lookout eval --compare A.json B.json`: the difference between two runs per method and
//! metric (e.g. the default model against a fine-tuned one), as Markdown.

use std::fmt::Write;

use super::report::{Better, Report};

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}"))
}

/// The change from `a` to `b`, with an arrow when it is better (▲) or worse (▼); changes below
/// 0.0005 print as unchanged.
fn delta(a: Option<f64>, b: Option<f64>, better: Better) -> String {
    let (Some(a), Some(b)) = (a, b) else {
        return "n/a".to_string();
    };
    let d = b - a;
    if d.abs() < 0.0005 {
        return "=".to_string();
    }
    let improved = (d > 0.0) == (better == Better::Higher);
    format!("{d:+.3} {}", if improved { "▲" } else { "▼" })
}

/// A Markdown table of every figure of every method present in both reports, then the
/// methods present in only one. Warns when the two runs did not see the same data, since
/// their differences then mix the methods with the data.
pub fn compare(a: &Report, b: &Report) -> String {
    let mut o = String::from("# lookout evaluation: A vs B\n\n");
    let (da, db) = (&a.dataset, &b.dataset);
    let _ = writeln!(
        o,
        "- A: {} sessions ({} malicious, {} hosts)\n- B: {} sessions ({} malicious, {} hosts)",
        da.sessions, da.malicious, da.hosts, db.sessions, db.malicious, db.hosts
    );
    if (da.sessions, da.malicious, da.hosts) != (db.sessions, db.malicious, db.hosts) {
        o.push_str(
            "- **warning**: the runs saw different data; differences are not the methods' alone\n",
        );
    }
    if a.version != b.version {
        let _ = writeln!(
            o,
            "- **warning**: report versions differ ({} vs {}); some figures may not compare",
            a.version, b.version
        );
    }
    if a.resample != b.resample {
        o.push_str("- resampling differs between the runs: compare the analytic precision\n");
    }
    o.push('\n');
    o.push_str("| method | metric | A | B | B − A |\n|---|---|---|---|---|\n");
    for ma in &a.methods {
        let Some(mb) = b.method(&ma.name) else {
            continue;
        };
        let fb = mb.figures();
        for (name, va, better) in ma.figures() {
            let vb = fb
                .iter()
                .find(|(n, _, _)| *n == name)
                .and_then(|(_, v, _)| *v);
            let _ = writeln!(
                o,
                "| {} | {name} | {} | {} | {} |",
                ma.name.replace('|', "/"),
                cell(va),
                cell(vb),
                delta(va, vb, better)
            );
        }
    }
    let only = |x: &Report, y: &Report| -> Vec<String> {
        x.methods
            .iter()
            .filter(|m| y.method(&m.name).is_none())
            .map(|m| m.name.clone())
            .collect()
    };
    let (only_a, only_b) = (only(a, b), only(b, a));
    if !only_a.is_empty() {
        let _ = writeln!(o, "\nOnly in A: {}", only_a.join(", "));
    }
    if !only_b.is_empty() {
        let _ = writeln!(o, "\nOnly in B: {}", only_b.join(", "));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_point_the_right_way() {
        assert_eq!(delta(Some(0.5), Some(0.6), Better::Higher), "+0.100 ▲");
        assert_eq!(delta(Some(0.5), Some(0.4), Better::Higher), "-0.100 ▼");
        assert_eq!(delta(Some(100.0), Some(80.0), Better::Lower), "-20.000 ▲");
        assert_eq!(delta(Some(0.5), Some(0.5002), Better::Higher), "=");
        assert_eq!(delta(None, Some(0.5), Better::Higher), "n/a");
    }
}
