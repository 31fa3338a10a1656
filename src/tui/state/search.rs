//! The search screen: the query being typed, the newest request, its hits and the terms to mark.

use super::nav::ListNav;
use crate::tui::msg::SearchResult;

/// Hits fetched per query: the list shows them and the histogram bins them.
pub const SEARCH_LIMIT: usize = 2000;

#[derive(Debug, Default)]
pub struct SearchState {
    pub input: String,
    pub editing: bool,
    /// The newest request; results of older ones are dropped.
    pub request: u64,
    pub pending: bool,
    pub result: Option<SearchResult>,
    pub error: Option<String>,
    pub nav: ListNav,
    /// The jump-to-session request in flight.
    pub locate: u64,
}

impl SearchState {
    /// Hits in the list (none before the first result).
    pub fn hit_count(&self) -> usize {
        self.result.as_ref().map_or(0, |r| r.hits.len())
    }
}

/// The words of a query worth marking in hits: field prefixes, operators, ranges and
/// punctuation removed (`host:WS01 AND "failed password"` -> `ws01`, `failed`, `password`).
pub fn terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tok in query.split_whitespace() {
        if matches!(tok, "AND" | "OR" | "NOT" | "TO") || tok.contains(['[', ']', '{', '}']) {
            continue;
        }
        // The first colon ends the field name; values (times) may hold more.
        let value = tok.split_once(':').map(|(_, v)| v).unwrap_or(tok);
        let value =
            value.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '_' && c != '-');
        let value = value.trim_start_matches(['+', '-']);
        if value.chars().count() >= 2 {
            let v = value.to_lowercase();
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// Byte ranges of `text` where any term occurs (case-insensitive), merged and in order.
pub fn mark_ranges(text: &str, terms: &[String]) -> Vec<(usize, usize)> {
    let lower = text.to_lowercase();
    // Lower-casing can change byte lengths (rare scripts); then marking is skipped.
    if lower.len() != text.len() {
        return Vec::new();
    }
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for t in terms {
        let mut from = 0;
        while let Some(i) = lower.get(from..).and_then(|s| s.find(t.as_str())) {
            let start = from + i;
            let end = start + t.len();
            if text.is_char_boundary(start) && text.is_char_boundary(end) {
                ranges.push((start, end));
            }
            from = end;
        }
    }
    ranges.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_skip_syntax() {
        assert_eq!(
            terms("host:WS01 AND \"failed password\""),
            vec!["ws01", "failed", "password"]
        );
        assert_eq!(
            terms("ts:[2026-03-01T00:00:00Z TO 2026-03-02T00:00:00Z] mimikatz"),
            vec!["mimikatz"]
        );
        assert_eq!(terms("fields.CommandLine:mimikatz -x"), vec!["mimikatz"]);
    }

    #[test]
    fn ranges_merge() {
        let r = mark_ranges(
            "Failed password for bob",
            &["failed".into(), "pass".into(), "password".into()],
        );
        assert_eq!(r, vec![(0, 6), (7, 15)]);
    }
}
