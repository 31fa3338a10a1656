//! Drives a [`LineParser`] over a text stream: splits lines (capped), hands meta lines over in
//! order, parses batches of data lines in parallel with rayon, then combines (multi-line
//! events) and emits events in file order.

use std::borrow::Cow;
use std::io::{self, Read};

use rayon::prelude::*;

use super::parser::{Ctx, LineParser};
use super::reader::{LineInfo, LineSplitter};
use super::report::{FileReport, SkipReason};
use crate::event::{Event, Label};

/// Lines per batch: enough to amortise the fork/join, small enough to keep memory flat.
const BATCH_LINES: usize = 4096;
/// Bytes per batch, for files of long lines.
const BATCH_BYTES: usize = 8 << 20;
/// Below this many lines a batch is parsed on the calling thread.
const PARALLEL_MIN: usize = 256;

/// Where events and problems of one source go.
pub(crate) struct Emit<'a> {
    pub report: &'a mut FileReport,
    pub sink: &'a mut dyn FnMut(Event),
    pub label: Option<&'a Label>,
}

impl Emit<'_> {
    /// Labels, finishes (id, fallback message) and hands over one event.
    pub(crate) fn event(&mut self, mut ev: Event) {
        if let Some(l) = self.label {
            ev.label = Some(l.clone());
        }
        self.report.events += 1;
        (self.sink)(ev.finish());
    }
}

struct Outcome {
    info: LineInfo,
    /// The line was cut and what is left was kept.
    cut: bool,
    bad_utf8: bool,
    result: Result<Option<Event>, String>,
}

#[derive(Default)]
struct Batch {
    buf: Vec<u8>,
    lines: Vec<(usize, usize, LineInfo)>,
    /// Reused between batches: a fresh multi-megabyte vector per batch costs more than it seems.
    outcomes: Vec<Outcome>,
}

/// Reads every line of `reader` through `parser`. Returns the read error that ended the
/// stream early, if any (events before it were emitted).
pub(crate) fn run(
    reader: &mut dyn Read,
    parser: &mut dyn LineParser,
    ctx: &Ctx,
    max_line_bytes: usize,
    emit: &mut Emit,
) -> io::Result<()> {
    let mut split = LineSplitter::new(reader, max_line_bytes);
    let mut batch = Batch::default();
    loop {
        let start = batch.buf.len();
        let info = match split.next_line(&mut batch.buf) {
            Ok(Some(info)) => info,
            Ok(None) => break,
            Err(e) => {
                batch.buf.truncate(start);
                flush(&mut batch, parser, ctx, max_line_bytes, emit);
                parser.finish(&mut |ev| emit.event(ev));
                return Err(e);
            }
        };
        let bytes = &batch.buf[start..];
        if bytes.iter().all(u8::is_ascii_whitespace) {
            batch.buf.truncate(start);
            continue;
        }
        if parser.is_meta(bytes) {
            let line = String::from_utf8_lossy(bytes).into_owned();
            batch.buf.truncate(start);
            flush(&mut batch, parser, ctx, max_line_bytes, emit);
            if let Err(e) = parser.meta(&line) {
                emit.report.problem(
                    info.offset,
                    SkipReason::BadRecord,
                    format!("line {}: {e}", info.number),
                );
            }
            continue;
        }
        batch.lines.push((start, batch.buf.len(), info));
        if batch.lines.len() >= BATCH_LINES || batch.buf.len() >= BATCH_BYTES {
            flush(&mut batch, parser, ctx, max_line_bytes, emit);
        }
    }
    flush(&mut batch, parser, ctx, max_line_bytes, emit);
    parser.finish(&mut |ev| emit.event(ev));
    Ok(())
}

fn flush(
    batch: &mut Batch,
    parser: &mut dyn LineParser,
    ctx: &Ctx,
    max_line_bytes: usize,
    emit: &mut Emit,
) {
    if batch.lines.is_empty() {
        batch.buf.clear();
        return;
    }
    let buf = &batch.buf;
    let shared: &dyn LineParser = parser;
    let parse_one = |&(s, e, info): &(usize, usize, LineInfo)| {
        let bytes = &buf[s..e];
        let (text, bad_utf8) = match std::str::from_utf8(bytes) {
            Ok(t) => (Cow::Borrowed(t), false),
            Err(_) => (String::from_utf8_lossy(bytes), true),
        };
        let refused = info.cut && shared.whole_records();
        let mut result = if refused {
            Err(format!(
                "a record longer than {max_line_bytes} bytes (max_line_bytes): refused"
            ))
        } else {
            shared.parse(&text, info.number, ctx)
        };
        if result.is_err() && !refused && (info.cut || shared.text_fallback()) {
            // A cut record rarely parses (half a JSON object), and an odd line in a text log is
            // still log text: keep it as text rather than lose it.
            result = Ok(Some(super::text::line_event(&text, info.number, ctx)));
        }
        Outcome {
            info,
            // Reported as the refusal alone: nothing of the record was kept.
            cut: info.cut && !refused,
            bad_utf8: bad_utf8 && !refused,
            result,
        }
    };
    let mut outcomes = std::mem::take(&mut batch.outcomes);
    if batch.lines.len() >= PARALLEL_MIN && rayon::current_num_threads() > 1 {
        batch
            .lines
            .par_iter()
            .map(parse_one)
            .collect_into_vec(&mut outcomes);
    } else {
        outcomes.clear();
        outcomes.extend(batch.lines.iter().map(parse_one));
    }
    for o in outcomes.drain(..) {
        let LineInfo { number, offset, .. } = o.info;
        if o.cut {
            emit.report.problem(
                offset,
                SkipReason::LineTooLong,
                format!("line {number} cut"),
            );
        }
        if o.bad_utf8 {
            emit.report.problem(
                offset,
                SkipReason::InvalidUtf8,
                format!("line {number} decoded lossily"),
            );
        }
        match o.result {
            Ok(Some(ev)) => parser.combine(ev, &mut |ev| emit.event(ev)),
            Ok(None) => {}
            Err(e) => {
                emit.report
                    .problem(offset, SkipReason::BadRecord, format!("line {number}: {e}"))
            }
        }
    }
    batch.outcomes = outcomes;
    batch.buf.clear();
    batch.lines.clear();
}
