//! Windows event normalisation shared by EVTX and Windows JSON exports: from the original
//! EventData names in `fields` (`Image`, `TargetUserName`, `IpAddress`…) to the normalised
//! user / process / pid / parent / command line / endpoints, then a readable message.

use std::collections::BTreeMap;

use super::parser::{fill_endpoints, first, first_owned, parse_pid};
use super::wintable;
use crate::event::Event;

/// Process image keys, each with the key of its process id, in order of preference.
const PROCESS_KEYS: [(&str, &str); 6] = [
    ("Image", "ProcessId"),
    ("NewProcessName", "NewProcessId"),
    ("SourceImage", "SourceProcessId"),
    ("ProcessName", "ProcessId"),
    ("Application", "ProcessID"),
    ("CallerProcessName", "CallerProcessId"),
];

const USER_KEYS: [&str; 7] = [
    "TargetUserName",
    "SubjectUserName",
    "User",
    "UserName",
    "AccountName",
    "SamAccountName",
    "TargetUser",
];

/// Group management events: the target is a group, so the subject is the user.
const GROUP_EVENTS: [u32; 22] = [
    4727, 4728, 4729, 4730, 4731, 4732, 4733, 4734, 4735, 4737, 4746, 4747, 4751, 4752, 4754, 4755,
    4756, 4757, 4758, 4761, 4762, 4799,
];

/// Fills the normalised fields of `ev` (whose `event_id`, `provider`, `channel`, `host` and
/// `fields` are already set) and writes its message.
pub(crate) fn normalise(ev: &mut Event) {
    let f = &ev.fields;
    let id: u32 = ev
        .event_id
        .as_deref()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let user = if GROUP_EVENTS.contains(&id) {
        pick_user(f, &["SubjectUserName", "TargetUserName"])
    } else {
        pick_user(f, &USER_KEYS)
    };
    let (process, pid_key) = PROCESS_KEYS
        .iter()
        .find_map(|(img, pid)| first(f, &[img]).map(|p| (Some(p.to_string()), *pid)))
        .unwrap_or((None, "ProcessId"));
    let pid = first(f, &[pid_key, "ProcessId", "ProcessID"]).and_then(parse_pid);
    let parent = first_owned(f, &["ParentImage", "ParentProcessName"]);
    let cmd = first_owned(f, &["CommandLine", "ProcessCommandLine"]);
    ev.user = ev.user.take().or(user);
    ev.process = ev.process.take().or(process);
    ev.pid = ev.pid.or(pid);
    ev.parent_process = ev.parent_process.take().or(parent);
    ev.command_line = ev.command_line.take().or(cmd);
    fill_endpoints(
        ev,
        &[
            "SourceIp",
            "SourceAddress",
            "IpAddress",
            "ClientAddress",
            "SourceNetworkAddress",
        ],
        &["SourcePort", "IpPort", "ClientPort"],
        &["DestinationIp", "DestAddress", "DestinationAddress"],
        &["DestinationPort", "DestPort"],
    );
    ev.message = wintable::describe(ev, id);
}

/// The first real user among `keys`; failing that, the first account named at all (SYSTEM,
/// a machine account…), since that is still who acted.
fn pick_user(f: &BTreeMap<String, String>, keys: &[&str]) -> Option<String> {
    let named: Vec<&str> = keys.iter().filter_map(|k| first(f, &[k])).collect();
    named
        .iter()
        .find(|u| !is_system_account(u))
        .or(named.first())
        .map(|u| u.to_string())
}

/// Machine accounts (`HOST$`), built-in service identities and session-manager accounts.
pub(crate) fn is_system_account(user: &str) -> bool {
    let name = user.rsplit('\\').next().unwrap_or(user).trim();
    if name.ends_with('$') || name.starts_with("DWM-") || name.starts_with("UMFD-") {
        return true;
    }
    [
        "SYSTEM",
        "LOCAL SERVICE",
        "NETWORK SERVICE",
        "ANONYMOUS LOGON",
        "LOCAL SYSTEM",
        "-",
        "",
    ]
    .iter()
    .any(|s| s.eq_ignore_ascii_case(name))
}

/// Parses Sentinel's `EventData` XML string (`<Data Name="Image">C:\…</Data>…`) into fields.
/// A small scanner rather than an XML parser: the shape is fixed and it runs per record.
pub(crate) fn eventdata_xml(xml: &str, fields: &mut BTreeMap<String, String>) {
    let mut rest = xml;
    while let Some(i) = rest.find("<Data Name=\"") {
        rest = &rest[i + 12..];
        let Some(q) = rest.find('"') else { break };
        let name = &rest[..q];
        rest = &rest[q + 1..];
        // `<Data Name="X" />` has no value.
        let Some(gt) = rest.find('>') else { break };
        if rest[..gt].ends_with('/') {
            rest = &rest[gt + 1..];
            continue;
        }
        rest = &rest[gt + 1..];
        let Some(end) = rest.find("</Data>") else {
            break;
        };
        let value = unescape_xml(&rest[..end]);
        rest = &rest[end + 7..];
        if !value.is_empty() && !name.is_empty() {
            fields.insert(name.to_string(), value);
        }
    }
}

fn unescape_xml(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#xD;", "\r")
        .replace("&#xA;", "\n")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Format;

    fn ev(id: &str, pairs: &[(&str, &str)]) -> Event {
        let mut ev = Event::new(Format::WinJson, "x", 1, "{}");
        ev.event_id = Some(id.into());
        ev.provider = Some("Microsoft-Windows-Security-Auditing".into());
        for (k, v) in pairs {
            ev.fields.insert(k.to_string(), v.to_string());
        }
        normalise(&mut ev);
        ev
    }

    #[test]
    fn logon_failure_prefers_the_real_user() {
        let e = ev(
            "4625",
            &[
                ("SubjectUserName", "WS01$"),
                ("TargetUserName", "bob"),
                ("IpAddress", "10.0.0.7"),
                ("IpPort", "5050"),
                ("LogonType", "3"),
            ],
        );
        assert_eq!(e.user.as_deref(), Some("bob"));
        assert_eq!(
            (e.src_ip.as_deref(), e.src_port),
            (Some("10.0.0.7"), Some(5050))
        );
        assert!(
            e.message
                .starts_with("4625 logon failure for bob from 10.0.0.7"),
            "{}",
            e.message
        );
    }

    #[test]
    fn process_create_4688_uses_new_process_fields() {
        let e = ev(
            "4688",
            &[
                ("SubjectUserName", "alice"),
                ("TargetUserName", "-"),
                ("NewProcessName", "C:\\Windows\\System32\\cmd.exe"),
                ("NewProcessId", "0x1a4"),
                ("ProcessId", "0x10"),
                ("ParentProcessName", "C:\\Windows\\explorer.exe"),
                ("CommandLine", "cmd.exe /c whoami"),
            ],
        );
        assert_eq!(e.user.as_deref(), Some("alice"));
        assert_eq!(e.process.as_deref(), Some("C:\\Windows\\System32\\cmd.exe"));
        assert_eq!(e.pid, Some(0x1a4));
        assert_eq!(
            e.parent_process.as_deref(),
            Some("C:\\Windows\\explorer.exe")
        );
        assert_eq!(e.message, "4688 process create: cmd.exe /c whoami");
    }

    #[test]
    fn group_events_take_the_subject_and_system_users_fall_back() {
        let e = ev(
            "4732",
            &[
                ("SubjectUserName", "admin"),
                ("TargetUserName", "Administrators"),
            ],
        );
        assert_eq!(e.user.as_deref(), Some("admin"));
        let e = ev(
            "4624",
            &[("SubjectUserName", "WS01$"), ("TargetUserName", "SYSTEM")],
        );
        assert_eq!(e.user.as_deref(), Some("SYSTEM"));
        assert!(is_system_account("NT AUTHORITY\\NETWORK SERVICE"));
        assert!(!is_system_account("CORP\\bob"));
    }

    #[test]
    fn sentinel_eventdata_xml() {
        let mut f = BTreeMap::new();
        eventdata_xml(
            r#"<EventData xmlns="x"><Data Name="ProcessID">3936</Data><Data Name="Empty" /><Data Name="Cmd">a &amp; b &lt;c&gt;</Data></EventData>"#,
            &mut f,
        );
        assert_eq!(f["ProcessID"], "3936");
        assert_eq!(f["Cmd"], "a & b <c>");
        assert!(!f.contains_key("Empty"));
        eventdata_xml("<Data Name=\"broken", &mut f);
    }
}
