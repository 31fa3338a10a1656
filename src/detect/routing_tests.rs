//! Routing and field-mapping tests for the SigmaHQ log sources beyond Sysmon, and one
//! regression test per disagreement with pySigma that scripts/sigma-agreement.py found.

use super::tests::{fires, rule, sysmon, windows};
use super::{RefusalKind, RuleSet};
use crate::event::{Event, Format};

fn file_access_rule() -> RuleSet {
    rule(
        "    product: windows\n    category: file_access",
        "    sel:\n        FileName|contains: '\\Microsoft\\Protect\\'\n    \
         filter:\n        Image: 'C:\\Windows\\explorer.exe'\n    condition: sel and not filter",
    )
}

/// A Kernel-File ETW record (as exported to EVTX by its analytic channel).
fn kernel_file(eid: u32, fields: &[(&str, &str)]) -> Event {
    let mut ev = windows("Microsoft-Windows-Kernel-File/Analytic", eid, fields);
    ev.provider = Some("Microsoft-Windows-Kernel-File".into());
    ev
}

#[test]
fn file_access_routes_to_security_4663_on_files() {
    let rs = file_access_rule();
    let dpapi = "C:\\Users\\bob\\AppData\\Roaming\\Microsoft\\Protect\\S-1-5-21-1\\key";
    let access = |object_type: &str, process: &str| {
        windows(
            "Security",
            4663,
            &[
                ("ObjectType", object_type),
                ("ObjectName", dpapi),
                ("ProcessName", process),
            ],
        )
    };
    assert!(fires(&rs, &access("File", "C:\\Users\\bob\\mimikatz.exe")));
    // ProcessName stands for Image: the filter applies.
    assert!(!fires(&rs, &access("File", "C:\\Windows\\explorer.exe")));
    // A registry key of the same name is not a file access.
    assert!(!fires(&rs, &access("Key", "C:\\Users\\bob\\mimikatz.exe")));
    // Other Security events with those fields are not routed there.
    let handle = windows(
        "Security",
        4656,
        &[("ObjectType", "File"), ("ObjectName", dpapi)],
    );
    assert!(!fires(&rs, &handle));
}

#[test]
fn file_access_routes_to_kernel_file_create() {
    let rs = file_access_rule();
    let dpapi = "\\Device\\HarddiskVolume2\\Users\\bob\\AppData\\Roaming\\Microsoft\\Protect\\x";
    assert!(fires(&rs, &kernel_file(12, &[("FileName", dpapi)])));
    // Kernel-File 10 (name create) and Sysmon 11 (file created) are not reads.
    assert!(!fires(&rs, &kernel_file(10, &[("FileName", dpapi)])));
    assert!(!fires(&rs, &sysmon(11, &[("FileName", dpapi)])));
}

#[test]
fn file_rename_routes_to_kernel_file_renames() {
    let rs = rule(
        "    product: windows\n    category: file_rename",
        "    sel:\n        SourceFilename|endswith: '.docx'\n        \
         TargetFilename|contains: '.docx.'\n    condition: sel",
    );
    let renamed = [
        ("SourceFilename", "C:\\Users\\bob\\report.docx"),
        ("TargetFilename", "C:\\Users\\bob\\report.docx.locked"),
    ];
    assert!(fires(&rs, &kernel_file(27, &renamed)));
    assert!(fires(&rs, &kernel_file(19, &renamed)));
    assert!(!fires(&rs, &kernel_file(12, &renamed)));
    assert!(!fires(&rs, &sysmon(11, &renamed)));
    assert!(!fires(&rs, &windows("Security", 4663, &renamed)));
}

#[test]
fn antivirus_reads_windows_defender_detections() {
    let rs = rule(
        "    category: antivirus",
        "    sel:\n        Signature|contains: 'Mimikatz'\n    condition: sel",
    );
    let defender = |eid| {
        windows(
            "Microsoft-Windows-Windows Defender/Operational",
            eid,
            &[("Threat Name", "HackTool:Win32/Mimikatz.D")],
        )
    };
    assert!(fires(&rs, &defender(1116)));
    assert!(fires(&rs, &defender(1117)));
    // Defender's other events, and Sysmon 7's Signature (the DLL's signer), are not alerts.
    assert!(!fires(&rs, &defender(5007)));
    assert!(!fires(&rs, &sysmon(7, &[("Signature", "Mimikatz")])));
}

/// Regression: lsa-server and appxpackaging-om rules never matched (the service name is not
/// part of the channel's name), and `dns-server` matched the DNS Server *audit* channel.
#[test]
fn windows_services_use_pysigma_channel_table() {
    let svc = |s: &str| {
        rule(
            &format!("    product: windows\n    service: {s}"),
            "    sel:\n        EventID: 300\n    condition: sel",
        )
    };
    assert!(fires(
        &svc("lsa-server"),
        &windows("Microsoft-Windows-LSA/Operational", 300, &[])
    ));
    assert!(fires(
        &svc("appxpackaging-om"),
        &windows("Microsoft-Windows-AppxPackaging/Operational", 300, &[])
    ));
    let dns = svc("dns-server");
    assert!(fires(&dns, &windows("DNS Server", 300, &[])));
    assert!(!fires(
        &dns,
        &windows("Microsoft-Windows-DNS-Server/Audit", 300, &[])
    ));
    // `powershell` is both PowerShell channels, also for the ps_script category.
    let ps = rule(
        "    product: windows\n    category: ps_script",
        "    sel:\n        ScriptBlockText|contains: 'Invoke-Mimikatz'\n    condition: sel",
    );
    let block = [("ScriptBlockText", "IEX (Invoke-Mimikatz)")];
    assert!(fires(
        &ps,
        &windows("PowerShellCore/Operational", 4104, &block)
    ));
    assert!(fires(
        &ps,
        &windows("Microsoft-Windows-PowerShell/Operational", 4104, &block)
    ));
}

/// A Sysmon 8 record as the EVTX parser makes it: the raw record keeps `"StartModule":""`,
/// the parsed fields drop the empty value.
fn remote_thread(start_module: Option<&str>) -> Event {
    let module = start_module.map_or(String::new(), |m| format!(r#","StartModule":"{m}""#));
    let raw = format!(
        r#"{{"Event":{{"System":{{"EventID":8,"Channel":"Microsoft-Windows-Sysmon/Operational"}},"EventData":{{"TargetImage":"C:\\Windows\\System32\\lsass.exe"{module},"StartFunction":""}}}}}}"#
    );
    let mut ev = Event::new(Format::Evtx, "x.evtx", 1, raw);
    ev.channel = Some("Microsoft-Windows-Sysmon/Operational".into());
    ev.event_id = Some("8".into());
    ev.fields.insert(
        "TargetImage".into(),
        "C:\\Windows\\System32\\lsass.exe".into(),
    );
    if let Some(m) = start_module.filter(|m| !m.is_empty()) {
        ev.fields.insert("StartModule".into(), m.into());
    }
    ev.finish()
}

/// Regression (SigmaHQ f239b326, "Password Dumper Remote Thread in LSASS"): `StartModule: ''`
/// never matched, because the parser drops empty values; pySigma matched it. And `null`
/// means absent, not empty, as in pySigma (SigmaHQ 2e4e488a, CACTUSTORCH, asks for null).
#[test]
fn empty_evtx_values_are_empty_not_absent() {
    let det = |v: &str| {
        rule(
            "    product: windows\n    category: create_remote_thread",
            &format!(
                "    sel:\n        TargetImage|endswith: '\\lsass.exe'\n        \
                 StartModule: {v}\n    condition: sel"
            ),
        )
    };
    let (empty, null) = (det("''"), det("null"));
    assert!(fires(&empty, &remote_thread(Some(""))));
    assert!(!fires(&null, &remote_thread(Some(""))));
    assert!(fires(&null, &remote_thread(None)));
    assert!(!fires(&empty, &remote_thread(None)));
    assert!(!fires(&empty, &remote_thread(Some("C:\\x.dll"))));
}

/// Regression (SigmaHQ d21374ff, "WmiPrvSE Spawned A Process"): on Security 4688 the rule's
/// `LogonId: null` filter held (no LogonId field), hiding the hit pySigma's windows-audit
/// pipeline reports: LogonId is SubjectLogonId there. And `User` is not guessed from
/// lookout's normalised user on EVTX records (4688 has no User field).
#[test]
fn security_4688_reads_like_pysigma_windows_audit() {
    let rs = rule(
        "    product: windows\n    category: process_creation",
        "    sel:\n        ParentImage|endswith: '\\WmiPrvSe.exe'\n    \
         filter_system:\n        LogonId: '0x3e7'\n    filter_null:\n        LogonId: null\n    \
         filter_user:\n        User|contains: 'AUTHORI'\n    condition: sel and not 1 of filter_*",
    );
    let ev = |logon: &str| {
        let mut ev = windows(
            "Security",
            4688,
            &[
                ("NewProcessName", "C:\\Windows\\System32\\notepad.exe"),
                (
                    "ParentProcessName",
                    "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
                ),
                ("SubjectLogonId", logon),
                ("SubjectUserName", "WIND10$"),
            ],
        );
        ev.user = Some("NT AUTHORITY\\SYSTEM".into());
        ev
    };
    assert!(fires(&rs, &ev("0x3e4")));
    assert!(!fires(&rs, &ev("0x3e7")));
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn rule_yaml(id: &str, status: &str) -> String {
    format!(
        "title: r {id}\nid: {id}\nstatus: {status}\nlogsource:\n    product: windows\n    \
         category: process_creation\ndetection:\n    sel:\n        CommandLine: x\n    \
         condition: sel\n"
    )
}

#[test]
fn a_sigmahq_checkout_loads_as_is() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(&r.join("rules/windows/a.yml"), &rule_yaml("a", "test"));
    write(
        &r.join("rules-emerging-threats/2024/b.yml"),
        &rule_yaml("b", "experimental"),
    );
    write(
        &r.join("rules-threat-hunting/c.yml"),
        &rule_yaml("c", "test"),
    );
    write(
        &r.join("deprecated/windows/d.yml"),
        &rule_yaml("d", "deprecated"),
    );
    write(
        &r.join("deprecated/windows/e.yml"),
        &rule_yaml("e", "deprecated"),
    );
    write(&r.join("unsupported/f.yml"), &rule_yaml("f", "unsupported"));
    // Not rules: the checkout's test configs and CI workflows are never read.
    write(&r.join("tests/thor.yml"), "placeholders: {}\n");
    write(&r.join(".github/workflows/ci.yml"), "on: push\n");
    let (rs, report) = RuleSet::load(&[r.to_path_buf()], false);
    let mut ids: Vec<&str> = rs.rules().iter().map(|x| x.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["a", "b", "c"]);
    let skipped: Vec<(String, String)> = report
        .unsupported
        .iter()
        .map(|x| {
            assert_eq!(x.kind, RefusalKind::SkippedFolder, "{x}");
            let name = std::path::Path::new(&x.file).file_name().unwrap();
            (name.to_string_lossy().to_string(), x.detail.clone())
        })
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "deprecated");
    assert!(skipped[0].1.starts_with("2 rule files"), "{skipped:?}");
    // Pointed at a folder inside the checkout, deprecated/ below it is skipped too, and a
    // deprecated rule found elsewhere is refused by its status.
    let (rs, report) = RuleSet::load(&[r.join("deprecated/windows")], false);
    assert_eq!(rs.len(), 0);
    assert!(
        report
            .unsupported
            .iter()
            .all(|x| x.kind == RefusalKind::Deprecated)
    );
}
