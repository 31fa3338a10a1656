//! Small text formatters shared by the views (times, durations, counts). Times come from the
//! data, never from the clock, so screens render the same every time.

use chrono::{DateTime, Utc};

/// `2026-03-02 09:00` (wide) or `03-02 09:00`.
pub fn time(t: &DateTime<Utc>, wide: bool) -> String {
    if wide {
        t.format("%Y-%m-%d %H:%M").to_string()
    } else {
        t.format("%m-%d %H:%M").to_string()
    }
}

pub fn time_secs(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `45s`, `14m`, `2h05m`, `3d04h`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// `950`, `12.3k`, `4.1M`.
pub fn count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// Cuts to `width` characters with `…`.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Greedy word wrap to `width` characters (words longer than a line are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(4);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in para.split_whitespace() {
            let mut word: String = word.to_string();
            loop {
                let wlen = word.chars().count();
                if len > 0 && len + 1 + wlen > width {
                    out.push(std::mem::take(&mut line));
                    len = 0;
                }
                if wlen <= width {
                    if len > 0 {
                        line.push(' ');
                        len += 1;
                    }
                    line.push_str(&word);
                    len += wlen;
                    break;
                }
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                out.push(head);
            }
        }
        out.push(line);
    }
    out
}

pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(7500), "2h05m");
        assert_eq!(count(12_345), "12.3k");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }
}
