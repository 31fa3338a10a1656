use std::path::{Path, PathBuf};

use super::*;
use crate::attack::Technique;

fn technique(id: &str, name: &str, platforms: &[&str]) -> Technique {
    Technique {
        id: id.into(),
        name: name.into(),
        tactics: vec!["credential-access".into()],
        platforms: platforms.iter().map(|p| p.to_string()).collect(),
        deprecated: false,
        revoked: false,
        replaced_by: None,
    }
}

fn index() -> CandidateIndex {
    let catalog = Catalog::from_techniques(
        vec![
            technique("T1003", "OS Credential Dumping", &["Windows", "Linux"]),
            technique("T1003.001", "LSASS Memory", &["Windows"]),
            technique("T1003.008", "/etc/passwd and /etc/shadow", &["Linux"]),
            technique("T1059.001", "PowerShell", &["Windows"]),
        ],
        None,
        PathBuf::from("test"),
    );
    let procedures = Procedures::parse(
        "technique\tkind\tsource\ttext\n\
         T1003.001\tprocedure\tAPT1\tAPT1 dumped LSASS with rundll32 comsvcs.dll MiniDump.\n\
         T1003.008\tprocedure\tX\tX read /etc/shadow with cat and unshadow.\n\
         T1059.001\tprocedure\tY\tY ran powershell -nop -enc with a hidden window.\n\
         T1059.001\tdetection\tAN1\tpowershell.exe spawned by cmd.exe with -EncodedCommand.\n",
        Path::new("p.tsv"),
    );
    CandidateIndex::build(&catalog, Some(&procedures), None)
}

fn facts(lines: &[&str], platform: Option<SessionPlatform>) -> SessionFacts {
    SessionFacts {
        facts: lines.iter().map(|s| s.to_string()).collect(),
        platform,
    }
}

#[test]
fn the_matching_procedure_ranks_first_with_its_facts() {
    let ix = index();
    let f = facts(
        &[
            "C:\\Windows\\System32\\rundll32.exe",
            "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 612 C:\\t\\l.dmp full",
        ],
        Some(SessionPlatform::Windows),
    );
    let c = ix.search(&f, 3);
    assert_eq!(c[0].technique, "T1003.001", "{c:#?}");
    assert_eq!(c[0].name, "OS Credential Dumping: LSASS Memory");
    assert_eq!(c[0].source, "ATT&CK procedure: APT1");
    assert!(c[0].terms.contains(&"comsvcs.dll".to_string()));
    assert!(c[0].matched[0].contains("comsvcs"), "{:?}", c[0].matched);
    // Same input, same output.
    assert_eq!(ix.search(&f, 3), c);
}

#[test]
fn other_platforms_and_weak_overlaps_give_no_candidate() {
    let ix = index();
    // /etc/shadow is a Linux procedure: a Windows session does not get it.
    let shadow = facts(
        &["cat /etc/shadow", "unshadow"],
        Some(SessionPlatform::Windows),
    );
    assert!(
        ix.search(&shadow, 5)
            .iter()
            .all(|c| c.technique != "T1003.008")
    );
    let linux = facts(
        &["cat /etc/shadow", "unshadow"],
        Some(SessionPlatform::Linux),
    );
    assert_eq!(ix.search(&linux, 5)[0].technique, "T1003.008");
    // Words no procedure uses give nothing at all.
    assert!(
        ix.search(&facts(&["notepad.exe readme.txt"], None), 5)
            .is_empty()
    );
}

#[test]
fn facts_come_from_processes_command_lines_and_fields() {
    use crate::event::{Event, Format};
    let mut e = Event::new(Format::Evtx, "x.evtx", 1, "raw");
    e.process = Some("reg.exe".into());
    e.command_line = Some("reg add HKLM\\Software\\Run".into());
    e.fields
        .insert("TargetObject".into(), "HKLM\\Software\\Run\\x".into());
    e.fields.insert("Unrelated".into(), "ignored".into());
    let f = SessionFacts::from_events(&[e.clone(), e]);
    assert_eq!(
        f.facts,
        vec![
            "reg.exe",
            "reg add HKLM\\Software\\Run",
            "HKLM\\Software\\Run\\x"
        ]
    );
    assert_eq!(f.platform, Some(SessionPlatform::Windows));
}
