//! Matching through the dispatch memo and in parallel batches gives what one event at a time
//! through the walk gives: the same hits in the same order.

use super::RuleSet;
use super::tests::{sysmon, windows};
use crate::event::Event;
use crate::model::Hit;

fn events() -> Vec<Event> {
    let mut out = Vec::new();
    for i in 0..300 {
        out.push(sysmon(
            1,
            &[
                ("Image", "C:\\Windows\\System32\\rundll32.exe"),
                (
                    "CommandLine",
                    if i % 3 == 0 {
                        "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\temp\\lsass.dmp full"
                    } else {
                        "rundll32.exe shell32.dll,Control_RunDLL"
                    },
                ),
                ("ParentImage", "C:\\Windows\\System32\\cmd.exe"),
            ],
        ));
        out.push(windows(
            "Security",
            if i % 2 == 0 { 4625 } else { 4624 },
            &[("LogonType", "3"), ("TargetUserName", "bob")],
        ));
        out.push(sysmon(
            10,
            &[
                ("TargetImage", "C:\\Windows\\system32\\lsass.exe"),
                ("GrantedAccess", "0x1010"),
                ("SourceImage", "C:\\Users\\x\\mimikatz.exe"),
            ],
        ));
    }
    out
}

fn one_by_one(rs: &RuleSet, events: &[Event]) -> Vec<Hit> {
    let mut out = Vec::new();
    for e in events {
        rs.matches_into(e, &mut out);
    }
    out
}

#[test]
fn batch_equals_one_event_at_a_time() {
    let (rs, _) = RuleSet::builtin();
    let events = events();
    let expected = one_by_one(&rs, &events);
    assert!(
        !expected.is_empty(),
        "the events are written to hit the built-in rules"
    );
    let mut batch = Vec::new();
    rs.matches_batch(&events, &mut batch, None);
    assert_eq!(batch, expected);
}

#[test]
fn the_memo_gives_the_walks_answer() {
    let (rs, _) = RuleSet::builtin();
    let events = events();
    // First pass fills the memo (three kinds of event), the second reads it.
    let first = one_by_one(&rs, &events[..3]);
    assert_eq!(rs.dispatch.len(), 3);
    let again = one_by_one(&rs, &events[..3]);
    assert_eq!(first, again);
    // A fresh rule set, whose memo is empty, agrees event by event.
    let (fresh, _) = RuleSet::builtin();
    for e in &events[..30] {
        assert_eq!(fresh.matches(e), rs.matches(e));
    }
}
