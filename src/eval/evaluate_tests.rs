//! End-to-end check of `evaluate` on a six-session fixture with hand-calculated answers.

use super::*;
use crate::eval::compare::compare;
use crate::eval::rules::rules_note;
use crate::event::Risk;

fn truth(id: &str, host: &str, cause: Cause, risk: Option<Risk>, techs: &[&str]) -> Truth {
    Truth {
        session_id: id.into(),
        host: host.into(),
        cause,
        risk,
        techniques: techs.iter().map(|s| s.to_string()).collect(),
    }
}

fn pred(id: &str, cause: Cause, risk: Option<Risk>, techs: &[&str], ms: f64) -> Prediction {
    Prediction {
        session_id: id.into(),
        cause,
        risk,
        techniques: techs.iter().map(|s| s.to_string()).collect(),
        latency_ms: ms,
        summary: None,
    }
}

/// s1 h1 malicious critical T1003.001 | s2 h1 legitimate low | s3 h2 malicious high T1059.001
/// s4 h2 misconfiguration medium      | s5 h3 legitimate     | s6 h3 legitimate
fn truths() -> Vec<Truth> {
    use Cause::*;
    vec![
        truth("s1", "h1", Malicious, Some(Risk::Critical), &["T1003.001"]),
        truth("s2", "h1", Legitimate, Some(Risk::Low), &[]),
        truth("s3", "H2.corp", Malicious, Some(Risk::High), &["t1059.001"]),
        truth("s4", "h2", Misconfiguration, Some(Risk::Medium), &[]),
        truth("s5", "h3", Legitimate, None, &[]),
        truth("s6", "h3", Legitimate, None, &[]),
        truth("s1", "h9", Legitimate, None, &[]), // duplicate: ignored
    ]
}

fn methods() -> Vec<(String, Vec<Prediction>)> {
    use Cause::*;
    let rules = vec![
        pred("s1", Malicious, Some(Risk::Critical), &["T1003.001"], 0.0),
        pred("s2", Legitimate, Some(Risk::Low), &[], 0.0),
        pred("s3", Legitimate, Some(Risk::Low), &[], 0.0),
        pred("s4", Legitimate, Some(Risk::Low), &[], 0.0),
        pred("s5", Malicious, Some(Risk::Medium), &["T1059.001"], 0.0),
        pred("s6", Legitimate, Some(Risk::Low), &[], 0.0),
    ];
    let model = vec![
        pred("s1", Malicious, Some(Risk::High), &["T1003"], 100.0),
        pred("s1", Legitimate, None, &[], 999.0), // duplicate: ignored
        pred("s2", Legitimate, Some(Risk::Low), &[], 200.0),
        pred("s3", Malicious, Some(Risk::High), &["T1059.001"], 300.0),
        pred("s4", Misconfiguration, Some(Risk::Medium), &[], 400.0),
        pred("s5", Legitimate, None, &[], 500.0),
        // s6 missing; zz has no truth
        pred("zz", Malicious, None, &[], 600.0),
    ];
    vec![("rules".into(), rules), ("model".into(), model)]
}

/// The choice paragraph holds `text` (shown whole when it does not).
#[track_caller]
fn says(r: &Report, text: &str) {
    assert!(r.choice.contains(text), "{}", r.choice);
}

/// The choice paragraph opens with `text`.
#[track_caller]
fn opens_with(r: &Report, text: &str) {
    assert!(r.choice.starts_with(text), "{}", r.choice);
}

fn opts() -> EvalOptions {
    let mut o = EvalOptions {
        description: Some("fixture".into()),
        ..EvalOptions::default()
    };
    o.notes.insert("rules".into(), rules_note(Risk::Medium));
    o.splits.insert(
        "model".into(),
        Split::OtherCases {
            cases: vec!["c1".into()],
        },
    );
    o
}

#[test]
fn dataset_is_described() {
    let r = evaluate(&truths(), &methods(), &opts());
    let d = &r.dataset;
    assert_eq!(
        (d.sessions, d.malicious, d.legitimate, d.misconfiguration),
        (6, 2, 3, 1)
    );
    assert_eq!(d.prevalence, Some(2.0 / 6.0));
    // h1, h2 (= H2.corp), h3
    assert_eq!(
        (d.hosts, d.with_risk, d.with_techniques, d.duplicate_truths),
        (3, 4, 2, 1)
    );
    assert_eq!(r.resample.size, 1000);
}

#[test]
fn rules_method_matches_hand_calculation() {
    let r = evaluate(&truths(), &methods(), &opts());
    let m = r.method("rules").unwrap();
    // s1 TP, s3 FN, s5 FP, s2/s4/s6 TN.
    let c = m.binary.counts;
    assert_eq!((c.tp, c.fp, c.tn, c.fn_), (1, 1, 3, 1));
    assert_eq!(
        (m.binary.precision, m.binary.recall),
        (Some(0.5), Some(0.5))
    );
    // MCC = (1·3 − 1·1) / sqrt(2·2·4·4) = 2 / 8
    assert_eq!(m.binary.mcc, Some(0.25));
    // Cause: s1, s2, s6 right; s3 (M->L), s4 (Mis->L), s5 (L->M) wrong: 3/6.
    assert_eq!(m.cause.accuracy, Some(0.5));
    // Risk over s1..s4: crit/crit, low/low exact; med/low within one; high/low off: 2/4, 3/4.
    assert_eq!((m.risk.exact, m.risk.within_one), (Some(0.5), Some(0.75)));
    // Techniques over s1, s3: s1 exact, s3 nothing; T1059.001 raised on benign s5.
    assert_eq!((m.techniques.n, m.techniques.exact), (2, Some(0.5)));
    let row = m
        .techniques
        .per_technique
        .iter()
        .find(|r| r.technique == "T1059.001")
        .unwrap();
    assert_eq!((row.support, row.hits, row.false_alarms), (1, 0, 1));
    // No latency: no throughput figure.
    assert_eq!((m.cost.sessions_per_s, m.cost.mean_ms), (None, Some(0.0)));
    assert_eq!(m.split, Split::None);
    assert!(m.note.as_deref().unwrap().contains("medium"));
}

#[test]
fn model_method_matches_hand_calculation() {
    let r = evaluate(&truths(), &methods(), &opts());
    let m = r.method("model").unwrap();
    assert_eq!(
        (m.predictions, m.missing, m.unlabelled, m.duplicates),
        (6, 1, 1, 1)
    );
    // s1, s3 TP; s2, s4, s5 TN; s6 missing -> not flagged -> TN.
    let c = m.binary.counts;
    assert_eq!((c.tp, c.fp, c.tn, c.fn_), (2, 0, 4, 0));
    assert_eq!((m.binary.mcc, m.binary.f1), (Some(1.0), Some(1.0)));
    // FPR 0: precision 1 at every prevalence, analytic and resampled.
    for p in &m.at_prevalence {
        assert_eq!(p.analytic_precision, Some(1.0));
        assert_eq!(p.resampled_precision, Some(1.0));
        assert_eq!(p.resampled_recall, Some(1.0));
    }
    assert_eq!((m.cause.accuracy, m.cause.macro_f1), (Some(1.0), Some(1.0)));
    // Risk: crit/high within one; low/low, high/high, med/med exact: 3/4 and 4/4.
    assert_eq!((m.risk.exact, m.risk.within_one), (Some(0.75), Some(1.0)));
    // Techniques: s1 {T1003.001} vs {T1003}: parent only; s3 exact.
    let t = &m.techniques;
    assert_eq!(
        (t.exact, t.partial, t.parent, t.tactic),
        (Some(0.5), Some(0.5), Some(1.0), None)
    );
    // Cost over the six distinct predictions (zz included): mean 2100/6 = 350, p95 = 6th = 600.
    assert_eq!(
        (m.cost.n, m.cost.mean_ms, m.cost.p95_ms),
        (6, Some(350.0), Some(600.0))
    );
    assert_eq!(m.split.to_string(), "labels from other cases (c1)");
}

#[test]
fn tactics_lookup_enables_the_tactic_match() {
    let mut o = opts();
    let mut map = TacticMap::new();
    map.insert("T1003".into(), vec!["credential-access".into()]);
    map.insert("T1059.001".into(), vec!["execution".into()]);
    o.tactics = Some(map);
    let r = evaluate(&truths(), &methods(), &o);
    // model: s1 (T1003.001 inherits T1003's tactic) and s3 both share a tactic.
    assert_eq!(r.method("model").unwrap().techniques.tactic, Some(1.0));
    assert_eq!(r.method("rules").unwrap().techniques.tactic, Some(0.5));
}

#[test]
fn techniques_unseen_in_training_are_scored_apart() {
    let mut o = opts();
    let r = evaluate(&truths(), &methods(), &o);
    assert!(r.method("model").unwrap().techniques_unseen.is_none());
    // Trained on T1003.001: s3 (T1059.001) is the only session with unseen techniques.
    o.trained_techniques = Some(["T1003.001".to_string()].into_iter().collect());
    let r = evaluate(&truths(), &methods(), &o);
    let unseen = |m: &str| r.method(m).unwrap().techniques_unseen.clone().unwrap();
    // The model named T1059.001 for s3; the rules named nothing there.
    assert_eq!((unseen("model").n, unseen("model").partial), (1, Some(1.0)));
    assert_eq!((unseen("rules").n, unseen("rules").partial), (1, Some(0.0)));
    assert!(unseen("model").per_technique.is_empty());
    // All figures still count both sessions.
    assert_eq!(r.method("model").unwrap().techniques.n, 2);
    assert!(r.to_markdown().contains("unseen in training"));
}

#[test]
fn technique_figures_split_by_what_the_rules_named() {
    let mut o = opts();
    assert!(
        evaluate(&truths(), &methods(), &o).methods[0]
            .techniques_by_rules
            .is_empty()
    );
    // s1's rule hit names its true technique; s3's rules name none; s5 (benign) has a hit.
    o.rule_techniques = Some(
        [
            ("s1", vec!["T1003.001"]),
            ("s3", vec![]),
            ("s5", vec!["T1059.001"]),
        ]
        .into_iter()
        .map(|(id, t)| (id.to_string(), t.into_iter().map(String::from).collect()))
        .collect(),
    );
    let mut answers = methods();
    let checked = SummaryCheck {
        grounded: true,
        repeated: false,
    };
    answers[1].1[3].summary = Some(checked); // the model's s3
    let r = evaluate(&truths(), &answers, &o);
    let class = |m: &str, e: RuleEvidence| {
        let m = r.method(m).unwrap();
        let s = &m
            .techniques_by_rules
            .iter()
            .find(|x| x.evidence == e)
            .unwrap()
            .scores;
        (s.n, s.partial, s.parent)
    };
    // Where the rules named it, they were right and the model (T1003 for T1003.001) only had
    // the parent; where they named nothing, the model named s3's technique.
    assert_eq!(
        class("rules", RuleEvidence::RulesNameIt),
        (1, Some(1.0), Some(1.0))
    );
    assert_eq!(
        class("model", RuleEvidence::RulesNameIt),
        (1, Some(0.0), Some(1.0))
    );
    assert_eq!(
        class("rules", RuleEvidence::NoRuleTechnique),
        (1, Some(0.0), Some(0.0))
    );
    assert_eq!(
        class("model", RuleEvidence::NoRuleTechnique),
        (1, Some(1.0), Some(1.0))
    );
    assert_eq!(
        class("model", RuleEvidence::RulesNameOthers),
        (0, None, None)
    );
    let md = r.to_markdown();
    assert!(md.contains("where no rule names a technique"), "{md}");
    assert!(!md.contains("where rules name only others"), "{md}");
    // Per session: every truth once, every method's first answer, scored.
    assert_eq!(r.sessions.len(), 6);
    let s3 = r.sessions.iter().find(|s| s.session_id == "s3").unwrap();
    assert_eq!(s3.rule_evidence, Some(RuleEvidence::NoRuleTechnique));
    assert_eq!(s3.techniques, vec!["T1059.001"]);
    let model = &s3.methods[1];
    assert_eq!(
        (
            model.method.as_str(),
            model.cause_right,
            model.technique_right
        ),
        ("model", true, Some(true))
    );
    assert_eq!(
        (model.summary, s3.methods[0].summary),
        (Some(checked), None)
    );
    let s6 = r.sessions.iter().find(|s| s.session_id == "s6").unwrap();
    // The model gave no answer for s6: read as legitimate, which it is.
    assert_eq!(
        (s6.methods[1].cause, s6.methods[1].cause_right),
        (None, true)
    );
    assert_eq!(
        (s6.rule_evidence, s6.methods[1].technique_right),
        (None, None)
    );
    let s1 = r.sessions.iter().find(|s| s.session_id == "s1").unwrap();
    assert_eq!(
        s1.methods[1].cause,
        Some(Cause::Malicious),
        "the first of two answers"
    );
}

#[test]
fn report_round_trips_renders_and_compares() {
    let r = evaluate(&truths(), &methods(), &opts());
    opens_with(
        &r,
        "**model** has the best MCC (1.00), ahead of rules 0.25.",
    );
    says(&r, "precision of 1.00 (no false alarm)");
    says(&r, "leads on every count");
    let json = r.to_json();
    assert!(!json.contains("NaN"));
    // serde_json parses floats to within an ulp (no `float_roundtrip`): compare figures.
    let back = Report::from_json(&json).unwrap();
    assert_eq!(
        (&back.dataset.sessions, &back.choice),
        (&r.dataset.sessions, &r.choice)
    );
    for (a, b) in r.methods.iter().zip(&back.methods) {
        assert_eq!(
            (&a.name, &a.binary.counts, &a.cause.matrix),
            (&b.name, &b.binary.counts, &b.cause.matrix)
        );
        for ((name, x, _), (_, y, _)) in a.figures().into_iter().zip(b.figures()) {
            let same = match (x, y) {
                (Some(x), Some(y)) => (x - y).abs() < 1e-12,
                (x, y) => x == y,
            };
            assert!(same, "{name}: {x:?} vs {y:?}");
        }
    }
    let md = r.to_markdown();
    for section in [
        "## Dataset",
        "## Malicious vs not",
        "MCC\n\n```text",
        "## At other prevalences",
        "## Cause (3 classes)",
        "## Risk level",
        "## ATT&CK techniques",
        "## Cost",
        "## Choice of combination",
    ] {
        assert!(md.contains(section), "missing {section}:\n{md}");
    }
    assert!(md.contains("| T1003.001 | 1 | 1/1 (0) | 0/1 (0) |"), "{md}");
    let same = compare(&r, &r);
    assert!(
        same.contains("| model | mcc | 1.000 | 1.000 | = |"),
        "{same}"
    );
    assert!(!same.contains("warning"));
    // B: the model with s3 missed.
    let mut worse = methods();
    worse[1].1[3].cause = Cause::Legitimate;
    let b = evaluate(&truths(), &worse, &opts());
    let diff = compare(&r, &b);
    assert!(
        diff.contains("| model | recall | 1.000 | 0.500 | -0.500 ▼ |"),
        "{diff}"
    );
}

#[test]
fn empty_inputs_do_not_panic() {
    let r = evaluate(&[], &[], &EvalOptions::default());
    assert_eq!(r.dataset.prevalence, None);
    assert_eq!(r.choice, "No method was evaluated.");
    let r = evaluate(&[], &[("m".into(), vec![])], &EvalOptions::default());
    assert!(r.to_json().contains("\"mcc\": null"));
    assert!(r.to_markdown().contains("n/a"));
    says(&r, "undefined");
}

#[test]
fn cli_lists_parse() {
    assert_eq!(
        parse_prevalences("0.01, 0.1,0.5,0.1").unwrap(),
        vec![0.01, 0.1, 0.5]
    );
    assert_eq!(parse_prevalences("1%,50%").unwrap(), vec![0.01, 0.5]);
    assert!(parse_prevalences("0").is_err());
    assert!(parse_prevalences("1").is_err());
    assert!(parse_prevalences("abc").is_err());
    assert!(parse_prevalences("NaN").is_err());
    assert_eq!(
        parse_methods("rules, Model,model+fewshot,rules").unwrap(),
        vec!["rules", "model", "model+fewshot"]
    );
    assert!(
        parse_methods("rules,oracle")
            .unwrap_err()
            .contains("oracle")
    );
}

/// Malicious for the truths `flag` picks, legitimate for the rest.
fn flagged(truths: &[Truth], flag: impl Fn(&Truth) -> bool) -> Vec<Prediction> {
    truths
        .iter()
        .map(|t| {
            let c = if flag(t) {
                Cause::Malicious
            } else {
                Cause::Legitimate
            };
            pred(&t.session_id, c, None, &[], 1.0)
        })
        .collect()
}

#[test]
fn choice_states_the_trade_off_when_no_method_leads() {
    // rules flags s1, s3 (attacks) and s5 (benign): recall 1, precision 2/3, MCC 0.707.
    // model flags s1 only: recall 0.5, precision 1, MCC 0.632.
    let flag = |ids: &[&str]| flagged(&truths()[..6], |t| ids.contains(&t.session_id.as_str()));
    let methods = vec![
        ("rules".to_string(), flag(&["s1", "s3", "s5"])),
        ("model".to_string(), flag(&["s1"])),
    ];
    let r = evaluate(&truths(), &methods, &opts());
    // Negatives s2, s4, s5, s6: FPR = 1/4; precision at 1% = 0.01 / (0.01 + 0.99/4) = 0.0388;
    // false alarms per true alert (1 − p)/p = 0.2475 / 0.01 = 24.75.
    opens_with(
        &r,
        "**rules** has the best MCC (0.71), ahead of model 0.63.",
    );
    says(
        &r,
        "rules has the highest recall (1.00), at a precision of 0.04 (about 24.8 false alarms per true alert)",
    );
    says(&r, "model is the most precise (1.00 at recall 0.50)");
    says(&r, "No method leads on every count");
    // Two attacks and four benign sessions are too few to choose on.
    says(
        &r,
        "Caution: these figures rest on 2 malicious and 4 other sessions",
    );
}

#[test]
fn ties_go_to_the_better_mcc() {
    use Cause::*;
    // Both flag every attack (recall 1); "all" also flags every benign session (MCC n/a),
    // "exact" flags only the attacks (MCC 1): the recall tie goes to "exact".
    let truths = truths();
    let flag = |all: bool| flagged(&truths, |t| all || t.cause == Malicious);
    let methods = vec![
        ("all".to_string(), flag(true)),
        ("exact".to_string(), flag(false)),
    ];
    let r = evaluate(&truths, &methods, &opts());
    says(&r, "exact has the highest recall (1.00)");
}
