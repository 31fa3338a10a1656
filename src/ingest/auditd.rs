//! Linux audit logs: records parsed in parallel ([`super::auditd_record`]), then the records
//! of one audit event (SYSCALL, EXECVE, CWD, PATH, PROCTITLE… sharing a serial) merged into
//! one event in file order, with the parent image filled from earlier process starts.
//!
//! Audit writes an event's records together, but a busy kernel may interleave two events, so
//! a few events stay open at once; both the open events and their records are bounded, and
//! the parent table forgets the oldest process: memory stays flat on any input.

use std::collections::{HashMap, VecDeque};

use super::auditd_record::{self, is_arg};
use super::parser::{Ctx, LineParser};
use crate::event::Event;

/// Events kept open for more of their records. Interleaving spans a few events at most.
const OPEN_EVENTS: usize = 8;
/// Records merged into one event at most; more (a runaway serial) start a new event.
const MAX_RECORDS: usize = 64;
/// Processes remembered for their children's parent image.
const PARENTS: usize = 4096;

#[derive(Default)]
pub(crate) struct AuditParser {
    /// Open events, oldest first, each the records read so far.
    open: VecDeque<Vec<Event>>,
    parents: Parents,
}

impl LineParser for AuditParser {
    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        if line.starts_with("----") {
            // `ausearch` output separates events with `----` lines.
            return Ok(None);
        }
        auditd_record::parse(line, &ctx.source, record).map(Some)
    }

    fn combine(&mut self, rec: Event, out: &mut dyn FnMut(Event)) {
        let key = event_key(&rec);
        if rec.fields.get("type").map(String::as_str) == Some("EOE") {
            // End of a multi-record event: it and every event opened before it are complete.
            if let Some(at) = self.open.iter().position(|r| event_key(&r[0]) == key) {
                for records in self.open.drain(..=at).collect::<Vec<_>>() {
                    self.emit(records, out);
                }
            }
            return;
        }
        match self
            .open
            .iter_mut()
            .find(|r| event_key(&r[0]) == key && r.len() < MAX_RECORDS)
        {
            Some(records) => records.push(rec),
            None => {
                self.open.push_back(vec![rec]);
                if self.open.len() > OPEN_EVENTS
                    && let Some(oldest) = self.open.pop_front()
                {
                    self.emit(oldest, out);
                }
            }
        }
    }

    fn finish(&mut self, out: &mut dyn FnMut(Event)) {
        while let Some(records) = self.open.pop_front() {
            self.emit(records, out);
        }
    }
}

impl AuditParser {
    fn emit(&mut self, records: Vec<Event>, out: &mut dyn FnMut(Event)) {
        let Some(mut ev) = merge(records) else { return };
        if ev.event_id.as_deref() == Some("EXECVE") {
            if let Some(ppid) = ev.fields.get("ppid").and_then(|p| p.parse::<u32>().ok()) {
                ev.parent_process = self.parents.get(ppid).map(str::to_string);
            }
            if let (Some(pid), Some(exe)) = (ev.pid, ev.process.as_deref()) {
                self.parents.insert(pid, exe);
            }
        }
        out(ev);
    }
}

/// Records belong to one event when host, time stamp and serial agree (serials restart at
/// reboot; the node tells forwarded hosts apart).
fn event_key(ev: &Event) -> (Option<&str>, Option<i64>, Option<&str>) {
    (
        ev.host.as_deref(),
        ev.timestamp.map(|t| t.timestamp_micros()),
        ev.fields.get("audit_serial").map(String::as_str),
    )
}

/// The records of one event as one event: the first record's position and time, the lines
/// joined, fields of all records (the first record holding a name wins). `type` is the
/// SYSCALL record's when there is one, `audit_types` lists every record type; a SYSCALL's
/// registers `a0..a3` become `syscall_a0..` when an EXECVE's arguments take those names.
fn merge(mut records: Vec<Event>) -> Option<Event> {
    if records.len() <= 1 {
        return records.pop();
    }
    let kind = |r: &Event| r.fields.get("type").cloned().unwrap_or_default();
    let mut types: Vec<String> = Vec::new();
    for r in &records {
        let k = kind(r);
        if !types.contains(&k) {
            types.push(k);
        }
    }
    let execve = types.iter().any(|t| t == "EXECVE");
    let primary = if types.iter().any(|t| t == "SYSCALL") {
        "SYSCALL".to_string()
    } else {
        types[0].clone()
    };
    let raw: Vec<&str> = records.iter().map(|r| r.raw.as_str()).collect();
    let mut ev = Event::new(
        records[0].format,
        records[0].source.as_str(),
        records[0].record,
        raw.join("\n"),
    );
    ev.timestamp = records[0].timestamp;
    ev.host = records[0].host.clone();
    for r in &mut records {
        let syscall = kind(r) == "SYSCALL";
        for (k, v) in std::mem::take(&mut r.fields) {
            let k = if syscall && execve && is_arg(&k) {
                format!("syscall_{k}")
            } else {
                k
            };
            ev.fields.entry(k).or_insert(v);
        }
    }
    ev.fields.insert("type".into(), primary);
    ev.fields.insert("audit_types".into(), types.join(" "));
    ev.fields
        .insert("audit_records".into(), records.len().to_string());
    auditd_record::normalise(&mut ev);
    Some(ev)
}

/// The latest image each recent process ran, forgetting the oldest process when full.
#[derive(Default)]
struct Parents {
    image: HashMap<u32, String>,
    order: VecDeque<u32>,
}

impl Parents {
    fn get(&self, pid: u32) -> Option<&str> {
        self.image.get(&pid).map(String::as_str)
    }

    fn insert(&mut self, pid: u32, exe: &str) {
        if self.image.insert(pid, exe.to_string()).is_none() {
            self.order.push_back(pid);
            if self.order.len() > PARENTS
                && let Some(old) = self.order.pop_front()
            {
                self.image.remove(&old);
            }
        }
    }
}
