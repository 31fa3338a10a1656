//! Caps CSV records before the `csv` crate sees them: a quoted field may span lines, so one
//! unclosed quote would otherwise make the rest of the file a single record held in memory.

use std::io::{self, Read};

/// Where the cap is within a CSV record, as the `csv` crate reads it: a quote opens quoting
/// only at the start of a field, `""` inside quotes is a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside quotes: the field's end, or the first half of `""`.
    QuoteInQuoted,
}

/// Drops the bytes of each record beyond `max` while passing the rest through: a record cut
/// inside quotes gets its quote closed, then the rest up to the next line end is dropped.
/// Counts the records it cut.
pub(crate) struct CapRecords<R> {
    inner: R,
    max: usize,
    delimiter: u8,
    state: State,
    run: usize,
    cutting: bool,
    pub cuts: u64,
}

impl<R: Read> CapRecords<R> {
    pub(crate) fn new(inner: R, max: usize) -> Self {
        CapRecords {
            inner,
            max: max.max(1),
            delimiter: b',',
            state: State::FieldStart,
            run: 0,
            cutting: false,
            cuts: 0,
        }
    }

    /// The field separator, once the header has told it.
    pub(crate) fn set_delimiter(&mut self, delimiter: u8) {
        self.delimiter = delimiter;
    }

    /// The next state after byte `b`.
    fn next(&self, b: u8) -> State {
        let d = self.delimiter;
        match (self.state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b'\n') => State::FieldStart,
            (_, b) if b == d => State::FieldStart,
            (State::FieldStart, b'"') => State::Quoted,
            _ => State::Unquoted,
        }
    }
}

impl<R: Read> Read for CapRecords<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(out)?;
            if n == 0 {
                return Ok(0);
            }
            // Bytes are only ever dropped or replaced one for one, so writing at `w <= i`
            // never overtakes the reading.
            let mut w = 0;
            for i in 0..n {
                let b = out[i];
                if self.cutting {
                    if b == b'\n' {
                        self.cutting = false;
                        self.state = State::FieldStart;
                        self.run = 0;
                        out[w] = b;
                        w += 1;
                    }
                    continue;
                }
                if self.run >= self.max && !(b == b'\n' && self.state != State::Quoted) {
                    self.cutting = true;
                    self.cuts += 1;
                    if self.state == State::Quoted {
                        // Close the open quote in place of this byte.
                        out[w] = b'"';
                        w += 1;
                        self.state = State::QuoteInQuoted;
                    }
                    continue;
                }
                self.state = self.next(b);
                if b == b'\n' && self.state == State::FieldStart {
                    self.run = 0;
                } else {
                    self.run += 1;
                }
                out[w] = b;
                w += 1;
            }
            // Everything read was dropped: read more rather than signal the end.
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capped(input: &str, max: usize) -> (String, u64) {
        let mut r = CapRecords::new(input.as_bytes(), max);
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        (out, r.cuts)
    }

    #[test]
    fn long_lines_are_cut() {
        let input = format!("short\n{}\nend\n", "x".repeat(100));
        assert_eq!(capped(&input, 10), ("short\nxxxxxxxxxx\nend\n".into(), 1));
    }

    #[test]
    fn quoted_newlines_stay_and_an_unclosed_quote_is_closed_at_the_cap() {
        assert_eq!(
            capped("a,\"x\ny\",b\nc\n", 10),
            ("a,\"x\ny\",b\nc\n".into(), 0)
        );
        let input = format!("h1,h2\n1,\"{}\n2,3\n", "line\n".repeat(50));
        let (out, cuts) = capped(&input, 20);
        assert_eq!(cuts, 1);
        assert!(
            out.starts_with("h1,h2\n1,\"line\nline\nline\nli\"\n"),
            "{out:?}"
        );
        // A quote inside an unquoted field is literal: it does not hold the record open.
        assert_eq!(
            capped("a,5\" disk\nb,c\n", 10),
            ("a,5\" disk\nb,c\n".into(), 0)
        );
    }
}
