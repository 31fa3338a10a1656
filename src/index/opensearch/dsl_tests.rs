//! Unit tests of the query translation: leaves per field kind, and clauses as tantivy's
//! query parser builds them (dropped empty terms, refused all-negative queries).

use super::*;

fn t(q: &str) -> Value {
    translate(q).unwrap_or_else(|e| panic!("{q}: {e}"))
}

#[test]
fn leaves_follow_the_field_kinds() {
    assert_eq!(t("*"), json!({ "match_all": {} }));
    assert_eq!(t("Mimikatz"), json!({ "term": { "message": "mimikatz" } }));
    assert_eq!(
        t("\"failed password\""),
        json!({ "match_phrase": { "message": { "query": "failed password", "slop": 0 } } })
    );
    assert_eq!(
        t("cmd.exe"),
        json!({ "match_phrase": { "message": { "query": "cmd.exe", "slop": 0 } } })
    );
    assert_eq!(t("host:WS01"), json!({ "term": { "host": "ws01" } }));
    assert_eq!(t("pid:4"), json!({ "term": { "pid": 4 } }));
    assert_eq!(
        t("fields.CommandLine:whoami"),
        json!({ "term": { "fields.CommandLine": "whoami" } })
    );
    // An unknown field is an original field, as in tantivy.
    assert_eq!(
        t("TargetUserName:Bob"),
        json!({ "term": { "fields.TargetUserName": "bob" } })
    );
    assert_eq!(
        t(r"fields.a\.b:x"),
        json!({ "term": { "fields.a%2Eb": "x" } })
    );
    assert_eq!(t("fields.a.b:x"), json!({ "match_none": {} }));
    assert_eq!(
        t("ts:[2026-03-02T00:00:00Z TO 2026-03-03T00:00:00.5Z}"),
        json!({ "range": { "ts_us": { "gte": 1_772_409_600_000_000_i64, "lt": 1_772_496_000_500_000_i64 } } })
    );
    assert_eq!(
        t("host: IN [WS01 ws02]"),
        json!({ "terms": { "host": ["ws01", "ws02"] } })
    );
}

#[test]
fn clauses_follow_tantivys_rules() {
    let q = t("failure -host:ws02");
    assert_eq!(
        q["bool"]["must"],
        json!([{ "term": { "message": "failure" } }])
    );
    assert_eq!(
        q["bool"]["must_not"],
        json!([{ "term": { "host": "ws02" } }])
    );
    // `AND NOT x` is `-x` (index/grammar.rs), as in tantivy.
    assert_eq!(t("failure AND NOT host:ws02"), q);
    let q = t("a OR b");
    assert_eq!(q["bool"]["minimum_should_match"], json!(1));
    // A term without tokens is dropped, not matched as nothing.
    assert_eq!(t("failure \"...\"")["bool"]["must"], json!([t("failure")]));
    assert_eq!(t("\"...\""), json!({ "match_none": {} }));
    // A nested clause without a positive part matches nothing (one joined by OR; one joined by
    // AND is lifted into its parent).
    assert_eq!(
        t("a OR (NOT b)")["bool"]["should"][1],
        json!({ "match_none": {} })
    );
    assert_eq!(t("a AND (NOT b)"), t("a -b"));
    assert!(translate("NOT b").is_err());
    assert!(translate("-b -c").is_err());
    assert!(translate("pid:abc").is_err());
    assert!(translate("doc:x").is_err());
    assert!(translate("ts:yesterday").is_err());
    assert!(translate("nofield:[a TO b]").is_err());
}
