//! Property tests: on arbitrary small truth/prediction sets, `evaluate` never panics and
//! never produces NaN or out-of-range figures; k-fold never puts a host on both sides.

use std::collections::BTreeSet;

use proptest::prelude::*;

use lookout::eval::split::host_key;
use lookout::eval::{EvalOptions, Prediction, Truth, compare, evaluate, kfold_by_host};
use lookout::{Cause, Risk};

fn cause() -> impl Strategy<Value = Cause> {
    prop::sample::select(Cause::ALL.to_vec())
}

fn risk() -> impl Strategy<Value = Option<Risk>> {
    prop::option::of(prop::sample::select(Risk::ALL.to_vec()))
}

fn techniques() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(vec![
            "T1003",
            "T1003.001",
            "t1059.001",
            "T1021.002",
            " ",
            "X",
        ]),
        0..3,
    )
    .prop_map(|v| v.into_iter().map(str::to_string).collect())
}

fn latency() -> impl Strategy<Value = f64> {
    prop_oneof![
        0.0..5000.0f64,
        Just(f64::NAN),
        Just(-1.0),
        Just(f64::INFINITY),
        Just(0.0)
    ]
}

fn truth() -> impl Strategy<Value = Truth> {
    (
        0u8..8,
        prop::sample::select(vec!["a", "A.corp", "b", "10.0.0.1", ""]),
        cause(),
        risk(),
        techniques(),
    )
        .prop_map(|(id, host, cause, risk, techniques)| Truth {
            session_id: format!("s{id}"),
            host: host.to_string(),
            cause,
            risk,
            techniques,
        })
}

fn prediction() -> impl Strategy<Value = Prediction> {
    (0u8..10, cause(), risk(), techniques(), latency()).prop_map(
        |(id, cause, risk, techniques, latency_ms)| Prediction {
            session_id: format!("s{id}"),
            cause,
            risk,
            techniques,
            latency_ms,
            summary: None,
        },
    )
}

fn in_unit(v: Option<f64>) -> bool {
    v.is_none_or(|v| (0.0..=1.0 + 1e-12).contains(&v))
}

proptest! {
    #[test]
    fn metrics_never_panic_nor_nan(
        truths in prop::collection::vec(truth(), 0..12),
        methods in prop::collection::vec(prop::collection::vec(prediction(), 0..12), 0..3),
        prevalences in prop::collection::vec(prop_oneof![0.0..=1.0f64, Just(f64::NAN), Just(2.0)], 0..3),
    ) {
        let methods: Vec<(String, Vec<Prediction>)> = methods
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("m{i}"), p))
            .collect();
        let opts = EvalOptions { prevalences, resample_size: Some(50), resample_rounds: 2, ..EvalOptions::default() };
        let r = evaluate(&truths, &methods, &opts);
        for m in &r.methods {
            for (name, v, _) in m.figures() {
                prop_assert!(v.is_none_or(f64::is_finite), "{} {}: {:?}", m.name, name, v);
            }
            let b = &m.binary;
            for v in [b.precision, b.recall, b.f1, b.balanced_accuracy, m.cause.accuracy,
                m.cause.macro_f1, m.risk.exact, m.risk.within_one, m.techniques.exact,
                m.techniques.partial, m.techniques.parent] {
                prop_assert!(in_unit(v));
            }
            prop_assert!(b.mcc.is_none_or(|v| (-1.0 - 1e-12..=1.0 + 1e-12).contains(&v)));
            prop_assert_eq!(b.counts.total(), r.dataset.sessions);
            prop_assert!(m.risk.exact <= m.risk.within_one);
            prop_assert!(m.techniques.exact <= m.techniques.partial);
            prop_assert!(m.techniques.partial <= m.techniques.parent);
        }
        let json = r.to_json();
        prop_assert!(!json.contains("NaN") && !json.contains("inf"));
        prop_assert!(!r.to_markdown().is_empty());
        prop_assert!(!compare(&r, &r).is_empty());
    }

    #[test]
    fn kfold_never_puts_a_host_on_both_sides(
        truths in prop::collection::vec(truth(), 0..30),
        k in 0usize..7,
        seed in any::<u64>(),
    ) {
        // Unique ids, as evaluate would see them.
        let mut seen = BTreeSet::new();
        let truths: Vec<Truth> = truths.into_iter().filter(|t| seen.insert(t.session_id.clone())).collect();
        let host_of = |id: &String| host_key(&truths.iter().find(|t| &t.session_id == id).unwrap().host);
        let folds = kfold_by_host(&truths, k, seed);
        let mut tested = BTreeSet::new();
        for (train, test) in &folds {
            let a: BTreeSet<String> = train.iter().map(host_of).collect();
            let b: BTreeSet<String> = test.iter().map(host_of).collect();
            prop_assert!(a.is_disjoint(&b));
            prop_assert_eq!(train.len() + test.len(), truths.len());
            tested.extend(test.iter().cloned());
        }
        if !folds.is_empty() {
            prop_assert_eq!(tested.len(), truths.len());
        }
    }
}
