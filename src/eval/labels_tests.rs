//! Tests of the labels-file reader: the project's host/time TSV and the generic columns.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn fixture() -> LabelTable {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval/labels.tsv");
    LabelTable::read(&path).unwrap()
}

/// The cause of the first row matching host/user over [start, end], or None.
fn cause_for(
    table: &LabelTable,
    host: &str,
    user: Option<&str>,
    start: &str,
    end: &str,
) -> Option<Cause> {
    let s = SessionRef {
        id: "x",
        host,
        user,
        start: t(start),
        end: t(end),
        sources: &[],
        accounts: &BTreeMap::new(),
    };
    table.lookup(&s).map(|r| r.label.cause)
}

#[test]
fn project_tsv_reads_rows_and_counts_bad_ones() {
    let table = fixture();
    assert_eq!(table.rows.len(), 4);
    let lines: Vec<usize> = table.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![7, 8]);
    assert!(table.problems[0].reason.contains("start time"));
    assert!(table.problems[1].reason.contains("unknown cause"));
    let first = &table.rows[0];
    assert_eq!(first.line, 3);
    assert_eq!(first.label.techniques, vec!["T1003.001", "T1059.001"]);
    assert_eq!(first.label.risk, Some(Risk::Critical));
    assert_eq!(
        first.story.as_deref(),
        Some("bob dumps LSASS with a PowerShell one-liner")
    );
}

#[test]
fn first_matching_row_wins() {
    let tb = fixture();
    use Cause::*;
    // Short name matches the FQDN; user and time overlap row 3.
    let c = cause_for(
        &tb,
        "WS01.corp.local",
        Some("bob"),
        "2026-03-03T10:10:00Z",
        "2026-03-03T10:20:00Z",
    );
    assert_eq!(c, Some(Malicious));
    // Domain-qualified user, overlapping only the end of row 3.
    let c = cause_for(
        &tb,
        "ws01",
        Some("CORP\\bob"),
        "2026-03-03T10:29:00Z",
        "2026-03-03T10:45:00Z",
    );
    assert_eq!(c, Some(Malicious));
    // Another user, or bob later on: the workday row.
    let c = cause_for(
        &tb,
        "WS01",
        Some("alice"),
        "2026-03-03T10:10:00Z",
        "2026-03-03T10:20:00Z",
    );
    assert_eq!(c, Some(Legitimate));
    let c = cause_for(
        &tb,
        "WS01",
        Some("bob"),
        "2026-03-03T11:00:00Z",
        "2026-03-03T11:05:00Z",
    );
    assert_eq!(c, Some(Legitimate));
    // A user-bound row needs a user.
    let c = cause_for(
        &tb,
        "SRV02",
        None,
        "2026-03-03T01:00:00Z",
        "2026-03-03T01:05:00Z",
    );
    assert_eq!(c, Some(Legitimate));
    let s = SessionRef {
        id: "x",
        host: "srv02.corp.local",
        user: Some("svc_backup@corp.local"),
        start: t("2026-03-03T01:00:00Z"),
        end: t("2026-03-03T01:05:00Z"),
        sources: &[],
        accounts: &BTreeMap::new(),
    };
    let row = tb.lookup(&s).unwrap();
    assert_eq!(
        (row.label.cause, row.label.risk),
        (Misconfiguration, Some(Risk::Medium))
    );
    // `*` catches the rest of March, nothing catches April.
    let c = cause_for(
        &tb,
        "HOST9",
        None,
        "2026-03-20T00:00:00Z",
        "2026-03-20T00:01:00Z",
    );
    assert_eq!(c, Some(Legitimate));
    let c = cause_for(
        &tb,
        "HOST9",
        None,
        "2026-04-02T00:00:00Z",
        "2026-04-02T00:01:00Z",
    );
    assert_eq!(c, None);
}

#[test]
fn host_and_user_matching_rules() {
    assert!(host_matches("WS01", "ws01.corp.local"));
    assert!(host_matches("ws01.corp.local", "WS01"));
    assert!(!host_matches("ws01.a.com", "ws01.b.com"));
    assert!(!host_matches("WS01", "WS011"));
    assert!(!host_matches("10.0.0.5", "10.0.0.6"));
    assert!(host_matches("10.0.0.5", "10.0.0.5"));
    assert!(user_matches("bob", "CORP\\Bob"));
    assert!(user_matches("bob@corp.local", "bob"));
    assert!(!user_matches("bob", "bobby"));
}

#[test]
fn generic_tsv_selects_by_session_path_or_host() {
    let text = "session\tpath\thost\tstart\tend\tlabel\trisk\n\
                s-42\t\t\t\t\tmalicious:T1110.001\thigh\n\
                \tcreds/**/*.evtx\t\t\t\tmalicious:T1003\t\n\
                \t*.zip\t\t\t\tlegitimate\t\n\
                \t\tSRV9\t\t2026-01-01T00:00:00+01:00\tmisconfiguration\t\n\
                \t\t\t\t\tlegitimate\t\n\
                \t*.log\t\t\t\tlegitimate\textreme\n";
    let tb = LabelTable::parse(text).unwrap();
    assert_eq!(tb.rows.len(), 4);
    let lines: Vec<usize> = tb.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![6, 7], "{:?}", tb.problems);
    let at = t("2025-12-31T22:00:00Z");
    let srcs = |v: &[&str]| -> Vec<String> { v.iter().map(|s| s.to_string()).collect() };
    let find = |id: &str, host: &str, sources: &[String]| {
        let s = SessionRef {
            id,
            host,
            user: None,
            start: at,
            end: at,
            sources,
            accounts: &BTreeMap::new(),
        };
        tb.lookup(&s).map(|r| (r.line, r.label.cause))
    };
    assert_eq!(find("s-42", "h", &[]), Some((2, Cause::Malicious)));
    let creds = srcs(&["/x/other.log", "/data/creds/dc/a.evtx"]);
    assert_eq!(find("s-1", "h", &creds), Some((3, Cause::Malicious)));
    assert_eq!(
        find("s-1", "h", &srcs(&["/d/b.zip!in/x.json"])),
        Some((4, Cause::Legitimate))
    );
    // Open start; end 2026-01-01T00:00+01:00 = 2025-12-31T23:00Z, after the session.
    assert_eq!(find("s-1", "srv9", &[]), Some((5, Cause::Misconfiguration)));
    assert_eq!(find("s-1", "other", &[]), None);
    assert_eq!(tb.rows[0].label.techniques, vec!["T1110.001"]);
    assert_eq!(tb.rows[0].label.risk, Some(Risk::High));
}

#[test]
fn unusable_headers_are_errors() {
    assert!(LabelTable::parse("").is_err());
    assert!(LabelTable::parse("cause\ttechniques\nmalicious\t\n").is_err());
    assert!(LabelTable::parse("host\tstart\tend\n").is_err());
    let err = LabelTable::read(Path::new("/nonexistent/labels.tsv")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/labels.tsv"));
}
