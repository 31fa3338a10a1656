//! Windows records as JSON lines in the shape of the project's sample exports (nxlog-style
//! flat objects: `SourceName`, `Channel`, `Hostname`, `TimeCreated`, `EventID`, then the
//! EventData names): Sysmon events and 4688 here, the other channels in `winsec`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::record::{OutFormat, Record, Role, win_time};
use super::winsec::user_sid;
use super::world::{DOMAIN, Host};

const SYSMON: (&str, &str) = (
    "Microsoft-Windows-Sysmon",
    "Microsoft-Windows-Sysmon/Operational",
);
pub(super) const SECURITY: (&str, &str) = ("Microsoft-Windows-Security-Auditing", "Security");
pub(super) const POWERSHELL: (&str, &str) = (
    "Microsoft-Windows-PowerShell",
    "Microsoft-Windows-PowerShell/Operational",
);

/// A process as the records describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct WinProc {
    pub pid: u32,
    pub guid: String,
    pub image: String,
    pub cmd: String,
    /// `CORP\alice`, `NT AUTHORITY\SYSTEM`.
    pub user: String,
    pub integrity: Integrity,
    pub logon_id: String,
    pub cwd: String,
    /// The PE's original name: kept when a binary is renamed or moved.
    pub original: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrity {
    Medium,
    High,
    System,
}

impl Integrity {
    fn name(self) -> &'static str {
        match self {
            Integrity::Medium => "Medium",
            Integrity::High => "High",
            Integrity::System => "System",
        }
    }
    fn label_sid(self) -> &'static str {
        match self {
            Integrity::Medium => "S-1-16-8192",
            Integrity::High => "S-1-16-12288",
            Integrity::System => "S-1-16-16384",
        }
    }
    fn elevation(self) -> &'static str {
        match self {
            Integrity::Medium => "%%1938",
            Integrity::High => "%%1937",
            Integrity::System => "%%1936",
        }
    }
}

/// The last path component of a Windows path.
pub fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// A stable fake SHA256 for a binary (by its original name: a renamed copy keeps its hash).
fn hashes(original: &str) -> String {
    let key = original.to_ascii_lowercase();
    let mut hex = String::with_capacity(64);
    for i in 0..4u64 {
        hex.push_str(&format!(
            "{:016X}",
            xxhash_rust::xxh3::xxh3_64_with_seed(key.as_bytes(), i)
        ));
    }
    format!("SHA256={hex}")
}

/// Collects the Windows records of one session, writing only the kinds that are enabled.
pub struct WinLog<'h> {
    pub host: &'h Host,
    pub enabled: &'h [OutFormat],
    pub role: Role,
    pub records: Vec<Record>,
}

pub(super) type Fields<'a> = &'a [(&'a str, String)];

impl<'h> WinLog<'h> {
    pub fn new(host: &'h Host, enabled: &'h [OutFormat]) -> WinLog<'h> {
        WinLog {
            host,
            enabled,
            role: Role::Context,
            records: Vec::new(),
        }
    }

    pub(super) fn push(
        &mut self,
        kind: OutFormat,
        (provider, channel): (&str, &str),
        t: DateTime<Utc>,
        (eid, task, message): (u32, &str, &str),
        fields: Fields<'_>,
    ) {
        if !self.enabled.contains(&kind) {
            return;
        }
        let mut m = Map::new();
        m.insert("SourceName".into(), provider.into());
        m.insert("Channel".into(), channel.into());
        m.insert("Hostname".into(), self.host.fqdn.as_str().into());
        m.insert("TimeCreated".into(), win_time(t).into());
        m.insert("EventID".into(), Value::from(eid));
        m.insert("Task".into(), task.into());
        m.insert("Message".into(), message.into());
        if kind == OutFormat::Sysmon {
            m.insert("RuleName".into(), "-".into());
            m.insert("UtcTime".into(), win_time(t).into());
        }
        for (k, v) in fields {
            m.insert((*k).into(), v.as_str().into());
        }
        self.records.push(Record {
            format: kind,
            time: t,
            line: Value::Object(m).to_string(),
            role: self.role,
        });
    }

    fn sysmon(&mut self, t: DateTime<Utc>, eid: u32, msg: &str, f: Fields<'_>) {
        self.push(
            OutFormat::Sysmon,
            SYSMON,
            t,
            (eid, &eid.to_string(), msg),
            f,
        );
    }

    /// Any Security-log event.
    pub fn security(&mut self, t: DateTime<Utc>, eid: u32, task: &str, msg: &str, f: Fields<'_>) {
        self.push(OutFormat::Security, SECURITY, t, (eid, task, msg), f);
    }

    /// Sysmon 1, and Security 4688 for the same process.
    pub fn process_create(&mut self, t: DateTime<Utc>, p: &WinProc, parent: &WinProc) {
        let (original, description) = super::wintables::pe_info(&p.original);
        let f = [
            ("ProcessGuid", p.guid.clone()),
            ("ProcessId", p.pid.to_string()),
            ("Image", p.image.clone()),
            (
                "FileVersion",
                "10.0.22621.4830 (WinBuild.160101.0800)".into(),
            ),
            ("Description", description.to_string()),
            ("Product", "Microsoft® Windows® Operating System".into()),
            ("Company", "Microsoft Corporation".into()),
            ("OriginalFileName", original.to_string()),
            ("CommandLine", p.cmd.clone()),
            ("CurrentDirectory", p.cwd.clone()),
            ("User", p.user.clone()),
            ("LogonId", p.logon_id.clone()),
            ("TerminalSessionId", "1".into()),
            ("IntegrityLevel", p.integrity.name().into()),
            ("Hashes", hashes(&p.original)),
            ("ParentProcessGuid", parent.guid.clone()),
            ("ParentProcessId", parent.pid.to_string()),
            ("ParentImage", parent.image.clone()),
            ("ParentCommandLine", parent.cmd.clone()),
            ("ParentUser", parent.user.clone()),
        ];
        self.sysmon(t, 1, "Process Create:", &f);
        let (domain, name) = p.user.split_once('\\').unwrap_or((DOMAIN, p.user.as_str()));
        let sid = if p.integrity == Integrity::System {
            "S-1-5-18".to_string()
        } else {
            user_sid(name)
        };
        let f = [
            ("SubjectUserSid", sid),
            ("SubjectUserName", name.to_string()),
            ("SubjectDomainName", domain.to_string()),
            ("SubjectLogonId", p.logon_id.clone()),
            ("NewProcessId", format!("0x{:x}", p.pid)),
            ("NewProcessName", p.image.clone()),
            ("TokenElevationType", p.integrity.elevation().into()),
            ("ProcessId", format!("0x{:x}", parent.pid)),
            ("CommandLine", p.cmd.clone()),
            ("TargetUserSid", "S-1-0-0".into()),
            ("TargetUserName", "-".into()),
            ("TargetDomainName", "-".into()),
            ("TargetLogonId", "0x0".into()),
            ("ParentProcessName", parent.image.clone()),
            ("MandatoryLabel", p.integrity.label_sid().into()),
        ];
        self.security(t, 4688, "13312", "A new process has been created.", &f);
    }

    /// Sysmon 3, an outbound connection from `p`.
    pub fn network(&mut self, t: DateTime<Utc>, p: &WinProc, sport: u16, dst: (&str, u16, &str)) {
        let f = [
            ("ProcessGuid", p.guid.clone()),
            ("ProcessId", p.pid.to_string()),
            ("Image", p.image.clone()),
            ("User", p.user.clone()),
            ("Protocol", "tcp".into()),
            ("Initiated", "true".into()),
            ("SourceIsIpv6", "false".into()),
            ("SourceIp", self.host.ip.clone()),
            ("SourceHostname", self.host.fqdn.clone()),
            ("SourcePort", sport.to_string()),
            ("DestinationIsIpv6", "false".into()),
            ("DestinationIp", dst.0.to_string()),
            ("DestinationHostname", dst.2.to_string()),
            ("DestinationPort", dst.1.to_string()),
        ];
        self.sysmon(t, 3, "Network connection detected:", &f);
        self.flow(t, sport, (dst.0, dst.1), false);
    }

    /// Sysmon 22, a DNS query by `p`.
    pub fn dns(&mut self, t: DateTime<Utc>, p: &WinProc, query: &str, answer: &str) {
        let f = [
            ("ProcessGuid", p.guid.clone()),
            ("ProcessId", p.pid.to_string()),
            ("QueryName", query.to_string()),
            ("QueryStatus", "0".into()),
            ("QueryResults", format!("::ffff:{answer};")),
            ("Image", p.image.clone()),
            ("User", p.user.clone()),
        ];
        self.sysmon(t, 22, "Dns query:", &f);
        // The query's source port: stable per query and time, as the record has none.
        let key = format!("{query}@{}", t.timestamp_micros());
        let sport = 49152 + (xxhash_rust::xxh3::xxh3_64(key.as_bytes()) % 16000) as u16;
        self.dns_flow(t, sport);
    }

    /// Sysmon 11, a file created by `p`.
    pub fn file_create(&mut self, t: DateTime<Utc>, p: &WinProc, path: &str) {
        let f = [
            ("ProcessGuid", p.guid.clone()),
            ("ProcessId", p.pid.to_string()),
            ("Image", p.image.clone()),
            ("TargetFilename", path.to_string()),
            ("CreationUtcTime", win_time(t)),
            ("User", p.user.clone()),
        ];
        self.sysmon(t, 11, "File created:", &f);
    }

    /// Sysmon 12 (`CreateKey`, `DeleteKey`, `DeleteValue`) on `target`.
    pub fn registry_key(&mut self, t: DateTime<Utc>, p: &WinProc, kind: &str, target: &str) {
        let f = [
            ("EventType", kind.to_string()),
            ("ProcessGuid", p.guid.clone()),
            ("ProcessId", p.pid.to_string()),
            ("Image", p.image.clone()),
            ("TargetObject", target.to_string()),
            ("User", p.user.clone()),
        ];
        self.sysmon(t, 12, "Registry object added or deleted:", &f);
    }

    /// Sysmon 13, a registry value set.
    pub fn registry_set(&mut self, t: DateTime<Utc>, p: &WinProc, target: &str, details: &str) {
        let f = [
            ("EventType", "SetValue".into()),
            ("ProcessGuid", p.guid.clone()),
            ("ProcessId", p.pid.to_string()),
            ("Image", p.image.clone()),
            ("TargetObject", target.to_string()),
            ("Details", details.to_string()),
            ("User", p.user.clone()),
        ];
        self.sysmon(t, 13, "Registry value set:", &f);
    }

    /// Sysmon 7, a module loaded into `p`.
    pub fn image_load(&mut self, t: DateTime<Utc>, p: &WinProc, dll: &str) {
        let name = basename(dll).to_string();
        let f = [
            ("ProcessGuid", p.guid.clone()),
            ("ProcessId", p.pid.to_string()),
            ("Image", p.image.clone()),
            ("ImageLoaded", dll.to_string()),
            ("OriginalFileName", name.clone()),
            ("Hashes", hashes(&name)),
            ("Signed", "true".into()),
            ("SignatureStatus", "Valid".into()),
            ("User", p.user.clone()),
        ];
        self.sysmon(t, 7, "Image loaded:", &f);
    }

    /// Sysmon 10, `src` opening a handle to `target`.
    pub fn process_access(
        &mut self,
        t: DateTime<Utc>,
        src: &WinProc,
        target: &WinProc,
        access: &str,
        call_trace: &str,
    ) {
        let f = [
            ("SourceProcessGUID", src.guid.clone()),
            ("SourceProcessId", src.pid.to_string()),
            ("SourceThreadId", (src.pid + 4).to_string()),
            ("SourceImage", src.image.clone()),
            ("TargetProcessGUID", target.guid.clone()),
            ("TargetProcessId", target.pid.to_string()),
            ("TargetImage", target.image.clone()),
            ("GrantedAccess", access.to_string()),
            ("CallTrace", call_trace.to_string()),
            ("SourceUser", src.user.clone()),
            ("TargetUser", target.user.clone()),
        ];
        self.sysmon(t, 10, "Process accessed:", &f);
    }
}
