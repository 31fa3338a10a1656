//! Technique candidates on real data: the retrieval index (ATT&CK procedure texts from
//! `make setup`, Atomic Red Team's atomics from the shared datasets) ranks the technique a
//! capture is labelled with among a session's top five.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use lookout::attack::atomics;
use lookout::attack::{Catalog, Procedures};
use lookout::detect::candidates::CandidateIndex;
use lookout::event::Event;
use lookout::ingest::{IngestOptions, read_file_to_vec};

/// The full index: catalog, its procedure texts, and the shared atomics.
fn full_index() -> Option<(Catalog, CandidateIndex)> {
    let catalog = common::catalog()?;
    let procedures = Procedures::load(&common::attack_procedures()?).unwrap();
    let atomics = atomics::load(&common::dataset("atomic-red-team/atomics")?).unwrap();
    let ix = CandidateIndex::build(&catalog, Some(&procedures), Some(&atomics));
    Some((catalog, ix))
}

fn top(ix: &CandidateIndex, events: &[Event], k: usize) -> Vec<String> {
    ix.candidates(events, k)
        .into_iter()
        .map(|c| c.technique)
        .collect()
}

fn events_of(path: &Path) -> Vec<Event> {
    read_file_to_vec(path, &IngestOptions::default()).0
}

#[test]
fn sample_logs_lsass_minidump_and_encoded_powershell_are_found() {
    let Some((_, ix)) = full_index() else { return };
    let ws01 = events_of(&common::repo().join("sample_logs/windows/WS01.jsonl"));
    let with = |needle: &str| -> Vec<Event> {
        ws01.iter()
            .filter(|e| {
                e.command_line
                    .as_deref()
                    .is_some_and(|c| c.to_ascii_lowercase().contains(needle))
            })
            .cloned()
            .collect()
    };
    let dump = with("comsvcs");
    assert!(!dump.is_empty(), "WS01 holds the comsvcs MiniDump");
    let cands = ix.candidates(&dump, 5);
    eprintln!("comsvcs: {cands:#?}");
    assert!(
        cands.iter().any(|c| c.technique == "T1003.001"),
        "{cands:#?}"
    );
    let lsass = cands.iter().find(|c| c.technique == "T1003.001").unwrap();
    assert!(
        lsass
            .terms
            .iter()
            .any(|t| t == "comsvcs.dll" || t == "minidump")
    );
    assert!(!lsass.matched.is_empty() && !lsass.procedure.is_empty());

    let encoded = with("-enc");
    assert!(!encoded.is_empty(), "WS01 holds encoded PowerShell");
    let got = top(&ix, &encoded, 5);
    eprintln!("encoded: {got:?}");
    assert!(got.iter().any(|t| t == "T1059.001"), "{got:?}");
}

/// Every labelled capture of EVTX-ATTACK-SAMPLES as one session: the share whose labelled
/// technique (or, for the parent-level figure, its parent) is among the top five.
#[test]
fn evtx_attack_captures_rank_their_labelled_technique_in_the_top_five() {
    let Some((catalog, ix)) = full_index() else {
        return;
    };
    let Some(dir) = common::dataset("evtx-attack") else {
        return;
    };
    let labels = lookout::eval::corpus_labels(&dir).unwrap();
    let (mut n, mut hit, mut parent_hit, mut top1) = (0usize, 0usize, 0usize, 0usize);
    for (path, label) in &labels {
        let truth: BTreeSet<String> = label
            .techniques
            .iter()
            .filter_map(|t| catalog.current(t))
            .collect();
        if truth.is_empty() {
            continue;
        }
        let events = events_of(path);
        if events.is_empty() {
            continue;
        }
        n += 1;
        let got = top(&ix, &events, 5);
        let parent = |t: &str| t.split('.').next().unwrap_or(t).to_string();
        let true_parents: BTreeSet<String> = truth.iter().map(|t| parent(t)).collect();
        hit += usize::from(got.iter().any(|t| truth.contains(t)));
        top1 += usize::from(got.first().is_some_and(|t| truth.contains(t)));
        parent_hit += usize::from(got.iter().any(|t| true_parents.contains(&parent(t))));
    }
    let share = |k: usize| k as f64 / n.max(1) as f64;
    eprintln!(
        "evtx-attack: {n} labelled captures; labelled technique in top 5: {hit} ({:.1}%), \
         top 1: {top1} ({:.1}%), parent in top 5: {parent_hit} ({:.1}%)",
        100.0 * share(hit),
        100.0 * share(top1),
        100.0 * share(parent_hit)
    );
    assert!(n >= 100, "only {n} labelled captures read");
    // Measured 63 of 235 (26.8%) with ATT&CK v18.1 procedures and the shared atomics.
    assert!(share(hit) >= 0.22, "top-5 share {:.3}", share(hit));
}
