//! Detect on real attack recordings (EVTX-ATTACK-SAMPLES): named files must produce hits with
//! the technique the attack is known for.
//!
//! `read_events` below converts records with the `evtx` crate directly (original EventData
//! names in `fields`, normalised fields filled in), independently of the ingest stage;
//! `through_ingest` runs the same expectations through the project's own EVTX parser.

mod common;

use std::path::Path;

use lookout::detect::RuleSet;
use lookout::event::{Event, Format};
use serde_json::Value;

/// `(file under evtx-attack/, technique a default rule must report on it)`.
const EXPECTED: &[(&str, &str)] = &[
    (
        "Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx",
        "T1003.001",
    ),
    (
        "Credential Access/sysmon_10_1_memdump_comsvcs_minidump.evtx",
        "T1003.001",
    ),
    (
        "Credential Access/Powershell_4104_MiniDumpWriteDump_Lsass.evtx",
        "T1003.001",
    ),
    (
        "Credential Access/sysmon_10_11_lsass_memdump.evtx",
        "T1003.001",
    ),
    ("Credential Access/CA_DCSync_4662.evtx", "T1003.006"),
    (
        "Credential Access/kerberos_pwd_spray_4771.evtx",
        "T1110.003",
    ),
    (
        "Credential Access/Zerologon_CVE-2020-1472_DFIR_System_NetLogon_Error_EventID_5805.evtx",
        "T1210",
    ),
    (
        "Credential Access/phish_windows_credentials_powershell_scriptblockLog_4104.evtx",
        "T1056.002",
    ),
    ("Execution/susp_explorer_exec.evtx", "T1059.001"),
    (
        "Execution/exec_sysmon_1_lolbin_rundll32_advpack_RegisterOCX.evtx",
        "T1218.011",
    ),
    ("Execution/exec_sysmon_lobin_regsvr32_sct.evtx", "T1218.010"),
    (
        "Defense Evasion/DE_1102_security_log_cleared.evtx",
        "T1070.001",
    ),
    (
        "Defense Evasion/DE_104_system_log_cleared.evtx",
        "T1070.001",
    ),
    (
        "Persistence/Network_Service_Guest_added_to_admins_4732.evtx",
        "T1098",
    ),
    (
        "Lateral Movement/LM_Remote_Service02_7045.evtx",
        "T1543.003",
    ),
    (
        "Lateral Movement/LM_sysmon_psexec_smb_meterpreter.evtx",
        "T1059.001",
    ),
    (
        "Lateral Movement/LM_PowershellRemoting_sysmon_1_wsmprovhost.evtx",
        "T1021.006",
    ),
    ("Command and Control/DE_RDP_Tunneling_4624.evtx", "T1572"),
];

#[test]
fn default_rules_fire_on_evtx_attack_samples() {
    let Some(root) = common::dataset("evtx-attack") else {
        return;
    };
    let (rs, _) = RuleSet::builtin();
    let mut failures = Vec::new();
    for (file, technique) in EXPECTED {
        let events = read_events(&root.join(file));
        assert!(!events.is_empty(), "{file}: no records read");
        let mut techniques: Vec<String> = Vec::new();
        for ev in &events {
            for h in rs.matches(ev) {
                techniques.extend(h.techniques.iter().cloned());
            }
        }
        techniques.sort();
        techniques.dedup();
        println!(
            "{file}: {} records, techniques {techniques:?}",
            events.len()
        );
        if !techniques.iter().any(|t| t == technique) {
            failures.push(format!("{file}: wanted {technique}, got {techniques:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// How much of the whole collection the default rules flag, per folder (printed, not asserted:
/// the per-file expectations above are the contract).
#[test]
fn default_rules_coverage_of_evtx_attack() {
    let Some(root) = common::dataset("evtx-attack") else {
        return;
    };
    let (rs, _) = RuleSet::builtin();
    let mut files = 0;
    let mut flagged = 0;
    let mut records = 0;
    let mut hits = 0;
    for entry in walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.path().extension().is_none_or(|e| e != "evtx") {
            continue;
        }
        files += 1;
        let events = read_events(entry.path());
        records += events.len();
        let n: usize = events.iter().map(|e| rs.matches(e).len()).sum();
        hits += n;
        if n > 0 {
            flagged += 1;
        }
    }
    println!("evtx-attack: {flagged}/{files} files flagged, {hits} hits over {records} records");
    assert!(files > 0);
}

/// Reads an EVTX file into events shaped like the ingest stage's.
fn read_events(path: &Path) -> Vec<Event> {
    let Ok(mut parser) = evtx::EvtxParser::from_path(path) else {
        return Vec::new();
    };
    let source = path.display().to_string();
    parser
        .records_json_value()
        .filter_map(Result::ok)
        .map(|rec| to_event(&source, rec.event_record_id, &rec.data))
        .collect()
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(m) => m.get("#text").and_then(scalar),
        _ => None,
    }
}

/// Leaf values of EventData/UserData under their own names (`UserData.LogFileCleared.
/// SubjectUserName` -> `SubjectUserName`), unnamed `Data` items as `Data`, `Data1`, ...
fn flatten(v: &Value, name: &str, out: &mut std::collections::BTreeMap<String, String>) {
    match v {
        Value::Object(m) if !m.contains_key("#text") => {
            for (k, v) in m {
                if k != "#attributes" {
                    flatten(v, k, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let key = if i == 0 {
                    name.to_string()
                } else {
                    format!("{name}{i}")
                };
                if let Some(s) = scalar(item) {
                    out.insert(key, s);
                }
            }
        }
        other => {
            if let Some(s) = scalar(other) {
                out.insert(name.to_string(), s);
            }
        }
    }
}

fn to_event(source: &str, record: u64, data: &Value) -> Event {
    let raw = data.to_string();
    let mut ev = Event::new(Format::Evtx, source, record, raw);
    let event = &data["Event"];
    let system = &event["System"];
    if let Some(eid) = scalar(&system["EventID"]) {
        ev.fields.insert("EventID".into(), eid.clone());
        ev.event_id = Some(eid);
    }
    if let Some(ch) = scalar(&system["Channel"]) {
        ev.fields.insert("Channel".into(), ch.clone());
        ev.channel = Some(ch);
    }
    if let Some(c) = scalar(&system["Computer"]) {
        ev.fields.insert("Computer".into(), c.clone());
        ev.host = Some(c);
    }
    if let Some(p) = system["Provider"]["#attributes"]["Name"].as_str() {
        ev.fields.insert("Provider_Name".into(), p.into());
        ev.provider = Some(p.into());
    }
    for section in ["EventData", "UserData"] {
        if let Some(v) = event.get(section) {
            flatten(v, section, &mut ev.fields);
        }
    }
    let get = |keys: &[&str]| keys.iter().find_map(|k| ev.fields.get(*k).cloned());
    ev.process = get(&["Image", "NewProcessName"]);
    ev.parent_process = get(&["ParentImage", "ParentProcessName"]);
    ev.command_line = get(&["CommandLine"]);
    ev.user = get(&["User", "TargetUserName", "SubjectUserName"]);
    ev.src_ip = get(&["SourceIp", "IpAddress"]);
    ev.dst_ip = get(&["DestinationIp"]);
    ev.dst_port = get(&["DestinationPort"]).and_then(|p| p.parse().ok());
    ev.message = format!(
        "{} {}",
        ev.event_id.clone().unwrap_or_default(),
        ev.command_line.clone().unwrap_or_default()
    );
    ev.finish()
}

/// The same expectations through the project's own EVTX parser (`lookout::ingest::read_file`).
#[test]
fn through_ingest() {
    use lookout::ingest::{IngestOptions, read_file};
    let Some(root) = common::dataset("evtx-attack") else {
        return;
    };
    let (rs, _) = RuleSet::builtin();
    for (file, technique) in EXPECTED {
        let mut techniques: Vec<String> = Vec::new();
        let reports = read_file(
            &root.join(file),
            &IngestOptions::default(),
            &mut |ev: Event| {
                for h in rs.matches(&ev) {
                    techniques.extend(h.techniques.iter().cloned());
                }
            },
        );
        assert!(
            reports.iter().all(|r| r.lost() == 0 && r.events > 0),
            "{file}: {reports:?}"
        );
        assert!(
            techniques.iter().any(|t| t == technique),
            "{file}: {techniques:?}"
        );
    }
}
