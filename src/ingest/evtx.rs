//! Windows EVTX files through the `evtx` crate: each record rendered as JSON, flattened, its
//! System part mapped (time, computer, id, channel, provider, record id), its EventData or
//! UserData kept under the original names, then normalised like every Windows event.
//! Damaged chunks and records are counted, never fatal.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use chrono::DateTime;
use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings, SerializedEvtxRecord};

use super::jsonflat::{Pairs, flatten_object};
use super::lines::Emit;
use super::parser::Ctx;
use super::report::SkipReason;
use super::{time, windows};
use crate::event::{Event, Format};

/// The 8-byte magic an EVTX file starts with.
pub(crate) const MAGIC: &[u8; 8] = b"ElfFile\0";

/// Where the EVTX bytes are.
pub(crate) enum EvtxInput<'a> {
    Path(&'a Path),
    Buffer(Vec<u8>),
}

fn settings() -> ParserSettings {
    // One thread: the crate's pipeline blocks a thread waiting on rayon jobs, which could
    // starve the pool when the caller already reads files in parallel on it.
    ParserSettings::new().indent(false).num_threads(1)
}

/// Reads every record of an EVTX file; problems go to the report.
pub(crate) fn read(input: EvtxInput, ctx: &Ctx, emit: &mut Emit) {
    // The crate is fuzzed, but a panic on a hostile file must not end the whole run.
    let outcome = catch_unwind(AssertUnwindSafe(|| match input {
        EvtxInput::Path(p) => match EvtxParser::from_path(p) {
            Ok(parser) => consume(
                parser.with_configuration(settings()).records_json(),
                ctx,
                emit,
            ),
            Err(e) => header_problem(emit, &e),
        },
        EvtxInput::Buffer(buf) => match EvtxParser::from_buffer(buf) {
            Ok(parser) => consume(
                parser.with_configuration(settings()).records_json(),
                ctx,
                emit,
            ),
            Err(e) => header_problem(emit, &e),
        },
    }));
    if outcome.is_err() {
        emit.report.problem(
            0,
            SkipReason::CorruptChunk,
            "the EVTX parser failed on this file; records after this point are lost",
        );
    }
}

fn header_problem(emit: &mut Emit, e: &EvtxError) {
    emit.report.problem(
        0,
        SkipReason::CorruptChunk,
        format!("not a readable EVTX file: {}", chain(e)),
    );
}

/// An error with its causes, since the crate's top-level messages are generic.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn consume(
    records: impl Iterator<Item = evtx::err::Result<SerializedEvtxRecord<String>>>,
    ctx: &Ctx,
    emit: &mut Emit,
) {
    let mut pairs = Pairs::new();
    for rec in records {
        match rec {
            Ok(rec) => {
                pairs.clear();
                match record_event(rec, ctx, &mut pairs) {
                    Ok(ev) => emit.event(ev),
                    Err((id, e)) => {
                        emit.report
                            .problem(id, SkipReason::BadRecord, format!("record {id}: {e}"))
                    }
                }
            }
            Err(e) => {
                let (offset, reason) = match &e {
                    EvtxError::FailedToParseChunk { chunk_id, .. } => {
                        (*chunk_id, SkipReason::CorruptChunk)
                    }
                    EvtxError::FailedToParseRecord { record_id, .. } => {
                        (*record_id, SkipReason::BadRecord)
                    }
                    _ => (0, SkipReason::BadRecord),
                };
                emit.report.problem(offset, reason, chain(&e));
            }
        }
    }
}

fn record_event(
    rec: SerializedEvtxRecord<String>,
    ctx: &Ctx,
    pairs: &mut Pairs,
) -> Result<Event, (u64, String)> {
    let id = rec.event_record_id;
    flatten_object(&rec.data, pairs).map_err(|e| (id, e.to_string()))?;
    let mut ev = Event::new(Format::Evtx, ctx.source.as_str(), id, rec.data);
    apply_event_pairs(&mut ev, pairs.drain(..));
    if ev.timestamp.is_none() {
        let ts = rec.timestamp;
        ev.timestamp =
            DateTime::from_timestamp(ts.as_second(), ts.subsec_nanosecond().max(0) as u32);
    }
    windows::normalise(&mut ev);
    Ok(ev)
}

/// Maps flattened `Event.System.*`, `Event.EventData.*` and `Event.UserData.*` pairs (the
/// JSON shape of an EVTX record, also found in JSON exports of EVTX) onto `ev`.
pub(crate) fn apply_event_pairs(ev: &mut Event, pairs: impl Iterator<Item = (String, String)>) {
    for (k, v) in pairs {
        if let Some(s) = k.strip_prefix("Event.System.") {
            system(ev, s, v);
        } else if let Some(d) = k.strip_prefix("Event.EventData.") {
            if !d.starts_with("#attributes") {
                let name = d.strip_suffix(".#text").unwrap_or(d);
                ev.fields.insert(name.to_string(), v);
            }
        } else if let Some(u) = k.strip_prefix("Event.UserData.") {
            // `Event.UserData.LogFileCleared.SubjectUserName`: the wrapper element adds nothing.
            let name = u.split_once('.').map(|(_, n)| n).unwrap_or(u);
            if !name.contains("#attributes") {
                ev.fields
                    .insert(name.strip_suffix(".#text").unwrap_or(name).to_string(), v);
            }
        } else if !k.starts_with("Event.#attributes") {
            ev.fields
                .insert(k.strip_prefix("Event.").unwrap_or(&k).to_string(), v);
        }
    }
}

fn system(ev: &mut Event, key: &str, v: String) {
    let name = match key {
        "EventID" | "EventID.#text" => {
            ev.event_id = Some(v.clone());
            "EventID"
        }
        "EventID.#attributes.Qualifiers" => "Qualifiers",
        "Provider.#attributes.Name" => {
            ev.provider = Some(v.clone());
            "Provider_Name"
        }
        "Provider.#attributes.Guid" => "Provider_Guid",
        "Provider.#attributes.EventSourceName" => "EventSourceName",
        "TimeCreated.#attributes.SystemTime" => {
            ev.timestamp = time::parse_iso(&v);
            "TimeCreated"
        }
        "Computer" => {
            ev.host = Some(v.clone());
            "Computer"
        }
        "Channel" => {
            ev.channel = Some(v.clone());
            "Channel"
        }
        "EventRecordID" => "EventRecordID",
        "Execution.#attributes.ProcessID" => "Execution_ProcessID",
        "Execution.#attributes.ThreadID" => "Execution_ThreadID",
        "Security.#attributes.UserID" => "Security_UserID",
        "Correlation.#attributes.ActivityID" => "Correlation_ActivityID",
        "Correlation.#attributes.RelatedActivityID" => "Correlation_RelatedActivityID",
        other => other,
    };
    ev.fields.insert(name.to_string(), v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_json_shape_of_a_record() {
        let json = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"{5770385F}"}},"EventID":1,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":{"SystemTime":"2019-03-19T23:34:25.552741Z"}},"EventRecordID":8,"Correlation":null,"Execution":{"#attributes":{"ProcessID":1904,"ThreadID":2100}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"IEWIN7","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":{"RuleName":"","UtcTime":"2019-03-19 23:34:25.550","ProcessId":3708,"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami","User":"IEWIN7\\IEUser","ParentImage":"C:\\Windows\\explorer.exe"}}}"##;
        let mut pairs = Pairs::new();
        flatten_object(json, &mut pairs).unwrap();
        let mut ev = Event::new(Format::Evtx, "x.evtx", 8, json);
        apply_event_pairs(&mut ev, pairs.into_iter());
        windows::normalise(&mut ev);
        assert_eq!(ev.event_id.as_deref(), Some("1"));
        assert_eq!(ev.host.as_deref(), Some("IEWIN7"));
        assert_eq!(ev.provider.as_deref(), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2019-03-19T23:34:25.552741+00:00"
        );
        assert_eq!(ev.user.as_deref(), Some("IEWIN7\\IEUser"));
        assert_eq!(ev.pid, Some(3708));
        assert_eq!(ev.fields["Execution_ProcessID"], "1904");
        assert_eq!(ev.fields["Image"], "C:\\Windows\\System32\\cmd.exe");
        assert_eq!(ev.message, "Sysmon 1 process create: cmd /c whoami");
    }

    #[test]
    fn userdata_and_qualified_event_ids() {
        let json = r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045}},"UserData":{"LogFileCleared":{"#attributes":{"xmlns":"x"},"SubjectUserName":"bob"}}}}"##;
        let mut pairs = Pairs::new();
        flatten_object(json, &mut pairs).unwrap();
        let mut ev = Event::new(Format::Evtx, "x.evtx", 1, json);
        apply_event_pairs(&mut ev, pairs.into_iter());
        assert_eq!(ev.event_id.as_deref(), Some("7045"));
        assert_eq!(ev.fields["SubjectUserName"], "bob");
        assert_eq!(ev.fields["Qualifiers"], "16384");
    }
}
