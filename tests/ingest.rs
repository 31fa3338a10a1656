//! Ingest on the real shared corpora, with counts checked against independent counts
//! (labels.tsv record counts, line counts, loghub's own structured parse) and fields checked
//! on records inspected by hand. The datasets come from `common` (a failure in CI when absent).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use lookout::ingest::{FileReport, IngestOptions, SkipReason, expand_paths, read_file};
use lookout::{Event, Format};

fn read(path: &Path) -> (Vec<Event>, Vec<FileReport>) {
    let mut events = Vec::new();
    let reports = read_file(path, &IngestOptions::default(), &mut |e| events.push(e));
    (events, reports)
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Non-empty lines of each `.json`/`.log` member of a zip, counted without the ingest code.
fn member_line_counts(zip_path: &Path) -> BTreeMap<String, (u64, u64)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().to_string();
        if name.starts_with("__MACOSX")
            || name.rsplit('/').next().unwrap().starts_with('.')
            || f.is_dir()
        {
            continue;
        }
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        let lines = data
            .split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
        let (mut all, mut data_lines) = (0, 0);
        for l in lines {
            all += 1;
            if !l.trim_ascii_start().starts_with(b"#") {
                data_lines += 1;
            }
        }
        out.insert(name, (all, data_lines));
    }
    out
}

#[test]
fn evtx_record_counts_match_labels_tsv() {
    let Some(root) = common::dataset("evtx-attack") else {
        return;
    };
    let labels = std::fs::read_to_string(root.join("labels.tsv")).unwrap();
    let mut lines = labels.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let file_col = header.iter().position(|h| *h == "file").unwrap();
    let n_col = header.iter().position(|h| *h == "n_records").unwrap();
    let (mut want_total, mut got_total, mut files) = (0u64, 0u64, 0);
    let mut mismatches = Vec::new();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let want: u64 = cols[n_col].parse().unwrap();
        let (events, reports) = read(&root.join(cols[file_col]));
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].format, Some(Format::Evtx));
        if events.len() as u64 != want || reports[0].lost() != 0 {
            mismatches.push(format!(
                "{}: {} events, want {want}, {:?}",
                cols[file_col],
                events.len(),
                reports[0].skipped
            ));
        }
        // Record ids are EVTX record ids, and every event carries the essentials.
        for e in &events {
            assert!(
                e.timestamp.is_some()
                    && e.host.is_some()
                    && e.event_id.is_some()
                    && e.channel.is_some(),
                "{}",
                e.raw
            );
        }
        want_total += want;
        got_total += events.len() as u64;
        files += 1;
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!((files, want_total, got_total), (248, 3162, 3162));
}

#[test]
fn security_datasets_json_members_have_one_event_per_line() {
    let Some(base) = common::dataset("security-datasets/datasets") else {
        return;
    };
    let zips = [
        "atomic/windows/execution/host/empire_launcher_vbs.zip",
        "atomic/windows/other/aptsimulator_cobaltstrike.zip",
        "atomic/aws/collection/ec2_proxy_s3_exfiltration.zip",
        "compound/GoldenSAMLADFSMailAccess/WindowsEvents.Zip",
        "compound/GoldenSAMLADFSMailAccess/Microsoft365DefenderEvents.Zip",
        "compound/Log4Shell/securityauditing_log4shell_cve2021_44228_java_serialized_object.zip",
        "compound/LSASS_campaign_01/metasploit_logonpasswords_lsass_memory_dump_zeek_logs.zip",
        // (Linux audit members merge the records of one audit event: see ingest_auditd.rs.)
        "atomic/windows/defense_evasion/host/cmd_stop_event_logging_controlset_minint_key.zip",
    ];
    for z in zips {
        let path = base.join(z);
        let counts = member_line_counts(&path);
        let mut per_source: BTreeMap<String, u64> = BTreeMap::new();
        let reports = read_file(&path, &IngestOptions::default(), &mut |e| {
            *per_source.entry(e.source.clone()).or_default() += 1;
        });
        assert_eq!(reports.len(), counts.len(), "{z}: {reports:?}");
        for r in &reports {
            let member = r.source.split_once('!').unwrap().1;
            let (_, data_lines) = counts[member];
            assert_eq!(r.events, data_lines, "{}: {:?}", r.source, r.skipped);
            assert_eq!(per_source.get(&r.source).copied().unwrap_or(0), data_lines);
            assert_eq!(r.lost(), 0, "{}: {:?}", r.source, r.problems);
        }
    }
}

#[test]
fn security_datasets_windows_fields() {
    let Some(base) = common::dataset("security-datasets/datasets") else {
        return;
    };
    // nxlog shape; the record was read with python: EventTime is local (UTC-4, from
    // EventReceivedTime 16:09:56 against @timestamp 20:09:57.054Z).
    let (events, reports) =
        read(&base.join("atomic/windows/execution/host/empire_launcher_vbs.zip"));
    assert_eq!(reports[0].format, Some(Format::WinJson));
    let e = events.iter().find(|e| e.record == 247).unwrap();
    assert_eq!(e.event_id.as_deref(), Some("4688"));
    assert_eq!(e.host.as_deref(), Some("WORKSTATION5.theshire.local"));
    assert_eq!(e.timestamp, Some(utc("2020-09-04T20:09:55Z")));
    assert_eq!(e.user.as_deref(), Some("pgustavo"));
    assert_eq!(
        e.process.as_deref(),
        Some(r"C:\Windows\System32\wscript.exe")
    );
    assert_eq!(e.pid, Some(0x988));
    assert_eq!(
        e.parent_process.as_deref(),
        Some(r"C:\Windows\explorer.exe")
    );
    assert_eq!(
        e.command_line.as_deref(),
        Some(r#""C:\windows\System32\WScript.exe" "C:\Users\pgustavo\Desktop\launcher.vbs""#)
    );
    assert_eq!(
        e.fields["CommandLine"],
        r#""C:\windows\System32\WScript.exe" "C:\Users\pgustavo\Desktop\launcher.vbs" "#
    );
    assert!(e.message.starts_with("4688 process create: "));
    let first = &events[0];
    assert_eq!(
        (first.record, first.event_id.as_deref(), first.pid),
        (1, Some("5158"), Some(3188))
    );
    assert_eq!(first.timestamp, Some(utc("2020-09-04T20:09:38Z")));

    // Security-Datasets 2021 shape, Sysmon 1 on line 1.
    let (events, _) = read(&base.join("atomic/windows/other/aptsimulator_cobaltstrike.zip"));
    let e = &events[0];
    assert_eq!(e.event_id.as_deref(), Some("1"));
    assert_eq!(e.host.as_deref(), Some("WORKSTATION5"));
    assert_eq!(e.timestamp, Some(utc("2021-06-11T09:07:15.635Z")));
    assert_eq!(e.user.as_deref(), Some(r"WORKSTATION5\APT-Simulator"));
    assert_eq!(e.process.as_deref(), Some(r"C:\Windows\System32\PING.EXE"));
    assert_eq!(
        (e.pid, e.command_line.as_deref()),
        (Some(2164), Some("ping  -n 3 127.0.0.1"))
    );
    assert_eq!(
        e.parent_process.as_deref(),
        Some(r"C:\Windows\System32\cmd.exe")
    );
    assert_eq!(e.message, "Sysmon 1 process create: ping -n 3 127.0.0.1");

    // Sentinel SecurityEvent shape, 4624 on line 3.
    let (events, _) = read(&base.join("compound/GoldenSAMLADFSMailAccess/WindowsEvents.Zip"));
    let e = events.iter().find(|e| e.record == 3).unwrap();
    assert_eq!(
        (e.event_id.as_deref(), e.host.as_deref()),
        (Some("4624"), Some("DC01.simulandlabs.com"))
    );
    assert_eq!(e.timestamp, Some(utc("2021-08-02T13:06:38.33Z")));
    assert_eq!(e.user.as_deref(), Some("wardog"));
}

#[test]
fn security_datasets_other_members() {
    let Some(base) = common::dataset("security-datasets/datasets") else {
        return;
    };
    // CloudTrail as generic JSON.
    let (events, reports) = read(&base.join("atomic/aws/collection/ec2_proxy_s3_exfiltration.zip"));
    assert_eq!(reports[0].format, Some(Format::Json));
    let e = &events[0];
    assert_eq!(
        (e.user.as_deref(), e.event_id.as_deref()),
        (Some("pedro"), Some("DescribeInstanceTypes"))
    );
    assert_eq!(
        (e.src_ip.as_deref(), e.provider.as_deref()),
        (Some("1.2.3.4"), Some("ec2.amazonaws.com"))
    );
    assert_eq!(e.timestamp, Some(utc("2020-09-14T00:44:23Z")));
    // CSV: 302 CSV records counted by python's csv module, one of them the header.
    let (events, reports) = read(&base.join("atomic/aws/discovery/aws_s3_honeybucketlogs.zip"));
    assert_eq!(
        (reports[0].format, reports[0].events, reports[0].lost()),
        (Some(Format::Csv), 301, 0)
    );
    assert_eq!(events[0].event_id.as_deref(), Some("ListObjects"));
    assert_eq!(events[0].src_ip.as_deref(), Some("177.131.167.145"));
    assert_eq!(events[0].timestamp, Some(utc("2022-02-18T17:34:57Z")));
    // Linux audit: 12 records, two process starts (SYSCALL, EXECVE, CWD, 2 PATH, PROCTITLE).
    let (events, reports) = read(&base.join("atomic/linux/discovery/host/sh_arp_cache.zip"));
    assert_eq!(
        (reports[0].format, reports[0].events, reports[0].lost()),
        (Some(Format::Auditd), 2, 0)
    );
    assert_eq!(events[0].event_id.as_deref(), Some("EXECVE"));
    assert_eq!(events[0].process.as_deref(), Some("/usr/sbin/arp"));
    assert_eq!(events[0].command_line.as_deref(), Some("arp -a"));
    assert_eq!(events[1].command_line.as_deref(), Some("grep -v ^?"));
    // Packet captures are binary: reported, not read.
    let (events, reports) = read(
        &base.join("atomic/windows/lateral_movement/network/empire_psexec_dcerpc_tcp_svcctl.zip"),
    );
    assert!(events.is_empty());
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(|r| r.count(SkipReason::Binary) == 1));
    // Zeek TSV inside a zip: one event per data line, the path as event id.
    let (events, reports) = read(&base.join(
        "compound/LSASS_campaign_01/metasploit_logonpasswords_lsass_memory_dump_zeek_logs.zip",
    ));
    assert!(reports.iter().all(|r| r.format == Some(Format::ZeekTsv)));
    let conn: Vec<&Event> = events
        .iter()
        .filter(|e| e.source.ends_with("!conn.log"))
        .collect();
    assert!(conn.iter().all(|e| e.event_id.as_deref() == Some("conn")
        && e.src_ip.is_some()
        && e.timestamp.is_some()));
}

/// Whitespace runs as one space, as event messages are written.
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// loghub ships its own parse of each 2k sample: compare every line with it.
fn loghub_structured(dir: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    let mut rdr =
        csv::Reader::from_path(dir.join(format!("{name}_2k.log_structured.csv"))).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn loghub_samples_parse_every_line_like_loghub() {
    let Some(root) = common::dataset("loghub") else {
        return;
    };
    let expect = [
        ("OpenSSH", Format::AuthLog),
        ("Linux", Format::Syslog),
        ("Apache", Format::ApacheError),
        ("Windows", Format::Text),
    ];
    for (name, format) in expect {
        let dir = root.join(name);
        let (events, reports) = read(&dir.join(format!("{name}_2k.log")));
        let want = loghub_structured(&dir, name);
        assert_eq!((events.len(), want.len()), (2000, 2000), "{name}");
        assert_eq!(
            (reports[0].format, reports[0].lost()),
            (Some(format), 0),
            "{name}"
        );
        for (e, s) in events.iter().zip(&want) {
            assert_eq!(e.record.to_string(), s["LineId"]);
            assert_eq!(
                e.format, format,
                "{name} line {} fell back: {}",
                e.record, e.raw
            );
            let ts = e
                .timestamp
                .unwrap_or_else(|| panic!("{name} line {} has no time", e.record));
            match name {
                "OpenSSH" => {
                    assert_eq!(e.host.as_deref(), Some(s["Component"].as_str()));
                    assert_eq!(
                        e.pid.map(|p| p.to_string()).as_deref(),
                        Some(s["Pid"].as_str())
                    );
                    assert_eq!(
                        ts.format("%b %-d %H:%M:%S").to_string(),
                        format!("{} {} {}", s["Date"], s["Day"], s["Time"])
                    );
                    assert!(
                        e.message.ends_with(&squeeze(&s["Content"])),
                        "{} vs {}",
                        e.message,
                        s["Content"]
                    );
                }
                "Linux" => {
                    assert_eq!(e.host.as_deref(), Some(s["Level"].as_str()));
                    // loghub takes `syslogd 1.4.1: restart.` as program `syslogd 1.4.1`; the
                    // syslog tag ends at the first character that is not part of a name.
                    let component = s["Component"].split(' ').next().unwrap();
                    if component.chars().any(char::is_alphanumeric) {
                        assert_eq!(e.process.as_deref(), Some(component));
                        assert_eq!(e.pid.map(|p| p.to_string()).unwrap_or_default(), s["PID"]);
                    } else {
                        // `combo  -- root[2421]: ROOT LOGIN`: loghub keeps `--` as the
                        // program; it names no program, so none is claimed.
                        assert_eq!(e.process, None, "{}", e.raw);
                    }
                    assert_eq!(
                        ts.format("%b %-d %H:%M:%S").to_string(),
                        format!("{} {} {}", s["Month"], s["Date"], s["Time"])
                    );
                }
                "Apache" => {
                    assert_eq!(e.event_id.as_deref(), Some(s["Level"].as_str()));
                    assert_eq!(ts.format("%a %b %d %H:%M:%S %Y").to_string(), s["Time"]);
                    // loghub keeps `[client 1.2.3.4] ` in the content; lookout moves the
                    // client to src_ip and keeps the message after it.
                    let content = match s["Content"].strip_prefix("[client ") {
                        Some(rest) => {
                            let (ip, msg) = rest.split_once("] ").unwrap_or((rest, ""));
                            assert_eq!(e.src_ip.as_deref(), Some(ip), "{}", e.raw);
                            msg.to_string()
                        }
                        None => s["Content"].clone(),
                    };
                    assert!(
                        e.message.ends_with(&squeeze(&content)),
                        "{} vs {}",
                        e.message,
                        s["Content"]
                    );
                }
                _ => {
                    assert_eq!(
                        ts.format("%Y-%m-%d %H:%M:%S").to_string(),
                        format!("{} {}", s["Date"], s["Time"])
                    );
                    assert_eq!(
                        e.fields.get("level").map(String::as_str),
                        Some(s["Level"].as_str())
                    );
                }
            }
        }
    }
}

#[test]
fn loghub_auth_semantics() {
    let Some(log) = common::dataset("loghub/OpenSSH/OpenSSH_2k.log") else {
        return;
    };
    let (events, _) = read(&log);
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for e in &events {
        *kinds
            .entry(e.event_id.clone().unwrap_or_default())
            .or_default() += 1;
    }
    // Counted with grep on the raw file.
    assert_eq!(kinds["sshd:failed_password"], 520);
    assert_eq!(kinds["sshd:invalid_user"], 226);
    let e = events.iter().find(|e| e.record == 2).unwrap();
    assert_eq!(
        (e.event_id.as_deref(), e.user.as_deref()),
        (Some("sshd:invalid_user"), Some("webmaster"))
    );
    assert_eq!(e.src_ip.as_deref(), Some("173.234.31.186"));
    let failed = events
        .iter()
        .filter(|e| e.event_id.as_deref() == Some("sshd:failed_password"));
    assert!(
        failed
            .clone()
            .all(|e| e.user.is_some() && e.src_ip.is_some() && e.src_port.is_some())
    );
}

#[test]
fn slips_network_logs() {
    let Some(root) = common::dataset("slips/dataset") else {
        return;
    };
    let (files, problems) = expand_paths(std::slice::from_ref(&root));
    assert!(problems.is_empty());
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name == "README.md" || name == "labels.config" {
            continue;
        }
        let (events, reports) = read(&f);
        let r = &reports[0];
        assert_eq!(reports.len(), 1);
        assert_eq!(r.lost(), 0, "{}: {:?}", f.display(), r.problems);
        let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(&f).unwrap())
            .lines()
            .map(Result::unwrap)
            .filter(|l| !l.trim().is_empty())
            .collect();
        let data = lines
            .iter()
            .filter(|l| !l.trim_start().starts_with('#'))
            .count() as u64;
        let want = match r.format {
            Some(Format::Binetflow) => data - 1,
            Some(Format::ZeekTsv | Format::ZeekJson | Format::SuricataEve) => data,
            other => panic!("{}: unexpected {other:?}", f.display()),
        };
        assert_eq!(r.events, want, "{}", f.display());
        if r.format == Some(Format::ZeekJson) || r.format == Some(Format::ZeekTsv) {
            let path = name.split('.').next().unwrap();
            assert!(
                events.iter().all(|e| e.event_id.as_deref() == Some(path)),
                "{}",
                f.display()
            );
        }
    }
    // Suricata: 745 alerts (per labels.tsv) among 5000 records.
    let (events, _) = read(&root.join("test6-malicious.suricata.json"));
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event_id.as_deref() == Some("alert"))
            .count(),
        745
    );
    let e = &events[0];
    assert_eq!(e.timestamp, Some(utc("2021-06-06T13:59:46.457984Z")));
    assert_eq!(
        (e.src_ip.as_deref(), e.src_port, e.dst_port),
        (Some("78.36.196.213"), Some(51698), Some(445))
    );
    // Labelled Zeek TSV keeps the labels as fields.
    let (events, _) =
        read(&root.join("test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled"));
    let e = &events[0];
    assert_eq!(e.fields["label"], "Malicious");
    assert_eq!(e.timestamp, Some(utc("2023-02-22T00:00:03.714845Z")));
    assert_eq!(
        (e.dst_ip.as_deref(), e.dst_port),
        (Some("66.63.168.35"), Some(5888))
    );
}

fn skip_metadata(p: &Path) -> bool {
    let name = p.file_name().unwrap().to_string_lossy();
    name.starts_with("LICENSE")
        || name.starts_with("README")
        || name == "SOURCE.txt"
        || name.ends_with(".tsv")
}

#[test]
fn ingest_everything_in_the_shared_datasets() {
    let Some(ds) = common::datasets() else {
        return;
    };
    let (files, problems) = expand_paths(std::slice::from_ref(&ds));
    assert!(problems.is_empty(), "{problems:?}");
    let files: Vec<PathBuf> = files.into_iter().filter(|p| !skip_metadata(p)).collect();
    let started = std::time::Instant::now();
    let mut by_format: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let (mut sources, mut bytes) = (0, 0);
    for f in &files {
        let reports = read_file(f, &IngestOptions::default(), &mut |e| {
            *by_format.entry(e.format.as_str().to_string()).or_default() += 1;
        });
        for r in reports {
            sources += 1;
            bytes += r.bytes;
            for (k, v) in r.skipped {
                *by_reason.entry(k).or_default() += v;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let total: u64 = by_format.values().sum();
    println!(
        "ingested {} files ({sources} sources, {:.1} MB) in {secs:.2} s: {total} events",
        files.len(),
        bytes as f64 / 1e6
    );
    println!("events by format: {by_format:#?}");
    println!("problems by reason: {by_reason:#?}");
    assert!(total > 100_000);
    assert_eq!(by_format.get("evtx").copied(), Some(3162));
}

/// Parsing speed on synthetic files (run with `--ignored --nocapture`; prints, never asserts
/// times). Figures are for the test profile, which builds lookout at opt-level 1.
#[test]
#[ignore]
fn bench_parse_speed() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let n = 200_000;
    let mut files = Vec::new();
    let mut write = |name: &str, line: &dyn Fn(usize) -> String| {
        let p = dir.path().join(name);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        for i in 0..n {
            writeln!(f, "{}", line(i)).unwrap();
        }
        files.push(p);
    };
    write("conn.log", &|i| {
        format!(
            r#"{{"ts":1601998366.{i:06},"uid":"C{i}x","id.orig_h":"10.0.{}.{}","id.orig_p":{},"id.resp_h":"93.184.216.34","id.resp_p":443,"proto":"tcp","service":"ssl","duration":0.5,"orig_bytes":{i},"resp_bytes":2048,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":9,"orig_ip_bytes":900,"resp_pkts":8,"resp_ip_bytes":3000}}"#,
            i % 250,
            i % 200,
            1024 + i % 60000
        )
    });
    write("win.json", &|i| {
        format!(
            r#"{{"EventID":4688,"SourceName":"Microsoft-Windows-Security-Auditing","Hostname":"WS{}.corp.example","Channel":"Security","@timestamp":"2020-09-04T20:09:40.{:03}Z","TimeCreated":"2020-09-04T20:09:38.{:03}Z","SubjectUserName":"user{}","SubjectDomainName":"CORP","TargetUserName":"-","NewProcessName":"C:\\Windows\\System32\\cmd.exe","NewProcessId":"0x{:x}","ProcessId":"0x1a0","CommandLine":"cmd.exe /c whoami /all {i}","ParentProcessName":"C:\\Windows\\explorer.exe","TokenElevationType":"%%1936","MandatoryLabel":"S-1-16-12288"}}"#,
            i % 50,
            i % 1000,
            i % 1000,
            i % 40,
            1000 + i
        )
    });
    write("auth.log", &|i| {
        format!(
            "Mar  3 10:{:02}:{:02} bastion sshd[{}]: Failed password for invalid user admin{} from 203.0.{}.{} port {} ssh2",
            i / 60 % 60,
            i % 60,
            2000 + i % 5000,
            i % 100,
            i % 250,
            i % 200,
            1024 + i % 60000
        )
    });
    write("access.log", &|i| {
        format!(
            r#"203.0.113.{} - - [10/Oct/2023:13:{:02}:{:02} -0700] "GET /item/{i}?q=abc HTTP/1.1" 200 {} "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)""#,
            i % 250,
            i / 60 % 60,
            i % 60,
            500 + i % 9000
        )
    });
    for path in &files {
        let bytes = std::fs::metadata(path).unwrap().len();
        // Best of three; CPU time as well as wall time, since the machine may be shared.
        let (mut wall, mut cpu) = (f64::MAX, f64::MAX);
        let mut format = None;
        for _ in 0..3 {
            let (w0, c0) = (std::time::Instant::now(), process_cpu_seconds());
            // Count only: what the sink does with events is not parsing time.
            let mut count = 0;
            let reports = read_file(path, &IngestOptions::default(), &mut |_| count += 1);
            wall = wall.min(w0.elapsed().as_secs_f64());
            cpu = cpu.min(process_cpu_seconds() - c0);
            assert_eq!(count, n);
            format = reports[0].format;
        }
        println!(
            "{:<11} {:<12} {:>8.0} lines/s wall {:>6.1} MB/s | {:>8.0} lines per CPU-second ({} threads)",
            path.file_name().unwrap().to_string_lossy(),
            format!("{:?}", format.unwrap()),
            n as f64 / wall,
            bytes as f64 / 1e6 / wall,
            n as f64 / cpu,
            rayon::current_num_threads()
        );
    }
}

/// User + system CPU time of this process so far (Linux; 0 elsewhere), in seconds.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`: utime and stime are the 12th and 13th, in clock ticks.
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest.split(' ').map(|x| x.parse().unwrap_or(0.0)).collect();
    if f.len() < 13 {
        return 0.0;
    }
    (f[11] + f[12]) / 100.0
}
