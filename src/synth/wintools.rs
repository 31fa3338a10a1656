//! Windows command text: environment expansion, statements (cmd.exe and PowerShell
//! separators outside quotes), words, and the image a command word runs.

use super::winrec::basename;
use super::wintables::{env_value, resolve_known};

/// Expands `%VAR%` (cmd) and `$env:VAR` (PowerShell) for known variables; others stay.
pub fn expand_env(s: &str, user: &str, host: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('%')
            && let Some(end) = after.find('%')
            && let Some(v) = env_value(&after[..end], user, host)
        {
            out.push_str(&v);
            rest = &after[end + 1..];
            continue;
        }
        if rest
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("$env:"))
        {
            let name_len = rest[5..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '(' || c == ')'))
                .unwrap_or(rest.len() - 5);
            let mut name = &rest[5..5 + name_len];
            // `$env:TEMP)` closes an expression, not the name (only ProgramFiles(x86) has parens).
            if !name.eq_ignore_ascii_case("programfiles(x86)") {
                name = name.split(['(', ')']).next().unwrap_or(name);
            }
            if let Some(v) = env_value(name, user, host) {
                out.push_str(&v);
                rest = &rest[5 + name.len()..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Splits on the separators in `seps` outside quotes (and, for PowerShell, outside `( )`
/// and `@( )`, so `(New-Object Net.WebClient).DownloadString('…')` stays one statement).
fn split_outside(s: &str, seps: &[&str], ps: bool) -> Vec<String> {
    let mut out = Vec::new();
    let (mut cur, mut dq, mut sq, mut depth) = (String::new(), false, false, 0i32);
    let mut i = 0;
    let b = s.as_bytes();
    let mut here: Option<&str> = None;
    'outer: while i < b.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        // PowerShell here-strings (`@" … "@`, `@' … '@`) span lines: nothing splits inside.
        if ps {
            if let Some(end) = here {
                if s[i..].starts_with(end) {
                    cur.push_str(end);
                    i += end.len();
                    here = None;
                } else {
                    cur.push(c);
                    i += c.len_utf8();
                }
                continue;
            }
            if !dq && !sq && (s[i..].starts_with("@\"") || s[i..].starts_with("@'")) {
                let end = if s[i..].starts_with("@\"") {
                    "\"@"
                } else {
                    "'@"
                };
                here = Some(end);
                cur.push_str(&s[i..i + 2]);
                i += 2;
                continue;
            }
        }
        match c {
            '"' if !sq => dq = !dq,
            '\'' if ps && !dq => sq = !sq,
            '(' if ps && !dq && !sq => depth += 1,
            ')' if ps && !dq && !sq => depth = (depth - 1).max(0),
            _ => {}
        }
        // `2>&1` and `>&2` are redirections, not separators.
        let redirect = c == '&' && cur.ends_with('>');
        if !dq && !sq && depth == 0 && !redirect {
            for sep in seps {
                if s[i..].starts_with(sep) {
                    out.push(std::mem::take(&mut cur));
                    i += sep.len();
                    continue 'outer;
                }
            }
        }
        cur.push(c);
        i += c.len_utf8();
    }
    out.push(cur);
    out.into_iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// cmd.exe statements of one line: `a & b && c || d | e`.
pub fn cmd_statements(line: &str) -> Vec<String> {
    split_outside(line, &["&&", "||", "&", "|"], false)
}

/// PowerShell statements of a script: lines, `;`, pipes and block braces.
pub fn ps_statements(script: &str) -> Vec<String> {
    split_outside(script, &["\r\n", "\n", ";", "|", "{", "}"], true)
}

/// Words split on whitespace outside double (and, for PowerShell, single) quotes; quotes kept.
pub fn words(s: &str, ps: bool) -> Vec<String> {
    let (mut out, mut cur, mut dq, mut sq) = (Vec::new(), String::new(), false, false);
    for c in s.chars() {
        // An escaped quote (`\"`, PowerShell's `` `" ``) is a character, not a delimiter.
        let escaped = cur.ends_with('\\') || (ps && cur.ends_with('`'));
        match c {
            '"' if !sq && !escaped => dq = !dq,
            '\'' if ps && !dq => sq = !sq,
            c if c.is_whitespace() && !dq && !sq => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A word without its surrounding quotes.
pub fn unquote(w: &str) -> &str {
    let w = w.trim();
    for q in ['"', '\''] {
        if let Some(inner) = w.strip_prefix(q).and_then(|x| x.strip_suffix(q)) {
            return inner;
        }
    }
    w.trim_matches(['"', '\''])
}

/// The image path for a command word: known binaries where Windows keeps them, explicit
/// paths as written, other names in the working directory.
pub fn image_for(word: &str, cwd: &str) -> String {
    // Quotes anywhere in the word (`""C:\x y"\z.exe"`, escaped `\"` or `` `" ``) only
    // group; the path is what is left.
    let cleaned: String = word.chars().filter(|c| !matches!(c, '"' | '`')).collect();
    let w = cleaned.trim_matches(['\'', '\\']).trim();
    // A path held in a script variable (`$TempDir\x.exe`): a scratch folder of the user.
    let scratch;
    let w = match w.strip_prefix('$').and_then(|r| r.split_once('\\')) {
        Some((_, rest)) => {
            scratch = format!("{cwd}\\AppData\\Local\\Temp\\{rest}");
            scratch.as_str()
        }
        None => w,
    };
    if w.contains('\\') || w.contains('/') {
        let w = w.replace('/', "\\");
        let w = w
            .strip_prefix(".\\")
            .map_or(w.clone(), |r| format!("{cwd}\\{r}"));
        let w = normalise(&w);
        return if has_ext(&w) { w } else { format!("{w}.exe") };
    }
    resolve_known(w).unwrap_or_else(|| {
        let name = if has_ext(w) {
            w.to_string()
        } else {
            format!("{w}.exe")
        };
        format!("{cwd}\\{name}")
    })
}

/// `C:\\a\\b\\..\\c` -> `C:\\a\\c`, as Windows resolves an image path.
pub fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('\\') {
        match p {
            ".." if parts.len() > 1 => {
                parts.pop();
            }
            "." => {}
            _ => parts.push(p),
        }
    }
    parts.join("\\")
}

fn has_ext(path: &str) -> bool {
    basename(path)
        .rsplit_once('.')
        .is_some_and(|(_, e)| (2..=4).contains(&e.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::wintables::{is_cmd_builtin, pe_info, ps_runs_binary};

    #[test]
    fn splitting_and_resolving() {
        assert_eq!(
            cmd_statements("whoami & net user \"a & b\" /add|find x"),
            ["whoami", "net user \"a & b\" /add", "find x"]
        );
        assert_eq!(
            ps_statements(
                "$x = 1; IEX (New-Object Net.WebClient).DownloadString('a;b')\ntry { Get-X }"
            ),
            [
                "$x = 1",
                "IEX (New-Object Net.WebClient).DownloadString('a;b')",
                "try",
                "Get-X"
            ]
        );
        assert_eq!(
            words("\"C:\\a b\\x.exe\" -y 'q r'", true),
            ["\"C:\\a b\\x.exe\"", "-y", "'q r'"]
        );
        assert_eq!(image_for("reg", "C:\\x"), r"C:\Windows\System32\reg.exe");
        assert_eq!(image_for("\"C:\\t\\pd.exe\"", "C:\\x"), r"C:\t\pd.exe");
        assert_eq!(image_for("tool.exe", "C:\\x"), r"C:\x\tool.exe");
        assert_eq!(
            image_for(
                r"C:\AtomicRedTeam\atomics\..\ExternalPayloads\pd.exe",
                "C:\\x"
            ),
            r"C:\AtomicRedTeam\ExternalPayloads\pd.exe"
        );
        assert_eq!(
            expand_env("%TEMP%\\a and $env:TEMP\\b %NOPE%", "bob", "WS02"),
            r"C:\Users\bob\AppData\Local\Temp\a and C:\Users\bob\AppData\Local\Temp\b %NOPE%"
        );
        assert!(
            ps_runs_binary("schtasks") && !ps_runs_binary("curl") && ps_runs_binary("curl.exe")
        );
        assert!(!ps_runs_binary("Invoke-WebRequest") && is_cmd_builtin("ECHO"));
        assert_eq!(pe_info("cmd.exe").0, "Cmd.Exe");
    }
}
