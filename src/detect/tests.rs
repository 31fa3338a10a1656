//! Unit tests of the matcher: one test per modifier and condition form (match and non-match),
//! logsource routing and field mapping, on hand-made events.

use super::{RefusalKind, RuleSet};
use crate::event::{Event, Format};

/// A Sysmon event with the given id and original fields.
pub(super) fn sysmon(eid: u32, fields: &[(&str, &str)]) -> Event {
    windows("Microsoft-Windows-Sysmon/Operational", eid, fields)
}

pub(super) fn windows(channel: &str, eid: u32, fields: &[(&str, &str)]) -> Event {
    let mut ev = Event::new(Format::Evtx, "test.evtx", 1, "");
    ev.channel = Some(channel.into());
    ev.event_id = Some(eid.to_string());
    for (k, v) in fields {
        ev.fields.insert((*k).into(), (*v).into());
    }
    ev.finish()
}

fn line(format: Format, program: Option<&str>, raw: &str) -> Event {
    let mut ev = Event::new(format, "test.log", 1, raw);
    ev.event_id = program.map(String::from);
    ev.message = raw.into();
    ev.finish()
}

/// A rule set of one rule: process_creation with the given detection block (YAML, indented
/// by four spaces).
pub(super) fn rule(logsource: &str, detection: &str) -> RuleSet {
    let yaml = format!(
        "title: t\nid: 00000000-0000-0000-0000-000000000001\nlevel: high\n\
         tags: [attack.execution, attack.t1059.001]\nlogsource:\n{logsource}\ndetection:\n{detection}"
    );
    let (rs, report) = RuleSet::from_sources([("test.yml", yaml.as_str())]);
    assert_eq!(report.unsupported, vec![], "{yaml}");
    assert_eq!(rs.len(), 1);
    rs
}

const PROC: &str = "    product: windows\n    category: process_creation";

fn proc_rule(detection: &str) -> RuleSet {
    rule(PROC, detection)
}

fn cmd(c: &str) -> Event {
    sysmon(
        1,
        &[
            ("CommandLine", c),
            ("Image", "C:\\Windows\\System32\\cmd.exe"),
        ],
    )
}

pub(super) fn fires(rs: &RuleSet, ev: &Event) -> bool {
    !rs.matches(ev).is_empty()
}

#[test]
fn plain_value_is_case_insensitive_equality() {
    let rs = proc_rule("    sel:\n        CommandLine: 'Whoami /All'\n    condition: sel");
    assert!(fires(&rs, &cmd("whoami /all")));
    assert!(!fires(&rs, &cmd("whoami /all /fo csv")));
}

#[test]
fn contains_modifier() {
    let rs = proc_rule("    sel:\n        CommandLine|contains: 'sekurlsa::'\n    condition: sel");
    assert!(fires(
        &rs,
        &cmd("mimikatz.exe SEKURLSA::logonpasswords exit")
    ));
    assert!(!fires(&rs, &cmd("mimikatz.exe lsadump::sam")));
}

#[test]
fn startswith_and_endswith_modifiers() {
    let rs = proc_rule(
        "    sel:\n        Image|endswith: '\\cmd.exe'\n        CommandLine|startswith: 'cmd /c'\n    condition: sel",
    );
    assert!(fires(&rs, &cmd("CMD /C dir")));
    assert!(!fires(&rs, &cmd("/c cmd /c dir")));
    let other = sysmon(
        1,
        &[
            ("CommandLine", "cmd /c dir"),
            ("Image", "C:\\x\\cmd.exe.bak"),
        ],
    );
    assert!(!fires(&rs, &other));
}

#[test]
fn value_list_is_or_and_all_makes_it_and() {
    let any =
        proc_rule("    sel:\n        CommandLine|contains: [alpha, beta]\n    condition: sel");
    assert!(fires(&any, &cmd("x beta y")));
    assert!(!fires(&any, &cmd("gamma")));
    let all =
        proc_rule("    sel:\n        CommandLine|contains|all: [alpha, beta]\n    condition: sel");
    assert!(fires(&all, &cmd("beta then ALPHA")));
    assert!(!fires(&all, &cmd("only alpha")));
}

#[test]
fn re_modifier() {
    let rs = proc_rule(
        "    sel:\n        CommandLine|re: '\\s-e(nc)?\\s+[A-Za-z0-9+/=]{16,}'\n    condition: sel",
    );
    assert!(fires(
        &rs,
        &cmd("powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA")
    ));
    assert!(!fires(&rs, &cmd("powershell -enc short")));
}

#[test]
fn cidr_modifier() {
    let rs = rule(
        "    product: windows\n    category: network_connection",
        "    sel:\n        DestinationIp|cidr: ['10.0.0.0/8', 'fd00::/8']\n    condition: sel",
    );
    assert!(fires(&rs, &sysmon(3, &[("DestinationIp", "10.1.2.3")])));
    assert!(fires(&rs, &sysmon(3, &[("DestinationIp", "fd00::1")])));
    assert!(!fires(&rs, &sysmon(3, &[("DestinationIp", "8.8.8.8")])));
    assert!(!fires(&rs, &sysmon(3, &[("DestinationIp", "not an ip")])));
}

#[test]
fn base64offset_modifier() {
    // "IEX (New" base64-encoded at any of the three offsets inside a longer string.
    let rs = proc_rule(
        "    sel:\n        CommandLine|base64offset|contains: 'Invoke-Mimikatz'\n    condition: sel",
    );
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for prefix in ["", "a", "ab"] {
        let payload = b64(&format!("{prefix}Invoke-Mimikatz -DumpCreds"));
        assert!(
            fires(&rs, &cmd(&format!("powershell -e {payload}"))),
            "{prefix:?}"
        );
    }
    assert!(!fires(
        &rs,
        &cmd(&format!("powershell -e {}", b64("Get-Process")))
    ));
    // PowerShell -EncodedCommand payloads are UTF-16LE: `|wide|base64offset`.
    let wide = proc_rule(
        "    sel:\n        CommandLine|wide|base64offset|contains: 'Invoke-Mimikatz'\n    condition: sel",
    );
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    for prefix in ["", "a", "ab", "IEX "] {
        let payload = base64::engine::general_purpose::STANDARD
            .encode(utf16(&format!("{prefix}Invoke-Mimikatz -DumpCreds")));
        assert!(
            fires(&wide, &cmd(&format!("powershell -enc {payload}"))),
            "{prefix:?}"
        );
    }
    assert!(!fires(
        &wide,
        &cmd(&format!("powershell -e {}", b64("Invoke-Mimikatz")))
    ));
}

#[test]
fn windash_modifier() {
    let rs = proc_rule(
        "    sel:\n        CommandLine|contains|windash: ' -create '\n    condition: sel",
    );
    assert!(fires(&rs, &cmd("schtasks /create /tn x")));
    assert!(fires(&rs, &cmd("schtasks -create /tn x")));
    assert!(fires(&rs, &cmd("schtasks \u{2013}create /tn x")));
    assert!(!fires(&rs, &cmd("schtasks /query")));
}

#[test]
fn wildcards_in_values() {
    let rs = proc_rule("    sel:\n        CommandLine: 'net user * /add'\n    condition: sel");
    assert!(fires(&rs, &cmd("net user evil P@ss /add")));
    assert!(!fires(&rs, &cmd("net user evil")));
    let q = proc_rule("    sel:\n        CommandLine: 'c?d'\n    condition: sel");
    assert!(fires(&q, &cmd("cmd")));
    assert!(!fires(&q, &cmd("cmmd")));
}

#[test]
fn null_value_means_field_absent() {
    let rs = proc_rule(
        "    sel:\n        Image|endswith: '\\cmd.exe'\n        ParentCommandLine: null\n    condition: sel",
    );
    assert!(fires(&rs, &cmd("cmd")));
    let with_parent = sysmon(
        1,
        &[
            ("Image", "C:\\cmd.exe"),
            ("ParentCommandLine", "explorer.exe"),
        ],
    );
    assert!(!fires(&rs, &with_parent));
}

#[test]
fn keyword_lists_match_message_and_raw() {
    let rs = rule(
        "    product: linux\n    service: sshd",
        "    keywords:\n        - 'Failed password'\n        - 'Invalid user'\n    condition: keywords",
    );
    let hit = line(
        Format::AuthLog,
        Some("sshd"),
        "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
    );
    assert!(fires(&rs, &hit));
    let miss = line(
        Format::AuthLog,
        Some("sshd"),
        "Dec 10 06:55:48 LabSZ sshd[24200]: Connection closed by 173.234.31.186",
    );
    assert!(!fires(&rs, &miss));
}

/// Regression: field-less `'|all'` keywords (12 SigmaHQ rules, e.g. auditd binary padding)
/// compiled to whole-value equality and never fired.
#[test]
fn keywords_with_all_need_every_word_somewhere() {
    let rs = rule(
        "    product: linux\n    service: auth",
        "    kw:\n        '|all':\n            - 'dd'\n            - 'if='\n    condition: kw",
    );
    let hit = line(
        Format::AuthLog,
        None,
        "Mar 3 h sudo: bob : COMMAND=/bin/dd if=/dev/zero",
    );
    assert!(fires(&rs, &hit));
    let miss = line(
        Format::AuthLog,
        None,
        "Mar 3 h sudo: bob : COMMAND=/bin/dd of=/tmp/x",
    );
    assert!(!fires(&rs, &miss));
}

#[test]
fn selection_as_list_of_maps_is_or() {
    let rs = proc_rule(
        "    sel:\n        - Image|endswith: '\\procdump.exe'\n        - OriginalFileName: 'procdump'\n    condition: sel",
    );
    assert!(fires(&rs, &sysmon(1, &[("Image", "C:\\t\\procdump.exe")])));
    assert!(fires(
        &rs,
        &sysmon(
            1,
            &[("Image", "C:\\t\\pd.exe"), ("OriginalFileName", "procdump")]
        )
    ));
    assert!(!fires(&rs, &sysmon(1, &[("Image", "C:\\t\\pd.exe")])));
}

#[test]
fn condition_and_or_not_with_parentheses() {
    let rs = proc_rule(
        "    a:\n        CommandLine|contains: alpha\n    b:\n        CommandLine|contains: beta\n    \
         c:\n        CommandLine|contains: gamma\n    condition: (a or b) and not c",
    );
    assert!(fires(&rs, &cmd("alpha")));
    assert!(fires(&rs, &cmd("beta")));
    assert!(!fires(&rs, &cmd("alpha gamma")));
    assert!(!fires(&rs, &cmd("delta")));
}

#[test]
fn condition_one_of_and_all_of_patterns() {
    let det = "    sel_a:\n        CommandLine|contains: alpha\n    sel_b:\n        CommandLine|contains: beta\n    \
               filter:\n        CommandLine|contains: gamma\n";
    let one = proc_rule(&format!("{det}    condition: 1 of sel_* and not filter"));
    assert!(fires(&one, &cmd("beta")));
    assert!(!fires(&one, &cmd("beta gamma")));
    let all = proc_rule(&format!("{det}    condition: all of sel_*"));
    assert!(fires(&all, &cmd("alpha beta")));
    assert!(!fires(&all, &cmd("alpha")));
}

#[test]
fn condition_one_of_them_and_all_of_them() {
    let det = "    a:\n        CommandLine|contains: alpha\n    b:\n        Image|endswith: '\\cmd.exe'\n";
    let one = proc_rule(&format!("{det}    condition: 1 of them"));
    assert!(fires(&one, &cmd("zzz")));
    assert!(!fires(
        &one,
        &sysmon(1, &[("CommandLine", "x"), ("Image", "a.exe")])
    ));
    let all = proc_rule(&format!("{det}    condition: all of them"));
    assert!(fires(&all, &cmd("alpha")));
    assert!(!fires(&all, &cmd("beta")));
}

#[test]
fn numbers_match_string_fields() {
    let rs = rule(
        "    product: windows\n    service: security",
        "    sel:\n        EventID: 4625\n        LogonType: 3\n    condition: sel",
    );
    let ev = windows("Security", 4625, &[("EventID", "4625"), ("LogonType", "3")]);
    assert!(fires(&rs, &ev));
    let other = windows(
        "Security",
        4625,
        &[("EventID", "4625"), ("LogonType", "10")],
    );
    assert!(!fires(&rs, &other));
}

#[test]
fn logsource_category_routes_by_event_id() {
    let rs = proc_rule("    sel:\n        CommandLine|contains: whoami\n    condition: sel");
    assert!(fires(&rs, &cmd("whoami")));
    // Same fields on a Sysmon 3 record or a non-Windows log: not a process creation.
    assert!(!fires(&rs, &sysmon(3, &[("CommandLine", "whoami")])));
    let mut zeek = line(Format::ZeekJson, Some("conn"), "whoami");
    zeek.fields.insert("CommandLine".into(), "whoami".into());
    assert!(!fires(&rs, &zeek));
    // Security 4688 is a process creation too, with its own field names.
    let ev4688 = windows(
        "Security",
        4688,
        &[
            ("NewProcessName", "C:\\Windows\\System32\\whoami.exe"),
            ("CommandLine", "whoami"),
        ],
    );
    assert!(fires(&rs, &ev4688));
    let img = proc_rule("    sel:\n        Image|endswith: '\\whoami.exe'\n    condition: sel");
    assert!(fires(&img, &ev4688), "Image maps to NewProcessName on 4688");
}

#[test]
fn logsource_service_routes_by_channel_and_program() {
    let rs = rule(
        "    product: windows\n    service: security",
        "    sel:\n        EventID: 1102\n    condition: sel",
    );
    assert!(fires(&rs, &windows("Security", 1102, &[])));
    assert!(!fires(&rs, &windows("System", 1102, &[])));
    let sudo = rule(
        "    product: linux\n    service: sudo",
        "    keywords:\n        - 'COMMAND=/bin/bash'\n    condition: keywords",
    );
    let text = "bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash";
    assert!(fires(&sudo, &line(Format::AuthLog, Some("sudo"), text)));
    assert!(!fires(&sudo, &line(Format::AuthLog, Some("sshd"), text)));
    let pam = rule(
        "    product: linux\n    service: sshd",
        "    keywords:\n        - 'authentication failure'\n    condition: keywords",
    );
    let pam_line = "sshd(pam_unix)[19939]: authentication failure; rhost=1.2.3.4";
    assert!(fires(
        &pam,
        &line(Format::Syslog, Some("sshd(pam_unix)"), pam_line)
    ));
}

#[test]
fn unknown_windows_service_matches_channel_loosely() {
    let rs = rule(
        "    product: windows\n    service: bits-client",
        "    sel:\n        EventID: 59\n    condition: sel",
    );
    assert!(fires(
        &rs,
        &windows("Microsoft-Windows-Bits-Client/Operational", 59, &[])
    ));
    assert!(!fires(&rs, &windows("Security", 59, &[])));
}

#[test]
fn normalised_fields_back_sigma_names() {
    // A parser that only filled normalised fields still meets Sigma field names.
    let mut ev = Event::new(Format::WinJson, "x.json", 1, "");
    ev.channel = Some("Microsoft-Windows-Sysmon/Operational".into());
    ev.event_id = Some("3".into());
    ev.process = Some("C:\\Users\\bob\\evil.exe".into());
    ev.dst_ip = Some("203.0.113.9".into());
    ev.dst_port = Some(4444);
    let ev = ev.finish();
    let rs = rule(
        "    product: windows\n    category: network_connection",
        "    sel:\n        Image|endswith: '\\evil.exe'\n        DestinationPort: 4444\n        \
         DestinationIp|cidr: '203.0.113.0/24'\n    condition: sel",
    );
    assert!(fires(&rs, &ev));
}

#[test]
fn hit_carries_rule_metadata() {
    let rs = proc_rule("    sel:\n        CommandLine|contains: whoami\n    condition: sel");
    let ev = cmd("whoami");
    let hits = rs.matches(&ev);
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(&*h.rule_id, "00000000-0000-0000-0000-000000000001");
    assert_eq!(h.level, crate::event::Risk::High);
    assert_eq!(h.techniques.to_vec(), vec!["T1059.001"]);
    assert_eq!(h.tactics.to_vec(), vec!["execution"]);
    assert_eq!(h.event_id, ev.id);
}

#[test]
fn unsupported_rules_are_reported_with_reasons() {
    let correlation = "title: many\nid: c1\ncorrelation:\n    type: event_count\n    rules: [x]\n    \
                       group-by: [User]\n    timespan: 5m\n    condition:\n        gte: 10\nlevel: high\n";
    let bad_modifier = "title: bad mod\nlogsource:\n    product: windows\n    category: process_creation\n\
                        detection:\n    sel:\n        CommandLine|frobnicate: x\n    condition: sel\n";
    let aggregation = "title: old agg\nlogsource:\n    product: windows\n    service: security\n\
                       detection:\n    sel:\n        EventID: 4625\n    condition: sel | count() by IpAddress > 10\n";
    let bad_logsource = "title: cloud\nlogsource:\n    product: aws\n    service: cloudtrail\n\
                         detection:\n    sel:\n        eventName: x\n    condition: sel\n";
    let bad_regex = "title: bad re\nlogsource:\n    product: windows\n    category: process_creation\n\
                     detection:\n    sel:\n        CommandLine|re: '(['\n    condition: sel\n";
    let (rs, report) = RuleSet::from_sources([
        ("corr.yml", correlation),
        ("mod.yml", bad_modifier),
        ("agg.yml", aggregation),
        ("ls.yml", bad_logsource),
        ("re.yml", bad_regex),
        ("junk.yml", "{{{"),
    ]);
    assert_eq!(rs.len(), 0);
    assert_eq!(report.loaded, 0);
    let files: Vec<&str> = report.unsupported.iter().map(|r| r.file.as_str()).collect();
    for f in [
        "corr.yml", "mod.yml", "agg.yml", "ls.yml", "re.yml", "junk.yml",
    ] {
        assert!(
            files.contains(&f),
            "{f} not reported: {:?}",
            report.unsupported
        );
    }
    let reason = |f: &str| {
        report
            .unsupported
            .iter()
            .find(|r| r.file == f)
            .map(|r| r.to_string())
            .unwrap_or_default()
    };
    assert!(
        reason("corr.yml").contains("correlation"),
        "{}",
        reason("corr.yml")
    );
    assert!(reason("ls.yml").contains("aws"), "{}", reason("ls.yml"));
    assert!(
        reason("mod.yml").contains("frobnicate"),
        "{}",
        reason("mod.yml")
    );
}

/// Fuzzing found a rule file 200,000 `{` deep that held the loader for minutes (libyaml's
/// scanner is quadratic in flow depth): it is refused before parsing, beside a good rule.
#[test]
fn deeply_nested_yaml_is_refused_before_parsing() {
    let good = "title: a\nid: ok\nlogsource:\n    product: windows\n    category: process_creation\n\
                detection:\n    sel:\n        CommandLine: '{x}'\n    condition: sel\n";
    let deep = format!(
        "title: b\ndetection:\n    sel:\n        {}\n",
        "{".repeat(100_000)
    );
    let (rs, report) = RuleSet::from_sources([("good.yml", good), ("deep.yml", deep.as_str())]);
    assert_eq!((rs.len(), report.loaded), (1, 1));
    assert_eq!(report.unsupported.len(), 1, "{:?}", report.unsupported);
    let refusal = &report.unsupported[0];
    assert_eq!(
        (refusal.file.as_str(), refusal.kind),
        ("deep.yml", RefusalKind::Parse)
    );
    assert!(
        refusal.to_string().contains("100000 levels deep"),
        "{refusal}"
    );
}

/// Fuzzing found a `contains` value of 100,000 backslashes that held the rule compiler for
/// minutes (its Aho-Corasick build is quadratic in a pattern's length): refused with why.
#[test]
fn overlong_detection_values_are_refused() {
    let rule = |id: &str, value: &str| {
        format!(
            "title: t\nid: {id}\nlogsource:\n    product: windows\n    category: process_creation\n\
             detection:\n    sel:\n        CommandLine|contains:\n            - 'x'\n            - '{value}'\n\
             \x20   condition: sel\n"
        )
    };
    let long = rule("long", &"\\".repeat(100_000));
    let fine = rule("fine", &"a".repeat(346));
    let (rs, report) =
        RuleSet::from_sources([("long.yml", long.as_str()), ("fine.yml", fine.as_str())]);
    assert_eq!(rs.len(), 1, "{:?}", report.unsupported);
    assert_eq!(report.unsupported.len(), 1);
    assert_eq!(report.unsupported[0].file, "long.yml");
    assert_eq!(report.unsupported[0].kind, RefusalKind::Compile);
    assert!(
        report.unsupported[0]
            .to_string()
            .contains("100000 characters long")
    );
}

#[test]
fn duplicate_ids_are_reported_once_loaded() {
    let y = "title: a\nid: dup\nlogsource:\n    product: windows\n    category: process_creation\n\
             detection:\n    sel:\n        CommandLine: x\n    condition: sel\n";
    let (rs, report) = RuleSet::from_sources([("a.yml", y), ("b.yml", y)]);
    assert_eq!(rs.len(), 1);
    assert_eq!(report.unsupported.len(), 1);
    assert!(report.unsupported[0].to_string().contains("duplicate"));
    assert_eq!(report.unsupported[0].kind, RefusalKind::Duplicate);
}

#[test]
fn ruleset_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<RuleSet>();
}
