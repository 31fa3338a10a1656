//! One Linux audit record (one line of `audit.log`) into an [`Event`]: the header
//! (`[node=H ]type=T msg=audit(SECS.MS:SERIAL):`), the `key=value` body with audit's hex
//! encoding of untrusted strings undone, the `msg='…'` of user-space records flattened, and
//! the enriched section (`\x1d`, uppercase interpretations) kept under its own names.
//!
//! Records of one audit event are merged in [`super::auditd`]; this module sees one line.

use chrono::{DateTime, Utc};

use super::auditd_syscalls::syscall_name;
use super::parser::{clean_ip, parse_pid};
use super::time;
use crate::event::{Event, Format};

/// The parts of an audit line's header.
pub(crate) struct Header<'a> {
    pub node: Option<&'a str>,
    pub kind: &'a str,
    pub time: Option<DateTime<Utc>>,
    pub serial: &'a str,
    pub body: &'a str,
    /// The enriched interpretations after the `\x1d` separator (`log_format = ENRICHED`).
    pub enriched: Option<&'a str>,
}

/// Splits the header off an audit line; `None` when the line is not an audit record.
pub(crate) fn header(line: &str) -> Option<Header<'_>> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (node, rest) = match line.strip_prefix("node=") {
        Some(r) => {
            let (n, r) = r.split_once(' ')?;
            (Some(n), r.trim_start())
        }
        None => (None, line),
    };
    let rest = rest.strip_prefix("type=")?;
    let (kind, rest) = rest.split_once(' ')?;
    let rest = rest.trim_start().strip_prefix("msg=audit(")?;
    let close = rest.find("):")?;
    // `ausearch -i` writes a local date with colons (`11/14/2023 22:13:20.123:456`): the
    // serial is after the last colon.
    let (stamp, serial) = rest[..close].rsplit_once(':')?;
    let (body, enriched) = match rest[close + 2..].split_once('\x1d') {
        Some((b, e)) => (b, Some(e)),
        None => (&rest[close + 2..], None),
    };
    if kind.is_empty() || serial.is_empty() {
        return None;
    }
    Some(Header {
        node,
        kind,
        time: time::parse_epoch_secs(stamp),
        serial,
        body,
        enriched,
    })
}

/// One `key=value` pair; `quoted` tells a "string" from a bare (possibly hex) value.
#[derive(Debug, PartialEq)]
pub(crate) struct Pair<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub quoted: bool,
}

/// `key=value` pairs separated by spaces; values may be "double" or 'single' quoted. Words
/// that are not pairs are skipped; a quote left open runs to the end (a cut line).
pub(crate) fn pairs(s: &str) -> Vec<Pair<'_>> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let word_end = rest.find(' ').unwrap_or(rest.len());
        let Some(eq) = rest[..word_end].find('=') else {
            rest = rest[word_end..].trim_start();
            continue;
        };
        let key = &rest[..eq];
        let after = &rest[eq + 1..];
        let (value, quoted, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => match after[1..].find(q) {
                Some(end) => (&after[1..1 + end], true, &after[2 + end..]),
                None => (&after[1..], true, ""),
            },
            _ => {
                let end = after.find(' ').unwrap_or(after.len());
                (&after[..end], false, &after[end..])
            }
        };
        if !key.is_empty() {
            out.push(Pair { key, value, quoted });
        }
        rest = next.trim_start();
    }
    out
}

/// Fields audit writes as "untrusted strings": quoted when plain, hex when they hold spaces,
/// quotes, control or non-ASCII bytes.
fn is_untrusted(key: &str, kind: &str) -> bool {
    matches!(
        key,
        "comm"
            | "exe"
            | "cwd"
            | "name"
            | "proctitle"
            | "cmd"
            | "data"
            | "key"
            | "acct"
            | "path"
            | "old-name"
            | "new-name"
            | "ocomm"
            | "old_prom"
            | "root_dir"
    ) || (kind == "EXECVE" && is_arg(key))
}

/// `a0`, `a12`: argument keys (EXECVE arguments, SYSCALL registers).
pub(crate) fn is_arg(key: &str) -> bool {
    key.strip_prefix('a')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Audit's hex encoding undone: `2F746D70` -> `/tmp`; NULs (between the arguments of a
/// proctitle) become spaces. `None` when `s` is not even-length hex (then it is kept as is).
pub(crate) fn unhex(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(2) || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    };
    let bytes: Vec<u8> = b
        .chunks_exact(2)
        .map(|p| (nibble(p[0]) << 4) | nibble(p[1]))
        .map(|c| if c == 0 { b' ' } else { c })
        .collect();
    Some(String::from_utf8_lossy(&bytes).trim_end().to_string())
}

fn value_of(p: &Pair<'_>, kind: &str) -> String {
    if !p.quoted
        && is_untrusted(p.key, kind)
        && let Some(s) = unhex(p.value)
    {
        return s;
    }
    p.value.to_string()
}

/// Parses one audit line into a record event (format [`Format::Auditd`]); `Err` when it is not
/// an audit record. Fields keep audit's names; PATH records prefix theirs with
/// `path.<item>.` (an event has several), EXECVE arguments split in pieces (`a2[0]`, `a2[1]`)
/// are joined back. The normalised fields are filled by [`normalise`].
pub(crate) fn parse(line: &str, source: &str, record: u64) -> Result<Event, String> {
    let h = header(line).ok_or("not an audit record (type=… msg=audit(…):)")?;
    let mut ev = Event::new(Format::Auditd, source, record, line);
    fill(&h, &mut ev);
    normalise(&mut ev);
    Ok(ev)
}

/// Fills `ev.fields` (and time, host) from a parsed header.
pub(crate) fn fill(h: &Header<'_>, ev: &mut Event) {
    ev.timestamp = h.time;
    ev.host = h.node.map(str::to_string);
    let f = &mut ev.fields;
    f.insert("type".into(), h.kind.to_string());
    f.insert("audit_types".into(), h.kind.to_string());
    f.insert("audit_serial".into(), h.serial.to_string());
    if let Some(n) = h.node {
        f.insert("node".into(), n.to_string());
    }
    let all = pairs(h.body);
    let item = (h.kind == "PATH")
        .then(|| all.iter().find(|p| p.key == "item").map(|p| p.value))
        .flatten()
        .unwrap_or("0");
    let prefix = |key: &str| -> String {
        if h.kind == "PATH" {
            format!("path.{item}.{key}")
        } else {
            key.to_string()
        }
    };
    for p in &all {
        if p.key == "msg" && p.quoted {
            // User-space records carry their own pairs in `msg='op=login acct="bob" …'`;
            // they do not override the record's (`pid`, `uid` of the writer).
            for inner in pairs(p.value) {
                let v = value_of(&inner, h.kind);
                f.entry(inner.key.to_string()).or_insert(v);
            }
            continue;
        }
        if h.kind == "PATH" && p.key == "item" {
            continue;
        }
        if h.kind == "EXECVE" && p.key.ends_with("_len") {
            continue;
        }
        // `a2[0]="…" a2[1]="…"`: a long argument in pieces, in order.
        if h.kind == "EXECVE"
            && let Some((arg, _)) = p.key.split_once('[')
            && is_arg(arg)
        {
            let piece = value_of(
                &Pair {
                    key: arg,
                    value: p.value,
                    quoted: p.quoted,
                },
                h.kind,
            );
            f.entry(arg.to_string()).or_default().push_str(&piece);
            continue;
        }
        f.insert(prefix(p.key), value_of(p, h.kind));
    }
    if let Some(e) = h.enriched {
        // Uppercase names (`AUID="bob"`, `SYSCALL=execve`): never clash with the raw ones.
        for p in pairs(e) {
            f.insert(prefix(p.key), p.value.to_string());
        }
    }
    if h.kind == "SYSCALL" && !f.contains_key("SYSCALL") {
        let name = f
            .get("syscall")
            .and_then(|n| n.parse::<u32>().ok())
            .and_then(|n| syscall_name(f.get("arch").map(String::as_str), n));
        if let Some(name) = name {
            f.insert("SYSCALL".into(), name.to_string());
        }
    }
}

/// `auid`/`uid` values that mean "not set" (a daemon never logged in).
fn unset_id(v: &str) -> bool {
    matches!(v, "4294967295" | "-1" | "unset" | "?" | "")
}

/// A user name from `name_key` (enriched) or the number under `id_key`, if set.
fn id_user(
    f: &std::collections::BTreeMap<String, String>,
    id_key: &str,
    name_key: &str,
) -> Option<String> {
    let id = f.get(id_key)?;
    if unset_id(id) {
        return None;
    }
    match f.get(name_key) {
        Some(n) if !unset_id(n) => Some(n.clone()),
        _ => Some(id.clone()),
    }
}

/// The normalised fields from the audit fields: image, pid, user (the login user `auid`,
/// which stays the same across sudo and su, else the `acct` a login names, else `uid`),
/// host, source address, command line and event id (`EXECVE` for a process start, else the
/// record type).
pub(crate) fn normalise(ev: &mut Event) {
    let f = &ev.fields;
    let types = f.get("audit_types").map(String::as_str).unwrap_or("");
    let execve = types.split(' ').any(|t| t == "EXECVE");
    let kind = f.get("type").cloned().unwrap_or_default();
    ev.process = f.get("exe").filter(|s| !unset_id(s)).cloned();
    ev.pid = f.get("pid").and_then(|p| parse_pid(p));
    let acct = f
        .get("acct")
        .filter(|a| !unset_id(a) && a.as_str() != "(unknown)")
        .cloned();
    // The login user acts, whatever account a record names: `acct` is the account logging in
    // before a login sets `auid`, and the account made or changed afterwards (ADD_USER).
    ev.user = id_user(f, "auid", "AUID")
        .or(acct)
        .or_else(|| id_user(f, "uid", "UID"));
    ev.src_ip = f.get("addr").and_then(|a| clean_ip(a));
    if ev.host.is_none() {
        ev.host = f.get("node").cloned();
    }
    ev.command_line = if execve {
        let mut args: Vec<(u32, &String)> = f
            .iter()
            .filter(|(k, _)| is_arg(k))
            .filter_map(|(k, v)| Some((k[1..].parse::<u32>().ok()?, v)))
            .collect();
        args.sort_by_key(|(n, _)| *n);
        let joined: Vec<&str> = args.iter().map(|(_, v)| v.as_str()).collect();
        (!joined.is_empty()).then(|| joined.join(" "))
    } else {
        f.get("proctitle").or_else(|| f.get("cmd")).cloned()
    };
    ev.event_id = Some(if execve {
        "EXECVE".into()
    } else {
        kind.clone()
    });
    ev.message = message(ev, &kind, execve);
}

fn message(ev: &Event, kind: &str, execve: bool) -> String {
    let f = &ev.fields;
    let get = |k: &str| f.get(k).map(String::as_str).filter(|v| !unset_id(v));
    let mut s = String::new();
    let user = ev.user.as_deref().unwrap_or("?");
    if execve {
        s.push_str(&format!(
            "{user} ran {}",
            ev.command_line.as_deref().unwrap_or("?")
        ));
        if let Some(exe) = &ev.process {
            s.push_str(&format!(" ({exe})"));
        }
        if let (Some(pid), Some(ppid)) = (get("pid"), get("ppid")) {
            s.push_str(&format!(" pid {pid} ppid {ppid}"));
        }
        if let Some(cwd) = get("cwd") {
            s.push_str(&format!(" in {cwd}"));
        }
    } else if kind == "SYSCALL" {
        let call = get("SYSCALL").or(get("syscall")).unwrap_or("?");
        s.push_str(&format!("syscall {call} by {user}"));
        if let Some(comm) = get("comm") {
            s.push_str(&format!(" {comm}"));
        }
        if let Some(exe) = &ev.process {
            s.push_str(&format!(" ({exe})"));
        }
        if let Some(ok) = get("success") {
            s.push_str(&format!(" success={ok}"));
        }
        let names: Vec<&str> = f
            .iter()
            .filter(|(k, _)| k.starts_with("path.") && k.ends_with(".name"))
            .map(|(_, v)| v.as_str())
            .collect();
        if !names.is_empty() {
            s.push_str(&format!(" on {}", names.join(", ")));
        }
    } else {
        s.push_str(kind);
        for k in [
            "op", "acct", "exe", "cmd", "addr", "hostname", "terminal", "unit", "res",
        ] {
            if let Some(v) = get(k) {
                s.push_str(&format!(" {k}={v}"));
            }
        }
    }
    if let Some(key) = get("key").filter(|k| *k != "(null)") {
        s.push_str(&format!(" key={key}"));
    }
    super::parser::summary_owned(s)
}

#[cfg(test)]
#[path = "auditd_record_tests.rs"]
mod tests;
