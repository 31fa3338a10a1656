//! ATT&CK versions against real data: every technique tag of the SigmaHQ rules tree (which
//! speaks v19) is known to the shared v18.1 extract or meets it through the crosswalk, and a
//! v19 rule tag meets a v18 label in the assessment and in eval.

mod assess_support;
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assess_support::{detection, session};
use lookout::assess::{AssessInput, rules_only};
use lookout::attack::Catalog;
use lookout::eval::{EvalOptions, Prediction, Truth, evaluate};
use lookout::event::{Cause, Risk};
use lookout::sessions::ActorKind;

/// `$LOOKOUT_SHARED/datasets`, else `../shared/datasets` beside the checkout, else
/// `/work/shared/datasets` (worktrees live elsewhere). Missing: a failure under CI, else a
/// skip with a note.
fn datasets() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("LOOKOUT_SHARED").map(|s| PathBuf::from(s).join("datasets")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets")),
        Some(PathBuf::from("/work/shared/datasets")),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("attack/techniques.tsv").is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "shared datasets (attack/, sigmahq/) not found: set LOOKOUT_SHARED"
        );
        eprintln!("skipped: shared datasets not found (set LOOKOUT_SHARED)");
    }
    found
}

/// Active ids of the shared v18.1 extract, read straight from its first column.
fn v18_ids(datasets: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(datasets.join("attack/techniques.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .collect()
}

/// `attack.tNNNN[.NNN]` tags of every rule file under `dir`, with how many rules carry each.
fn technique_tags(dir: &Path, out: &mut BTreeMap<String, u32>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            technique_tags(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            for line in text.lines() {
                let Some(tag) = line.trim().strip_prefix("- ") else {
                    continue;
                };
                let tag = tag.trim().trim_matches(['\'', '"']).to_ascii_lowercase();
                let Some(id) = tag.strip_prefix("attack.t") else {
                    continue;
                };
                if id.starts_with(|c: char| c.is_ascii_digit()) {
                    *out.entry(format!("T{}", id.to_ascii_uppercase()))
                        .or_default() += 1;
                }
            }
        }
    }
}

#[test]
fn every_sigmahq_technique_tag_is_v18_or_crosswalked() {
    let Some(ds) = datasets() else { return };
    let rules = ds.join("sigmahq/rules");
    assert!(rules.is_dir(), "{} missing", rules.display());
    let v18 = v18_ids(&ds);
    let catalog = Catalog::load(&ds.join("attack/techniques.tsv")).unwrap();
    let mut tags = BTreeMap::new();
    technique_tags(&rules, &mut tags);
    assert!(tags.len() > 300, "only {} distinct tags", tags.len());

    let mut newer = BTreeMap::new();
    let mut neither = Vec::new();
    for (id, n) in &tags {
        if v18.contains(id) {
            continue;
        }
        // Resolvable: the catalog keeps it as is and counts it as a v18.1 id.
        match (catalog.normalize(id), catalog.technique_key(id)) {
            (Some(kept), Some(key)) if kept == *id && v18.contains(&key) => {
                newer.insert(id.clone(), (key, *n));
            }
            _ => neither.push(format!("{id} ({n} rules)")),
        }
    }
    for (id, (key, n)) in &newer {
        eprintln!("{id} -> {key} ({n} rules)");
    }
    assert!(
        neither.is_empty(),
        "tags neither in v18.1 nor in the crosswalk: {}",
        neither.join(", ")
    );
    // The twelve v19 ids the tree carries (see attack::crosswalk), in 231 tags.
    assert_eq!(newer.len(), 12, "{newer:?}");
    assert_eq!(newer.values().map(|(_, n)| n).sum::<u32>(), 231);
    assert_eq!(newer["T1685.005"].0, "T1070.001");
}

#[test]
fn the_real_catalog_keeps_v19_ids_and_names_them() {
    let Some(ds) = datasets() else { return };
    let c = Catalog::load(&ds.join("attack/techniques.tsv")).unwrap();
    assert_eq!(
        c.active_len(),
        691,
        "the catalog's own listing is unchanged"
    );
    assert_eq!(c.current("attack.t1685.005").as_deref(), Some("T1685.005"));
    assert_eq!(
        c.display_name("T1685.005").as_deref(),
        Some("Indicator Removal: Clear Windows Event Logs, as T1070.001 in ATT&CK v18")
    );
    assert_eq!(
        c.tactics_of("T1686.002"),
        [
            "defense-evasion".to_string(),
            "defense-impairment".to_string()
        ]
    );
    assert!(c.same_technique("T1070.001", "T1685.005"));
    assert!(c.same_technique("T1086", "T1059.001"));
    assert!(!c.same_technique("T1685.005", "T1070.002"));
    assert_eq!(c.normalize("T9999"), None);
}

/// A SigmaHQ rule tagged v19 fires; the verdict without the model keeps its id.
#[test]
fn rules_only_verdict_keeps_a_v19_rule_tag() {
    let Some(ds) = datasets() else { return };
    let c = Catalog::load(&ds.join("attack/techniques.tsv")).unwrap();
    let hit = detection(
        "win_security_event_log_cleared",
        "Security Eventlog Cleared",
        Risk::High,
        &["attack.t1685.005", "attack.t1070.001"],
        1,
    );
    let s = session(
        "dc01-admin",
        "DC01",
        "admin",
        ActorKind::User,
        "evtx",
        3,
        5,
        vec![hit],
    );
    let input = AssessInput {
        session: s,
        timeline_text: String::new(),
        hits: vec![],
        prior: None,
        examples: vec![],
        candidates: vec![],
    };
    let v = rules_only(&input, &c).verdict;
    assert_eq!(v.cause, Cause::Malicious);
    assert_eq!(
        v.techniques,
        ["T1685.005"],
        "one technique, under the rule's first id"
    );
}

/// Eval through its plain-data seam, filled from the real catalog: the v19 prediction of a
/// v18 label is an exact match.
#[test]
fn eval_counts_a_v19_prediction_of_a_v18_label_as_exact() {
    let Some(ds) = datasets() else { return };
    let c = Catalog::load(&ds.join("attack/techniques.tsv")).unwrap();
    let truth = Truth {
        session_id: "s1".into(),
        host: "DC01".into(),
        cause: Cause::Malicious,
        risk: Some(Risk::High),
        techniques: vec!["T1070.001".into()],
    };
    let pred = Prediction {
        session_id: "s1".into(),
        cause: Cause::Malicious,
        risk: Some(Risk::High),
        techniques: vec!["T1685.005".into()],
        latency_ms: 0.0,
        summary: None,
    };
    let opts = |same| EvalOptions {
        tactics: Some(
            c.iter()
                .map(|t| (t.id.clone(), t.tactics.clone()))
                .collect(),
        ),
        same_technique: same,
        resample_rounds: 1,
        ..EvalOptions::default()
    };
    let methods = [("rules".to_string(), vec![pred])];
    let with = evaluate(
        std::slice::from_ref(&truth),
        &methods,
        &opts(c.equivalent_ids()),
    );
    let t = &with.methods[0].techniques;
    assert_eq!(
        (t.n, t.exact, t.partial, t.tactic),
        (1, Some(1.0), Some(1.0), Some(1.0))
    );
    let without = evaluate(&[truth], &methods, &opts(Default::default()));
    assert_eq!(without.methods[0].techniques.exact, Some(0.0));
}
