//! Windows records as JSON lines in the shape of the project's sample exports (nxlog-style
//! flat objects: `SourceName`, `Channel`, `Hostname`, `TimeCreated`, `EventID`, then the
//! EventData names): Sysmon, Security, System and PowerShell events.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::record::{OutFormat, Record, Role, win_time};
use super::world::{Account, DOMAIN, DOMAIN_FQDN, Host};

const SYSMON: (&str, &str) = (
    "Microsoft-Windows-Sysmon",
    "Microsoft-Windows-Sysmon/Operational",
);
const SECURITY: (&str, &str) = ("Microsoft-Windows-Security-Auditing", "Security");
const POWERSHELL: (&str, &str) = (
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

type Fields<'a> = &'a [(&'a str, String)];

impl<'h> WinLog<'h> {
    pub fn new(host: &'h Host, enabled: &'h [OutFormat]) -> WinLog<'h> {
        WinLog {
            host,
            enabled,
            role: Role::Context,
            records: Vec::new(),
        }
    }

    fn push(
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
        let (original, description) = super::wintools::pe_info(&p.original);
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

    /// PowerShell 4104, the script block a PowerShell process ran (nxlog adds the account).
    pub fn script_block(&mut self, t: DateTime<Utc>, p: &WinProc, text: &str, id: &str) {
        let (domain, name) = p.user.split_once('\\').unwrap_or((DOMAIN, p.user.as_str()));
        let f = [
            ("MessageNumber", "1".to_string()),
            ("MessageTotal", "1".into()),
            ("ScriptBlockText", text.to_string()),
            ("ScriptBlockId", id.trim_matches(['{', '}']).to_string()),
            ("Path", String::new()),
            ("ExecutionProcessID", p.pid.to_string()),
            ("AccountName", name.to_string()),
            ("Domain", domain.to_string()),
            ("UserID", user_sid(name)),
        ];
        self.push(
            OutFormat::PowerShell,
            POWERSHELL,
            t,
            (4104, "2", "Creating Scriptblock text (1 of 1):"),
            &f,
        );
    }

    /// Security 4624.
    pub fn logon(&mut self, t: DateTime<Utc>, user: &Account, logon_type: u8, id: &str, ip: &str) {
        let f = [
            ("SubjectUserSid", "S-1-5-18".to_string()),
            ("SubjectUserName", format!("{}$", self.host.name)),
            ("SubjectDomainName", DOMAIN.into()),
            ("SubjectLogonId", "0x3e7".into()),
            ("TargetUserSid", user.sid()),
            ("TargetUserName", user.name.into()),
            ("TargetDomainName", DOMAIN.into()),
            ("TargetLogonId", id.to_string()),
            ("LogonType", logon_type.to_string()),
            (
                "LogonProcessName",
                if logon_type == 3 {
                    "Kerberos"
                } else {
                    "User32"
                }
                .into(),
            ),
            ("AuthenticationPackageName", "Negotiate".into()),
            ("WorkstationName", self.host.name.clone()),
            ("IpAddress", ip.to_string()),
            ("IpPort", "0".into()),
        ];
        self.security(
            t,
            4624,
            "12544",
            "An account was successfully logged on.",
            &f,
        );
    }

    /// Security 4634 (logoff) or 4647 (user-initiated logoff).
    pub fn logoff(&mut self, t: DateTime<Utc>, user: &Account, id: &str, initiated: bool) {
        let eid = if initiated { 4647 } else { 4634 };
        let f = [
            ("TargetUserSid", user.sid()),
            ("TargetUserName", user.name.into()),
            ("TargetDomainName", DOMAIN.into()),
            ("TargetLogonId", id.to_string()),
            ("LogonType", "2".into()),
        ];
        self.security(t, eid, "12545", "An account was logged off.", &f);
    }

    /// Security 4625, a failed logon (`status`/`sub` as NTSTATUS hex).
    pub fn logon_failed(&mut self, t: DateTime<Utc>, who: &str, ip: &str, status: (&str, &str)) {
        let f = [
            ("SubjectUserSid", "S-1-0-0".to_string()),
            ("SubjectUserName", "-".into()),
            ("TargetUserName", who.to_string()),
            ("TargetDomainName", DOMAIN.into()),
            ("Status", status.0.to_string()),
            ("FailureReason", "%%2313".into()),
            ("SubStatus", status.1.to_string()),
            ("LogonType", "3".into()),
            ("LogonProcessName", "NtLmSsp ".into()),
            ("AuthenticationPackageName", "NTLM".into()),
            ("WorkstationName", "-".into()),
            ("IpAddress", ip.to_string()),
            ("IpPort", "0".into()),
        ];
        self.security(t, 4625, "12544", "An account failed to log on.", &f);
    }

    /// Security 4648, a logon with explicit credentials to `server`.
    pub fn explicit_logon(&mut self, t: DateTime<Utc>, p: &WinProc, target: &str, server: &str) {
        let name = p.user.rsplit('\\').next().unwrap_or(&p.user).to_string();
        let f = [
            ("SubjectUserSid", user_sid(&name)),
            ("SubjectUserName", name),
            ("SubjectDomainName", DOMAIN.into()),
            ("SubjectLogonId", p.logon_id.clone()),
            ("TargetUserName", target.to_string()),
            ("TargetDomainName", DOMAIN.into()),
            ("TargetServerName", server.to_string()),
            ("TargetInfo", server.to_string()),
            ("ProcessId", format!("0x{:x}", p.pid)),
            ("ProcessName", p.image.clone()),
        ];
        self.security(
            t,
            4648,
            "12544",
            "A logon was attempted using explicit credentials.",
            &f,
        );
    }

    fn subject(&self, p: &WinProc) -> [(&'static str, String); 4] {
        let name = p.user.rsplit('\\').next().unwrap_or(&p.user).to_string();
        [
            ("SubjectUserSid", user_sid(&name)),
            ("SubjectUserName", name),
            ("SubjectDomainName", DOMAIN.into()),
            ("SubjectLogonId", p.logon_id.clone()),
        ]
    }

    /// Security 4720 (and 4722, enabled) for a new local account.
    pub fn user_created(&mut self, t: DateTime<Utc>, p: &WinProc, new_user: &str) {
        let mut f = self.subject(p).to_vec();
        f.extend([
            ("TargetUserName", new_user.to_string()),
            ("TargetDomainName", self.host.name.clone()),
            (
                "TargetSid",
                format!("S-1-5-21-3623811015-3361044348-30300820-{}", 1001),
            ),
            ("SamAccountName", new_user.to_string()),
            ("UserAccountControl", "%%2080 %%2082 %%2084".into()),
        ]);
        self.security(t, 4720, "13824", "A user account was created.", &f);
    }

    /// Security 4732, a member added to a local group.
    pub fn group_member_added(&mut self, t: DateTime<Utc>, p: &WinProc, group: &str, member: &str) {
        let mut f = self.subject(p).to_vec();
        f.extend([
            ("MemberName", "-".to_string()),
            ("MemberSid", format!("{}\\{member}", self.host.name)),
            ("TargetUserName", group.to_string()),
            ("TargetDomainName", "Builtin".into()),
            ("TargetSid", "S-1-5-32-544".into()),
        ]);
        self.security(
            t,
            4732,
            "13826",
            "A member was added to a security-enabled local group.",
            &f,
        );
    }

    /// Security 4698, a scheduled task registered.
    pub fn task_created(&mut self, t: DateTime<Utc>, p: &WinProc, name: &str, command: &str) {
        let mut f = self.subject(p).to_vec();
        let content = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?><Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\"><Actions Context=\"Author\"><Exec><Command>{}</Command></Exec></Actions></Task>",
            xml_escape(command)
        );
        f.extend([
            ("TaskName", format!("\\{}", name.trim_start_matches('\\'))),
            ("TaskContent", content),
        ]);
        self.security(t, 4698, "12804", "A scheduled task was created.", &f);
    }

    /// Security 4697 and System 7045: a service installed.
    pub fn service_installed(&mut self, t: DateTime<Utc>, p: &WinProc, name: &str, path: &str) {
        let mut f = self.subject(p).to_vec();
        f.extend([
            ("ServiceName", name.to_string()),
            ("ServiceFileName", path.to_string()),
            ("ServiceType", "0x10".into()),
            ("ServiceStartType", "3".into()),
            ("ServiceAccount", "LocalSystem".into()),
        ]);
        self.security(
            t,
            4697,
            "12289",
            "A service was installed in the system.",
            &f,
        );
        let f = [
            ("ServiceName", name.to_string()),
            ("ImagePath", path.to_string()),
            ("ServiceType", "user mode service".into()),
            ("StartType", "demand start".into()),
            ("AccountName", "LocalSystem".into()),
        ];
        self.system(
            t,
            ("Service Control Manager", 7045, "0"),
            "A service was installed in the system.",
            &f,
        );
    }

    /// Security 4771, Kerberos pre-authentication failed (`code`: `0x18` bad password,
    /// `0x25` clock skew).
    pub fn kerberos_failed(&mut self, t: DateTime<Utc>, user: &str, ip: &str, code: &str) {
        let f = [
            ("TargetUserName", user.to_string()),
            ("TargetSid", user_sid(user)),
            (
                "ServiceName",
                format!("krbtgt/{}", DOMAIN_FQDN.to_ascii_uppercase()),
            ),
            ("TicketOptions", "0x40810010".into()),
            ("Status", code.to_string()),
            ("PreAuthType", "2".into()),
            ("IpAddress", format!("::ffff:{ip}")),
            ("IpPort", "49822".into()),
        ];
        self.security(t, 4771, "14339", "Kerberos pre-authentication failed.", &f);
    }

    /// Any System-log event: `(provider, event id, task)`.
    pub fn system(&mut self, t: DateTime<Utc>, id: (&str, u32, &str), msg: &str, f: Fields<'_>) {
        let (provider, eid, task) = id;
        self.push(
            OutFormat::System,
            (provider, "System"),
            t,
            (eid, task, msg),
            f,
        );
    }

    /// Any event of another channel, written to the System file (`TaskScheduler/Operational`).
    pub fn other(
        &mut self,
        t: DateTime<Utc>,
        src: (&str, &str),
        id: (u32, &str),
        msg: &str,
        f: Fields<'_>,
    ) {
        self.push(OutFormat::System, src, t, (id.0, id.1, msg), f);
    }
}

/// The SID of a domain account by name (stable per name), `S-1-5-18` for SYSTEM.
pub fn user_sid(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "system" || n.ends_with('$') {
        return "S-1-5-18".into();
    }
    if let Some(a) = super::world::account(&n) {
        return a.sid();
    }
    let rid = 2000 + xxhash_rust::xxh3::xxh3_64(n.as_bytes()) % 900;
    format!("{}-{rid}", super::world::DOMAIN_SID)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
