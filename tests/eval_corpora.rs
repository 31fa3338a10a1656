//! Label readers on the real shared corpora (`../shared/datasets`): row counts and spot checks
//! of values read independently from the files (awk/grep). The corpora come from `common`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lookout::Cause;
use lookout::eval::techniques::tactics_of;
use lookout::eval::{LabelTable, Selector, TacticMap, ZeekLabeled, corpus_labels};

fn techniques_of(labels: &[(PathBuf, lookout::Label)], root: &Path, file: &str) -> Vec<String> {
    let path = root.join(file);
    labels
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, l)| l.techniques.clone())
        .unwrap_or_else(|| panic!("{file} not in labels"))
}

#[test]
fn evtx_attack_labels() {
    let Some(root) = common::dataset("evtx-attack") else {
        return;
    };
    let labels = corpus_labels(&root).unwrap();
    // 249 lines = header + 248 files; 13 files have no technique keyword.
    assert_eq!(labels.len(), 248);
    assert!(labels.iter().all(|(_, l)| l.cause == Cause::Malicious));
    assert_eq!(
        labels
            .iter()
            .filter(|(_, l)| l.techniques.is_empty())
            .count(),
        13
    );
    assert!(
        labels.iter().all(|(p, _)| p.is_file()),
        "every listed file exists"
    );
    assert_eq!(
        techniques_of(
            &labels,
            &root,
            "AutomatedTestingTools/Malware/rundll32_cmd_schtask.evtx"
        ),
        vec!["T1218.011", "T1053.005"]
    );
    assert_eq!(
        techniques_of(&labels, &root, "Credential Access/CA_DCSync_4662.evtx"),
        vec!["T1003.006"]
    );
}

#[test]
fn security_datasets_labels() {
    let Some(root) = common::dataset("security-datasets") else {
        return;
    };
    let labels = corpus_labels(&root).unwrap();
    // 109 lines = header + 108 archives; the two ADFS archives only had the invalid T0000.
    assert_eq!(labels.len(), 108);
    assert_eq!(
        labels
            .iter()
            .filter(|(_, l)| l.techniques.is_empty())
            .count(),
        2
    );
    assert_eq!(
        techniques_of(
            &labels,
            &root,
            "datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration.zip"
        ),
        vec!["T1078.004", "T1530"]
    );
    assert_eq!(
        techniques_of(
            &labels,
            &root,
            "datasets/atomic/linux/discovery/host/sh_arp_cache.zip"
        ),
        vec!["T1018"]
    );
}

#[test]
fn slips_per_connection_labels() {
    let Some(dir) = common::dataset("slips/dataset/test18-malicious-ctu-sme-11-win/zeek-labeled")
    else {
        return;
    };
    let conn = ZeekLabeled::read(&dir.join("conn.log.labeled")).unwrap();
    assert_eq!(conn.log, "conn");
    // awk over the data lines: 719 Malicious, 44 Benign, 3 Unknown.
    assert_eq!(conn.flows.len(), 766);
    let counts = conn.counts();
    assert_eq!(
        (counts["malicious"], counts["legitimate"], counts["unknown"]),
        (719, 44, 3)
    );
    let first = &conn.flows[0];
    assert_eq!(first.uid.as_deref(), Some("C6SgKom3WB2KEL2ae"));
    assert_eq!(first.resp_h.as_deref(), Some("66.63.168.35"));
    assert_eq!(first.cause, Some(Cause::Malicious));
    let exfil = conn.flow_label("192.168.1.107", "66.63.168.35").unwrap();
    assert_eq!(
        (exfil.cause, exfil.techniques.clone()),
        (Cause::Malicious, vec!["T1041".to_string()])
    );
}

#[test]
fn slips_file_labels() {
    let Some(root) = common::dataset("slips") else {
        return;
    };
    let labels = corpus_labels(&root).unwrap();
    // labels.tsv: 16 malicious files by name, 27 mixed (left out), 7 per-flow files of which
    // notice and telemetry hold no labelled record: 16 + 5.
    assert_eq!(labels.len(), 21);
    let scans: Vec<&PathBuf> = labels
        .iter()
        .filter(|(_, l)| l.techniques == ["T1046"])
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        scans.len(),
        3,
        "test11-portscan and the two port-scans conn.log"
    );
    // Per-flow files: conn is malicious by majority (719 of 763 labelled flows); dhcp, dns,
    // quic and ssl hold only benign flows.
    let flows: BTreeMap<String, Cause> = labels
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|x| x == "labeled"))
        .map(|(p, l)| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                l.cause,
            )
        })
        .collect();
    let expected: BTreeMap<String, Cause> = [
        ("conn.log.labeled", Cause::Malicious),
        ("dhcp.log.labeled", Cause::Legitimate),
        ("dns.log.labeled", Cause::Legitimate),
        ("quic.log.labeled", Cause::Legitimate),
        ("ssl.log.labeled", Cause::Legitimate),
    ]
    .into_iter()
    .map(|(n, c)| (n.to_string(), c))
    .collect();
    assert_eq!(flows, expected);
}

#[test]
fn corpus_techniques_resolve_to_tactics_through_a_catalog_map() {
    let Some(d) = common::datasets() else {
        return;
    };
    // The map the lead builds from the ATT&CK catalog, here straight from its TSV.
    let text = std::fs::read_to_string(d.join("attack/techniques.tsv")).unwrap();
    let map: TacticMap = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((
                f.first()?.to_string(),
                f.get(2)?.split(',').map(str::to_string).collect(),
            ))
        })
        .collect();
    assert_eq!(map.len(), 691);
    for corpus in ["evtx-attack", "security-datasets", "slips"] {
        for (path, label) in corpus_labels(&d.join(corpus)).unwrap() {
            for t in &label.techniques {
                assert!(
                    !tactics_of(&map, t).is_empty(),
                    "{t} of {} has no tactic",
                    path.display()
                );
            }
        }
    }
}

/// The project's demo labels (`sample_logs/labels.tsv`) read without a
/// single bad row, every data line a rule, the background catch-all last.
#[test]
fn sample_logs_labels_parse_cleanly() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs/labels.tsv");
    // In the repo since the demo landed: absent is a failure, not a skip.
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table = LabelTable::read(&path).unwrap();
    assert!(table.problems.is_empty(), "{:?}", table.problems);
    let data_lines = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(table.rows.len(), data_lines);
    let last = table.rows.last().unwrap();
    assert!(matches!(
        last.selector,
        Selector::HostTime {
            host: None,
            user: None,
            ..
        }
    ));
    assert_eq!(
        (last.label.cause, last.label.risk),
        (Cause::Legitimate, Some(lookout::Risk::Low))
    );
}

#[test]
fn per_flow_labels_reach_each_record_at_ingest() {
    use lookout::case::{Case, IngestProgress};
    let Some(d) = common::datasets() else {
        return;
    };
    let file =
        d.join("slips/dataset/test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled");
    let labels = lookout::eval::corpus::file_labels(&d.join("slips/labels.tsv")).unwrap();
    // Independent count: the `label` column is the second to last of each record.
    let text = std::fs::read_to_string(&file).unwrap();
    let count = |word: &str| {
        text.lines()
            .filter(|l| !l.starts_with('#') && l.split('\t').rev().nth(1) == Some(word))
            .count()
    };
    let (benign, malicious) = (count("Benign"), count("Malicious"));
    assert!(benign > 0 && malicious > benign);

    let dir = tempfile::tempdir().unwrap();
    let mut case = Case::open(dir.path(), "flows").unwrap();
    let (rules, _) = lookout::detect::RuleSet::load(&[], true);
    case.ingest(
        std::slice::from_ref(&file),
        &lookout::ingest::IngestOptions::default(),
        &labels,
        &rules,
        &lookout::config::Config::default(),
        &IngestProgress::default(),
    )
    .unwrap();
    let meta = case.index.scan_meta().unwrap();
    let with = |prefix: &str| {
        meta.iter()
            .filter(|m| m.label.as_deref().is_some_and(|l| l.starts_with(prefix)))
            .count()
    };
    assert_eq!(with("legitimate"), benign);
    assert_eq!(with("malicious"), malicious);
    // `Unknown` records carry no label, whatever the file's majority.
    assert_eq!(
        meta.iter().filter(|m| m.label.is_none()).count(),
        meta.len() - benign - malicious
    );
    // And the benign flows make benign sessions.
    let sessions = case.sessions().unwrap();
    assert!(sessions.iter().any(|s| {
        s.label
            .as_ref()
            .is_some_and(|l| l.cause == Cause::Legitimate)
    }));
}
