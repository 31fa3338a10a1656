//! CSV (or `;`, tab, `|` separated) files with a header row, through the `csv` crate so that
//! quoted fields may hold separators and newlines. Time, host, user, addresses, action and
//! message columns are guessed from the header names.

use std::io::{self, Read};

use super::csv_cap::CapRecords;
use super::lines::Emit;
use super::parser::{Ctx, clean_ip, clean_port, fallback_message, summary};
use super::report::SkipReason;
use super::time;
use crate::event::{Event, Format};

/// The most likely separator of a header line: the most frequent of `,` `;` tab `|` outside
/// quotes (`,` on a tie or when none is present).
pub(crate) fn delimiter(header: &str) -> u8 {
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for b in header.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            b'|' if !quoted => counts[3] += 1,
            _ => {}
        }
    }
    let seps = [b',', b';', b'\t', b'|'];
    let best = (0..4)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    seps[best]
}

/// Header names reduced to lowercase letters and digits (`Event DateTime` -> `eventdatetime`).
fn norm(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Which columns hold the normalised fields.
#[derive(Default)]
struct Columns {
    time: Option<usize>,
    host: Option<usize>,
    user: Option<usize>,
    src_ip: Option<usize>,
    dst_ip: Option<usize>,
    src_port: Option<usize>,
    dst_port: Option<usize>,
    event: Option<usize>,
    message: Option<usize>,
    process: Option<usize>,
    command: Option<usize>,
}

fn find(names: &[String], wanted: &[&str]) -> Option<usize> {
    wanted
        .iter()
        .find_map(|w| names.iter().position(|n| n == w))
}

impl Columns {
    fn new(headers: &[String]) -> Self {
        let n: Vec<String> = headers.iter().map(|h| norm(h)).collect();
        let time = find(
            &n,
            &[
                "timestamp",
                "time",
                "datetime",
                "eventdatetime",
                "eventtime",
                "date",
                "starttime",
                "timegenerated",
                "timecreated",
                "utctime",
                "createdat",
                "ts",
            ],
        )
        .or_else(|| {
            n.iter()
                .position(|h| h.contains("time") || h.contains("date"))
        });
        Columns {
            time,
            host: find(
                &n,
                &[
                    "host",
                    "hostname",
                    "computer",
                    "computername",
                    "devicename",
                    "device",
                    "server",
                ],
            ),
            user: find(
                &n,
                &[
                    "user",
                    "username",
                    "account",
                    "accountname",
                    "login",
                    "userprincipalname",
                    "srcuser",
                ],
            ),
            src_ip: find(
                &n,
                &[
                    "sourceip",
                    "srcip",
                    "srcaddr",
                    "src",
                    "clientip",
                    "sourceaddress",
                    "ipaddress",
                    "ip",
                    "callerip",
                ],
            ),
            dst_ip: find(
                &n,
                &[
                    "destinationip",
                    "dstip",
                    "dstaddr",
                    "dst",
                    "destip",
                    "destinationaddress",
                    "serverip",
                ],
            ),
            src_port: find(&n, &["sourceport", "srcport", "sport"]),
            dst_port: find(&n, &["destinationport", "dstport", "dport", "destport"]),
            event: find(
                &n,
                &[
                    "eventname",
                    "eventid",
                    "event",
                    "action",
                    "eventtype",
                    "operation",
                    "activity",
                    "type",
                ],
            ),
            message: find(&n, &["message", "msg", "description", "details"]),
            process: find(&n, &["process", "image", "processname", "exe"]),
            command: find(&n, &["commandline", "cmdline", "command"]),
        }
    }
}

/// Reads a whole CSV stream. Returns the read error that ended it early, if any.
pub(crate) fn read(
    reader: &mut dyn Read,
    ctx: &Ctx,
    max_line_bytes: usize,
    emit: &mut Emit,
) -> io::Result<()> {
    let mut capped = CapRecords::new(reader, max_line_bytes);
    let mut head = Vec::new();
    // The separator comes from the first line, read through the same (capped) stream.
    let mut byte = [0u8; 1];
    while capped.read(&mut byte)? == 1 {
        head.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    let delim = delimiter(&String::from_utf8_lossy(&head));
    capped.set_delimiter(delim);
    let chained = io::Cursor::new(head).chain(&mut capped);
    let mut rdr = ::csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(false)
        .from_reader(chained);
    let mut rec = ::csv::ByteRecord::new();
    let mut headers: Option<(Vec<String>, Columns)> = None;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let offset = e.position().map(|p| p.byte()).unwrap_or(0);
                let detail = e.to_string();
                // Read errors end the stream, as they are (a refused archive keeps its kind).
                if let ::csv::ErrorKind::Io(io) = e.into_kind() {
                    return Err(io);
                }
                emit.report.problem(offset, SkipReason::BadRecord, detail);
                continue;
            }
        }
        let pos = rec.position().cloned().unwrap_or_else(::csv::Position::new);
        let mut bad_utf8 = false;
        let values: Vec<String> = rec
            .iter()
            .map(|f| match std::str::from_utf8(f) {
                Ok(s) => s.to_string(),
                Err(_) => {
                    bad_utf8 = true;
                    String::from_utf8_lossy(f).into_owned()
                }
            })
            .collect();
        if bad_utf8 {
            emit.report.problem(
                pos.byte(),
                SkipReason::InvalidUtf8,
                format!("line {} decoded lossily", pos.line()),
            );
        }
        if values.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        if headers.is_none() {
            let names = unique_names(&values);
            let cols = Columns::new(&names);
            headers = Some((names, cols));
            continue;
        }
        let Some((names, cols)) = &headers else {
            continue;
        };
        let raw = raw_line(&values, delim);
        emit.event(record_event(names, cols, values, raw, pos.line(), ctx));
    }
    for _ in 0..capped.cuts {
        emit.report.problem(
            0,
            SkipReason::LineTooLong,
            "a CSV record was cut at max_line_bytes",
        );
    }
    Ok(())
}

/// Header names, empty ones as `colN`, repeats suffixed `_2`, `_3`…
fn unique_names(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let base = if v.trim().is_empty() {
            format!("col{}", i + 1)
        } else {
            v.trim().to_string()
        };
        let mut name = base.clone();
        let mut n = 2;
        while out.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        out.push(name);
    }
    out
}

/// The record as one CSV line again (quoted where needed), for `raw`.
fn raw_line(values: &[String], delim: u8) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .delimiter(delim)
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    if w.write_record(values).is_err() {
        return values.join(",");
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_string()
}

fn record_event(
    names: &[String],
    cols: &Columns,
    values: Vec<String>,
    raw: String,
    line: u64,
    ctx: &Ctx,
) -> Event {
    let mut ev = Event::new(Format::Csv, ctx.source.as_str(), line, raw);
    let get = |i: Option<usize>| {
        i.and_then(|i| values.get(i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty() && *v != "-")
    };
    ev.timestamp = get(cols.time).and_then(time::parse_any);
    ev.host = get(cols.host).map(str::to_string);
    ev.user = get(cols.user).map(str::to_string);
    ev.src_ip = get(cols.src_ip).and_then(clean_ip);
    ev.dst_ip = get(cols.dst_ip).and_then(clean_ip);
    ev.src_port = get(cols.src_port).and_then(clean_port);
    ev.dst_port = get(cols.dst_port).and_then(clean_port);
    ev.event_id = get(cols.event).map(str::to_string);
    ev.process = get(cols.process).map(str::to_string);
    ev.command_line = get(cols.command).map(str::to_string);
    ev.message = match get(cols.message) {
        Some(m) => summary(m),
        None => fallback_message(&ev, false),
    };
    for (i, v) in values.into_iter().enumerate() {
        if v.trim().is_empty() {
            continue;
        }
        let name = names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("col{}", i + 1));
        ev.fields.insert(name, v);
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::report::FileReport;
    use chrono::{TimeZone, Utc};

    #[test]
    fn header_columns_and_quoted_fields() {
        let input = "Event Type,Event Name,Source IP,Event DateTime,Note\nAwsApiCall,ListObjects,177.131.167.145,2022-02-18T17:34:57Z,\"a, \"\"quoted\"\"\nnote\"\n\n,,,,\nx,y\n";
        let ctx = Ctx {
            source: "a.csv".into(),
            name: "a.csv".into(),
            reference: Utc::now(),
        };
        let mut report = FileReport::new("a.csv");
        let mut events = Vec::new();
        let mut sink = |e: Event| events.push(e);
        let mut emit = Emit {
            report: &mut report,
            sink: &mut sink,
            label: None,
        };
        read(&mut input.as_bytes(), &ctx, 1 << 20, &mut emit).unwrap();
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!(e.record, 2);
        assert_eq!(e.event_id.as_deref(), Some("ListObjects"));
        assert_eq!(e.src_ip.as_deref(), Some("177.131.167.145"));
        assert_eq!(
            e.timestamp,
            Some(Utc.with_ymd_and_hms(2022, 2, 18, 17, 34, 57).unwrap())
        );
        assert_eq!(e.fields["Note"], "a, \"quoted\"\nnote");
        assert_eq!(e.message, "ListObjects from 177.131.167.145");
        assert_eq!(events[1].record, 6);
    }

    #[test]
    fn delimiters_and_names() {
        assert_eq!(delimiter("a;b;c"), b';');
        assert_eq!(delimiter("a\tb\tc,d"), b'\t');
        assert_eq!(delimiter("\"a;b\",c"), b',');
        assert_eq!(
            unique_names(&["a".into(), "a".into(), "".into()]),
            vec!["a", "a_2", "col3"]
        );
    }
}
