//! Ingesting again: the same folder twice, a log that has grown since, and a file whose
//! earlier ingest was cut short. The case must end with every record exactly once.

use std::path::{Path, PathBuf};

use lookout::case::{Case, FileLabels, IngestProgress};
use lookout::config::Config;
use lookout::detect::RuleSet;
use lookout::index::WriteMode;
use lookout::ingest::{IngestOptions, read_file_to_vec};

const AUTH_LOG: &str = "sample_logs/linux/web01-auth.log";

fn ingest(case: &mut Case, paths: &[PathBuf]) -> lookout::case::IngestSummary {
    let (rules, _) = RuleSet::load(&[], true);
    case.ingest(
        paths,
        &IngestOptions::default(),
        &FileLabels::default(),
        &rules,
        &Config::default(),
        &IngestProgress::default(),
    )
    .expect("ingest")
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("sample log")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_same_folder_twice_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut case = Case::open(dir.path(), "again").unwrap();
    let inputs = vec![PathBuf::from("sample_logs/linux")];
    let first = ingest(&mut case, &inputs);
    assert!(first.events > 1000, "{first:?}");
    let count = case.index.num_events();
    assert_eq!(count, first.events);

    let second = ingest(&mut case, &inputs);
    assert_eq!(second.events, 0);
    assert_eq!(second.unchanged_files, first.files);
    assert_eq!(case.index.num_events(), count);
}

#[test]
fn a_grown_log_adds_only_its_new_lines() {
    let dir = tempfile::tempdir().unwrap();
    let all = lines(Path::new(AUTH_LOG));
    let half = all.len() / 2;
    let log = dir.path().join("auth.log");
    std::fs::write(&log, all[..half].join("\n") + "\n").unwrap();
    let mut case = Case::open(&dir.path().join("data"), "grown").unwrap();
    let first = ingest(&mut case, std::slice::from_ref(&log));
    assert_eq!(case.index.num_events(), first.events);

    // The same file later, with the rest of the lines appended (a new content hash).
    std::fs::write(&log, all.join("\n") + "\n").unwrap();
    let second = ingest(&mut case, std::slice::from_ref(&log));
    let (expected, _) = read_file_to_vec(&log, &IngestOptions::default());
    assert_eq!(second.duplicates, first.events);
    assert_eq!(first.events + second.events, expected.len() as u64);
    assert_eq!(case.index.num_events(), expected.len() as u64);
}

#[test]
fn an_interrupted_ingest_completes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let log = Path::new(AUTH_LOG);
    let (events, _) = read_file_to_vec(log, &IngestOptions::default());
    assert!(events.len() > 100);
    let digest = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(std::fs::read(log).unwrap()))
    };
    {
        // What a killed ingest leaves: a run that never finished and part of the file's
        // events committed to the index.
        let case = Case::open(dir.path(), "cut").unwrap();
        case.store.ensure_case("cut").unwrap();
        case.store
            .start_run("cut", &log.display().to_string(), 0, &digest, "{}")
            .unwrap();
        let mut w = case.index.writer(1, 50 << 20).unwrap();
        for ev in &events[..events.len() / 3] {
            assert!(w.admit(ev, WriteMode::SkipExisting).unwrap());
            w.add(ev.clone()).unwrap();
        }
        w.finish().unwrap();
    }
    let mut case = Case::open(dir.path(), "cut").unwrap();
    assert_eq!(case.index.num_events(), (events.len() / 3) as u64);
    let again = ingest(&mut case, &[log.to_path_buf()]);
    assert_eq!(again.events, events.len() as u64);
    assert_eq!(case.index.num_events(), events.len() as u64);
    assert_eq!(
        case.store.file_state("cut", &digest).unwrap(),
        lookout::store::FileState::Done
    );
}
