//! The stored form of an event: a compact binary record (a version byte, varints and
//! length-prefixed strings). Writing and reading it is several times cheaper than JSON, whose
//! escaping of raw JSON records dominated the stored-document cost of an ingest. Events that
//! earlier versions stored as JSON still decode.

use chrono::{DateTime, Utc};

use crate::event::{Cause, Event, Format, Label, Risk};

/// First byte of a binary record; JSON records start with `{`.
const VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("stored event is truncated or corrupt at byte {0}")]
    Corrupt(usize),
    #[error("stored event has unknown version {0}")]
    Version(u8),
    #[error("stored JSON event: {0}")]
    Json(#[from] serde_json::Error),
}

/// Appends the stored form of `ev` to `out`.
pub fn encode(ev: &Event, out: &mut Vec<u8>) {
    let mut w = Writer(out);
    w.byte(VERSION);
    w.str(&ev.id);
    match ev.timestamp {
        Some(t) => {
            w.byte(1);
            w.varint(zigzag(t.timestamp()));
            w.varint(u64::from(t.timestamp_subsec_nanos()));
        }
        None => w.byte(0),
    }
    w.byte(format_code(ev.format));
    w.str(&ev.source);
    w.varint(ev.record);
    w.opt_str(ev.host.as_deref());
    w.opt_str(ev.user.as_deref());
    w.opt_str(ev.process.as_deref());
    w.opt_num(ev.pid.map(u64::from));
    w.opt_str(ev.parent_process.as_deref());
    w.opt_str(ev.command_line.as_deref());
    w.opt_str(ev.src_ip.as_deref());
    w.opt_num(ev.src_port.map(u64::from));
    w.opt_str(ev.dst_ip.as_deref());
    w.opt_num(ev.dst_port.map(u64::from));
    w.opt_str(ev.event_id.as_deref());
    w.opt_str(ev.channel.as_deref());
    w.opt_str(ev.provider.as_deref());
    w.str(&ev.message);
    w.varint(ev.fields.len() as u64);
    for (k, v) in &ev.fields {
        w.str(k);
        w.str(v);
    }
    w.str(&ev.raw);
    match &ev.label {
        None => w.byte(0),
        Some(l) => {
            w.byte(1 + cause_code(l.cause));
            w.varint(l.techniques.len() as u64);
            for t in &l.techniques {
                w.str(t);
            }
            w.opt_num(l.risk.map(|r| u64::from(r.rank())));
        }
    }
}

/// Reads a stored event: the binary form, or JSON written by an earlier version.
pub fn decode(bytes: &[u8]) -> Result<Event, CodecError> {
    match bytes.first() {
        Some(b'{') => Ok(serde_json::from_slice(bytes)?),
        Some(&VERSION) => Reader { bytes, pos: 1 }.event(),
        Some(&v) => Err(CodecError::Version(v)),
        None => Err(CodecError::Corrupt(0)),
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn format_code(f: Format) -> u8 {
    Format::ALL.iter().position(|x| *x == f).unwrap_or(0) as u8
}

fn cause_code(c: Cause) -> u8 {
    Cause::ALL.iter().position(|x| *x == c).unwrap_or(0) as u8
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    /// `None` as 0, `Some(s)` as its length + 1 and the bytes.
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.varint(0),
            Some(s) => {
                self.varint(s.len() as u64 + 1);
                self.0.extend_from_slice(s.as_bytes());
            }
        }
    }

    /// `None` as 0, `Some(n)` as n + 1 (the numbers stored are ports, pids and ranks).
    fn opt_num(&mut self, n: Option<u64>) {
        self.varint(n.map_or(0, |n| n.saturating_add(1)));
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn corrupt(&self) -> CodecError {
        CodecError::Corrupt(self.pos)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        let b = *self.bytes.get(self.pos).ok_or_else(|| self.corrupt())?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(self.corrupt())
    }

    fn take(&mut self, len: u64) -> Result<String, CodecError> {
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| self.pos.checked_add(l))
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| self.corrupt())?;
        let s = std::str::from_utf8(&self.bytes[self.pos..end]).map_err(|_| self.corrupt())?;
        self.pos = end;
        Ok(s.to_owned())
    }

    fn str(&mut self) -> Result<String, CodecError> {
        let len = self.varint()?;
        self.take(len)
    }

    fn opt_str(&mut self) -> Result<Option<String>, CodecError> {
        match self.varint()? {
            0 => Ok(None),
            n => self.take(n - 1).map(Some),
        }
    }

    fn opt_num<T: TryFrom<u64>>(&mut self) -> Result<Option<T>, CodecError> {
        match self.varint()? {
            0 => Ok(None),
            n => T::try_from(n - 1).map(Some).map_err(|_| self.corrupt()),
        }
    }

    fn event(mut self) -> Result<Event, CodecError> {
        let id = self.str()?;
        let timestamp = match self.byte()? {
            0 => None,
            _ => {
                let secs = unzigzag(self.varint()?);
                let nanos = u32::try_from(self.varint()?).map_err(|_| self.corrupt())?;
                Some(DateTime::<Utc>::from_timestamp(secs, nanos).ok_or_else(|| self.corrupt())?)
            }
        };
        let format = *Format::ALL
            .get(usize::from(self.byte()?))
            .ok_or_else(|| self.corrupt())?;
        let source = self.str()?;
        let record = self.varint()?;
        let mut ev = Event::new(format, source, record, String::new());
        ev.id = id;
        ev.timestamp = timestamp;
        ev.host = self.opt_str()?;
        ev.user = self.opt_str()?;
        ev.process = self.opt_str()?;
        ev.pid = self.opt_num()?;
        ev.parent_process = self.opt_str()?;
        ev.command_line = self.opt_str()?;
        ev.src_ip = self.opt_str()?;
        ev.src_port = self.opt_num()?;
        ev.dst_ip = self.opt_str()?;
        ev.dst_port = self.opt_num()?;
        ev.event_id = self.opt_str()?;
        ev.channel = self.opt_str()?;
        ev.provider = self.opt_str()?;
        ev.message = self.str()?;
        let n_fields = self.varint()?;
        for _ in 0..n_fields {
            let k = self.str()?;
            let v = self.str()?;
            ev.fields.insert(k, v);
        }
        ev.raw = self.str()?;
        ev.label = match self.byte()? {
            0 => None,
            code => {
                let cause = *Cause::ALL
                    .get(usize::from(code - 1))
                    .ok_or_else(|| self.corrupt())?;
                let n = self.varint()?;
                let mut techniques = Vec::new();
                for _ in 0..n {
                    techniques.push(self.str()?);
                }
                let risk = match self.opt_num::<u8>()? {
                    None => None,
                    Some(r) => Some(
                        *Risk::ALL
                            .get(usize::from(r))
                            .ok_or_else(|| self.corrupt())?,
                    ),
                };
                Some(Label {
                    cause,
                    techniques,
                    risk,
                })
            }
        };
        if self.pos != self.bytes.len() {
            return Err(self.corrupt());
        }
        Ok(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_event() -> Event {
        let mut ev = Event::new(
            Format::Evtx,
            "a.evtx",
            42,
            r#"{"EventID":4625,"x":"é\u0000"}"#,
        );
        ev.timestamp = DateTime::from_timestamp(1_700_000_000, 123_456_789);
        ev.host = Some("WS01".into());
        ev.user = Some(String::new());
        ev.process = Some("C:\\Windows\\cmd.exe".into());
        ev.pid = Some(u32::MAX);
        ev.parent_process = None;
        ev.command_line = Some("cmd /c \"whoami\"\n".into());
        ev.src_ip = Some("10.0.0.7".into());
        ev.src_port = Some(0);
        ev.dst_port = Some(u16::MAX);
        ev.event_id = Some("4625".into());
        ev.channel = Some("Security".into());
        ev.message = "logon failure".into();
        ev.fields.insert("TargetUserName".into(), "bob".into());
        ev.fields.insert("empty".into(), String::new());
        ev.label = Some(Label {
            cause: Cause::Misconfiguration,
            techniques: vec!["T1110".into(), "T1078.002".into()],
            risk: Some(Risk::High),
        });
        ev.finish()
    }

    fn round_trip(ev: &Event) -> Event {
        let mut buf = Vec::new();
        encode(ev, &mut buf);
        decode(&buf).expect("decodes")
    }

    #[test]
    fn every_field_round_trips() {
        let ev = full_event();
        assert_eq!(round_trip(&ev), ev);
        let bare = Event::new(Format::Text, "", 0, "").finish();
        assert_eq!(round_trip(&bare), bare);
        let mut unlabelled = full_event();
        if let Some(l) = unlabelled.label.as_mut() {
            l.risk = None;
        }
        unlabelled.timestamp = DateTime::from_timestamp(-86_400, 0);
        assert_eq!(round_trip(&unlabelled), unlabelled);
    }

    #[test]
    fn json_from_earlier_versions_still_decodes() {
        let ev = full_event();
        let json = serde_json::to_vec(&ev).unwrap();
        assert_eq!(decode(&json).unwrap(), ev);
    }

    #[test]
    fn truncated_or_garbled_records_are_errors_not_panics() {
        let mut buf = Vec::new();
        encode(&full_event(), &mut buf);
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = buf.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        assert!(matches!(decode(&[9, 1, 2]), Err(CodecError::Version(9))));
        // Flipping any byte must never panic (it may still decode to something).
        for i in 1..buf.len() {
            let mut b = buf.clone();
            b[i] ^= 0xff;
            let _ = decode(&b);
        }
    }
}
