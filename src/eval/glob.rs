//! Path globs for labels files (`evtx/**/*.evtx`), matched against the source paths events
//! were read from.

use regex::Regex;

/// A compiled glob: `*` and `?` stay within one path component, `**` crosses components.
///
/// A relative pattern matches at any component boundary (`creds/*.evtx` matches
/// `/data/corpus/creds/a.evtx`), since sources are recorded as given on the command line.
/// Archive members (`bundle.zip!inner/x.json`) match as if `!` were a `/`, and the archive
/// path alone is tried too (`*.zip`).
#[derive(Debug, Clone)]
pub struct Glob {
    pattern: String,
    re: Regex,
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, regex::Error> {
        let pattern = pattern.trim().replace('\\', "/");
        let chars: Vec<char> = pattern.replace('!', "/").chars().collect();
        let mut re = String::from(if pattern.starts_with('/') {
            "^"
        } else {
            "^(?:.*/)?"
        });
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    // `**/` may also match nothing: `a/**/b` matches `a/b`.
                    if chars.get(i + 2) == Some(&'/') {
                        re.push_str("(?:.*/)?");
                        i += 3;
                    } else {
                        re.push_str(".*");
                        i += 2;
                    }
                    continue;
                }
                '*' => re.push_str("[^/]*"),
                '?' => re.push_str("[^/]"),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
            i += 1;
        }
        re.push('$');
        Ok(Glob {
            re: Regex::new(&re)?,
            pattern,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    pub fn matches(&self, source: &str) -> bool {
        let source = source.replace('\\', "/");
        self.re.is_match(&source.replace('!', "/"))
            || source
                .split_once('!')
                .is_some_and(|(archive, _)| self.re.is_match(archive))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Glob::new(p).unwrap().matches(s)
    }

    #[test]
    fn stars_stay_in_a_component_and_double_stars_cross() {
        assert!(m("*.evtx", "/data/x/a.evtx"));
        assert!(m("creds/*.evtx", "/data/creds/a.evtx"));
        assert!(!m("creds/*.evtx", "/data/creds/sub/a.evtx"));
        assert!(m("creds/**/*.evtx", "/data/creds/sub/a.evtx"));
        assert!(m("creds/**/*.evtx", "creds/a.evtx"));
        assert!(m("/abs/**", "/abs/x/y"));
        assert!(!m("/abs/*", "/other/abs/x"));
        assert!(m("a?.log", "a1.log"));
        assert!(!m("a?.log", "a12.log"));
        // Regex metacharacters are literal.
        assert!(m("x+(1).log", "x+(1).log"));
        assert!(!m("x.log", "xxlog"));
    }

    #[test]
    fn archive_members_match_their_archive() {
        assert!(m("*.zip", "/d/bundle.zip!inner/x.json"));
        assert!(m("**/inner/*.json", "/d/bundle.zip!inner/x.json"));
        assert!(m("bundle.zip!inner/*.json", "/d/bundle.zip!inner/x.json"));
        assert!(!m("*.json", "/d/bundle.zip"));
        assert!(m("logs\\*.txt", "C:\\logs\\a.txt"));
    }
}
