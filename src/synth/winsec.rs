//! Security, System and PowerShell records of [`WinLog`]: logons, explicit credentials,
//! accounts and groups, scheduled tasks, services, Kerberos failures, 4104 script blocks.

use chrono::{DateTime, Utc};

use super::record::OutFormat;
use super::winrec::{Fields, POWERSHELL, WinLog, WinProc};
use super::world::{Account, DOMAIN, DOMAIN_FQDN};

impl WinLog<'_> {
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
