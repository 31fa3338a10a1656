//! Reading one input: open it, see through gzip and zip (each zip member is its own source,
//! `archive.zip!member`), find the text encoding, skip binary junk, detect the format and hand
//! the stream to the right parser. Every failure becomes a counted problem.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek};
use std::path::Path;
use std::rc::Rc;

use chrono::{DateTime, NaiveDate, Utc};
use flate2::read::MultiGzDecoder;

use super::detect::detect_text;
use super::evtx::{self, EvtxInput};
use super::expansion::{Budget, Expanded, is_refusal};
use super::lines::{self, Emit};
use super::parser::{Ctx, LineParser};
use super::reader::{Counting, HEAD_BYTES, looks_binary, read_head, sniff_encoding};
use super::report::{FileReport, SkipReason};
use super::{
    IngestOptions, apache_error, auditd, binetflow, csv, json, jsondoc, slips, suricata, syslog,
    text, web, winjson, zeek,
};
use crate::event::{Event, Format};

/// Archives inside archives are followed this deep.
const MAX_DEPTH: u32 = 4;
/// The most bytes held in memory for a format that needs them all (EVTX or a zip inside an
/// archive).
const MAX_BUFFER: u64 = 512 << 20;

/// One stream being read.
struct Input<'p> {
    source: String,
    /// File or member name, for hints.
    name: String,
    reference: DateTime<Utc>,
    /// The plain file on disk this stream is, when it is one (seekable: EVTX, zip).
    file: Option<&'p Path>,
    /// Inside a gzip or zip: read errors are archive damage.
    in_archive: bool,
    depth: u32,
    /// Decompressed bytes this input file may still produce (shared by all its layers).
    budget: Rc<Budget>,
}

pub(crate) fn read_file(
    path: &Path,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Event),
) -> Vec<FileReport> {
    let source = path.display().to_string();
    let mut reports = Vec::new();
    let unreadable = |detail: String| {
        let mut r = FileReport::new(source.clone());
        r.problem(0, SkipReason::Unreadable, detail);
        vec![r]
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return unreadable(format!("cannot open: {e}")),
    };
    if meta.is_dir() {
        return unreadable("is a folder, not a file".into());
    }
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return unreadable(format!("cannot open: {e}")),
    };
    let input = Input {
        source: source.clone(),
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        reference: meta
            .modified()
            .map(DateTime::<Utc>::from)
            .unwrap_or_else(|_| Utc::now()),
        file: Some(path),
        in_archive: false,
        depth: 0,
        budget: Budget::new(meta.len(), opts.expansion),
    };
    read_stream(
        input,
        Box::new(io::BufReader::with_capacity(256 << 10, file)),
        opts,
        sink,
        &mut reports,
    );
    reports
}

/// Reads `bytes` as the content of a file named `name` (see [`super::read_bytes`]).
pub(crate) fn read_bytes(
    name: &str,
    bytes: &[u8],
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Event),
) -> Vec<FileReport> {
    let mut reports = Vec::new();
    let input = Input {
        source: name.to_string(),
        name: name.rsplit(['/', '\\']).next().unwrap_or(name).to_string(),
        reference: Utc::now(),
        file: None,
        in_archive: false,
        depth: 0,
        budget: Budget::new(bytes.len() as u64, opts.expansion),
    };
    read_stream(input, Box::new(bytes), opts, sink, &mut reports);
    reports
}

fn read_error(input: &Input, report: &mut FileReport, offset: u64, e: &io::Error) {
    if is_refusal(e) {
        report.problem(offset, SkipReason::TooLarge, e.to_string());
        return;
    }
    let reason = if input.in_archive {
        SkipReason::BadArchive
    } else {
        SkipReason::Unreadable
    };
    report.problem(offset, reason, format!("read failed: {e}"));
}

fn read_stream(
    input: Input,
    reader: Box<dyn Read + '_>,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Event),
    reports: &mut Vec<FileReport>,
) {
    let mut report = FileReport::new(input.source.clone());
    let mut counting = Counting {
        inner: reader,
        count: 0,
    };
    let head = match read_head(&mut counting, HEAD_BYTES) {
        Ok(h) => h,
        Err(e) => {
            read_error(&input, &mut report, 0, &e);
            report.bytes = counting.count;
            reports.push(report);
            return;
        }
    };
    if head.is_empty() {
        report.problem(0, SkipReason::Empty, "no bytes");
        reports.push(report);
        return;
    }
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let zip = head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06");
    if (gzip || zip) && input.depth >= MAX_DEPTH {
        report.problem(0, SkipReason::BadArchive, "archives nested too deep");
        reports.push(report);
        return;
    }
    if gzip {
        let name = strip_suffix_ci(&input.name, &[".gz", ".gzip"]).to_string();
        let inner = Expanded::new(
            MultiGzDecoder::new(Cursor::new(head).chain(counting)),
            input.budget.clone(),
        );
        let child = Input {
            name,
            file: None,
            in_archive: true,
            depth: input.depth + 1,
            ..input
        };
        read_stream(child, Box::new(inner), opts, sink, reports);
        return;
    }
    if zip {
        read_zip(input, head, counting, opts, sink, reports);
        return;
    }
    if head.starts_with(evtx::MAGIC) || opts.format == Some(Format::Evtx) {
        report.format = Some(Format::Evtx);
        let ctx = ctx_of(&input);
        let evtx_input = match input.file {
            Some(p) => {
                report.bytes = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
                EvtxInput::Path(p)
            }
            None => match buffer_all(head, &mut counting) {
                Ok(buf) => {
                    report.bytes = buf.len() as u64;
                    EvtxInput::Buffer(buf)
                }
                Err(e) => {
                    too_large_or_read_error(&input, &mut report, &e);
                    reports.push(report);
                    return;
                }
            },
        };
        let mut emit = Emit {
            report: &mut report,
            sink,
            label: opts.label.as_ref(),
        };
        evtx::read(evtx_input, &ctx, &mut emit);
        reports.push(report);
        return;
    }
    read_text(&input, head, &mut counting, opts, sink, &mut report);
    report.bytes = counting.count;
    reports.push(report);
}

fn ctx_of(input: &Input) -> Ctx {
    Ctx {
        source: input.source.clone(),
        name: input.name.clone(),
        reference: input.reference,
    }
}

fn strip_suffix_ci<'a>(name: &'a str, suffixes: &[&str]) -> &'a str {
    for s in suffixes {
        if name.len() > s.len() && name.is_char_boundary(name.len() - s.len()) {
            let (stem, tail) = name.split_at(name.len() - s.len());
            if tail.eq_ignore_ascii_case(s) {
                return stem;
            }
        }
    }
    name
}

/// The whole stream in memory (head included), up to [`MAX_BUFFER`].
fn buffer_all(head: Vec<u8>, rest: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut buf = head;
    rest.take(MAX_BUFFER + 1 - buf.len() as u64)
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_BUFFER {
        return Err(io::Error::new(
            io::ErrorKind::OutOfMemory,
            "too large to hold in memory",
        ));
    }
    Ok(buf)
}

fn too_large_or_read_error(input: &Input, report: &mut FileReport, e: &io::Error) {
    if e.kind() == io::ErrorKind::OutOfMemory {
        report.problem(
            0,
            SkipReason::TooLarge,
            format!("over {} MiB inside an archive", MAX_BUFFER >> 20),
        );
    } else {
        read_error(input, report, 0, e);
    }
}

fn read_zip(
    input: Input,
    head: Vec<u8>,
    mut counting: Counting<Box<dyn Read + '_>>,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Event),
    reports: &mut Vec<FileReport>,
) {
    let mut report = FileReport::new(input.source.clone());
    // A zip is read from its end, so it needs a seekable source: the file itself, or memory.
    let opened: Result<Box<dyn ReadSeek>, io::Error> = match input.file {
        Some(p) => File::open(p).map(|f| Box::new(io::BufReader::new(f)) as Box<dyn ReadSeek>),
        None => {
            buffer_all(head, &mut counting).map(|b| Box::new(Cursor::new(b)) as Box<dyn ReadSeek>)
        }
    };
    let reader = match opened {
        Ok(r) => r,
        Err(e) => {
            too_large_or_read_error(&input, &mut report, &e);
            reports.push(report);
            return;
        }
    };
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            report.problem(
                0,
                SkipReason::BadArchive,
                format!("not a readable zip: {e}"),
            );
            reports.push(report);
            return;
        }
    };
    let mut members = 0;
    for i in 0..archive.len() {
        if input.budget.tripped() {
            report.problem(
                i as u64,
                SkipReason::TooLarge,
                format!(
                    "{} member(s) not read: the archive was refused",
                    archive.len() - i
                ),
            );
            break;
        }
        let entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                report.problem(
                    i as u64,
                    SkipReason::BadArchive,
                    format!("member #{i}: {e}"),
                );
                continue;
            }
        };
        let name = entry.name().to_string();
        // Folders, macOS resource forks (`__MACOSX/`, `._x`) and hidden members are not logs.
        let hidden = name
            .split(['/', '\\'])
            .any(|part| part.starts_with('.') || part == "__MACOSX");
        if entry.is_dir() || hidden {
            continue;
        }
        members += 1;
        // A member that says it will not fit is refused before any of it is decompressed.
        if entry.size() > input.budget.remaining() {
            let e = input.budget.refuse(&format!(
                "member {name} declares {} MiB,",
                entry.size() >> 20
            ));
            report.problem(i as u64, SkipReason::TooLarge, e.to_string());
            continue;
        }
        let reference = entry
            .last_modified()
            .and_then(zip_time)
            .unwrap_or(input.reference);
        let child = Input {
            source: format!("{}!{}", input.source, name),
            name: name.rsplit(['/', '\\']).next().unwrap_or(&name).to_string(),
            reference,
            file: None,
            in_archive: true,
            depth: input.depth + 1,
            budget: input.budget.clone(),
        };
        let entry = Expanded::new(entry, input.budget.clone());
        read_stream(child, Box::new(entry), opts, sink, reports);
    }
    if members == 0 {
        report.problem(0, SkipReason::Empty, "no files in the archive");
    }
    if !report.skipped.is_empty() {
        reports.push(report);
    }
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

fn zip_time(t: zip::DateTime) -> Option<DateTime<Utc>> {
    let d = NaiveDate::from_ymd_opt(t.year() as i32, t.month() as u32, t.day() as u32)?;
    Some(
        d.and_hms_opt(t.hour() as u32, t.minute() as u32, t.second() as u32)?
            .and_utc(),
    )
}

fn line_parser(format: Format) -> Box<dyn LineParser> {
    match format {
        Format::WinJson => Box::new(winjson::WinJsonParser),
        Format::ZeekJson => Box::new(zeek::ZeekJsonParser),
        Format::ZeekTsv => Box::new(zeek::ZeekTsvParser::new()),
        Format::SuricataEve => Box::new(suricata::EveParser),
        Format::Slips => Box::new(slips::SlipsParser),
        Format::Binetflow => Box::new(binetflow::BinetflowParser::new()),
        Format::Json => Box::new(json::JsonParser),
        Format::Syslog | Format::AuthLog => Box::new(syslog::SyslogParser { format }),
        Format::Auditd => Box::new(auditd::AuditParser::default()),
        Format::WebAccess => Box::new(web::AccessParser),
        Format::ApacheError => Box::new(apache_error::ErrorLogParser),
        // EVTX and CSV have their own readers; Text is the fallback.
        Format::Evtx | Format::Csv | Format::Text => Box::new(text::TextParser),
    }
}

/// A text stream: decode, reject binary, detect, parse.
fn read_text(
    input: &Input,
    head: Vec<u8>,
    rest: &mut dyn Read,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(Event),
    report: &mut FileReport,
) {
    let encoding = sniff_encoding(&head);
    let decoded = encoding.decode_head(&head);
    if looks_binary(&decoded) {
        report.problem(
            0,
            SkipReason::Binary,
            "binary content, not a log format lookout reads",
        );
        // Count what the file holds, for the summary (an archive bomb is still refused).
        if let Err(e) = io::copy(rest, &mut io::sink())
            && is_refusal(&e)
        {
            report.problem(0, SkipReason::TooLarge, e.to_string());
        }
        return;
    }
    if head.len() < HEAD_BYTES && decoded.iter().all(u8::is_ascii_whitespace) {
        report.problem(0, SkipReason::Empty, "only blank lines");
        return;
    }
    let head_text = String::from_utf8_lossy(&decoded);
    let format = opts
        .format
        .unwrap_or_else(|| detect_text(&input.name, &head_text));
    report.format = Some(format);
    let ctx = ctx_of(input);
    let document = is_json_format(format) && is_document(&head_text);
    let utf16_errors = Rc::new(Cell::new(0));
    let mut stream = encoding.wrap(
        Box::new(Cursor::new(head).chain(rest)),
        utf16_errors.clone(),
    );
    let mut emit = Emit {
        report,
        sink,
        label: opts.label.as_ref(),
    };
    let result = if format == Format::Csv {
        csv::read(&mut stream, &ctx, opts.max_line_bytes, &mut emit)
    } else if document {
        let parser = line_parser(format);
        jsondoc::read(
            &mut stream,
            parser.as_ref(),
            &ctx,
            opts.max_line_bytes,
            &mut emit,
        )
    } else {
        lines::run(
            &mut stream,
            line_parser(format).as_mut(),
            &ctx,
            opts.max_line_bytes,
            &mut emit,
        )
    };
    if let Err(e) = result {
        read_error(input, emit.report, 0, &e);
    }
    if utf16_errors.get() > 0 {
        let n = utf16_errors.get();
        emit.report.problem(
            0,
            SkipReason::InvalidUtf8,
            format!("{n} malformed UTF-16 sequence(s) replaced"),
        );
    }
}

fn is_json_format(f: Format) -> bool {
    matches!(
        f,
        Format::Json | Format::WinJson | Format::ZeekJson | Format::SuricataEve | Format::Slips
    )
}

/// A JSON array, or one object spread over lines (`{` alone on the first line).
fn is_document(head: &str) -> bool {
    let t = head.trim_start();
    t.starts_with('[') || t.lines().next().is_some_and(|l| l.trim() == "{")
}
