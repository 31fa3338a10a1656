//! Synthetic corpora for benchmarks: Windows event JSON lines and auth.log syslog lines with
//! realistic variety (hosts, users, addresses, processes), generated deterministically.

use std::io::{BufWriter, Write};
use std::path::Path;

/// A small deterministic generator (SplitMix64): benchmark corpora must be identical across
/// runs and machines, and need no cryptographic quality.
struct Prng(u64);

impl Prng {
    fn seed_from_u64(seed: u64) -> Self {
        Prng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-enough value in `range` (the modulo bias is irrelevant here).
    fn random_range(&mut self, range: std::ops::Range<usize>) -> usize {
        range.start + (self.next() % (range.end - range.start).max(1) as u64) as usize
    }
}

const HOSTS: [&str; 8] = [
    "WS01", "WS02", "WS03", "FS01", "DC01", "SQL01", "WEB01", "LAPTOP7",
];
const USERS: [&str; 8] = [
    "alice",
    "bob",
    "carol",
    "dave",
    "svc_backup",
    "it_admin",
    "erin",
    "frank",
];
const IMAGES: [&str; 6] = [
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
];

/// Writes `n` Windows events as JSON lines (Security-Datasets style); returns bytes written.
pub fn windows_jsonl(path: &Path, n: u64, seed: u64) -> std::io::Result<u64> {
    let mut rng = Prng::seed_from_u64(seed);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let base = 1_772_442_000i64; // 2026-03-02T09:00:00Z
    let mut bytes = 0u64;
    for i in 0..n {
        let t = chrono::DateTime::from_timestamp(
            base + (i as i64) / 20,
            ((i % 20) * 50_000_000) as u32,
        )
        .unwrap_or_default();
        let host = HOSTS[rng.random_range(0..HOSTS.len())];
        let user = USERS[rng.random_range(0..USERS.len())];
        let image = IMAGES[rng.random_range(0..IMAGES.len())];
        let pid = rng.random_range(400..60000);
        let ip = format!(
            "10.0.{}.{}",
            rng.random_range(0..4),
            rng.random_range(2..250)
        );
        let line = match i % 4 {
            0 => format!(
                r#"{{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","SourceName":"Microsoft-Windows-Sysmon","Hostname":"{host}.corp.local","TimeCreated":"{}","User":"CORP\\{user}","Image":"{}","CommandLine":"\"{}\" --type=renderer --id {i}","ParentImage":"C:\\Windows\\explorer.exe","ProcessId":"{pid}","IntegrityLevel":"Medium"}}"#,
                t.format("%Y-%m-%d %H:%M:%S%.3f"),
                image.replace('\\', "\\\\"),
                image.replace('\\', "\\\\")
            ),
            1 => format!(
                r#"{{"EventID":4624,"Channel":"Security","SourceName":"Microsoft-Windows-Security-Auditing","Hostname":"{host}.corp.local","TimeCreated":"{}","TargetUserName":"{user}","TargetDomainName":"CORP","LogonType":"3","IpAddress":"{ip}","IpPort":"{}","AuthenticationPackageName":"Kerberos","WorkstationName":"{host}"}}"#,
                t.format("%Y-%m-%d %H:%M:%S%.3f"),
                rng.random_range(1024..65535)
            ),
            2 => format!(
                r#"{{"EventID":3,"Channel":"Microsoft-Windows-Sysmon/Operational","SourceName":"Microsoft-Windows-Sysmon","Hostname":"{host}.corp.local","TimeCreated":"{}","User":"CORP\\{user}","Image":"{}","SourceIp":"{ip}","SourcePort":"{}","DestinationIp":"172.217.{}.{}","DestinationPort":"443","Protocol":"tcp"}}"#,
                t.format("%Y-%m-%d %H:%M:%S%.3f"),
                image.replace('\\', "\\\\"),
                rng.random_range(1024..65535),
                rng.random_range(0..255),
                rng.random_range(0..255)
            ),
            _ => format!(
                r#"{{"EventID":4625,"Channel":"Security","SourceName":"Microsoft-Windows-Security-Auditing","Hostname":"{host}.corp.local","TimeCreated":"{}","TargetUserName":"{user}","LogonType":"3","IpAddress":"{ip}","Status":"0xc000006d","SubStatus":"0xc000006a","FailureReason":"%%2313"}}"#,
                t.format("%Y-%m-%d %H:%M:%S%.3f")
            ),
        };
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")?;
        bytes += line.len() as u64 + 1;
    }
    w.flush()?;
    Ok(bytes)
}

/// Writes `n` auth.log/syslog lines (RFC 3164); returns bytes written.
pub fn auth_syslog(path: &Path, n: u64, seed: u64) -> std::io::Result<u64> {
    auth_syslog_from(path, n, seed, 0)
}

/// [`auth_syslog`] for the lines after the first `skip` of a longer log: its clock (20 lines a
/// second from March 2, 00:00) goes on from there, so that a log made of blocks grows in time
/// as a real one does rather than repeating the same hours (the days wrap after 27, some 5 GB).
pub fn auth_syslog_from(path: &Path, n: u64, seed: u64, skip: u64) -> std::io::Result<u64> {
    let mut rng = Prng::seed_from_u64(seed);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut bytes = 0u64;
    for i in 0..n {
        let secs = (skip + i) / 20;
        let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let day = 2 + (secs / 86_400) % 27;
        let host = ["web01", "web02", "db01", "bastion"][rng.random_range(0..4)];
        let pid = rng.random_range(1000..40000);
        let ip = format!(
            "{}.{}.{}.{}",
            rng.random_range(1..223),
            rng.random_range(0..255),
            rng.random_range(0..255),
            rng.random_range(1..255)
        );
        let user = ["root", "admin", "deploy", "ops", "test", "oracle"][rng.random_range(0..6)];
        let msg = match i % 5 {
            0 | 1 => format!(
                "sshd[{pid}]: Failed password for invalid user {user} from {ip} port {} ssh2",
                rng.random_range(1024..65535)
            ),
            2 => format!(
                "sshd[{pid}]: Accepted publickey for {user} from {ip} port {} ssh2: RSA SHA256:abc{i}",
                rng.random_range(1024..65535)
            ),
            3 => format!(
                "CRON[{pid}]: pam_unix(cron:session): session opened for user {user}(uid=0) by (uid=0)"
            ),
            _ => format!(
                "sudo:   {user} : TTY=pts/{} ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
                i % 4
            ),
        };
        let line = format!("Mar {day:>2} {h:02}:{m:02}:{s:02} {host} {msg}\n");
        w.write_all(line.as_bytes())?;
        bytes += line.len() as u64;
    }
    w.flush()?;
    Ok(bytes)
}
