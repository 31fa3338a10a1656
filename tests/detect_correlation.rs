//! Sigma correlation rules (`event_count`, `value_count`, `temporal`, `temporal_ordered`) on
//! realistic logs: sshd failures and logins (tests/fixtures/detect/correlation/auth.log) and
//! Windows 4625/4624 records as nxlog writes them (security.json). Each correlation fires on
//! the events that satisfy it and on no near miss: one event too few, events spread beyond the
//! timespan, the right events in the wrong order, or split across two group-by values.

use std::collections::BTreeSet;
use std::path::PathBuf;

use lookout::detect::{Hit, RefusalKind, RuleSet};
use lookout::event::Event;
use lookout::ingest::{IngestOptions, read_file_to_vec};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/detect/correlation")
        .join(name)
}

/// The rules of `rules_file` run over `log` as ingest runs them: base hits as events pass,
/// correlation hits once all have.
fn run(rules_file: &str, log: &str) -> (RuleSet, Vec<Event>, Vec<Hit>) {
    let text = std::fs::read_to_string(fixture(rules_file)).expect("rule fixture");
    let (rules, report) = RuleSet::from_sources([(rules_file, text.as_str())]);
    assert_eq!(
        report.unsupported,
        vec![],
        "every document of {rules_file} loads"
    );
    let (events, _) = read_file_to_vec(&fixture(log), &IngestOptions::default());
    assert!(events.len() > 10, "{log}: {} events", events.len());
    let mut hits = Vec::new();
    let mut correlator = rules.correlator();
    for ev in &events {
        rules.matches_correlating(ev, &mut hits, &mut correlator);
    }
    hits.extend(correlator.finish());
    (rules, events, hits)
}

/// Each hit of rule `id`: the lines of the events it names (its one event for a base rule).
fn fired(hits: &[Hit], events: &[Event], id: &str) -> Vec<Vec<u64>> {
    hits.iter()
        .filter(|h| &*h.rule_id == id)
        .map(|h| {
            let ids = if h.events.is_empty() {
                std::slice::from_ref(&h.event_id)
            } else {
                assert!(
                    h.events.contains(&h.event_id),
                    "a hit sits on one of its events"
                );
                h.events.as_slice()
            };
            ids.iter()
                .map(|e| {
                    events
                        .iter()
                        .find(|ev| &ev.id == e)
                        .expect("a known event")
                        .record
                })
                .collect()
        })
        .collect()
}

const SSH_BRUTE_FORCE: &str = "0c5a4f6e-7c1b-4c55-9a57-3d0f2a8e1b10";
const SSH_SPRAYING: &str = "0c5a4f6e-7c1b-4c55-9a57-3d0f2a8e1b11";
const SSH_FAILURES_AND_LOGIN: &str = "0c5a4f6e-7c1b-4c55-9a57-3d0f2a8e1b12";
const SSH_LOGIN_AFTER_FAILURES: &str = "0c5a4f6e-7c1b-4c55-9a57-3d0f2a8e1b13";

/// Lines 1-6: six failures from 203.0.113.7 within 40 s (five accounts), its login on line 8.
const BURST: [u64; 6] = [1, 2, 3, 4, 5, 6];

#[test]
fn event_count_fires_on_a_burst_not_on_one_too_few_or_a_spread() {
    let (_, events, hits) = run("sshd.yml", "auth.log");
    // Not 198.51.100.23 (lines 10-13: four failures, one too few) nor 192.0.2.44 (lines
    // 14-18: five failures three minutes apart, never five within 5m).
    assert_eq!(fired(&hits, &events, SSH_BRUTE_FORCE), vec![BURST.to_vec()]);
    let hit = hits
        .iter()
        .find(|h| &*h.rule_id == SSH_BRUTE_FORCE)
        .unwrap();
    assert_eq!(hit.techniques.to_vec(), vec!["T1110.001".to_string()]);
    assert_eq!(hit.level.as_str(), "high");
}

#[test]
fn value_count_fires_on_many_accounts_not_on_one_account_or_a_spread() {
    let (_, events, hits) = run("sshd.yml", "auth.log");
    // 198.51.100.23 tries root only; 192.0.2.44 tries five accounts, but 3 minutes apart.
    assert_eq!(fired(&hits, &events, SSH_SPRAYING), vec![BURST.to_vec()]);
}

#[test]
fn temporal_fires_on_both_rules_in_one_group_within_the_timespan() {
    let (_, events, hits) = run("sshd.yml", "auth.log");
    let mut with_login = BURST.to_vec();
    with_login.push(8);
    // 198.51.100.99 (lines 19-21) logs in, then fails: temporal ignores the order. Not
    // 203.0.113.50 (lines 22-23), whose failures precede a login from another address
    // (line 24: wrong group), nor 192.0.2.77 (lines 25-26: 30 minutes apart).
    assert_eq!(
        fired(&hits, &events, SSH_FAILURES_AND_LOGIN),
        vec![with_login, vec![19, 20, 21]]
    );
}

#[test]
fn temporal_ordered_needs_the_written_order() {
    let (_, events, hits) = run("sshd.yml", "auth.log");
    let mut with_login = BURST.to_vec();
    with_login.push(8);
    // 198.51.100.99 logged in before failing: the wrong order.
    assert_eq!(
        fired(&hits, &events, SSH_LOGIN_AFTER_FAILURES),
        vec![with_login]
    );
    // `generate: true` there: the base rules keep their own hits.
    let failures = fired(&hits, &events, "0c5a4f6e-7c1b-4c55-9a57-3d0f2a8e1b01");
    assert_eq!(failures.len(), 6 + 4 + 5 + 2 + 2 + 1);
}

#[test]
fn windows_logon_failures_correlate_by_source_address() {
    let (rules, events, hits) = run("security.yml", "security.json");
    let burst: Vec<u64> = (1..=6).collect();
    // 10.0.0.50 (lines 7-10) fails four times, for one account: one too few, too few accounts.
    assert_eq!(
        fired(&hits, &events, "7d2f1c40-5b8e-4a63-8f0e-1a2b3c4d5e10"),
        vec![burst.clone()]
    );
    // `gt: 3` and `lte: 50` together: a range.
    assert_eq!(
        fired(&hits, &events, "7d2f1c40-5b8e-4a63-8f0e-1a2b3c4d5e11"),
        vec![burst]
    );
    // Referenced only by correlations that do not `generate`: no hits of its own.
    assert!(fired(&hits, &events, "7d2f1c40-5b8e-4a63-8f0e-1a2b3c4d5e01").is_empty());
    // Listed (`lookout rules`) with the rules, by type.
    let kinds: BTreeSet<&str> = rules.rules().iter().map(|r| r.logsource.as_str()).collect();
    assert!(kinds.contains("correlation/event_count"), "{kinds:?}");
    assert!(kinds.contains("correlation/value_count"), "{kinds:?}");
}

#[test]
fn correlations_lookout_cannot_run_are_refused_with_why() {
    let base = "title: b\nid: 11111111-0000-0000-0000-000000000001\nname: base\n\
                logsource:\n    product: linux\n    service: sshd\n\
                detection:\n    k:\n        - 'Failed password'\n    condition: k\n";
    let corr = |body: &str| format!("{base}---\ntitle: c\ncorrelation:\n{body}");
    for (body, why) in [
        (
            "    type: value_sum\n    rules: [base]\n    group-by: [User]\n    timespan: 1m\n    condition:\n        field: n\n        gt: 5\n",
            "value_sum",
        ),
        (
            "    type: event_count\n    rules: [nowhere]\n    group-by: [User]\n    timespan: 1m\n    condition:\n        gte: 2\n",
            "not loaded",
        ),
    ] {
        let text = corr(body);
        let (rules, report) = RuleSet::from_sources([("c.yml", text.as_str())]);
        assert_eq!(rules.len(), 1, "the base rule loads");
        assert!(!rules.has_correlations());
        assert_eq!(report.unsupported.len(), 1, "{:?}", report.unsupported);
        let r = &report.unsupported[0];
        assert_eq!(r.kind, RefusalKind::Correlation);
        assert!(r.detail.contains(why), "{}", r.detail);
    }
}
