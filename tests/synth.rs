//! `lookout synth` on the shared Atomic Red Team copy: named techniques are generated, every
//! file parses through lookout's ingest with zero bad records, a rule tagged with each
//! technique fires where one exists, labels.tsv covers the attacks' events, and the same seed
//! gives the same bytes.

use std::path::{Path, PathBuf};

use lookout::detect::RuleSet;
use lookout::eval::{LabelTable, SessionRef};
use lookout::event::Cause;
use lookout::ingest::{IngestOptions, read_file_to_vec};
use lookout::synth::{OutFormat, Platform, SynthOptions, TechniqueStatus, synthesize};

/// The shared Atomic Red Team atomics: `$LOOKOUT_SHARED/datasets/…` or `../shared/datasets/…`
/// beside the repository. Missing is a failure that names it, never a skip.
fn atomics() -> PathBuf {
    let rel = "datasets/atomic-red-team/atomics";
    let mut candidates = Vec::new();
    if let Ok(s) = std::env::var("LOOKOUT_SHARED") {
        candidates.push(PathBuf::from(s).join(rel));
    }
    candidates.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared")
            .join(rel),
    );
    candidates
        .into_iter()
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("shared Atomic Red Team copy not found: set LOOKOUT_SHARED to the folder holding {rel}"))
}

const NAMED: [&str; 5] = [
    "T1003.001",
    "T1059.001",
    "T1053.005",
    "T1136.001",
    "T1548.003",
];

fn options(out: &Path, techniques: &[&str], seed: u64) -> SynthOptions {
    let mut o = SynthOptions::new(atomics(), out.to_path_buf());
    o.techniques = techniques.iter().map(|t| t.to_string()).collect();
    o.seed = seed;
    o.benign = 1;
    o
}

#[test]
fn named_techniques_parse_fire_their_rules_and_are_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let (rules, _) = RuleSet::builtin();
    let done = synthesize(&options(dir.path(), &NAMED, 7), &rules).unwrap();
    let r = &done.report;
    assert!(r.synthetic);
    assert_eq!(r.final_check.bad_records, 0, "{:?}", r.final_check);
    assert_eq!(r.final_check.expected_events, r.final_check.events);
    assert!(r.final_check.records >= r.final_check.events);

    // Every technique was generated; those with a tagged built-in rule had one fire.
    for (t, p) in [
        ("T1003.001", Platform::Windows),
        ("T1059.001", Platform::Windows),
        ("T1053.005", Platform::Windows),
        ("T1136.001", Platform::Windows),
        ("T1136.001", Platform::Linux),
        ("T1548.003", Platform::Linux),
    ] {
        let stat = r
            .per_technique
            .iter()
            .find(|s| s.technique == t && s.platform == p)
            .unwrap_or_else(|| panic!("{t} on {p:?} not generated"));
        assert!(
            stat.tagged_rules > 0,
            "{t}: a built-in rule is tagged with it"
        );
        assert_eq!(
            stat.status,
            TechniqueStatus::RuleVerified,
            "{t} {p:?}: {stat:?}\n{:#?}",
            r.sample_problems
        );
        assert!(stat.sessions >= 1);
    }
    assert!(r.benign.passed >= 10, "{:?}", r.benign);
    assert!(
        r.benign
            .by_cause
            .get("misconfiguration")
            .copied()
            .unwrap_or(0)
            >= 5
    );

    // Every scenario instance passes the same checks as the attacks (a wrong login uid or a
    // parent that never started would reject it).
    assert_eq!(
        r.benign.passed, r.benign.instances,
        "{:#?}",
        r.sample_problems
    );

    // The network sensor's view: each Windows host's flows, and the malicious scenarios
    // (a C2 beacon; a PowerShell payload, a proxy binary and a planted cron job calling the
    // attacker's server) among the sessions.
    assert!(
        done.files
            .iter()
            .any(|f| f.format == OutFormat::ZeekConn && f.events > 0),
        "no Zeek conn file"
    );
    assert!(
        r.benign.by_cause.get("malicious").copied().unwrap_or(0) >= 4,
        "{:?}",
        r.benign
    );

    // Each file parses as its kind with no problem of any sort.
    for f in &done.files {
        let (events, reports) = read_file_to_vec(&f.path, &IngestOptions::default());
        assert_eq!(events.len() as u64, f.events, "{}", f.path.display());
        for rep in &reports {
            assert!(
                rep.skipped.is_empty(),
                "{}: {:?}",
                f.path.display(),
                rep.problems
            );
            let fmt = rep
                .format
                .map(|x| x.as_str().to_string())
                .unwrap_or_default();
            match f.format {
                OutFormat::Sysmon
                | OutFormat::Security
                | OutFormat::System
                | OutFormat::PowerShell => assert_eq!(fmt, "win_json"),
                OutFormat::AuthLog => assert_eq!(fmt, "auth_log"),
                OutFormat::Syslog => assert!(fmt == "syslog" || fmt == "auth_log", "{fmt}"),
                OutFormat::Audit => assert_eq!(fmt, "auditd"),
                OutFormat::ZeekConn => assert_eq!(fmt, "zeek_json"),
            }
        }
        // labels.tsv covers every attack event (auditd's through `node=`).
        let table = LabelTable::read(&dir.path().join("labels.tsv")).unwrap();
        assert!(table.problems.is_empty(), "{:?}", table.problems);
        for ev in &events {
            let label = &f.labels[&ev.record];
            let (Some(host), Some(t)) = (ev.host.as_deref(), ev.timestamp) else {
                continue;
            };
            let user = ev.user.as_deref();
            let accounts = Default::default();
            let sref = SessionRef {
                id: "",
                host,
                user,
                start: t,
                end: t,
                sources: &[],
                accounts: &accounts,
            };
            let row = table
                .lookup(&sref)
                .unwrap_or_else(|| panic!("no label row for {}", ev.raw));
            if label.cause == Cause::Malicious {
                assert_eq!(
                    row.label.cause,
                    Cause::Malicious,
                    "{} -> row {}",
                    ev.raw,
                    row.line
                );
                assert_eq!(row.label.techniques, label.techniques, "{}", ev.raw);
            }
        }
    }

    // The manifest says synthetic; stories of misconfigurations carry fix steps.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["synthetic"], true);
    assert_eq!(manifest["seed"], 7);
    let stories: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("stories.json")).unwrap())
            .unwrap();
    let stories = stories.as_array().unwrap();
    for s in stories.iter().filter(|s| s["cause"] == "misconfiguration") {
        assert!(!s["fix"].as_array().unwrap().is_empty(), "{s}");
    }
    // The LSASS dump by comsvcs.dll is there, with its process access record.
    let sysmon: String = done
        .files
        .iter()
        .filter(|f| f.format == OutFormat::Sysmon)
        .map(|f| std::fs::read_to_string(&f.path).unwrap())
        .collect();
    assert!(sysmon.contains("comsvcs.dll, MiniDump"));
    assert!(sysmon.contains(r#""EventID":10,"#) && sysmon.contains(r#"lsass.exe""#));
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let (rules, _) = RuleSet::builtin();
    let techniques = ["T1136.001", "T1548.003", "T1547.001"];
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    synthesize(&options(a.path(), &techniques, 42), &rules).unwrap();
    synthesize(&options(b.path(), &techniques, 42), &rules).unwrap();
    synthesize(&options(c.path(), &techniques, 43), &rules).unwrap();
    let files = |d: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            // report.json holds the run time.
            .filter(|p| p.file_name().unwrap() != "report.json")
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert!(fa.len() > 5);
    assert_eq!(fa.len(), fb.len());
    for ((na, da), (nb, db)) in fa.iter().zip(&fb) {
        assert_eq!(na, nb);
        assert!(da == db, "{na} differs between two runs with seed 42");
    }
    assert_ne!(fa, fc, "another seed gives other sessions");
}
