//! Fuzzy ranking of ATT&CK techniques by id or name (nucleo-matcher), for the picker.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// The best `limit` of `items` (id, name) for `query`, best first; all (in order) when the query
/// is empty. Both the id and the name are matched, so `t1110` and `brute` both work.
pub fn rank(items: &[(String, String)], query: &str, limit: usize) -> Vec<(String, String)> {
    if query.trim().is_empty() {
        return items.iter().take(limit).cloned().collect();
    }
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, (id, name))| {
            let hay = format!("{id} {name}");
            pattern
                .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                .map(|s| (s, i))
        })
        .collect();
    // Higher score first; ties keep catalog order so results are stable.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(limit)
        .filter_map(|(_, i)| items.get(i).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Vec<(String, String)> {
        [
            ("T1003.001", "OS Credential Dumping: LSASS Memory"),
            ("T1059.001", "Command and Scripting Interpreter: PowerShell"),
            ("T1110.001", "Brute Force: Password Guessing"),
            ("T1110.003", "Brute Force: Password Spraying"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn matches_by_id_or_name() {
        let c = catalog();
        assert_eq!(rank(&c, "t1059", 5)[0].0, "T1059.001");
        assert_eq!(rank(&c, "lsass", 5)[0].0, "T1003.001");
        let spray = rank(&c, "spraying", 5);
        assert_eq!(spray[0].0, "T1110.003");
        assert_eq!(rank(&c, "", 2).len(), 2);
        assert!(rank(&c, "zzzzqq", 5).is_empty());
    }
}
