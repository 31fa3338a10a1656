//! Linux authentication semantics on top of syslog lines: sshd logins and failures, sudo
//! commands, su, PAM, account changes, cron. Fills user, src_ip/port, command_line and an
//! `event_id` like `sshd:failed_password`. Hand-written matching: it runs on every line.

use super::parser::{clean_ip, clean_port};
use super::text::key_values;
use crate::event::Event;

/// Programs whose lines make a file an auth log.
pub(crate) const AUTH_PROGRAMS: [&str; 16] = [
    "sshd",
    "sudo",
    "su",
    "login",
    "passwd",
    "useradd",
    "userdel",
    "usermod",
    "groupadd",
    "groupdel",
    "chpasswd",
    "chage",
    "systemd-logind",
    "polkitd",
    "pkexec",
    "gdm-password",
];

/// Adds what `msg` of `program` (lowercase, without `(pam_unix)`) says about authentication.
pub(crate) fn enrich(ev: &mut Event, program: &str, msg: &str) {
    let mut msg = msg.trim();
    // `message repeated 3 times: [ Failed password for root from … ]`
    if let Some(inner) = msg.strip_prefix("message repeated ")
        && let Some((n, rest)) = inner.split_once(" times: [ ")
    {
        ev.fields.insert("repeated".into(), n.to_string());
        msg = rest.strip_suffix(']').unwrap_or(rest).trim();
    }
    let kind = match program {
        "sshd" => sshd(ev, msg),
        "sudo" => sudo(ev, msg),
        "su" => su(ev, msg),
        "cron" | "crond" => cron(ev, msg),
        "useradd" | "userdel" | "usermod" | "groupadd" | "groupdel" | "passwd" | "chpasswd" => {
            accounts(ev, msg)
        }
        "systemd-logind" => logind(ev, msg),
        "login" => login(ev, msg),
        "ftpd" | "vsftpd" | "proftpd" => ftpd(ev, msg),
        _ => None,
    }
    .or_else(|| pam(ev, msg));
    if let Some(kind) = kind {
        ev.event_id = Some(format!("{program}:{kind}"));
    }
}

fn set_user(ev: &mut Event, user: &str) {
    let user = user.trim();
    if !user.is_empty() && ev.user.is_none() {
        ev.user = Some(user.to_string());
    }
}

fn set_ip(ev: &mut Event, ip: &str) {
    if ev.src_ip.is_none() {
        ev.src_ip = clean_ip(ip);
    }
}

/// `<ip>[ port <n>]…` at the start of `s`.
fn ip_port(ev: &mut Event, s: &str) {
    // Split on spaces only (IPv6 has colons); `1.2.3.4: 11: Bye` leaves a trailing colon.
    let mut words = s
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches(':'));
    if let Some(ip) = words.next() {
        set_ip(ev, ip);
    }
    if words.next() == Some("port")
        && let Some(p) = words.next().and_then(clean_port)
    {
        ev.src_port = Some(p);
    }
}

/// `[invalid user |authenticating user |user ]NAME from IP port N…`: user, then endpoint.
fn user_from(ev: &mut Event, s: &str) {
    let s = match s.strip_prefix("invalid user ") {
        Some(r) => {
            ev.fields.insert("invalid_user".into(), "true".into());
            r
        }
        None => s,
    };
    // The user name may be empty or contain spaces: the last " from " ends it.
    match s.rfind(" from ") {
        Some(i) => {
            set_user(ev, &s[..i]);
            ip_port(ev, &s[i + 6..]);
        }
        None => set_user(ev, s.split(' ').next().unwrap_or("")),
    }
}

fn sshd(ev: &mut Event, msg: &str) -> Option<&'static str> {
    if let Some(r) = msg.strip_prefix("Failed ") {
        let (method, rest) = r.split_once(" for ")?;
        user_from(ev, rest);
        ev.fields.insert("auth_method".into(), method.to_string());
        return Some(match method {
            "password" => "failed_password",
            "publickey" => "failed_publickey",
            "none" => "failed_none",
            "keyboard-interactive/pam" => "failed_keyboard_interactive",
            _ => "failed_auth",
        });
    }
    if let Some(r) = msg.strip_prefix("Accepted ") {
        let (method, rest) = r.split_once(" for ")?;
        user_from(ev, rest.split(": ").next().unwrap_or(rest));
        ev.fields.insert("auth_method".into(), method.to_string());
        return Some(match method {
            "password" => "accepted_password",
            "publickey" => "accepted_publickey",
            "keyboard-interactive/pam" => "accepted_keyboard_interactive",
            _ => "accepted_auth",
        });
    }
    if let Some(r) = msg.strip_prefix("Invalid user ") {
        ev.fields.insert("invalid_user".into(), "true".into());
        user_from(ev, r);
        return Some("invalid_user");
    }
    if let Some(r) = msg.strip_prefix("input_userauth_request: invalid user ") {
        ev.fields.insert("invalid_user".into(), "true".into());
        set_user(ev, r.trim_end_matches(" [preauth]"));
        return Some("invalid_user");
    }
    if let Some(r) = msg.strip_prefix("Connection closed by ") {
        user_then_address(ev, r, &["authenticating user ", "invalid user "]);
        return Some("connection_closed");
    }
    if let Some(r) = msg
        .strip_prefix("Received disconnect from ")
        .or_else(|| msg.strip_prefix("error: Received disconnect from "))
    {
        ip_port(ev, r);
        return Some("disconnect");
    }
    if let Some(r) = msg.strip_prefix("Disconnected from ") {
        user_then_address(ev, r, &["authenticating user ", "invalid user ", "user "]);
        return Some("disconnect");
    }
    if let Some(r) = msg.strip_prefix("reverse mapping checking getaddrinfo for ") {
        let ip = r
            .split('[')
            .nth(1)
            .and_then(|s| s.split(']').next())
            .unwrap_or("");
        set_ip(ev, ip);
        return Some("reverse_mapping_failed");
    }
    if let Some(r) = msg.strip_prefix("Did not receive identification string from ") {
        ip_port(ev, r);
        return Some("no_identification");
    }
    if let Some(r) = msg.strip_prefix("error: maximum authentication attempts exceeded for ") {
        user_from(ev, r);
        return Some("max_auth_exceeded");
    }
    if let Some(r) = msg.strip_prefix("Address ")
        && msg.contains("POSSIBLE BREAK-IN")
    {
        set_ip(ev, r.split(' ').next().unwrap_or(""));
        return Some("address_mismatch");
    }
    if let Some(r) = msg.strip_prefix("Connection from ") {
        ip_port(ev, r);
        return Some("connection");
    }
    if msg.starts_with("Bad protocol version identification") {
        if let Some(i) = msg.rfind(" from ") {
            ip_port(ev, &msg[i + 6..]);
        }
        return Some("bad_protocol");
    }
    None
}

/// PAM lines any program may write (`pam_unix(sshd:auth): …` or the old `sshd(pam_unix)` form).
fn pam(ev: &mut Event, msg: &str) -> Option<&'static str> {
    let body = match msg.strip_prefix("pam_unix(") {
        Some(r) => r.split_once("): ").map(|(_, b)| b).unwrap_or(r),
        None => msg,
    };
    if body.contains("authentication failure;") || body.contains("more authentication failure") {
        let kv = body.split_once(';').map(|(_, r)| r).unwrap_or("");
        for (k, v) in key_values(kv) {
            match k {
                "rhost" => set_ip(ev, v),
                "user" => set_user(ev, v),
                "ruser" | "logname" | "tty" | "uid" | "euid" if !v.is_empty() => {
                    ev.fields.insert(format!("pam_{k}"), v.to_string());
                }
                _ => {}
            }
        }
        return Some("auth_failure");
    }
    for (prefix, kind) in [
        ("session opened for user ", "session_opened"),
        ("session closed for user ", "session_closed"),
    ] {
        if let Some(r) = body.strip_prefix(prefix) {
            let (target, by) = match r.split_once(" by ") {
                Some((t, b)) => (t, Some(b)),
                None => (r, None),
            };
            let target = target.trim().split('(').next().unwrap_or("");
            // `by bob(uid=1000)`: bob acted; `by (uid=0)`: the target did.
            let actor = by
                .map(|b| b.split('(').next().unwrap_or("").trim())
                .filter(|a| !a.is_empty());
            match actor {
                Some(a) if a != target => {
                    set_user(ev, a);
                    ev.fields.insert("target_user".into(), target.to_string());
                }
                _ => set_user(ev, target),
            }
            return Some(kind);
        }
    }
    if body.starts_with("check pass; user unknown") {
        return Some("user_unknown");
    }
    if let Some(r) = body.strip_prefix("password changed for ") {
        set_user(ev, r);
        return Some("password_changed");
    }
    None
}

/// `bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/ls -la`
fn sudo(ev: &mut Event, msg: &str) -> Option<&'static str> {
    let (user, rest) = msg.split_once(" : ")?;
    set_user(ev, user);
    let mut kind = "command";
    for (i, part) in rest.split(" ; ").enumerate() {
        if let Some(cmd) = part.strip_prefix("COMMAND=") {
            // The command may itself contain " ; ": it runs to the end of the line.
            let at = rest.find("COMMAND=").map(|i| &rest[i + 8..]).unwrap_or(cmd);
            ev.command_line = Some(at.to_string());
            break;
        }
        match part.split_once('=') {
            Some(("TTY", v)) => {
                ev.fields.insert("tty".into(), v.to_string());
            }
            Some(("PWD", v)) => {
                ev.fields.insert("pwd".into(), v.to_string());
            }
            Some(("USER", v)) => {
                ev.fields.insert("target_user".into(), v.to_string());
            }
            _ if i == 0 => {
                kind = if part.contains("incorrect password") {
                    "auth_failure"
                } else if part.contains("NOT in sudoers") {
                    "not_in_sudoers"
                } else if part.contains("command not allowed") {
                    "command_not_allowed"
                } else {
                    "notice"
                };
            }
            _ => {}
        }
    }
    Some(kind)
}

fn su(ev: &mut Event, msg: &str) -> Option<&'static str> {
    if let Some(r) = msg.strip_prefix("(to ") {
        let (target, rest) = r.split_once(") ")?;
        ev.fields.insert("target_user".into(), target.to_string());
        set_user(ev, rest.split(' ').next().unwrap_or(""));
        return Some("switch");
    }
    for (prefix, kind) in [
        ("FAILED su for ", "failed"),
        ("Successful su for ", "success"),
    ] {
        if let Some(r) = msg.strip_prefix(prefix) {
            let (target, by) = r.split_once(" by ")?;
            ev.fields.insert("target_user".into(), target.to_string());
            set_user(ev, by);
            return Some(kind);
        }
    }
    if msg.contains("Authentication failure") {
        return Some("auth_failure");
    }
    None
}

/// `(root) CMD (command)`
fn cron(ev: &mut Event, msg: &str) -> Option<&'static str> {
    let r = msg.strip_prefix('(')?;
    let (user, rest) = r.split_once(") ")?;
    let cmd = rest.strip_prefix("CMD (")?;
    set_user(ev, user);
    ev.command_line = Some(cmd.strip_suffix(')').unwrap_or(cmd).to_string());
    Some("cmd")
}

fn accounts(ev: &mut Event, msg: &str) -> Option<&'static str> {
    let name_kv = |s: &str| -> Option<String> {
        s.split(", ")
            .find_map(|kv| kv.strip_prefix("name="))
            .map(str::to_string)
    };
    if let Some(r) = msg.strip_prefix("new user: ") {
        set_user(ev, &name_kv(r)?);
        return Some("new_user");
    }
    if let Some(r) = msg.strip_prefix("new group: ") {
        ev.fields.insert("group".into(), name_kv(r)?);
        return Some("new_group");
    }
    if let Some(r) = msg.strip_prefix("group added to ") {
        ev.fields
            .insert("group".into(), name_kv(r.split_once(": ")?.1)?);
        return Some("group_added");
    }
    if let Some(r) = msg.strip_prefix("delete user '") {
        set_user(ev, r.trim_end_matches('\''));
        return Some("delete_user");
    }
    if let Some(r) = msg.strip_prefix("add '") {
        let (user, rest) = r.split_once('\'')?;
        set_user(ev, user);
        let group = rest.rsplit('\'').nth(1).unwrap_or("");
        ev.fields.insert("group".into(), group.to_string());
        return Some("add_to_group");
    }
    if let Some(r) = msg.strip_prefix("change user '") {
        set_user(ev, r.split('\'').next().unwrap_or(""));
        return Some("change_user");
    }
    None
}

fn logind(ev: &mut Event, msg: &str) -> Option<&'static str> {
    if let Some(r) = msg.strip_prefix("New session ") {
        let (_, user) = r.split_once(" of user ")?;
        set_user(ev, user.trim_end_matches('.'));
        return Some("new_session");
    }
    if msg.starts_with("Removed session ") {
        return Some("removed_session");
    }
    None
}

fn login(ev: &mut Event, msg: &str) -> Option<&'static str> {
    if msg.starts_with("FAILED LOGIN") {
        if let Some(u) = msg
            .split(" FOR '")
            .nth(1)
            .and_then(|r| r.split('\'').next())
        {
            set_user(ev, u);
        }
        return Some("failed");
    }
    if msg.starts_with("ROOT LOGIN") {
        set_user(ev, "root");
        return Some("root_login");
    }
    None
}

/// loghub's `ftpd[…]: connection from 24.54.76.216 (host) at Sun Jul 17 23:21:54 2005`
/// `[PREFIX USER ]IP port N`: the user after one of `prefixes` when one is there, then the
/// remote address and port.
fn user_then_address(ev: &mut Event, r: &str, prefixes: &[&str]) {
    let r = match prefixes.iter().find_map(|p| r.strip_prefix(p)) {
        Some(r) => {
            let (u, rest) = r.split_once(' ').unwrap_or((r, ""));
            set_user(ev, u);
            rest
        }
        None => r,
    };
    ip_port(ev, r);
}

fn ftpd(ev: &mut Event, msg: &str) -> Option<&'static str> {
    let r = msg.strip_prefix("connection from ")?;
    set_ip(ev, r.split(' ').next().unwrap_or(""));
    Some("connection")
}

#[cfg(test)]
#[path = "authlog_tests.rs"]
mod tests;
