//! Unit tests of the ingest loop: the per-file tally, the summary, labels and write modes,
//! and one small ingest end to end.

use super::*;
use crate::event::{Cause, Format};
use crate::ingest::SkipReason;

fn label(cause: Cause) -> Label {
    Label {
        cause,
        techniques: vec!["T1110".into()],
        risk: None,
    }
}

fn problem(reason: SkipReason) -> Problem {
    Problem {
        source: "x.log".into(),
        offset: 0,
        reason,
        detail: String::new(),
    }
}

#[test]
fn a_tally_counts_events_by_format_and_takes_the_readers_skips() {
    let mut t = FileTally::default();
    t.count("syslog");
    t.count("syslog");
    t.count("zeek");
    assert_eq!(t.events, 3);
    assert_eq!(t.formats["syslog"], 2);
    assert_eq!(t.formats["zeek"], 1);
    let report = |n, problems: Vec<Problem>| FileReport {
        skipped: BTreeMap::from([("bad_record".to_string(), n)]),
        problems,
        ..FileReport::new("x.log")
    };
    let problems = t.take_reports(vec![
        report(2, vec![problem(SkipReason::BadRecord)]),
        report(1, vec![]),
    ]);
    assert_eq!(t.skipped["bad_record"], 3);
    assert_eq!(problems.len(), 1);
}

#[test]
fn the_summary_adds_files_and_counts_unread_paths_by_reason() {
    let mut s = IngestSummary::default();
    s.skip(problem(SkipReason::Unreadable));
    s.skip(problem(SkipReason::Unreadable));
    assert_eq!(s.skipped["unreadable"], 2);
    assert_eq!(s.problems.len(), 2);
    let mut t = FileTally {
        duplicates: 4,
        ..FileTally::default()
    };
    t.count("syslog");
    t.skipped.insert("unreadable".into(), 1);
    s.add(&t);
    s.add(&t);
    assert_eq!(s.events, 2);
    assert_eq!(s.duplicates, 8);
    assert_eq!(s.formats["syslog"], 2);
    assert_eq!(s.skipped["unreadable"], 4);
}

#[test]
fn a_labelled_file_is_read_with_its_label() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a.log");
    std::fs::write(&f, "x").unwrap();
    let opts = IngestOptions::default();
    let mut labels = FileLabels::default();
    assert!(matches!(file_options(&opts, &labels, &f), Cow::Borrowed(_)));
    labels.insert(&f, label(Cause::Malicious));
    let o = file_options(&opts, &labels, &d.path().join("./a.log"));
    assert_eq!(o.label.as_ref().map(|l| l.cause), Some(Cause::Malicious));
    assert_eq!(o.max_line_bytes, opts.max_line_bytes);
    assert!(
        file_options(&opts, &labels, &d.path().join("b.log"))
            .label
            .is_none()
    );
}

#[test]
fn events_get_the_default_host_and_their_record_label() {
    let host = Some("web01".to_string());
    let mut named = Event::new(Format::Syslog, "a.log", 1, "");
    named.host = Some("db02".into());
    attach_labels(&mut named, &host, None);
    assert_eq!(named.host.as_deref(), Some("db02"));
    let mut ev = Event::new(Format::Syslog, "a.log", 2, "");
    ev.label = Some(label(Cause::Malicious));
    attach_labels(&mut ev, &host, None);
    assert_eq!(ev.host.as_deref(), Some("web01"));
    assert_eq!(ev.label.as_ref().map(|l| l.cause), Some(Cause::Malicious));
    // A file labelled record by record: its records' own labels, none for the others.
    let records = HashMap::from([(2, label(Cause::Legitimate))]);
    attach_labels(&mut ev, &host, Some(&records));
    assert_eq!(ev.label.as_ref().map(|l| l.cause), Some(Cause::Legitimate));
    attach_labels(&mut named, &host, Some(&records));
    assert_eq!(named.label, None);
}

#[test]
fn only_an_interrupted_file_replaces_its_events() {
    assert_eq!(write_mode(FileState::Interrupted), WriteMode::Replace);
    assert_eq!(write_mode(FileState::New), WriteMode::SkipExisting);
}

#[test]
fn ingest_reads_labels_counts_and_skips_what_it_has_read() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("auth.log");
    std::fs::write(
        &log,
        "Mar  2 00:17:01 web01 CRON[210085]: pam_unix(cron:session): session opened for user root\n\
         Mar  2 00:17:02 web01 CRON[210085]: pam_unix(cron:session): session closed for user root\n",
    )
    .unwrap();
    let mut case = Case::open(&d.path().join("data"), "unit").unwrap();
    let mut labels = FileLabels::default();
    labels.insert(&log, label(Cause::Malicious));
    let (rules, _) = RuleSet::from_sources([]);
    let progress = IngestProgress::default();
    let inputs = [log.clone(), d.path().join("missing.log")];
    let run = |case: &mut Case| {
        case.ingest(
            &inputs,
            &IngestOptions::default(),
            &labels,
            &rules,
            &Config::default(),
            &progress,
        )
        .unwrap()
    };
    let first = run(&mut case);
    assert_eq!(first.files, 1);
    assert_eq!(first.events, 2);
    assert_eq!(first.formats.values().sum::<u64>(), 2);
    assert_eq!(first.skipped["unreadable"], 1, "the missing path");
    assert_eq!(progress.events.load(Ordering::Relaxed), 2);
    let mut causes = Vec::new();
    case.index
        .for_each_event(|ev| causes.push(ev.label.map(|l| l.cause)))
        .unwrap();
    assert_eq!(causes, vec![Some(Cause::Malicious); 2]);
    // The same content again is not read.
    let again = run(&mut case);
    assert_eq!(
        (again.files, again.unchanged_files, again.events),
        (1, 1, 0)
    );
}
