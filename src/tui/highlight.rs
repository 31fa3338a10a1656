//! Raw-record highlighting with syntect (JSON, XML, syslog). Scopes map onto theme roles, not
//! colours, so themes and NO_COLOR apply; every piece of output text is sanitised again, so
//! a control sequence in a record is shown, never executed.

use std::sync::OnceLock;

use syntect::parsing::{ParseState, ScopeStack, SyntaxDefinition, SyntaxReference, SyntaxSet};

use super::theme::Role;
use crate::event::Format;
use crate::text::{sanitize, truncate_bytes};

/// One highlighted line: text runs with their roles.
pub type HlLine = Vec<(Role, String)>;

/// Longest raw record highlighted (bytes); the rest is cut with a note.
const MAX_BYTES: usize = 64 * 1024;
const MAX_LINES: usize = 2000;
const SYSLOG_SYNTAX: &str = include_str!("assets/syslog.sublime-syntax");

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut b = SyntaxSet::load_defaults_newlines().into_builder();
        // The embedded syntax is tested; a failure would only lose syslog colours.
        if let Ok(def) = SyntaxDefinition::load_from_str(SYSLOG_SYNTAX, true, None) {
            b.add(def);
        }
        b.build()
    })
}

/// What the record looks like: the content decides, the format breaks ties.
fn pick<'a>(set: &'a SyntaxSet, format: Format, text: &str) -> &'a SyntaxReference {
    let t = text.trim_start();
    let name = if t.starts_with('{') || t.starts_with('[') {
        "JSON"
    } else if t.starts_with('<') || format == Format::Evtx {
        "XML"
    } else {
        "Syslog"
    };
    set.find_syntax_by_name(name)
        .unwrap_or_else(|| set.find_syntax_plain_text())
}

/// JSON records are pretty-printed (one field a line) so they can be read in a narrow pane.
fn prepare(raw: &str) -> String {
    let cut = truncate_bytes(raw, MAX_BYTES);
    let mut text = match serde_json::from_str::<serde_json::Value>(cut) {
        Ok(v) if v.is_object() || v.is_array() => {
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| cut.to_string())
        }
        _ => cut.to_string(),
    };
    if cut.len() < raw.len() {
        text.push_str(&format!(
            "\n… {} more bytes not shown",
            raw.len() - cut.len()
        ));
    }
    // Sanitise before parsing (escapes become visible text), tabs to spaces for the cell grid.
    sanitize(&text).replace('\t', "    ")
}

pub fn highlight(format: Format, raw: &str) -> Vec<HlLine> {
    let text = prepare(raw);
    let set = syntaxes();
    let syntax = pick(set, format, &text);
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Vec::new();
    for line in text.lines().take(MAX_LINES) {
        let with_nl = format!("{line}\n");
        let ops = match state.parse_line(&with_nl, set) {
            Ok(ops) => ops,
            Err(_) => {
                out.push(vec![(Role::SyntaxPlain, sanitize(line))]);
                continue;
            }
        };
        let mut runs: HlLine = Vec::new();
        let mut pos = 0;
        for (at, op) in ops {
            let at = at.min(line.len());
            if at > pos {
                push_run(&mut runs, role_of(&stack), line.get(pos..at).unwrap_or(""));
                pos = at;
            }
            // A malformed op only loses colour for the rest of the line.
            let _ = stack.apply(&op);
        }
        if pos < line.len() {
            push_run(&mut runs, role_of(&stack), line.get(pos..).unwrap_or(""));
        }
        out.push(runs);
    }
    if text.lines().count() > MAX_LINES {
        out.push(vec![(
            Role::SyntaxComment,
            format!("… more than {MAX_LINES} lines, not shown"),
        )]);
    }
    out
}

/// The plain, sanitised lines (shown until the highlighted ones arrive).
pub fn plain(raw: &str) -> Vec<HlLine> {
    prepare(raw)
        .lines()
        .take(MAX_LINES)
        .map(|l| vec![(Role::SyntaxPlain, l.to_string())])
        .collect()
}

fn push_run(runs: &mut HlLine, role: Role, text: &str) {
    if text.is_empty() {
        return;
    }
    let safe = sanitize(text);
    match runs.last_mut() {
        Some((r, t)) if *r == role => t.push_str(&safe),
        _ => runs.push((role, safe)),
    }
}

fn role_of(stack: &ScopeStack) -> Role {
    let names: Vec<String> = stack.as_slice().iter().map(|s| s.build_string()).collect();
    // Keys win over the string scope inside them (JSON: `meta.structure.dictionary.key`).
    let is_key = |n: &String| {
        n.starts_with("meta.mapping.key")
            || n.starts_with("meta.structure.dictionary.key")
            || n.starts_with("support.type.property-name")
    };
    if names.iter().any(is_key) {
        return Role::SyntaxKey;
    }
    for n in names.iter().rev() {
        let role = match n {
            n if n.starts_with("punctuation") => Role::SyntaxPunct,
            n if n.starts_with("constant.other.timestamp") => Role::SyntaxTime,
            n if n.starts_with("entity.name.host") => Role::SyntaxHost,
            n if n.starts_with("string") => Role::SyntaxString,
            n if n.starts_with("constant.numeric") => Role::SyntaxNumber,
            n if n.starts_with("constant") || n.starts_with("keyword") => Role::SyntaxLiteral,
            n if n.starts_with("entity.name") => Role::SyntaxTag,
            n if n.starts_with("entity.other.attribute-name") => Role::SyntaxAttr,
            n if n.starts_with("comment") => Role::SyntaxComment,
            _ => continue,
        };
        return role;
    }
    Role::SyntaxPlain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(lines: &[HlLine]) -> String {
        lines
            .iter()
            .map(|l| l.iter().map(|(_, t)| t.as_str()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn json_keys_and_strings_get_roles_and_escapes_stay_visible() {
        let raw = "{\"User\":\"bob\\u001b[2J\",\"EventID\":4625}";
        let lines = highlight(Format::WinJson, raw);
        let all: Vec<&(Role, String)> = lines.iter().flatten().collect();
        assert!(
            all.iter()
                .any(|(r, t)| *r == Role::SyntaxKey && t.contains("User")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|(r, t)| *r == Role::SyntaxNumber && t == "4625"),
            "{all:?}"
        );
        let text = text_of(&lines);
        assert!(!text.contains('\x1b'), "escape must not survive");
        // JSON keeps its own escape as text; a raw ESC would have become `\e`.
        assert!(text.contains("\\u001b[2J"), "{text}");
    }

    #[test]
    fn syslog_line_highlights_time_host_and_ip() {
        let raw = "Mar  2 09:00:01 web01 sshd[4242]: Failed password for root from 10.0.0.7 port 22 ssh2\x1b]0;x\x07";
        let lines = highlight(Format::AuthLog, raw);
        let all: Vec<&(Role, String)> = lines.iter().flatten().collect();
        assert!(
            all.iter()
                .any(|(r, t)| *r == Role::SyntaxTime && t.contains("09:00:01")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|(r, t)| *r == Role::SyntaxHost && t == "10.0.0.7"),
            "{all:?}"
        );
        assert!(
            all.iter().any(|(r, _)| *r == Role::SyntaxLiteral),
            "{all:?}"
        );
        let text = text_of(&lines);
        assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
    }

    #[test]
    fn xml_is_recognised() {
        let lines = highlight(
            Format::Evtx,
            "<Event><System><EventID>4688</EventID></System></Event>",
        );
        assert!(lines.iter().flatten().any(|(r, _)| *r == Role::SyntaxTag));
    }
}
