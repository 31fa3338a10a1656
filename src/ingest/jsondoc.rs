//! Whole JSON documents (a top-level array of records, or one pretty-printed object), split
//! into records as they stream: memory is bounded by the largest record, never the document.
//! Each record is refused on its own (too large, too deeply nested, not JSON) and counted as a
//! bad record; the records around it are still read.
//!
//! The splitter only tracks strings and bracket depth (no recursion), so nesting of any depth
//! costs nothing here; each record is then parsed by `serde_json`, whose recursion limit
//! (128) refuses deeper records.

use std::io::{self, Read};

use super::lines::Emit;
use super::parser::{Ctx, LineParser};
use super::report::SkipReason;

/// What the splitter is looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Before the first non-blank byte.
    Start,
    /// Inside a top-level array: its elements are the records.
    Array,
    /// The document is one value (an object), or several one after another: each is a record.
    Single,
    /// After the end of the document.
    Done,
}

/// One record being collected.
struct Record {
    bytes: Vec<u8>,
    /// Bytes beyond the cap, dropped (the record will be refused).
    over: u64,
    max: usize,
    depth: u64,
    in_string: bool,
    escaped: bool,
}

impl Record {
    fn push(&mut self, b: u8) {
        if self.bytes.len() < self.max {
            self.bytes.push(b);
        } else {
            self.over += 1;
        }
    }

    fn is_blank(&self) -> bool {
        self.over == 0 && self.bytes.iter().all(u8::is_ascii_whitespace)
    }

    fn reset(&mut self) {
        self.bytes.clear();
        self.over = 0;
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
    }
}

/// Reads a JSON document from `stream` and parses each record with `parser` (records numbered
/// from 1). A record over `max_record` bytes is refused without being held whole.
pub(crate) fn read(
    stream: &mut dyn Read,
    parser: &dyn LineParser,
    ctx: &Ctx,
    max_record: usize,
    emit: &mut Emit,
) -> io::Result<()> {
    let mut shape = Shape::Start;
    let mut rec = Record {
        bytes: Vec::new(),
        over: 0,
        max: max_record.max(1),
        depth: 0,
        in_string: false,
        escaped: false,
    };
    let mut number = 0u64;
    let mut trailing = false;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for &b in &buf[..n] {
            match shape {
                Shape::Start => match b {
                    b'[' if number == 0 => shape = Shape::Array,
                    b if b.is_ascii_whitespace() => {}
                    b => {
                        shape = Shape::Single;
                        step(&mut rec, b);
                    }
                },
                Shape::Single => {
                    step(&mut rec, b);
                    // Objects one after another (`jq .` output): each closed one is a record.
                    if rec.depth == 0 && !rec.in_string && matches!(b, b'}' | b']') {
                        number += 1;
                        record(&rec, number, parser, ctx, emit);
                        rec.reset();
                        shape = Shape::Start;
                    }
                }
                Shape::Array => {
                    let at_top = rec.depth == 0 && !rec.in_string;
                    if at_top && (b == b',' || b == b']') {
                        if !(b == b']' && number == 0 && rec.is_blank()) {
                            number += 1;
                            record(&rec, number, parser, ctx, emit);
                        }
                        rec.reset();
                        if b == b']' {
                            shape = Shape::Done;
                        }
                    } else {
                        step(&mut rec, b);
                    }
                }
                Shape::Done => trailing |= !b.is_ascii_whitespace(),
            }
        }
    }
    match shape {
        Shape::Start | Shape::Done => {}
        Shape::Single => {
            number += 1;
            record(&rec, number, parser, ctx, emit);
        }
        Shape::Array => {
            if !rec.is_blank() {
                number += 1;
                record(&rec, number, parser, ctx, emit);
            }
            emit.report.problem(
                number,
                SkipReason::BadRecord,
                format!("the JSON document ends inside its array, after record {number}"),
            );
        }
    }
    if trailing {
        emit.report.problem(
            number,
            SkipReason::BadRecord,
            "text after the end of the JSON document, ignored",
        );
    }
    Ok(())
}

/// Adds one byte to the record, tracking strings and depth.
fn step(rec: &mut Record, b: u8) {
    rec.push(b);
    if rec.in_string {
        if rec.escaped {
            rec.escaped = false;
        } else if b == b'\\' {
            rec.escaped = true;
        } else if b == b'"' {
            rec.in_string = false;
        }
        return;
    }
    match b {
        b'"' => rec.in_string = true,
        b'[' | b'{' => rec.depth += 1,
        b']' | b'}' => rec.depth = rec.depth.saturating_sub(1),
        _ => {}
    }
}

/// Parses one complete record (compacted first, so `raw` does not depend on the layout).
fn record(rec: &Record, n: u64, parser: &dyn LineParser, ctx: &Ctx, emit: &mut Emit) {
    if rec.over > 0 {
        emit.report.problem(
            n,
            SkipReason::BadRecord,
            format!(
                "record {n}: {} bytes, over the {}-byte record limit: refused",
                rec.bytes.len() as u64 + rec.over,
                rec.max
            ),
        );
        return;
    }
    let text = String::from_utf8_lossy(&rec.bytes);
    if matches!(text, std::borrow::Cow::Owned(_)) {
        emit.report.problem(
            n,
            SkipReason::InvalidUtf8,
            format!("record {n} decoded lossily"),
        );
    }
    let compact = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => v.to_string(),
        Err(e) => {
            emit.report.problem(
                n,
                SkipReason::BadRecord,
                format!("record {n}: bad JSON: {e}"),
            );
            return;
        }
    };
    match parser.parse(&compact, n, ctx) {
        Ok(Some(ev)) => emit.event(ev),
        Ok(None) => {}
        Err(e) => emit
            .report
            .problem(n, SkipReason::BadRecord, format!("record {n}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::ingest::json::JsonParser;
    use crate::ingest::report::FileReport;

    fn split(doc: &str, max: usize) -> (Vec<Event>, FileReport) {
        let ctx = Ctx {
            source: "d.json".into(),
            name: "d.json".into(),
            reference: chrono::Utc::now(),
        };
        let mut report = FileReport::new("d.json");
        let mut events = Vec::new();
        let mut sink = |e| events.push(e);
        let mut emit = Emit {
            report: &mut report,
            sink: &mut sink,
            label: None,
        };
        read(&mut doc.as_bytes(), &JsonParser, &ctx, max, &mut emit).unwrap();
        (events, report)
    }

    #[test]
    fn arrays_split_into_records_with_strings_and_nesting_respected() {
        let (evs, rep) = split(
            "[\n {\"a\": \"x,]}\\\"\", \"b\": [1, {\"c\": 2}]},\n {\"a\": 2}\n]\n",
            1 << 20,
        );
        assert_eq!(evs.len(), 2, "{:?}", rep.problems);
        assert_eq!(evs[0].raw, r#"{"a":"x,]}\"","b":[1,{"c":2}]}"#);
        assert_eq!(evs[1].record, 2);
        assert!(rep.problems.is_empty());
        assert_eq!(split("[]", 10).0.len(), 0);
        assert_eq!(split("{\n \"a\": 1\n}", 100).0.len(), 1);
        assert_eq!(
            split("{\n \"a\": 1\n}\n{\n \"a\": \"}\"\n}\n", 100).0.len(),
            2
        );
    }

    #[test]
    fn bad_records_are_refused_one_by_one() {
        let deep = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(30_000));
        let doc = format!(
            "[{{\"a\":1}}, {{\"d\":{deep}}}, {big}, 7, {{\"a\":2}}, {{oops}}, {{\"a\":3}}]"
        );
        let (evs, rep) = split(&doc, 10_000);
        assert_eq!(evs.len(), 3, "{:?}", rep.problems);
        assert_eq!(rep.count(SkipReason::BadRecord), 4, "{:?}", rep.problems);
        let details: Vec<&str> = rep.problems.iter().map(|p| p.detail.as_str()).collect();
        assert!(details[0].contains("recursion limit"), "{details:?}");
        assert!(
            details[1].contains("over the 10000-byte record limit"),
            "{details:?}"
        );
    }

    #[test]
    fn a_cut_document_keeps_its_complete_records() {
        let (evs, rep) = split("[{\"a\":1},{\"a\":2},{\"a\"", 100);
        assert_eq!(evs.len(), 2);
        assert!(rep.count(SkipReason::BadRecord) >= 1);
        let (_, rep) = split("[{\"a\":1}] junk", 100);
        assert_eq!(rep.count(SkipReason::BadRecord), 1);
    }
}
