//! The report's "choice of combination" paragraph, written from the figures alone: which
//! method has the best MCC, which catches the most at the lowest prevalence, and at what cost.

use std::cmp::Ordering;

use super::report::{MethodReport, format_prevalence};
use super::resample::PrevalencePoint;

/// Two decimals, or "n/a".
fn f2(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}"))
}

/// Below this many sessions of either class, one session moves every figure a lot.
const MIN_CLASS_SUPPORT: u64 = 10;

/// Methods with a value, best first; ties go to the better MCC, then keep the input order.
fn ranked(
    methods: &[MethodReport],
    key: impl Fn(&MethodReport) -> Option<f64>,
) -> Vec<(&MethodReport, f64)> {
    let mut v: Vec<(&MethodReport, f64)> = methods
        .iter()
        .filter_map(|m| key(m).map(|k| (m, k)))
        .collect();
    let mcc = |m: &MethodReport| m.binary.mcc.unwrap_or(f64::NEG_INFINITY);
    v.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(Ordering::Equal)
            .then_with(|| mcc(b.0).partial_cmp(&mcc(a.0)).unwrap_or(Ordering::Equal))
    });
    v
}

/// A warning when the labelled sessions hold too few of either class to rank methods on.
fn support_warning(methods: &[MethodReport]) -> Option<String> {
    let c = &methods.first()?.binary.counts;
    let (malicious, other) = (c.tp + c.fn_, c.fp + c.tn);
    (malicious < MIN_CLASS_SUPPORT || other < MIN_CLASS_SUPPORT).then(|| {
        format!(
            " Caution: these figures rest on {malicious} malicious and {other} other sessions; \
             with fewer than {MIN_CLASS_SUPPORT} of either, one session changes them a lot, so \
             label more before choosing a default on them."
        )
    })
}

fn point(m: &MethodReport, prevalence: f64) -> Option<&PrevalencePoint> {
    m.at_prevalence.iter().find(|p| p.prevalence == prevalence)
}

/// "about 7.3 false alarms per true alert" from a precision.
fn alarms(precision: Option<f64>) -> String {
    match precision {
        Some(p) if p >= 1.0 => "no false alarm".to_string(),
        Some(p) if p > 0.0 => format!("about {:.1} false alarms per true alert", (1.0 - p) / p),
        Some(_) => "no true alert among its alerts".to_string(),
        None => "no alert at all".to_string(),
    }
}

pub fn paragraph(methods: &[MethodReport], prevalences: &[f64]) -> String {
    if methods.is_empty() {
        return "No method was evaluated.".to_string();
    }
    let mut out = ranking(methods, prevalences);
    out.extend(support_warning(methods));
    out
}

fn ranking(methods: &[MethodReport], prevalences: &[f64]) -> String {
    let by_mcc = ranked(methods, |m| m.binary.mcc);
    let Some(&(best, best_mcc)) = by_mcc.first() else {
        return "MCC is undefined for every method (the labelled sessions lack either \
                malicious or benign ones, or no method flags anything), so these figures \
                cannot rank the methods."
            .to_string();
    };
    let mut out = format!("**{}** has the best MCC ({best_mcc:.2})", best.name);
    let rest: Vec<String> = by_mcc[1..]
        .iter()
        .map(|(m, v)| format!("{} {v:.2}", m.name))
        .collect();
    if !rest.is_empty() {
        out += &format!(", ahead of {}", rest.join(", "));
    }
    let undefined: Vec<&str> = methods
        .iter()
        .filter(|m| m.binary.mcc.is_none())
        .map(|m| m.name.as_str())
        .collect();
    if !undefined.is_empty() {
        out += &format!(" (undefined for {})", undefined.join(", "));
    }
    out.push('.');

    // The lowest requested prevalence is the realistic one for a triage queue.
    let low = prevalences
        .iter()
        .copied()
        .filter(|p| p.is_finite() && *p > 0.0 && *p < 1.0)
        .min_by(f64::total_cmp);
    let Some(low) = low else {
        return out;
    };
    let pct = format_prevalence(low);
    let by_recall = ranked(methods, |m| point(m, low).and_then(|p| p.analytic_recall));
    let Some(&(catcher, recall)) = by_recall.first() else {
        return out;
    };
    let catcher_precision = point(catcher, low).and_then(|p| p.analytic_precision);
    out += &format!(
        " At {pct} prevalence {} has the highest recall ({recall:.2}), at a precision of {} \
         ({}).",
        catcher.name,
        f2(catcher_precision),
        alarms(catcher_precision)
    );
    let by_precision = ranked(methods, |m| {
        point(m, low).and_then(|p| p.analytic_precision)
    });
    let precise = by_precision.first().map(|&(m, _)| m);
    if let Some(m) = precise
        && m.name != catcher.name
    {
        let p = point(m, low);
        out += &format!(
            " {} is the most precise ({} at recall {}).",
            m.name,
            f2(p.and_then(|p| p.analytic_precision)),
            f2(p.and_then(|p| p.analytic_recall))
        );
    }
    // A method is only the obvious default when it also keeps false alarms lowest at the
    // realistic prevalence; otherwise the trade-off is stated, not decided.
    match precise {
        Some(m) if m.name == catcher.name && m.name == best.name => {
            out += &format!(
                " {} leads on every count: use it as the default verdict.",
                best.name
            );
        }
        Some(m) if m.name != catcher.name => {
            out += &format!(
                " No method leads on every count: {c} misses the fewest attacks and {p} raises \
                 the fewest false alarms. Flagging when {c} fires while ranking by the verdict of \
                 {p} keeps the recall of {c} and puts the alerts of {p} first; which one decides \
                 alone depends on what a missed attack costs against the false alarms above.",
                c = catcher.name,
                p = m.name
            );
        }
        _ => {
            out += &format!(
                " {} has the best balance and {} catches the most at {pct}: prefer the latter \
                 where a missed attack costs more than its false alarms.",
                best.name, catcher.name
            );
        }
    }
    if let Some(c) = methods.iter().find(|m| m.name == "combined")
        && c.name != best.name
    {
        let cp = point(c, low);
        out += &format!(
            " The combined method reaches MCC {}, recall {} and precision {} at {pct}.",
            f2(c.binary.mcc),
            f2(cp.and_then(|p| p.analytic_recall)),
            f2(cp.and_then(|p| p.analytic_precision))
        );
    }
    out
}
