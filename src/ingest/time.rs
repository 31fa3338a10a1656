//! Timestamp scanners for the shapes logs use (ISO 8601, epoch, syslog, Apache, ctime),
//! hand-written because they run once per record. Times without a zone are taken as UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// Parses `s` as a whole as ISO 8601 / RFC 3339 (or `yyyy-mm-dd hh:mm:ss[.f]`, `yyyy/mm/dd …`),
/// surrounding spaces allowed; a date alone means midnight.
pub(crate) fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some((t, used)) = iso_prefix(s) {
        return (used == s.len()).then_some(t);
    }
    // A bare date.
    let b = s.as_bytes();
    if b.len() == 10 {
        let (y, m, d) = ymd(b)?;
        return NaiveDate::from_ymd_opt(y, m, d)?
            .and_hms_opt(0, 0, 0)
            .map(|n| n.and_utc());
    }
    None
}

fn ymd(b: &[u8]) -> Option<(i32, u32, u32)> {
    if b.len() < 10 || !matches!(b[4], b'-' | b'/') || b[7] != b[4] {
        return None;
    }
    Some((
        digits(&b[0..4])? as i32,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    ))
}

/// Reads a leading `yyyy-mm-dd[T ]hh:mm[:ss][.fff][zone]` and returns it with the bytes used.
pub(crate) fn iso_prefix(s: &str) -> Option<(DateTime<Utc>, usize)> {
    let b = s.as_bytes();
    if b.len() < 16 {
        return None;
    }
    let (y, mo, d) = ymd(b)?;
    if !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let mut i = 16;
    let mut sec = 0;
    if b.len() >= 19 && b[16] == b':' {
        sec = digits(&b[17..19])?;
        i = 19;
    }
    let mut nanos = 0;
    if i < b.len() && matches!(b[i], b'.' | b',') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        let (n, used) = fraction(&b[i + 1..]);
        nanos = n;
        i += 1 + used;
    }
    let (offset_secs, used) = zone(&b[i..]);
    i += used;
    let naive = NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_nano_opt(h, mi, sec.min(59), nanos)?;
    let t = naive.and_utc() - Duration::seconds(offset_secs as i64);
    Some((t, i))
}

/// A zone right after a time: `Z`, `+hh:mm`, `+hhmm` or `+hh` (and `-`). Returns seconds east.
fn zone(b: &[u8]) -> (i32, usize) {
    match b.first() {
        Some(b'Z' | b'z') => (0, 1),
        Some(&c @ (b'+' | b'-')) => {
            let sign = if c == b'-' { -1 } else { 1 };
            let Some(h) = b.get(1..3).and_then(digits) else {
                return (0, 0);
            };
            let (m, used) = if b.get(3) == Some(&b':') {
                match b.get(4..6).and_then(digits) {
                    Some(m) => (m, 6),
                    None => (0, 3),
                }
            } else {
                match b.get(3..5).and_then(digits) {
                    Some(m) => (m, 5),
                    None => (0, 3),
                }
            };
            if h > 14 || m > 59 {
                return (0, 0);
            }
            (sign * (h * 3600 + m * 60) as i32, used)
        }
        _ => (0, 0),
    }
}

/// Up to 9 digits of a fraction as nanoseconds; further digits are read and ignored.
fn fraction(b: &[u8]) -> (u32, usize) {
    let mut n: u32 = 0;
    let mut used = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            break;
        }
        if used < 9 {
            n = n * 10 + (c - b'0') as u32;
        }
        used += 1;
    }
    for _ in used..9 {
        n *= 10;
    }
    (n, used)
}

/// All-digit bytes as a number (at most 9 digits).
pub(crate) fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (c - b'0') as u32;
    }
    Some(n)
}

/// Epoch seconds with an optional fraction (`1601998366.785668`), as Zeek writes `ts`.
/// Any magnitude is accepted, since Zeek run on crafted captures writes small values.
pub(crate) fn parse_epoch_secs(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() || int.len() > 12 || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = int.parse().ok()?;
    let (nanos, _) = fraction(frac.as_bytes());
    DateTime::from_timestamp(secs, nanos)
}

/// An epoch number whose digit count says its unit: 9–10 digits seconds, 12–13 milliseconds,
/// 15–16 microseconds, 18–19 nanoseconds; an optional fraction only on seconds. Anything else
/// (a port, a count) is not a time.
pub(crate) fn parse_epoch_guess(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if !int.bytes().all(|c| c.is_ascii_digit()) || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = int.parse().ok()?;
    match int.len() {
        9 | 10 => parse_epoch_secs(s),
        12 | 13 if frac.is_empty() => DateTime::from_timestamp_millis(n),
        15 | 16 if frac.is_empty() => DateTime::from_timestamp_micros(n),
        18 | 19 if frac.is_empty() => Some(DateTime::from_timestamp_nanos(n)),
        _ => None,
    }
}

/// Any one value that is a timestamp on its own: ISO forms, epoch (by digit count), Apache
/// access `10/Oct/2000:13:55:36 -0700`, ctime `Sun Dec 04 04:47:44 2005`.
pub(crate) fn parse_any(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let first = *s.as_bytes().first()?;
    if first.is_ascii_digit() {
        parse_iso(s).or_else(|| parse_epoch_guess(s)).or_else(|| {
            apache_access(s)
                .filter(|(_, n)| *n == s.len())
                .map(|(t, _)| t)
        })
    } else {
        ctime_prefix(s).map(|(t, _)| t)
    }
}

/// `Jan`..`Dec` (case-insensitive) as 1..12.
pub(crate) fn month_abbr(b: &[u8]) -> Option<u32> {
    if b.len() < 3 {
        return None;
    }
    let m = [
        b[0].to_ascii_lowercase(),
        b[1].to_ascii_lowercase(),
        b[2].to_ascii_lowercase(),
    ];
    let n = match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    };
    Some(n)
}

/// A leading BSD syslog stamp `Mmm dd hh:mm:ss[.ffffff]` (day space- or zero-padded) without a
/// year. Returns month, day, seconds of day, nanos and bytes used.
pub(crate) fn syslog_stamp(s: &str) -> Option<(u32, u32, u32, u32, usize)> {
    let b = s.as_bytes();
    if b.len() < 15 || b[3] != b' ' {
        return None;
    }
    let month = month_abbr(&b[0..3])?;
    let day = match (b[4], b[5]) {
        (b' ', d) if d.is_ascii_digit() => (d - b'0') as u32,
        (a, d) if a.is_ascii_digit() && d.is_ascii_digit() => ((a - b'0') * 10 + d - b'0') as u32,
        _ => return None,
    };
    if b[6] != b' ' || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let h = digits(&b[7..9])?;
    let m = digits(&b[10..12])?;
    let sec = digits(&b[13..15])?;
    if day == 0 || day > 31 || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut used = 15;
    let mut nanos = 0;
    if b.get(15) == Some(&b'.') && b.get(16).is_some_and(u8::is_ascii_digit) {
        let (n, u) = fraction(&b[16..]);
        nanos = n;
        used += 1 + u;
    }
    Some((month, day, h * 3600 + m * 60 + sec.min(59), nanos, used))
}

/// Places a year-less date in time: the year of `reference`, or the year before when that
/// would put the record more than a day after `reference` (a December line read in January).
pub(crate) fn infer_year(
    reference: DateTime<Utc>,
    month: u32,
    day: u32,
    secs: u32,
    nanos: u32,
) -> Option<DateTime<Utc>> {
    let at = |year: i32| -> Option<DateTime<Utc>> {
        let d = NaiveDate::from_ymd_opt(year, month, day)?;
        let t = d.and_hms_nano_opt(secs / 3600, secs / 60 % 60, secs % 60, nanos)?;
        Some(t.and_utc())
    };
    let year = reference.year();
    // Feb 29 only exists in leap years: look back for the nearest one.
    let (t, y) = (0..8).find_map(|back| at(year - back).map(|t| (t, year - back)))?;
    if t > reference + Duration::days(1) {
        return (1..9).find_map(|back| at(y - back));
    }
    Some(t)
}

/// Apache access-log time `10/Oct/2000:13:55:36 -0700` (inside the brackets).
pub(crate) fn apache_access(s: &str) -> Option<(DateTime<Utc>, usize)> {
    let b = s.as_bytes();
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let day = digits(&b[0..2])?;
    let month = month_abbr(&b[3..6])?;
    let year = digits(&b[7..11])? as i32;
    if b[14] != b':' || b[17] != b':' {
        return None;
    }
    let h = digits(&b[12..14])?;
    let m = digits(&b[15..17])?;
    let sec = digits(&b[18..20])?;
    let mut used = 20;
    let mut nanos = 0;
    if b.get(20) == Some(&b'.') {
        let (n, u) = fraction(&b[21..]);
        nanos = n;
        used += 1 + u;
    }
    let mut offset = 0;
    if b.get(used) == Some(&b' ') {
        let (o, u) = zone(&b[used + 1..]);
        if u > 0 {
            offset = o;
            used += 1 + u;
        }
    }
    let naive =
        NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(h, m, sec.min(59), nanos)?;
    Some((naive.and_utc() - Duration::seconds(offset as i64), used))
}

/// ctime as Apache error logs write it: `Sun Dec 04 04:47:44 2005` or, in 2.4,
/// `Wed Oct 11 14:32:52.123456 2000`.
pub(crate) fn ctime_prefix(s: &str) -> Option<(DateTime<Utc>, usize)> {
    let b = s.as_bytes();
    if b.len() < 24 || b[3] != b' ' || !b[0].is_ascii_alphabetic() {
        return None;
    }
    let (month, day, secs, nanos, used) = syslog_stamp(&s[4..])?;
    let rest = &b[4 + used..];
    if rest.first() != Some(&b' ') || rest.len() < 5 {
        return None;
    }
    let year = digits(&rest[1..5])? as i32;
    let t = Utc
        .with_ymd_and_hms(year, month, day, secs / 3600, secs / 60 % 60, secs % 60)
        .single()?;
    Some((t + Duration::nanoseconds(nanos as i64), 4 + used + 5))
}

/// The first timestamp at the very start of a free-text line, with the bytes it used: ISO
/// forms (also `yyyy/mm/dd`, comma fractions), syslog (year inferred), ctime, and a
/// bracketed version of any of these.
pub(crate) fn text_prefix(s: &str, reference: DateTime<Utc>) -> Option<(DateTime<Utc>, usize)> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if first == b'[' {
        let inner = &s[1..];
        let (t, used) = text_prefix(inner, reference)?;
        let close = inner.as_bytes().get(used).is_some_and(|c| *c == b']');
        return Some((t, used + 1 + close as usize));
    }
    if first.is_ascii_digit() {
        if let Some(r) = iso_prefix(s) {
            return Some(r);
        }
        if let Some(r) = apache_access(s) {
            return Some(r);
        }
        // Epoch seconds at the start of a line (`1601998366.785668 ...`).
        let end = b
            .iter()
            .position(|c| !(c.is_ascii_digit() || *c == b'.'))
            .unwrap_or(b.len());
        if end >= 10 && (end == b.len() || b[end] == b' ' || b[end] == b'\t') {
            return parse_epoch_guess(&s[..end]).map(|t| (t, end));
        }
        return None;
    }
    if let Some((mo, d, secs, nanos, used)) = syslog_stamp(s) {
        return infer_year(reference, mo, d, secs, nanos).map(|t| (t, used));
    }
    ctime_prefix(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn iso_variants() {
        assert_eq!(
            parse_iso("2021-06-06T15:59:46.457984+0200"),
            Some(utc("2021-06-06T13:59:46.457984Z"))
        );
        assert_eq!(
            parse_iso("2020-09-14T00:44:23.000Z"),
            Some(utc("2020-09-14T00:44:23Z"))
        );
        assert_eq!(
            parse_iso("2020-09-04 16:09:38"),
            Some(utc("2020-09-04T16:09:38Z"))
        );
        assert_eq!(
            parse_iso("2019/04/04 16:23:00.325010"),
            Some(utc("2019-04-04T16:23:00.325010Z"))
        );
        assert_eq!(
            parse_iso("2021-08-02T13:11:39.7724491Z"),
            Some(utc("2021-08-02T13:11:39.7724491Z"))
        );
        assert_eq!(
            parse_iso("2016-09-28 04:30:30,123"),
            Some(utc("2016-09-28T04:30:30.123Z"))
        );
        assert_eq!(
            parse_iso("2022-08-03T04:42:53-05:30"),
            Some(utc("2022-08-03T10:12:53Z"))
        );
        assert_eq!(parse_iso("2022-08-03"), Some(utc("2022-08-03T00:00:00Z")));
        assert_eq!(parse_iso("2022-13-03T00:00:00Z"), None);
        assert_eq!(parse_iso("hello"), None);
        assert_eq!(parse_iso("2022-08-03T04:42:53Zjunk"), None);
    }

    #[test]
    fn epoch_and_any() {
        assert_eq!(
            parse_epoch_secs("22.335172"),
            Some(utc("1970-01-01T00:00:22.335172Z"))
        );
        assert_eq!(
            parse_epoch_guess("1601998366.785668"),
            Some(utc("2020-10-06T15:32:46.785668Z"))
        );
        assert_eq!(
            parse_epoch_guess("1601998366785"),
            Some(utc("2020-10-06T15:32:46.785Z"))
        );
        assert_eq!(parse_epoch_guess("443"), None);
        assert_eq!(
            parse_any("04/Dec/2005:04:47:44 +0100"),
            Some(utc("2005-12-04T03:47:44Z"))
        );
        assert_eq!(
            parse_any("Sun Dec 04 04:47:44 2005"),
            Some(utc("2005-12-04T04:47:44Z"))
        );
    }

    #[test]
    fn syslog_year_is_inferred_from_reference() {
        let reference = utc("2024-01-10T00:00:00Z");
        let (t, n) = text_prefix("Dec 31 23:59:59 host x", reference).unwrap();
        assert_eq!((t, n), (utc("2023-12-31T23:59:59Z"), 15));
        let (t, _) = text_prefix("Jan  9 10:00:01 host x", reference).unwrap();
        assert_eq!(t, utc("2024-01-09T10:00:01Z"));
        // Feb 29 falls back to the nearest leap year.
        let t = infer_year(utc("2023-06-01T00:00:00Z"), 2, 29, 0, 0).unwrap();
        assert_eq!(t, utc("2020-02-29T00:00:00Z"));
    }

    #[test]
    fn text_prefixes() {
        let r = utc("2024-01-01T00:00:00Z");
        let (t, n) = text_prefix("[Sun Dec 04 04:47:44 2005] [notice] x", r).unwrap();
        assert_eq!((t, n), (utc("2005-12-04T04:47:44Z"), 26));
        let (t, n) = text_prefix("2016-09-28 04:30:30, Info CBS", r).unwrap();
        assert_eq!((t, n), (utc("2016-09-28T04:30:30Z"), 19));
        let (t, n) = text_prefix("[Wed Oct 11 14:32:52.123456 2000] [core:error]", r).unwrap();
        assert_eq!((t, n), (utc("2000-10-11T14:32:52.123456Z"), 33));
        assert!(text_prefix("12 apples", r).is_none());
    }
}
