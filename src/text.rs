//! Untrusted-text helpers: log text is data, so control characters and escape sequences are
//! made visible (never written raw to a terminal) and long text is cut on char boundaries.

/// Escapes every control character (C0, DEL, C1) and the Unicode bidi/format controls that can
/// reorder or hide text, so that log text can be printed to a terminal safely. Printable text,
/// including non-ASCII, is kept as is.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_visible(&mut out, c, true);
    }
    out
}

/// Like [`sanitize`], but newlines and tabs become spaces and the result is cut to at most
/// `max_chars` characters (with `…` when cut): a one-line summary of untrusted text.
pub fn one_line(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 2));
    let mut count = 0;
    let mut last_space = false;
    for c in s.chars() {
        if count >= max_chars {
            out.push('…');
            break;
        }
        if matches!(c, '\n' | '\r' | '\t' | ' ') {
            if !last_space && count > 0 {
                out.push(' ');
                count += 1;
            }
            last_space = true;
            continue;
        }
        last_space = false;
        push_visible(&mut out, c, false);
        count += 1;
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

fn push_visible(out: &mut String, c: char, keep_newlines: bool) {
    match c {
        '\n' | '\t' if keep_newlines => out.push(c),
        '\x1b' => out.push_str("\\e"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (0x80..0xa0).contains(&(c as u32)) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        // Bidi overrides/isolates and zero-width format characters can disguise text.
        '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// Cuts `s` to at most `max_bytes` bytes on a char boundary.
pub fn truncate_bytes(s: &str, max_bytes: usize) -> &str {
    if s.len() <= max_bytes {
        return s;
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        let hostile = "ok\x1b[2J\x1b]0;pwned\x07 \u{202e}txt.exe\r";
        let s = sanitize(hostile);
        assert!(!s.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
        assert!(s.contains("\\e[2J"));
        assert!(s.contains("\\x07"));
        assert!(s.contains("\\u{202e}"));
    }

    #[test]
    fn one_line_collapses_and_cuts() {
        assert_eq!(one_line("a\n\n  b\tc", 100), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("x\x1by", 10), "x\\ey");
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate_bytes("héllo", 2), "h");
        assert_eq!(truncate_bytes("abc", 10), "abc");
    }
}
