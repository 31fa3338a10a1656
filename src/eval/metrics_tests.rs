//! Hand-calculated checks of every metric in `metrics.rs`, on tiny fixtures.

use super::*;

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// TP=3, FP=1, TN=5, FN=1 (10 sessions, 4 malicious).
fn fixture() -> Counts {
    let mut pairs = vec![(true, true); 3];
    pairs.push((false, true));
    pairs.extend(vec![(false, false); 5]);
    pairs.push((true, false));
    Counts::from_pairs(pairs)
}

#[test]
fn binary_scores_match_hand_calculation() {
    let c = fixture();
    assert_eq!((c.tp, c.fp, c.tn, c.fn_, c.total()), (3, 1, 5, 1, 10));
    let s = binary_scores(c);
    // precision = 3 / (3 + 1) = 0.75; recall = 3 / (3 + 1) = 0.75
    assert!(close(s.precision, 0.75));
    assert!(close(s.recall, 0.75));
    // F1 = 2·3 / (2·3 + 1 + 1) = 6 / 8 = 0.75
    assert!(close(s.f1, 0.75));
    // TNR = 5 / 6; balanced accuracy = (0.75 + 5/6) / 2 = 19/24
    assert!(close(s.balanced_accuracy, 19.0 / 24.0));
    // MCC = (3·5 − 1·1) / sqrt((3+1)(3+1)(5+1)(5+1)) = 14 / 24
    assert!(close(s.mcc, 14.0 / 24.0));
}

#[test]
fn adjusted_precision_matches_hand_calculation() {
    let c = fixture();
    // TPR = 0.75, FPR = 1/6.
    // π = 0.5: 0.375 / (0.375 + (1/6)·0.5) = 0.375 / 0.458333… = 9/11
    assert!(close(adjusted_precision(c.tpr(), c.fpr(), 0.5), 9.0 / 11.0));
    // π = 0.01: 0.0075 / (0.0075 + 0.99/6) = 0.0075 / 0.1725 = 1/23
    assert!(close(
        adjusted_precision(c.tpr(), c.fpr(), 0.01),
        1.0 / 23.0
    ));
    // A method with no false positives is perfectly precise at any prevalence.
    assert!(close(adjusted_precision(Some(0.5), Some(0.0), 0.01), 1.0));
    // Nothing flagged at all: 0 / 0 -> n/a.
    assert_eq!(adjusted_precision(Some(0.0), Some(0.0), 0.01), None);
    assert_eq!(adjusted_precision(None, Some(0.1), 0.01), None);
    assert_eq!(adjusted_precision(Some(0.5), Some(0.1), f64::NAN), None);
    assert_eq!(adjusted_precision(Some(0.5), Some(0.1), 1.5), None);
}

#[test]
fn degenerate_binary_cases_are_none_not_nan() {
    // Never flags: TP=0 FP=0 TN=5 FN=2.
    let mut pairs = vec![(false, false); 5];
    pairs.extend([(true, false), (true, false)]);
    let s = binary_scores(Counts::from_pairs(pairs));
    assert_eq!(s.precision, None); // 0 / 0
    assert!(close(s.recall, 0.0)); // 0 / 2
    assert!(close(s.f1, 0.0)); // 0 / (0 + 0 + 2)
    assert!(close(s.balanced_accuracy, 0.5)); // (0 + 5/5) / 2
    assert_eq!(s.mcc, None); // a zero margin (TP + FP = 0)

    // Only benign sessions: recall, F1, balanced accuracy and MCC undefined.
    let s = binary_scores(Counts::from_pairs(vec![(false, false); 3]));
    assert_eq!(
        (s.recall, s.f1, s.balanced_accuracy, s.mcc),
        (None, None, None, None)
    );

    // Nothing at all.
    let s = binary_scores(Counts::default());
    assert_eq!(s, BinaryScores::default());
    assert_eq!(
        serde_json::to_value(&s).unwrap()["mcc"],
        serde_json::Value::Null
    );
}

#[test]
fn cause_scores_match_hand_calculation() {
    use Cause::*;
    // truth -> predicted: M->M ×2, M->L, L->L ×3, L->Mis, Mis->Mis, Mis->L (9 sessions)
    let pairs = [
        (Malicious, Malicious),
        (Malicious, Malicious),
        (Malicious, Legitimate),
        (Legitimate, Legitimate),
        (Legitimate, Legitimate),
        (Legitimate, Legitimate),
        (Legitimate, Misconfiguration),
        (Misconfiguration, Misconfiguration),
        (Misconfiguration, Legitimate),
    ];
    let s = cause_scores(pairs);
    assert_eq!(s.n, 9);
    assert_eq!(s.matrix, [[2, 1, 0], [0, 3, 1], [0, 1, 1]]);
    // accuracy = (2 + 3 + 1) / 9
    assert!(close(s.accuracy, 6.0 / 9.0));
    // malicious: P = 2/2, R = 2/3, F1 = 2·2 / (3 + 2) = 0.8
    // legitimate: P = 3/5, R = 3/4, F1 = 2·3 / (4 + 5) = 2/3
    // misconfiguration: P = 1/2, R = 1/2, F1 = 2·1 / (2 + 2) = 0.5
    let m = &s.per_class[0];
    assert_eq!((m.support, m.predicted), (3, 2));
    assert!(close(m.precision, 1.0) && close(m.recall, 2.0 / 3.0) && close(m.f1, 0.8));
    assert!(close(s.per_class[1].f1, 2.0 / 3.0));
    assert!(close(s.per_class[2].precision, 0.5) && close(s.per_class[2].f1, 0.5));
    // macro-F1 = (0.8 + 2/3 + 0.5) / 3
    assert!(close(s.macro_f1, (0.8 + 2.0 / 3.0 + 0.5) / 3.0));
}

#[test]
fn macro_f1_leaves_out_a_cause_absent_from_both_sides() {
    use Cause::*;
    // M->M, L->L, L->M: malicious F1 = 2/(1+2) = 2/3, legitimate F1 = 2/(2+1) = 2/3.
    let s = cause_scores([
        (Malicious, Malicious),
        (Legitimate, Legitimate),
        (Legitimate, Malicious),
    ]);
    assert_eq!(s.per_class[2].f1, None);
    assert!(close(s.macro_f1, 2.0 / 3.0));
    // A cause only predicted counts with F1 = 0: M->Mis gives malicious 0, misconfig 0.
    let s = cause_scores([(Malicious, Misconfiguration)]);
    assert!(close(s.macro_f1, 0.0));
    let empty = cause_scores([]);
    assert_eq!((empty.n, empty.accuracy, empty.macro_f1), (0, None, None));
}

#[test]
fn risk_scores_match_hand_calculation() {
    use Risk::*;
    // critical/high: within one; high/high: exact; medium/critical: off by two;
    // low/none: unanswered (wrong); low/low: exact.
    let s = risk_scores([
        (Critical, Some(High)),
        (High, Some(High)),
        (Medium, Some(Critical)),
        (Low, None),
        (Low, Some(Low)),
    ]);
    assert_eq!((s.n, s.answered), (5, 4));
    assert!(close(s.exact, 2.0 / 5.0)); // high/high, low/low
    assert!(close(s.within_one, 3.0 / 5.0)); // + critical/high
    let empty = risk_scores([]);
    assert_eq!((empty.exact, empty.within_one), (None, None));
}

#[test]
fn cost_scores_match_hand_calculation() {
    // 1..=20 ms: mean = 210 / 20 = 10.5; 1000 / 10.5 sessions/s;
    // p95 nearest rank = ceil(0.95·20) = 19th value = 19 ms. NaN and −1 are left out.
    let mut l: Vec<f64> = (1..=20).map(f64::from).collect();
    l.extend([f64::NAN, -1.0, f64::INFINITY]);
    let c = cost_scores(l);
    assert_eq!((c.n, c.invalid), (20, 3));
    assert!(close(c.mean_ms, 10.5));
    assert!(close(c.sessions_per_s, 1000.0 / 10.5));
    assert!(close(c.p95_ms, 19.0));
    // One value: nearest rank ceil(0.95) = 1 -> that value.
    assert!(close(cost_scores([7.0]).p95_ms, 7.0));
    // Free methods (rules) have no throughput figure; no latencies at all: nothing.
    let free = cost_scores([0.0, 0.0]);
    assert_eq!(free.sessions_per_s, None);
    assert!(close(free.p95_ms, 0.0));
    assert_eq!(cost_scores([]), CostScores::default());
}
