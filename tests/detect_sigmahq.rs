//! The full SigmaHQ rule tree (`../shared/datasets/sigmahq`) as a rule source: what loads,
//! what is refused and why, and whether lookout's hits on the shared EVTX corpus agree with
//! an independent Sigma evaluation (pySigma's SQLite backend, see scripts/sigma-agreement.py,
//! whose pairs are checked in as tests/fixtures/detect/sigmahq-evtx-attack.pysigma.tsv), and on
//! synthetic events built from each rule's own values (tests/fixtures/detect/sigmahq-synthetic.*).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;

use lookout::detect::{RefusalKind, RuleSet, by_reason};
use lookout::ingest::{IngestOptions, read_file_to_vec};

/// The shared datasets folder holding `sigmahq/rules` (one locator for all tests).
fn datasets() -> Option<PathBuf> {
    common::dataset("sigmahq/rules").and_then(|_| common::datasets())
}

/// Products of SigmaHQ rules that no lookout parser reads: cloud, SaaS, identity providers,
/// network appliances, application frameworks, macOS.
const PRODUCTS_NOT_INGESTED: &[&str] = &[
    "aws",
    "azure",
    "bitbucket",
    "cisco",
    "django",
    "fortigate",
    "gcp",
    "github",
    "huawei",
    "juniper",
    "jvm",
    "kubernetes",
    "m365",
    "macos",
    "nodejs",
    "okta",
    "onelogin",
    "opencanary",
    "python",
    "rpc_firewall",
    "ruby_on_rails",
    "spring",
    "sql",
    "velocity",
];
/// `category: database` (SQL query logs) has no parser.
const CATEGORIES_NOT_INGESTED: &[&str] = &["database"];
/// Linux auditd records have no parser yet (another branch adds one; then this list empties).
const SERVICES_NOT_INGESTED: &[&str] = &["auditd"];

fn rule_files(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "yml"))
        .count()
}

#[test]
fn sigmahq_loads_all_but_products_lookout_does_not_ingest() {
    let Some(ds) = datasets() else { return };
    let dir = ds.join("sigmahq/rules");
    let (rules, report) = RuleSet::load(std::slice::from_ref(&dir), false);
    let groups = by_reason(&report.unsupported);
    for g in &groups {
        println!("{:>5} {}: {:?}", g.count, g.label, g.names);
    }
    // Every file is one rule: each either loads or is refused, once.
    assert_eq!(
        report.loaded + report.unsupported.len(),
        rule_files(&dir),
        "every rule file accounted for"
    );
    assert_eq!(rules.len(), report.loaded);
    let mut by_kind: BTreeMap<RefusalKind, BTreeSet<String>> = BTreeMap::new();
    for r in &report.unsupported {
        by_kind.entry(r.kind).or_default().insert(r.detail.clone());
    }
    let other: Vec<String> = report
        .unsupported
        .iter()
        .filter(|r| !r.kind.is_logsource())
        .map(|r| format!("{}: {r}", r.file))
        .collect();
    assert!(
        other.is_empty(),
        "only log sources lookout does not ingest may be refused: {other:#?}"
    );
    let products: BTreeSet<String> = PRODUCTS_NOT_INGESTED
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        by_kind.remove(&RefusalKind::Product).unwrap_or_default(),
        products,
        "refused products"
    );
    for (kind, allowed) in [
        (RefusalKind::Category, CATEGORIES_NOT_INGESTED),
        (RefusalKind::Service, SERVICES_NOT_INGESTED),
    ] {
        let got = by_kind.remove(&kind).unwrap_or_default();
        assert!(
            got.iter().all(|n| allowed.contains(&n.as_str())),
            "{kind:?} refused: {got:?}, expected only {allowed:?}"
        );
    }
    // The Windows categories SigmaHQ writes for sources beyond Sysmon all load.
    for logsource in [
        "windows/file_access/-",
        "windows/file_rename/-",
        "-/antivirus/-",
        "linux/-/clamav",
        "linux/-/vsftpd",
        "linux/-/guacamole",
        "windows/-/lsa-server",
        "windows/-/appxpackaging-om",
    ] {
        assert!(
            rules.rules().iter().any(|r| r.logsource == logsource),
            "no rule loaded for {logsource}"
        );
    }
    println!(
        "SigmaHQ: {} loaded, {} refused",
        report.loaded,
        report.unsupported.len()
    );
}

/// Known differences between lookout and pySigma on the corpus, each `(rule id, file,
/// record, why)`. None at present: every pair agrees.
const KNOWN_DIFFERENCES: &[(&str, &str, u64, &str)] = &[];

#[test]
fn sigmahq_hits_on_evtx_attack_agree_with_pysigma() {
    let Some(ds) = datasets() else { return };
    let corpus = ds.join("evtx-attack");
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/detect/sigmahq-evtx-attack.pysigma.tsv");
    let text = std::fs::read_to_string(&fixture).expect("the pySigma pairs fixture");
    let mut expected: BTreeSet<(String, String, u64)> = BTreeSet::new();
    let mut not_evaluated: BTreeSet<String> = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        match cols.as_slice() {
            ["!", id, ..] => {
                not_evaluated.insert(id.to_string());
            }
            [id, file, record] => {
                expected.insert((id.to_string(), file.to_string(), record.parse().unwrap()));
            }
            _ => panic!("bad fixture line: {line}"),
        }
    }
    assert!(
        expected.len() > 700,
        "{} pairs in the fixture",
        expected.len()
    );

    let (rules, _) = RuleSet::load(&[ds.join("sigmahq/rules")], false);
    let mut got: BTreeSet<(String, String, u64)> = BTreeSet::new();
    let mut events = 0;
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&corpus)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
        .collect();
    files.sort();
    for path in &files {
        let rel = path
            .strip_prefix(&corpus)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let (evs, _) = read_file_to_vec(path, &IngestOptions::default());
        events += evs.len();
        for ev in &evs {
            for h in rules.matches(ev) {
                if !not_evaluated.contains(&*h.rule_id) {
                    got.insert((h.rule_id.to_string(), rel.clone(), ev.record));
                }
            }
        }
    }
    let known: BTreeSet<(String, String, u64)> = KNOWN_DIFFERENCES
        .iter()
        .map(|(r, f, n, _)| (r.to_string(), f.to_string(), *n))
        .collect();
    let both = got.intersection(&expected).count();
    let union = got.union(&expected).count();
    let agreement = both as f64 / union.max(1) as f64;
    println!(
        "{} files, {events} events: lookout {} pairs, pySigma {}, both {both}; \
         agreement {agreement:.4}",
        files.len(),
        got.len(),
        expected.len()
    );
    let unexplained: Vec<_> = got
        .symmetric_difference(&expected)
        .filter(|p| !known.contains(*p))
        .map(|p| {
            let side = if got.contains(p) {
                "lookout only"
            } else {
                "pySigma only"
            };
            format!("{side}: {p:?}")
        })
        .collect();
    assert!(agreement >= 0.99, "agreement {agreement:.4} below 0.99");
    assert!(
        unexplained.is_empty(),
        "differences not named in KNOWN_DIFFERENCES: {unexplained:#?}"
    );
}

/// The rule set is shared by threads during ingest: matching the corpus in parallel gives
/// the same (rule, event) pairs as on one thread (the speed is `lookout bench detect`'s).
#[test]
fn sigmahq_matching_in_parallel_equals_one_thread() {
    use rayon::prelude::*;
    let Some(ds) = datasets() else { return };
    let (rules, _) = RuleSet::load(&[ds.join("sigmahq/rules")], false);
    let mut events = Vec::new();
    for e in walkdir::WalkDir::new(ds.join("evtx-attack"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "evtx"))
    {
        events.extend(read_file_to_vec(e.path(), &IngestOptions::default()).0);
    }
    let pairs = |hits: Vec<lookout::detect::Hit>| -> BTreeSet<(String, String)> {
        hits.into_iter()
            .map(|h| (h.rule_id.to_string(), h.event_id))
            .collect()
    };
    let one = pairs(events.iter().flat_map(|e| rules.matches(e)).collect());
    let par = pairs(
        events
            .par_iter()
            .flat_map_iter(|e| rules.matches(e))
            .collect(),
    );
    assert!(one.len() > 700, "{} pairs", one.len());
    assert_eq!(one, par);
}

/// A twin whose base64 text had its case flipped: that text decodes to other bytes, so
/// lookout matches `|base64offset` case-sensitively; pySigma's SQLite `LIKE` ignores case.
const BASE64_CASE: &str = "base64 compared case-sensitively by lookout, not by SQLite LIKE";

/// Known differences on the synthetic events, each `(rule id, event line, why)`.
const KNOWN_SYNTHETIC_DIFFERENCES: &[(&str, u64, &str)] = &[
    (
        "6c0a7755-6d31-44fa-80e1-133e57752680",
        522,
        "lookout only: `ARRÊTÉ` equals `arrêté` ignoring case (Sigma's default); SQLite's \
         NOCASE folds ASCII letters only",
    ),
    ("83844185-1c5b-45bc-bcf3-b5bf3084ca5b", 4794, BASE64_CASE),
    ("88f680b8-070e-402c-ae11-d2914f2257f1", 2958, BASE64_CASE),
    ("c6fb44c6-71f5-49e6-9462-1425d328aee3", 2962, BASE64_CASE),
    ("fdb62a13-9a81-4e5c-a38f-ea93a16f6d7c", 2954, BASE64_CASE),
];

/// One event per SigmaHQ Windows rule built from the rule's own values (and its twin with the
/// case of every value flipped), so that every modifier the set uses (contains, startswith,
/// endswith, all, windash, base64offset, cidr, re, cased, numbers, null, empty) meets both
/// engines. Written by `scripts/sigma-agreement.py --synthetic`, with pySigma's pairs.
#[test]
fn sigmahq_hits_on_synthetic_events_agree_with_pysigma() {
    let Some(ds) = datasets() else { return };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/detect");
    let read_gz = |name: &str| {
        let f = std::fs::File::open(dir.join(name)).expect(name);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(f), &mut text).expect(name);
        text
    };
    let mut expected: BTreeSet<(String, u64)> = BTreeSet::new();
    let mut not_evaluated: BTreeSet<String> = BTreeSet::new();
    for line in read_gz("sigmahq-synthetic.pysigma.tsv.gz")
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        match line.split('\t').collect::<Vec<_>>().as_slice() {
            ["!", id, ..] => {
                not_evaluated.insert(id.to_string());
            }
            [id, n] => {
                expected.insert((id.to_string(), n.parse().unwrap()));
            }
            _ => panic!("bad fixture line: {line}"),
        }
    }
    let (rules, _) = RuleSet::load(&[ds.join("sigmahq/rules")], false);
    let mut got: BTreeSet<(String, u64)> = BTreeSet::new();
    let events = read_gz("sigmahq-synthetic.events.jsonl.gz");
    let mut n = 0;
    for (i, line) in events.lines().enumerate() {
        let record = i as u64 + 1;
        let fields: BTreeMap<String, String> = serde_json::from_str(line).unwrap();
        let ev = evtx_like(&fields, record);
        n += 1;
        for h in rules.matches(&ev) {
            if !not_evaluated.contains(&*h.rule_id) {
                got.insert((h.rule_id.to_string(), record));
            }
        }
    }
    let known: BTreeSet<(String, u64)> = KNOWN_SYNTHETIC_DIFFERENCES
        .iter()
        .map(|(r, e, _)| (r.to_string(), *e))
        .collect();
    let both = got.intersection(&expected).count();
    let union = got.union(&expected).count();
    let agreement = both as f64 / union.max(1) as f64;
    println!(
        "{n} synthetic events: lookout {} pairs, pySigma {}, both {both}; agreement {agreement:.4}",
        got.len(),
        expected.len()
    );
    let unexplained: Vec<_> = got
        .symmetric_difference(&expected)
        .filter(|p| !known.contains(*p))
        .map(|p| {
            let side = if got.contains(p) {
                "lookout only"
            } else {
                "pySigma only"
            };
            format!("{side}: {p:?}")
        })
        .collect();
    let stale: Vec<_> = known
        .iter()
        .filter(|p| got.contains(*p) == expected.contains(*p))
        .collect();
    assert!(agreement >= 0.99, "agreement {agreement:.4} below 0.99");
    assert!(
        stale.is_empty(),
        "named as differences but agreeing: {stale:?}"
    );
    assert!(
        unexplained.is_empty(),
        "{} differences not named in KNOWN_SYNTHETIC_DIFFERENCES: {unexplained:#?}",
        unexplained.len()
    );
}

/// An event shaped as the EVTX parser makes it from a record with these fields: non-empty
/// values in `fields`, the record as compact JSON in `raw`.
fn evtx_like(fields: &BTreeMap<String, String>, record: u64) -> lookout::event::Event {
    use lookout::event::{Event, Format};
    let system = ["Channel", "EventID", "Provider_Name"];
    let data: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .filter(|(k, _)| !system.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let raw = serde_json::json!({"Event": {
        "System": {"Channel": fields.get("Channel"), "EventID": fields.get("EventID")},
        "EventData": data,
    }});
    let mut ev = Event::new(Format::Evtx, "synthetic.evtx", record, raw.to_string());
    ev.channel = fields.get("Channel").cloned();
    ev.event_id = fields.get("EventID").cloned();
    ev.provider = fields.get("Provider_Name").cloned();
    ev.fields = fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ev.finish()
}
