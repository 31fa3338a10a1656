use std::path::PathBuf;

use super::*;
use crate::attack::crosswalk::{DEFENSE_IMPAIRMENT, PairSource};

fn tech(id: &str, name: &str, tactics: &[&str]) -> Technique {
    Technique {
        id: id.into(),
        name: name.into(),
        tactics: tactics.iter().map(|t| t.to_string()).collect(),
        platforms: vec!["Windows".into()],
        deprecated: false,
        revoked: false,
        replaced_by: None,
    }
}

/// A v18-shaped catalog: the v18 equivalents of some v19 ids, and one MITRE revocation.
fn v18() -> Catalog {
    let mut revoked = tech("T1086", "PowerShell", &[]);
    revoked.revoked = true;
    revoked.replaced_by = Some("T1059.001".into());
    Catalog::from_techniques(
        vec![
            tech("T1070", "Indicator Removal", &["defense-evasion"]),
            tech(
                "T1070.001",
                "Clear Windows Event Logs",
                &["defense-evasion"],
            ),
            tech("T1562", "Impair Defenses", &["defense-evasion"]),
            tech("T1562.001", "Disable or Modify Tools", &["defense-evasion"]),
            tech(
                "T1562.004",
                "Disable or Modify System Firewall",
                &["defense-evasion"],
            ),
            tech("T1059", "Command and Scripting Interpreter", &["execution"]),
            tech("T1059.001", "PowerShell", &["execution"]),
            revoked,
        ],
        Some("18.1".into()),
        PathBuf::from("test"),
    )
}

#[test]
fn v19_ids_are_kept_with_their_v18_equivalents_tactics_and_name() {
    let c = v18();
    assert_eq!(
        c.normalize("attack.t1685.005").as_deref(),
        Some("T1685.005")
    );
    assert_eq!(c.current("T1685.005").as_deref(), Some("T1685.005"));
    assert!(c.is_valid("T1685.005"));
    assert_eq!(
        c.tactics_of("T1685.005"),
        [
            "defense-evasion".to_string(),
            DEFENSE_IMPAIRMENT.to_string()
        ]
    );
    assert_eq!(
        c.display_name("t1685.005").as_deref(),
        Some("Indicator Removal: Clear Windows Event Logs, as T1070.001 in ATT&CK v18")
    );
    // Bridged only where the catalog knows the older id (T1562.002 is not in this one).
    assert_eq!(c.normalize("T1685.001"), None);
    // Model output stays strict: an id no version knows is still unknown.
    assert_eq!(c.normalize("T9999"), None);
    assert_eq!(c.technique_key("T9999"), None);
    // The catalog's own listing is unchanged; search finds the newer ids.
    assert_eq!(c.len(), 8);
    assert!(c.iter().all(|t| !t.id.starts_with("T168")));
    let ids: Vec<&str> = c
        .search("clear windows")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(ids, ["T1070.001", "T1685.005"]);
    assert_eq!(c.search("t1686")[0].id, "T1686");
}

#[test]
fn crosswalk_meets_both_directions() {
    let c = v18();
    assert!(c.same_technique("T1685.005", "T1070.001"));
    assert!(c.same_technique("t1070.001", "attack.t1685.005"));
    assert_eq!(c.technique_key("T1685.005").as_deref(), Some("T1070.001"));
    assert_eq!(c.technique_key("T1070.001").as_deref(), Some("T1070.001"));
    assert!(c.same_technique("T1685", "T1562.001"));
    assert!(!c.same_technique("T1685.005", "T1070"));
    assert!(!c.same_technique("T1685", "T1685.005"));
    // MITRE's revocations are the same relation.
    assert!(c.same_technique("T1086", "T1059.001"));
    // v18 cannot tell apart two v19 ids that replaced one v18 id.
    assert!(c.same_technique("T1686", "T1686.003"));
    let eq = c.equivalent_ids();
    assert_eq!(eq.get("T1685.005").map(String::as_str), Some("T1070.001"));
    assert_eq!(eq.get("T1086").map(String::as_str), Some("T1059.001"));
    assert!(!eq.contains_key("T1070.001"));

    let down = c.equivalents("T1685.005");
    assert_eq!(down.len(), 1);
    assert_eq!((down[0].id.as_str(), down[0].newer), ("T1070.001", false));
    let up = c.equivalents("T1070.001");
    assert_eq!((up[0].id.as_str(), up[0].newer), ("T1685.005", true));
    let mitre = c.equivalents("T1059.001");
    assert_eq!((mitre[0].id.as_str(), mitre[0].newer), ("T1086", false));
    assert_eq!(mitre[0].source, "MITRE revoked-by");
}

#[test]
fn crosswalk_tsv_beside_the_catalog_adds_and_overrides_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = dir.path().join("techniques.tsv");
    std::fs::write(
        &tsv,
        "id\tname\ttactics\tis_subtechnique\tplatforms\n\
         T1070\tIndicator Removal\tdefense-evasion\tfalse\tWindows\n\
         T1070.001\tClear Windows Event Logs\tdefense-evasion\ttrue\tWindows\n\
         T1059.001\tPowerShell\texecution\ttrue\tWindows\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(crosswalk::CROSSWALK_FILE),
        "v19_id\tv18_id\trules\tother_v18_ids\nT1685.005\tT1070\t1\t\nT1699\tT1059.001\t1\t\n",
    )
    .unwrap();
    let c = Catalog::load(&tsv).unwrap();
    // The user's line wins over the built-in T1685.005 -> T1070.001.
    assert!(c.same_technique("T1685.005", "T1070"));
    assert!(!c.same_technique("T1685.005", "T1070.001"));
    assert_eq!(c.tactics_of("T1699"), ["execution".to_string()]);
    let src = &c.equivalents("T1699")[0].source;
    assert!(src.ends_with(crosswalk::CROSSWALK_FILE), "{src}");
    // A broken user file is an error naming it, not a silent fallback.
    std::fs::write(dir.path().join(crosswalk::CROSSWALK_FILE), "nope\n").unwrap();
    let e = Catalog::load(&tsv).unwrap_err().to_string();
    assert!(e.contains(crosswalk::CROSSWALK_FILE), "{e}");
}

#[test]
fn with_crosswalk_keeps_the_builtin_pairs() {
    let extra = vec![Pair {
        newer: "T1699".into(),
        older: "T1059.001".into(),
        source: PairSource::SigmaHq,
    }];
    let c = v18().with_crosswalk(extra);
    assert!(c.same_technique("T1699", "T1059.001"));
    assert!(c.same_technique("T1685.005", "T1070.001"));
}
