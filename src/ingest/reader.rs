//! Byte-level reading: a line splitter that caps line length without buffering the excess,
//! UTF-16 to UTF-8 transcoding, text encoding and binary sniffing, and a byte counter (CSV
//! records are capped by `csv_cap`).

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use encoding_rs::{Decoder, Encoding, UTF_16BE, UTF_16LE};

/// How many bytes of a stream are looked at to detect its kind and format.
pub(crate) const HEAD_BYTES: usize = 64 * 1024;

/// Reads up to `n` bytes (fewer only at end of stream).
pub(crate) fn read_head(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n.min(HEAD_BYTES));
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// The text encoding a stream starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    /// UTF-8 with a byte-order mark (3 bytes to skip).
    Utf8Bom,
    Utf16Le {
        bom: bool,
    },
    Utf16Be {
        bom: bool,
    },
}

/// Finds the encoding from a BOM, or UTF-16 without one from its many zero bytes in ASCII text
/// (Windows tools write such files).
pub(crate) fn sniff_encoding(head: &[u8]) -> TextEncoding {
    match head {
        [0xEF, 0xBB, 0xBF, ..] => return TextEncoding::Utf8Bom,
        [0xFF, 0xFE, ..] => return TextEncoding::Utf16Le { bom: true },
        [0xFE, 0xFF, ..] => return TextEncoding::Utf16Be { bom: true },
        _ => {}
    }
    let sample = &head[..head.len().min(512) & !1];
    if sample.len() >= 8 {
        let pairs = sample.len() / 2;
        let even_zero = sample.iter().step_by(2).filter(|b| **b == 0).count();
        let odd_zero = sample
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|b| **b == 0)
            .count();
        // ASCII as UTF-16LE: every odd byte zero, even bytes not. Demand near-totality so that
        // binary junk with zeros is not mistaken for text.
        if odd_zero * 10 >= pairs * 9 && even_zero * 10 <= pairs {
            return TextEncoding::Utf16Le { bom: false };
        }
        if even_zero * 10 >= pairs * 9 && odd_zero * 10 <= pairs {
            return TextEncoding::Utf16Be { bom: false };
        }
    }
    TextEncoding::Utf8
}

impl TextEncoding {
    fn utf16(self) -> Option<(&'static Encoding, bool)> {
        match self {
            TextEncoding::Utf16Le { bom } => Some((UTF_16LE, bom)),
            TextEncoding::Utf16Be { bom } => Some((UTF_16BE, bom)),
            _ => None,
        }
    }

    /// `head` as UTF-8 bytes (BOM removed), for sniffing the format.
    pub(crate) fn decode_head(self, head: &[u8]) -> Vec<u8> {
        match (self, self.utf16()) {
            (_, Some((enc, bom))) => {
                let body = if bom {
                    &head[2.min(head.len())..]
                } else {
                    head
                };
                let (text, _) = enc.decode_without_bom_handling(body);
                text.into_owned().into_bytes()
            }
            (TextEncoding::Utf8Bom, None) => head[3.min(head.len())..].to_vec(),
            _ => head.to_vec(),
        }
    }

    /// Wraps `r` (positioned at the start of the stream) so that it yields UTF-8.
    /// `errors` counts malformed UTF-16 sequences replaced on the way.
    pub(crate) fn wrap<'a>(
        self,
        mut r: Box<dyn Read + 'a>,
        errors: Rc<Cell<u64>>,
    ) -> Box<dyn Read + 'a> {
        match (self, self.utf16()) {
            (_, Some((enc, bom))) => {
                let decoder = if bom {
                    enc.new_decoder_with_bom_removal()
                } else {
                    enc.new_decoder_without_bom_handling()
                };
                Box::new(Utf16Reader {
                    inner: r,
                    decoder,
                    raw: vec![0; 64 * 1024],
                    raw_len: 0,
                    raw_pos: 0,
                    eof: false,
                    done: false,
                    errors,
                })
            }
            (TextEncoding::Utf8Bom, None) => {
                let mut bom = [0u8; 3];
                // A failed skip shows up again on the next read.
                let _ = r.read_exact(&mut bom);
                r
            }
            _ => r,
        }
    }
}

/// Streams UTF-16 as UTF-8 through `encoding_rs`.
struct Utf16Reader<'a> {
    inner: Box<dyn Read + 'a>,
    decoder: Decoder,
    raw: Vec<u8>,
    raw_len: usize,
    raw_pos: usize,
    eof: bool,
    /// The decoder was flushed with `last = true` and must not be called again.
    done: bool,
    errors: Rc<Cell<u64>>,
}

impl Read for Utf16Reader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // The decoder needs room for at least one whole character.
        if out.len() < 4 {
            let mut tmp = [0u8; 4];
            let n = self.read(&mut tmp)?;
            let n = n.min(out.len());
            out[..n].copy_from_slice(&tmp[..n]);
            return Ok(n);
        }
        loop {
            if self.done {
                return Ok(0);
            }
            if self.raw_pos == self.raw_len && !self.eof {
                self.raw_len = self.inner.read(&mut self.raw)?;
                self.raw_pos = 0;
                self.eof = self.raw_len == 0;
            }
            let src = &self.raw[self.raw_pos..self.raw_len];
            let (result, read, written, replaced) = self.decoder.decode_to_utf8(src, out, self.eof);
            self.raw_pos += read;
            if replaced {
                self.errors.set(self.errors.get() + 1);
            }
            if self.eof && result == encoding_rs::CoderResult::InputEmpty {
                self.done = true;
            }
            if written > 0 || self.done {
                return Ok(written);
            }
        }
    }
}

/// True when `head` (already UTF-8) is not text: NUL bytes, or many control bytes.
pub(crate) fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if sample.is_empty() {
        return false;
    }
    if memchr::memchr(0, sample).is_some() {
        return true;
    }
    let odd = sample
        .iter()
        // 0x1d separates the interpretations in enriched audit logs.
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b | 0x1d))
        .count();
    // Invalid UTF-8 alone is not binary (Latin-1 logs exist); control bytes are.
    odd * 20 > sample.len()
}

/// Counts the bytes read through it.
pub(crate) struct Counting<R> {
    pub inner: R,
    pub count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Where one line was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineInfo {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line start in the stream.
    pub offset: u64,
    /// The line was longer than the cap and has been cut.
    pub cut: bool,
}

/// Splits a stream on `\n`, keeping at most `max` bytes of each line: the rest of a long line
/// is read and dropped, so a 20 MB line costs `max` bytes of memory. A trailing `\r` is removed.
pub(crate) struct LineSplitter<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    offset: u64,
    number: u64,
    max: usize,
}

impl<R: Read> LineSplitter<R> {
    pub(crate) fn new(inner: R, max: usize) -> Self {
        LineSplitter {
            inner,
            buf: vec![0; 256 * 1024],
            pos: 0,
            len: 0,
            eof: false,
            offset: 0,
            number: 0,
            max: max.max(1),
        }
    }

    /// Appends the next line (without its end) to `out` and says where it was; `None` at the
    /// end. A read error ends the stream with that error (lines before it were returned).
    pub(crate) fn next_line(&mut self, out: &mut Vec<u8>) -> io::Result<Option<LineInfo>> {
        let start = out.len();
        let offset = self.offset;
        let mut taken = 0usize;
        let mut seen = false;
        let mut cut = false;
        loop {
            if self.pos == self.len {
                if self.eof {
                    break;
                }
                self.len = loop {
                    match self.inner.read(&mut self.buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                self.pos = 0;
                if self.len == 0 {
                    self.eof = true;
                    break;
                }
            }
            seen = true;
            let avail = &self.buf[self.pos..self.len];
            let (seg, found) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..i], true),
                None => (avail, false),
            };
            let room = self.max.saturating_sub(taken);
            let keep = seg.len().min(room);
            if keep < seg.len() {
                cut = true;
            }
            out.extend_from_slice(&seg[..keep]);
            taken += keep;
            let consumed = seg.len() + found as usize;
            self.pos += consumed;
            self.offset += consumed as u64;
            if found {
                break;
            }
        }
        if !seen {
            return Ok(None);
        }
        if out.len() > start && out.last() == Some(&b'\r') {
            out.pop();
        }
        self.number += 1;
        Ok(Some(LineInfo {
            number: self.number,
            offset,
            cut,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(String, LineInfo)> {
        let mut s = LineSplitter::new(input, max);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(info) = s.next_line(&mut buf).unwrap() {
            out.push((String::from_utf8_lossy(&buf).into_owned(), info));
            buf.clear();
        }
        out
    }

    #[test]
    fn splits_and_cuts_long_lines() {
        let got = lines(b"ab\r\n\nlonglongline\nlast", 5);
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["ab", "", "longl", "last"]);
        assert_eq!(
            got[2].1,
            LineInfo {
                number: 3,
                offset: 5,
                cut: true
            }
        );
        assert_eq!(
            got[3].1,
            LineInfo {
                number: 4,
                offset: 18,
                cut: false
            }
        );
        assert!(lines(b"", 5).is_empty());
        assert_eq!(lines(b"x\n", 5).len(), 1);
    }

    #[test]
    fn huge_line_does_not_grow_memory() {
        let big = vec![b'a'; 3_000_000];
        let got = lines(&big, 1000);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.len(), 1000);
        assert!(got[0].1.cut);
    }

    #[test]
    fn utf16_is_sniffed_and_transcoded() {
        let text = "héllo\nworld\n";
        let mut le: Vec<u8> = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let enc = sniff_encoding(&le);
        assert_eq!(enc, TextEncoding::Utf16Le { bom: true });
        assert_eq!(enc.decode_head(&le), text.as_bytes());
        let errors = Rc::new(Cell::new(0));
        let mut r = enc.wrap(Box::new(&le[..]), errors.clone());
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
        assert_eq!(errors.get(), 0);
        // No BOM, ASCII only.
        let bare: Vec<u8> = "plain ascii text"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(sniff_encoding(&bare), TextEncoding::Utf16Le { bom: false });
    }

    #[test]
    fn binary_is_told_from_text() {
        assert!(looks_binary(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00"));
        assert!(!looks_binary(
            "plain text\twith tabs\nand caf\u{e9}".as_bytes()
        ));
        assert!(!looks_binary(b"latin1 caf\xe9\n"));
        assert!(looks_binary(&[1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    }
}
