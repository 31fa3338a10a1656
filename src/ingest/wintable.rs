//! Readable one-line messages for well-known Windows event ids (Security, System, PowerShell,
//! Defender, Sysmon): "4625 logon failure for bob from 10.0.0.7",
//! "Sysmon 1 process create: powershell.exe -enc …".

use super::parser::{endpoint, first, summary};
use crate::event::Event;

/// What a detail line is built from.
#[derive(Clone, Copy)]
enum Kind {
    /// `for USER from IP (type N)`
    Logon,
    /// `: COMMAND LINE` (or the image)
    Process,
    /// `: SERVICE IMAGE`
    Service,
    /// `: TASK`
    Task,
    /// `: MEMBER -> GROUP`
    Group,
    /// `: OBJECT`
    Object,
    /// `: SHARE\PATH from IP`
    Share,
    /// `: PROCESS SRC -> DST`
    Network,
    /// `: SCRIPT…`
    Script,
    /// `by USER`
    ByUser,
    /// `: Message` when the export carries one
    Plain,
}

fn security(id: u32) -> Option<(&'static str, Kind)> {
    use Kind::*;
    Some(match id {
        104 => ("event log cleared", ByUser),
        400 => ("PowerShell engine started", Plain),
        403 => ("PowerShell engine stopped", Plain),
        600 => ("PowerShell provider started", Plain),
        800 => ("PowerShell pipeline execution", Plain),
        1102 => ("audit log cleared", ByUser),
        1116 => ("Defender malware detected", Plain),
        1117 => ("Defender action taken", Plain),
        4103 => ("PowerShell module logging", Plain),
        4104 => ("PowerShell script block", Script),
        4624 => ("logon", Logon),
        4625 => ("logon failure", Logon),
        4634 => ("logoff", Logon),
        4647 => ("user-initiated logoff", Logon),
        4648 => ("logon with explicit credentials", Logon),
        4656 => ("handle to object requested", Object),
        4657 => ("registry value modified", Object),
        4658 => ("handle closed", Object),
        4660 => ("object deleted", Object),
        4661 => ("handle to SAM object requested", Object),
        4662 => ("operation on directory object", Object),
        4663 => ("object access attempt", Object),
        4672 => ("special privileges assigned", Logon),
        4673 => ("privileged service called", ByUser),
        4688 => ("process create", Process),
        4689 => ("process exit", Process),
        4697 => ("service installed", Service),
        4698 => ("scheduled task created", Task),
        4699 => ("scheduled task deleted", Task),
        4700 => ("scheduled task enabled", Task),
        4701 => ("scheduled task disabled", Task),
        4702 => ("scheduled task updated", Task),
        4719 => ("audit policy changed", ByUser),
        4720 => ("user account created", Logon),
        4722 => ("user account enabled", Logon),
        4723 => ("password change attempt", Logon),
        4724 => ("password reset attempt", Logon),
        4725 => ("user account disabled", Logon),
        4726 => ("user account deleted", Logon),
        4728 => ("member added to global group", Group),
        4732 => ("member added to local group", Group),
        4733 => ("member removed from local group", Group),
        4738 => ("user account changed", Logon),
        4740 => ("user account locked out", Logon),
        4756 => ("member added to universal group", Group),
        4765 => ("SID history added", Logon),
        4768 => ("Kerberos TGT requested", Logon),
        4769 => ("Kerberos service ticket requested", Logon),
        4771 => ("Kerberos pre-authentication failed", Logon),
        4776 => ("NTLM credential validation", Logon),
        4778 => ("session reconnected", Logon),
        4779 => ("session disconnected", Logon),
        4794 => ("DSRM password set attempt", ByUser),
        4798 => ("user's local groups enumerated", ByUser),
        4799 => ("local group membership enumerated", Group),
        5136 => ("directory object modified", Object),
        5140 => ("network share accessed", Share),
        5145 => ("network share object checked", Share),
        5156 => ("network connection allowed", Network),
        5157 => ("network connection blocked", Network),
        5158 => ("port bind allowed", Network),
        7036 => ("service state changed", Plain),
        7040 => ("service start type changed", Plain),
        7045 => ("service installed", Service),
        _ => return None,
    })
}

fn sysmon(id: u32) -> &'static str {
    match id {
        1 => "process create",
        2 => "file creation time changed",
        3 => "network connection",
        4 => "service state changed",
        5 => "process terminated",
        6 => "driver loaded",
        7 => "image loaded",
        8 => "CreateRemoteThread",
        9 => "raw disk read",
        10 => "process access",
        11 => "file create",
        12 => "registry object added or deleted",
        13 => "registry value set",
        14 => "registry object renamed",
        15 => "file stream created",
        16 => "config change",
        17 => "pipe created",
        18 => "pipe connected",
        19 => "WMI filter",
        20 => "WMI consumer",
        21 => "WMI binding",
        22 => "DNS query",
        23 => "file delete",
        24 => "clipboard change",
        25 => "process tampering",
        26 => "file delete logged",
        27 => "executable blocked",
        255 => "error",
        _ => "event",
    }
}

/// The message of a normalised Windows event with numeric id `id` (0 when unknown).
pub(crate) fn describe(ev: &Event, id: u32) -> String {
    let is_sysmon = [ev.provider.as_deref(), ev.channel.as_deref()]
        .iter()
        .flatten()
        .any(|s| s.contains("Sysmon"));
    let text = if is_sysmon {
        format!("Sysmon {id} {}{}", sysmon(id), sysmon_detail(ev, id))
    } else if let Some((name, kind)) = security(id) {
        format!("{id} {name}{}", detail(ev, kind))
    } else {
        let who = ev
            .provider
            .as_deref()
            .or(ev.channel.as_deref())
            .unwrap_or("Windows");
        let id = ev.event_id.as_deref().unwrap_or("?");
        format!("{who} {id}{}", detail(ev, Kind::Plain))
    };
    summary(&text)
}

fn get<'a>(ev: &'a Event, keys: &[&str]) -> Option<&'a str> {
    first(&ev.fields, keys)
}

fn colon(s: Option<&str>) -> String {
    s.map(|s| format!(": {s}")).unwrap_or_default()
}

fn detail(ev: &Event, kind: Kind) -> String {
    match kind {
        Kind::Logon => {
            let mut s = String::new();
            if let Some(u) = &ev.user {
                s.push_str(&format!(" for {u}"));
            }
            if let Some(ip) = &ev.src_ip {
                s.push_str(&format!(" from {ip}"));
            }
            if let Some(t) = get(ev, &["LogonType"]) {
                s.push_str(&format!(" (type {t})"));
            }
            s
        }
        Kind::Process => colon(ev.command_line.as_deref().or(ev.process.as_deref())),
        Kind::Service => {
            let name = get(ev, &["ServiceName"]);
            let image = get(ev, &["ImagePath", "ServiceFileName"]);
            colon(
                match (name, image) {
                    (Some(n), Some(i)) => Some(format!("{n} {i}")),
                    (n, i) => n.or(i).map(str::to_string),
                }
                .as_deref(),
            )
        }
        Kind::Task => colon(get(ev, &["TaskName"])),
        Kind::Group => {
            let member = get(ev, &["MemberName", "MemberSid"]);
            let group = get(ev, &["TargetUserName", "GroupName"]);
            match (member, group) {
                (Some(m), Some(g)) => format!(": {m} -> {g}"),
                (m, g) => colon(m.or(g)),
            }
        }
        Kind::Object => {
            let obj = get(ev, &["ObjectName", "ObjectDN", "ObjectValueName"]);
            let by = ev
                .process
                .as_deref()
                .map(|p| format!(" by {p}"))
                .unwrap_or_default();
            format!("{}{by}", colon(obj))
        }
        Kind::Share => {
            let share = get(ev, &["ShareName"]).unwrap_or("?");
            let path = get(ev, &["RelativeTargetName"])
                .map(|p| format!("\\{p}"))
                .unwrap_or_default();
            let from = ev
                .src_ip
                .as_deref()
                .map(|ip| format!(" from {ip}"))
                .unwrap_or_default();
            format!(": {share}{path}{from}")
        }
        Kind::Network => network(ev),
        Kind::Script => colon(get(ev, &["ScriptBlockText"])),
        Kind::ByUser => ev
            .user
            .as_deref()
            .map(|u| format!(" by {u}"))
            .unwrap_or_default(),
        Kind::Plain => colon(
            get(ev, &["Message", "message", "Activity"])
                .and_then(|m| m.lines().map(str::trim).find(|l| !l.is_empty())),
        ),
    }
}

fn network(ev: &Event) -> String {
    let src = endpoint(ev.src_ip.as_deref(), ev.src_port);
    let dst = endpoint(ev.dst_ip.as_deref(), ev.dst_port);
    match &ev.process {
        Some(p) => format!(": {p} {src} -> {dst}"),
        None => format!(": {src} -> {dst}"),
    }
}

fn sysmon_detail(ev: &Event, id: u32) -> String {
    let target = |k: &[&str]| get(ev, k);
    let proc_ = ev.process.as_deref();
    let arrow = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (Some(a), Some(b)) => format!(": {a} -> {b}"),
        (a, b) => colon(a.or(b)),
    };
    match id {
        1 => colon(ev.command_line.as_deref().or(proc_)),
        3 => network(ev),
        6 => colon(target(&["ImageLoaded"])),
        7 => match (proc_, target(&["ImageLoaded"])) {
            (Some(p), Some(i)) => format!(": {p} loaded {i}"),
            (p, i) => colon(p.or(i)),
        },
        8 => arrow(target(&["SourceImage"]), target(&["TargetImage"])),
        10 => {
            let access = target(&["GrantedAccess"])
                .map(|a| format!(" ({a})"))
                .unwrap_or_default();
            format!(
                "{}{access}",
                arrow(target(&["SourceImage"]), target(&["TargetImage"]))
            )
        }
        2 | 11 | 15 => arrow(proc_, target(&["TargetFilename"])),
        12..=14 => {
            let value = target(&["Details"])
                .map(|d| format!(" = {d}"))
                .unwrap_or_default();
            let kind = target(&["EventType"])
                .map(|t| format!("{t} "))
                .unwrap_or_default();
            format!(
                "{}{value}",
                colon(
                    target(&["TargetObject"])
                        .map(|o| format!("{kind}{o}"))
                        .as_deref()
                )
            )
        }
        17 | 18 => arrow(proc_, target(&["PipeName"])),
        19..=21 => colon(target(&["Name", "Consumer", "Destination", "Operation"])),
        22 => match (proc_, target(&["QueryName"])) {
            (Some(p), Some(q)) => format!(": {p} {q}"),
            (p, q) => colon(p.or(q)),
        },
        23 | 26 => arrow(proc_, target(&["TargetFilename"])),
        25 => colon(
            target(&["Type"])
                .map(|t| format!("{t} {}", proc_.unwrap_or("?")))
                .as_deref(),
        ),
        _ => colon(proc_),
    }
}
