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
        c if is_hidden_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// True for a character that a terminal or a reader must never get raw from log text: C0
/// controls (ESC, BEL, NUL, CR...), DEL, the C1 controls (U+0080..U+009F: a terminal may take
/// U+009B as CSI), and the invisible format characters that reorder or hide text (bidi
/// embeddings, overrides and isolates, zero-width characters, line/paragraph separators, and
/// the tag characters used to smuggle invisible instructions to language models).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || is_hidden_control(c)
}

/// The non-`is_control` part of [`is_unsafe_char`]: C1 controls and invisible format
/// characters (C1 is listed explicitly: `is_control` covers it, the escapes name it).
fn is_hidden_control(c: char) -> bool {
    matches!(c,
        '\u{80}'..='\u{9f}'
        | '\u{61c}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// Writes `value` as compact JSON in which, beyond what JSON requires (C0 controls, quotes,
/// backslashes), DEL, the C1 controls and the invisible format characters of
/// [`is_unsafe_char`] are escaped as `\uXXXX` too: the same strings once parsed, but a JSONL
/// export or `--json` output shown with `cat` or `less` cannot drive the terminal or hide text.
pub fn write_inert_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, InertJson);
    value.serialize(&mut ser)
}

/// [`write_inert_json`] into a string.
pub fn inert_json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    write_inert_json(&mut out, value)?;
    // The serializer writes only UTF-8.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// JSON text (pretty or compact, from serde_json) with the extra escapes of
/// [`write_inert_json`]: serde_json already escaped C0, so the characters left to escape can
/// only be inside strings, where `\uXXXX` means the same.
pub fn inert_json_text(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c == '\x7f' || is_hidden_control(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// serde_json's compact formatter with the extra escapes of [`write_inert_json`]; serde_json
/// escapes C0 itself before handing over the fragments in between.
struct InertJson;

impl serde_json::ser::Formatter for InertJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c == '\x7f' || is_hidden_control(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{u:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
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

/// Deepest YAML flow nesting handed to a YAML parser (Sigma rules, Atomic Red Team files):
/// the deserializers refuse a document deeper than 128 levels anyway, but only after libyaml's
/// scanner has read it all, and that scanner re-checks every open level at each token, so a
/// file 200,000 `{` deep (found by fuzzing) takes minutes. Real files stay under 10.
pub const MAX_YAML_FLOW_DEPTH: usize = 128;

/// `Err` with the reason when `text` nests YAML flow collections deeper than
/// [`MAX_YAML_FLOW_DEPTH`]: checked before any YAML parser sees the text.
pub fn check_yaml_flow_depth(text: &str) -> Result<(), String> {
    let depth = yaml_flow_depth(text);
    if depth > MAX_YAML_FLOW_DEPTH {
        return Err(format!(
            "YAML nested {depth} levels deep (at most {MAX_YAML_FLOW_DEPTH})"
        ));
    }
    Ok(())
}

/// How deep the flow collections (`{…}`, `[…]`) of a YAML text nest, read the way YAML
/// does but without parsing it: a `{` or `[` opens a level where a token may start (or
/// anywhere inside a flow collection), quoted scalars and `#` comments are skipped, so
/// brackets inside strings and comments do not count. Linear in the text.
pub fn yaml_flow_depth(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    let mut prev: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        let after_space = matches!(prev, None | Some(b' ' | b'\t' | b'\n' | b'\r'));
        // Outside a flow collection only whitespace starts a token (`x{` is a plain scalar).
        let token_start =
            after_space || (depth > 0 && matches!(prev, Some(b'{' | b'[' | b',' | b':')));
        match c {
            b'#' if after_space => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\'' | b'"' if token_start => {
                i = skip_quoted(b, i);
                prev = Some(c);
                continue;
            }
            b'{' | b'[' if depth > 0 || token_start => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' if depth > 0 => depth -= 1,
            _ => {}
        }
        prev = Some(c);
        i += 1;
    }
    deepest
}

/// The index just past the quoted scalar that starts at `start` (`'…'` with `''` for a
/// quote, or `"…"` with backslash escapes); the end of the text when it is not closed.
fn skip_quoted(b: &[u8], start: usize) -> usize {
    let quote = b[start];
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            q if q == quote => {
                if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
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
    fn escapes_every_invisible_or_reordering_character() {
        // C1 CSI, Arabic letter mark, line separator, word joiner, BOM, an invisible tag
        // character ("ASCII smuggling"), first strong isolate.
        let hidden = "a\u{9b}31m\u{61c}\u{2028}\u{2060}\u{feff}\u{e0041}\u{2068}b";
        let s = sanitize(hidden);
        assert!(!s.chars().any(is_unsafe_char), "{s}");
        for code in ["9b", "61c", "2028", "2060", "feff", "e0041", "2068"] {
            assert!(s.contains(&format!("\\u{{{code}}}")), "{code} in {s}");
        }
        assert!(!one_line(hidden, 100).chars().any(is_unsafe_char));
        // Printable non-ASCII text is kept.
        assert_eq!(sanitize("Zürich 東京 ☃"), "Zürich 東京 ☃");
    }

    #[test]
    fn one_line_collapses_and_cuts() {
        assert_eq!(one_line("a\n\n  b\tc", 100), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("x\x1by", 10), "x\\ey");
    }

    #[test]
    fn inert_json_escapes_what_a_terminal_would_act_on_and_round_trips() {
        let hostile = "x\x1b]52;c;cHdu\x07\u{202e}gpj.exe\u{9b}2J\x7f\u{e0041}\0 Zürich";
        let json = inert_json(&serde_json::json!({ "msg": hostile })).unwrap();
        assert!(!json.chars().any(is_unsafe_char), "{json}");
        assert!(
            json.contains("\\u202e") && json.contains("\\udb40\\udc41"),
            "{json}"
        );
        assert!(json.contains("Zürich"));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["msg"], hostile);
        let pretty = serde_json::to_string_pretty(&back).unwrap();
        let inert = inert_json_text(&pretty);
        assert!(
            !inert.chars().any(|c| c != '\n' && is_unsafe_char(c)),
            "{inert}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&inert).unwrap(),
            back
        );
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate_bytes("héllo", 2), "h");
        assert_eq!(truncate_bytes("abc", 10), "abc");
    }

    #[test]
    fn yaml_flow_depth_counts_flow_collections_only() {
        assert_eq!(yaml_flow_depth("a: 1\nb: [x, y]\n"), 1);
        assert_eq!(yaml_flow_depth("a: {b: [c, {d: e}]}\n"), 3);
        // Brackets inside quoted scalars, plain scalars and comments are text.
        assert_eq!(
            yaml_flow_depth("a: '{{[['\nb: \"[[\\\"{{\"\nc: x{{y # [[[\n"),
            0
        );
        assert_eq!(yaml_flow_depth("a: ['it''s {', \"}\", b]\n"), 1);
        assert_eq!(yaml_flow_depth("a: {b:[c,{'d':'}'}]}\n"), 3);
        // Quoted closers do not hide real nesting.
        assert_eq!(yaml_flow_depth(&"{']': ".repeat(300)), 300);
        let deep = format!("detection:\n  sel:\n    {}", "{".repeat(200_000));
        assert_eq!(yaml_flow_depth(&deep), 200_000);
        assert!(yaml_flow_depth("unclosed: 'abc {{{") == 0);
    }
}
