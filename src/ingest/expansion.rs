//! Decompression limits: a gzip or zip that expands far beyond its size on disk (a zip bomb,
//! nested or overlapping) is refused while it is being decompressed, not after.
//!
//! One [`Budget`] covers an input file and everything inside it: the bytes every
//! decompression layer produces (gzip, each zip member, archives inside archives) are added
//! up, and once the total passes [`ExpansionLimit::allowed`] for the file's size on disk the
//! read fails with [`io::ErrorKind::FileTooLarge`] and the rest of the file is not opened.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// How far compressed input may expand before it is refused as a decompression bomb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpansionLimit {
    /// Up to this many decompressed bytes are always allowed per input file (all layers and
    /// members together), whatever the ratio.
    pub floor_bytes: u64,
    /// Beyond the floor, decompressed bytes may reach this many times the file's size on disk.
    /// Logs compress 5-30×, very repetitive ones up to ~100×; deflate bombs reach ~1000× per
    /// layer and far more nested.
    pub ratio: u64,
}

impl Default for ExpansionLimit {
    fn default() -> Self {
        ExpansionLimit {
            floor_bytes: 1 << 30,
            ratio: 100,
        }
    }
}

impl ExpansionLimit {
    /// Decompressed bytes allowed for a file of `packed` bytes.
    pub fn allowed(&self, packed: u64) -> u64 {
        self.floor_bytes.max(packed.saturating_mul(self.ratio))
    }
}

/// Decompressed bytes produced so far for one input file, against what it may produce.
#[derive(Debug)]
pub(crate) struct Budget {
    packed: u64,
    allowed: u64,
    limit: ExpansionLimit,
    used: Cell<u64>,
    tripped: Cell<bool>,
}

impl Budget {
    pub(crate) fn new(packed: u64, limit: ExpansionLimit) -> Rc<Budget> {
        Rc::new(Budget {
            packed,
            allowed: limit.allowed(packed),
            limit,
            used: Cell::new(0),
            tripped: Cell::new(false),
        })
    }

    /// True once the file has been refused: nothing more of it is read.
    pub(crate) fn tripped(&self) -> bool {
        self.tripped.get()
    }

    /// Bytes that may still be decompressed.
    pub(crate) fn remaining(&self) -> u64 {
        self.allowed.saturating_sub(self.used.get())
    }

    /// The error that refuses the file, `what` saying what passed the limit; trips the budget.
    pub(crate) fn refuse(&self, what: &str) -> io::Error {
        self.tripped.set(true);
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "refused as a decompression bomb: {what} past {} MiB decompressed from {} on \
                 disk (the limit is {}× the size on disk, at least {} MiB)",
                self.allowed >> 20,
                human(self.packed),
                self.limit.ratio,
                self.limit.floor_bytes >> 20,
            ),
        )
    }

    fn take(&self, n: usize) -> io::Result<()> {
        let used = self.used.get().saturating_add(n as u64);
        self.used.set(used);
        if used > self.allowed {
            return Err(self.refuse("the archive expands"));
        }
        Ok(())
    }
}

fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// The output of one decompressor, counted against the file's [`Budget`].
pub(crate) struct Expanded<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R> Expanded<R> {
    pub(crate) fn new(inner: R, budget: Rc<Budget>) -> Self {
        Expanded { inner, budget }
    }
}

impl<R: Read> Read for Expanded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.tripped() {
            return Err(self.budget.refuse("the archive expands"));
        }
        let n = self.inner.read(buf)?;
        self.budget.take(n)?;
        Ok(n)
    }
}

/// True for the error a [`Budget`] refuses with.
pub(crate) fn is_refusal(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::FileTooLarge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_past_the_allowance_is_refused_and_stays_refused() {
        let limit = ExpansionLimit {
            floor_bytes: 100,
            ratio: 10,
        };
        let budget = Budget::new(20, limit);
        assert_eq!(budget.remaining(), 200);
        let mut r = Expanded::new(io::repeat(b'a').take(1000), budget.clone());
        let mut sink = Vec::new();
        let e = r.read_to_end(&mut sink).unwrap_err();
        assert!(is_refusal(&e), "{e}");
        assert!(e.to_string().contains("decompression bomb"), "{e}");
        assert!(sink.len() <= 200 + 8192);
        assert!(budget.tripped());
        // A second layer sharing the budget is refused at once.
        let mut other = Expanded::new(&b"x"[..], budget);
        assert!(is_refusal(&other.read(&mut [0u8; 4]).unwrap_err()));
    }

    #[test]
    fn output_within_the_allowance_passes() {
        let budget = Budget::new(10, ExpansionLimit::default());
        let mut r = Expanded::new(io::repeat(b'a').take(1 << 20), budget.clone());
        assert_eq!(io::copy(&mut r, &mut io::sink()).unwrap(), 1 << 20);
        assert!(!budget.tripped());
    }
}
