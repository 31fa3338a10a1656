//! Field mapping: how a Sigma field name (`Image`, `c-ip`, `id.resp_p`) is read from our
//! [`Event`], exposed to the rsigma evaluator as its `Event` trait.
//!
//! Lookup order: the original record field of that exact name (`fields`), then the
//! normalised field or alternative record names the Sigma name stands for. The parsers keep
//! original names, so Sysmon/Windows rules mostly hit step one.
//!
//! EVTX records are read as pySigma's Windows pipelines read them (the reference that
//! scripts/sigma-agreement.py compares with): record names only, plus the `windows-audit`
//! renames for the Sysmon-taxonomy rules routed to Security 4688 (and 4663 for file access).
//! A Sysmon name the record lacks is absent, not guessed from lookout's normalised fields.
//! Other formats (JSON exports, Zeek, web logs) get the broader mapping onto normalised fields.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::ops::Bound;

use rsigma_eval::EventValue;
use serde_json::{Map, Value};

use super::logsource::{DEFENDER_CHANNEL, DEFENDER_DETECTIONS};
use crate::event::{Event, Format};

/// A borrowed view of one event for rule evaluation.
pub(crate) struct SigmaView<'a> {
    ev: &'a Event,
    /// Fields the raw record carries with an empty value, found on the first lookup of a
    /// field the parsed fields lack (see [`empty_fields`]).
    empty: OnceCell<Vec<&'a str>>,
}

impl<'a> SigmaView<'a> {
    pub fn new(ev: &'a Event) -> Self {
        SigmaView {
            ev,
            empty: OnceCell::new(),
        }
    }

    /// `Some("")` when the raw EVTX record has `field` with an empty value.
    fn empty_in_raw(&self, field: &str) -> Option<EventValue<'a>> {
        if self.ev.format != Format::Evtx {
            return None;
        }
        let raw = self.ev.raw.as_str();
        self.empty
            .get_or_init(|| empty_fields(raw))
            .contains(&field)
            .then(|| text(""))
    }

    /// Names Sigma's Windows pipelines rename on EVTX records: pySigma's `windows-audit`
    /// field mapping for Sysmon-taxonomy rules routed to Security 4688, and the same for
    /// `file_access` rules routed to Security 4663 on files (see logsource.rs).
    fn mapped_evtx(&self, path: &str) -> Option<EventValue<'a>> {
        // The System names the parser always sets; mapped for records built by hand.
        match path {
            "EventID" => return self.norm(&self.ev.event_id),
            "Channel" => return self.norm(&self.ev.channel),
            "Provider_Name" => return self.norm(&self.ev.provider),
            "Computer" => return self.norm(&self.ev.host),
            _ => {}
        }
        let eid = self.ev.event_id.as_deref()?;
        if let Some(v) = self.antivirus(eid, path) {
            return Some(v);
        }
        let security = self
            .ev
            .channel
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("Security"));
        if !security {
            return None;
        }
        match (eid, path) {
            ("4688", "Image") => self.first(&["NewProcessName"]),
            ("4688", "ParentImage") => self.first(&["ParentProcessName"]),
            ("4688", "LogonId") => self.first(&["SubjectLogonId"]),
            ("4663", "FileName") if self.is_file_object_access() => self.first(&["ObjectName"]),
            ("4663", "Image") if self.is_file_object_access() => self.first(&["ProcessName"]),
            _ => None,
        }
    }
}

impl<'a> SigmaView<'a> {
    /// The `antivirus` category's fields on Windows Defender detections (see logsource.rs).
    fn antivirus(&self, eid: &str, path: &str) -> Option<EventValue<'a>> {
        let key = match path {
            "Signature" => "Threat Name",
            "Filename" => "Path",
            _ => return None,
        };
        let defender = self
            .ev
            .channel
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(DEFENDER_CHANNEL));
        let detection = eid
            .parse::<u32>()
            .is_ok_and(|e| DEFENDER_DETECTIONS.contains(&e));
        (defender && detection)
            .then(|| self.first(&[key]))
            .flatten()
    }
}

/// Every name [`SigmaView::mapped_evtx`] can answer for.
const MAPPED_EVTX_NAMES: [&str; 10] = [
    "EventID",
    "Channel",
    "Provider_Name",
    "Computer",
    "Image",
    "ParentImage",
    "LogonId",
    "FileName",
    "Signature",
    "Filename",
];

/// Names of the fields a raw EVTX record (the evtx crate's compact JSON) carries with an
/// empty value, like Sysmon 8's `"StartModule":""`. The parser drops empty values, but Sigma
/// tells an empty field (`StartModule: ''`, which must match) from an absent one
/// (`StartModule: null`), as pySigma's backends do. In compact JSON the bytes `":""` can
/// only be a key's closing quote, the colon and an empty string (quotes inside strings are
/// escaped), so a scan finds them without parsing.
fn empty_fields(raw: &str) -> Vec<&str> {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    for i in memchr::memmem::find_iter(bytes, b"\":\"\"") {
        if !matches!(bytes.get(i + 4), Some(b',' | b'}')) {
            continue;
        }
        let Some(start) = bytes[..i].iter().rposition(|&c| c == b'"') else {
            continue;
        };
        let key = &raw[start + 1..i];
        if !key.is_empty()
            && key
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            out.push(key);
        }
    }
    out
}

fn text(s: &str) -> EventValue<'_> {
    EventValue::Str(Cow::Borrowed(s))
}

impl<'a> SigmaView<'a> {
    /// The first of `keys` present in the original record fields.
    fn first(&self, keys: &[&str]) -> Option<EventValue<'a>> {
        keys.iter()
            .find_map(|k| self.ev.fields.get(*k))
            .map(|v| text(v.as_str()))
    }

    /// A Security 4663 record about a file.
    fn is_file_object_access(&self) -> bool {
        self.ev.event_id.as_deref() == Some("4663")
            && self
                .ev
                .fields
                .get("ObjectType")
                .is_some_and(|t| t.eq_ignore_ascii_case("File"))
    }

    fn norm(&self, v: &'a Option<String>) -> Option<EventValue<'a>> {
        v.as_deref().map(text)
    }

    fn num<T: Into<i64>>(v: Option<T>) -> Option<EventValue<'a>> {
        v.map(|n| EventValue::Int(n.into()))
    }

    /// Sigma (and common) field names that stand for a normalised field or another record
    /// name. Returns `None` for names we do not map; the caller then reports the field absent.
    fn mapped(&self, path: &str) -> Option<EventValue<'a>> {
        let ev = self.ev;
        if let Some(v) = ev.event_id.as_deref().and_then(|e| self.antivirus(e, path)) {
            return Some(v);
        }
        match path {
            // Windows process fields; 4688 spells them NewProcessName / ParentProcessName.
            "Image" | "process" | "process.executable" => self
                .norm(&ev.process)
                .or_else(|| self.first(&["NewProcessName", "ProcessName"])),
            "CommandLine" | "command_line" | "process.command_line" => self
                .norm(&ev.command_line)
                .or_else(|| self.first(&["ProcessCommandLine", "cmdline"])),
            "ParentImage" | "parent_process" | "process.parent.executable" => self
                .norm(&ev.parent_process)
                .or_else(|| self.first(&["ParentProcessName"])),
            "ProcessId" | "pid" | "process.pid" => Self::num(ev.pid),
            // Linux audit names (Sysmon for Linux has these under the Sigma names already).
            "ParentProcessId" | "process.parent.pid" => self.first(&["ppid"]),
            "CurrentDirectory" | "process.working_directory" => self.first(&["cwd"]),
            "User" | "user" | "UserName" | "user.name" => self.norm(&ev.user),
            "Computer" | "ComputerName" | "Hostname" | "host" | "host.name" => self.norm(&ev.host),
            "EventID" | "event_id" => self.norm(&ev.event_id),
            "Channel" | "channel" => self.norm(&ev.channel),
            "Provider_Name" | "provider" | "Provider" => self.norm(&ev.provider),
            // Network endpoints across Sysmon 3, Security, Zeek, Suricata and web logs.
            "SourceIp" | "SourceAddress" | "src_ip" | "c-ip" | "id.orig_h" | "IpAddress"
            | "ClientIP" | "source.ip" => self.norm(&ev.src_ip),
            "DestinationIp" | "DestAddress" | "dst_ip" | "dest_ip" | "s-ip" | "id.resp_h"
            | "destination.ip" => self.norm(&ev.dst_ip),
            "SourcePort" | "src_port" | "id.orig_p" | "IpPort" | "source.port" => {
                Self::num(ev.src_port)
            }
            "DestinationPort" | "DestPort" | "dst_port" | "dest_port" | "s-port" | "id.resp_p"
            | "destination.port" => Self::num(ev.dst_port),
            // Web server taxonomy (W3C names) onto whatever the access-log parser calls them.
            "cs-uri-query" => self.first(&[
                "query",
                "uri_query",
                "url.query",
                "uri",
                "url",
                "request_uri",
                "request",
            ]),
            "cs-uri-stem" => self.first(&[
                "path",
                "uri_path",
                "url.path",
                "uri",
                "url",
                "request_uri",
                "request",
            ]),
            "c-uri" | "cs-uri" | "url" => {
                self.first(&["uri", "url", "request_uri", "request", "path", "c-uri"])
            }
            "cs-method" | "method" => {
                self.first(&["method", "http_method", "request_method", "http.method"])
            }
            "sc-status" | "status" => self.first(&[
                "status",
                "status_code",
                "http_status",
                "response",
                "http.status",
                "status_msg",
            ]),
            "c-useragent" | "cs-user-agent" | "cs(User-Agent)" | "user_agent" => self.first(&[
                "user_agent",
                "useragent",
                "http_user_agent",
                "agent",
                "http.http_user_agent",
                "c-useragent",
            ]),
            "cs-referer" | "cs(Referer)" | "referer" => {
                self.first(&["referer", "referrer", "http_referer", "http.http_refer"])
            }
            "cs-host" | "r-dns" => {
                self.first(&["http_host", "vhost", "host_header", "http.hostname"])
            }
            // `file_access` rules routed to Security 4663 (see logsource.rs): the object
            // accessed is the file, but only when the object is a file (4663 also audits
            // registry keys and kernel objects).
            "FileName" if self.is_file_object_access() => self.first(&["ObjectName"]),
            "message" | "Message" | "msg" => Some(text(ev.message.as_str())),
            _ => None,
        }
    }
}

impl<'a> SigmaView<'a> {
    /// Audit fields an event holds once per record: `type` (an event merges SYSCALL, EXECVE,
    /// PATH… records; a rule for any of them sees its type) and the PATH records' fields,
    /// kept as `path.<item>.<name>`. Any member matching counts, as for a JSON array.
    fn audit_multi(&self, path: &str) -> Option<EventValue<'a>> {
        let f = &self.ev.fields;
        if path == "type" {
            let types = f.get("audit_types")?;
            return Some(EventValue::Array(types.split(' ').map(text).collect()));
        }
        if !matches!(
            path,
            "name"
                | "nametype"
                | "inode"
                | "dev"
                | "mode"
                | "ouid"
                | "ogid"
                | "rdev"
                | "objtype"
                | "OUID"
                | "OGID"
        ) {
            return None;
        }
        let values: Vec<EventValue<'a>> = f
            .range::<str, _>((Bound::Included("path."), Bound::Excluded("path/")))
            .filter(|(k, _)| k.rsplit_once('.').is_some_and(|(_, name)| name == path))
            .map(|(_, v)| text(v.as_str()))
            .collect();
        (!values.is_empty()).then_some(EventValue::Array(values))
    }
}

impl rsigma_eval::Event for SigmaView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        if self.ev.format == Format::Auditd
            && let Some(v) = self.audit_multi(path)
        {
            return Some(v);
        }
        if let Some(v) = self.ev.fields.get(path) {
            return Some(text(v.as_str()));
        }
        if self.ev.format == Format::Evtx {
            return self.mapped_evtx(path).or_else(|| self.empty_in_raw(path));
        }
        self.mapped(path)
    }

    /// The names `get_field` answers for on an EVTX record, so that rsigma's candidate index
    /// probes only those instead of every field its rules name (most absent from any one
    /// record). Other formats map many names onto normalised fields: every field is probed.
    fn visit_top_level_keys(&self, visit: &mut dyn FnMut(&str)) -> bool {
        if self.ev.format != Format::Evtx {
            return false;
        }
        for k in self.ev.fields.keys() {
            visit(k);
        }
        for name in MAPPED_EVTX_NAMES {
            if !self.ev.fields.contains_key(name) && self.mapped_evtx(name).is_some() {
                visit(name);
            }
        }
        let raw = self.ev.raw.as_str();
        for k in self.empty.get_or_init(|| empty_fields(raw)) {
            if !self.ev.fields.contains_key(*k) {
                visit(k);
            }
        }
        true
    }

    /// Keywords match the summary and every original field value, and the raw record of
    /// formats whose fields may not hold all of it (an EVTX record's fields do).
    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        pred(&self.ev.message)
            || self.ev.fields.values().any(|v| pred(v))
            || (self.ev.format != Format::Evtx && pred(&self.ev.raw))
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut out = Vec::with_capacity(self.ev.fields.len() + 2);
        self.visit_string_values(&mut |s| out.push(Cow::Owned(s.to_string())));
        out
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        visit(&self.ev.message);
        for v in self.ev.fields.values() {
            visit(v);
        }
        if self.ev.format != Format::Evtx {
            visit(&self.ev.raw);
        }
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in &self.ev.fields {
            m.insert(k.clone(), Value::String(v.clone()));
        }
        m.entry("message")
            .or_insert_with(|| Value::String(self.ev.message.clone()));
        Value::Object(m)
    }
}

/// A Sigma field's value on `ev` as text, read as rules read it (for correlations'
/// `group-by` and counted fields); a list's members joined by commas.
pub(crate) fn field_text(ev: &Event, name: &str) -> Option<String> {
    use rsigma_eval::Event as _;
    fn flat(v: &EventValue<'_>) -> Option<String> {
        match v {
            EventValue::Null | EventValue::Map(_) => None,
            EventValue::Array(items) => {
                let parts: Vec<String> = items.iter().filter_map(flat).collect();
                (!parts.is_empty()).then(|| parts.join(","))
            }
            other => other.as_str().map(|s| s.into_owned()),
        }
    }
    flat(&SigmaView::new(ev).get_field(name)?)
}
