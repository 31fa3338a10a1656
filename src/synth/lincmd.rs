//! Linux shell text as the processes it starts: statements split as sh does (lines, `;`,
//! `&&`, `||`, pipes, `$( )`), here-documents skipped, built-ins told from binaries, binaries
//! placed where distributions keep them, and what each binary leaves in auth.log and syslog.

/// Commands the shell runs itself (no new process, no EXECVE record).
const BUILTINS: &[&str] = &[
    "cd", "echo", "printf", "export", "set", "unset", "read", "source", ".", "eval", "exit",
    "return", "true", "false", "[", "[[", "test", "local", "alias", "unalias", "history", "type",
    "shift", "trap", "wait", "ulimit", "umask", "declare", "let", ":", "break", "continue",
    "pushd", "popd", "hash", "builtin", "command", "jobs", "fg", "bg", "disown", "shopt",
];
/// Keywords that end or open a compound command: the rest of the statement (if any) is the
/// command that runs.
const KEYWORDS: &[&str] = &[
    "then", "do", "else", "elif", "if", "while", "until", "!", "{", "time",
];
/// Statements that hold no command of their own.
const SKIP: &[&str] = &[
    "fi", "done", "esac", "}", "for", "case", ";;", "function", "select",
];

/// Binaries in `/usr/sbin` (the rest are in `/usr/bin`).
const SBIN: &[&str] = &[
    "useradd",
    "usermod",
    "userdel",
    "groupadd",
    "groupdel",
    "adduser",
    "deluser",
    "iptables",
    "ip6tables",
    "setcap",
    "visudo",
    "chpasswd",
    "service",
    "sshd",
    "cron",
    "insmod",
    "rmmod",
    "modprobe",
    "tcpdump",
    "chroot",
    "ufw",
    "nft",
    "auditctl",
    "setenforce",
    "getenforce",
    "ldconfig",
    "sysctl",
    "update-rc.d",
    "grpck",
    "pwck",
    "vipw",
    "runuser",
];

/// Where a command word runs from.
pub fn exe_for(word: &str, cwd: &str) -> String {
    let path = if word.starts_with('/') {
        word.to_string()
    } else if let Some(rel) = word.strip_prefix("./") {
        format!("{}/{rel}", cwd.trim_end_matches('/'))
    } else if word.contains('/') {
        format!("{}/{word}", cwd.trim_end_matches('/'))
    } else {
        match word {
            "sh" | "dash" => "/usr/bin/dash".into(),
            "bash" => "/usr/bin/bash".into(),
            "python" | "python3" => "/usr/bin/python3.10".into(),
            w if SBIN.contains(&w) => format!("/usr/sbin/{w}"),
            w => format!("/usr/bin/{w}"),
        }
    };
    // The kernel reports the resolved file: /bin is /usr/bin on merged-/usr systems, and
    // /bin/sh is dash.
    let path = normalise(&path);
    match path.as_str() {
        "/bin/sh" | "/usr/bin/sh" => "/usr/bin/dash".to_string(),
        p => p
            .strip_prefix("/bin/")
            .map(|r| format!("/usr/bin/{r}"))
            .or_else(|| p.strip_prefix("/sbin/").map(|r| format!("/usr/sbin/{r}")))
            .unwrap_or_else(|| p.to_string()),
    }
}

/// `/a/b/../c/./d` -> `/a/c/d`.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            ".." => {
                if parts.len() > 1 {
                    parts.pop();
                }
            }
            "." => {}
            "" if !parts.is_empty() => {}
            _ => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if joined.is_empty() {
        "/".into()
    } else {
        joined
    }
}

/// A word as the shell hands it over: `~` and `$HOME`, `$USER`, `$PWD` expanded, temporary
/// folders to `/tmp`; a path starting with another variable is placed in `/tmp` (the
/// atomic tests set such variables to scratch folders).
pub fn expand(word: &str, home: &str, user: &str, cwd: &str) -> String {
    let mut w = word.to_string();
    if w == "~" || w.starts_with("~/") {
        w = format!("{home}{}", &w[1..]);
    }
    for (var, value) in [
        ("${HOME}", home),
        ("$HOME", home),
        ("${USER}", user),
        ("$USER", user),
        ("$PWD", cwd),
        ("${TMPDIR}", "/tmp"),
        ("$TMPDIR", "/tmp"),
    ] {
        w = w.replace(var, value);
    }
    if let Some(rest) = w.strip_prefix('$')
        && let Some(i) = rest.find('/')
        && rest[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '{' || c == '}')
    {
        w = format!("/tmp{}", &rest[i..]);
    }
    w
}

/// Brace expansion of a command word (`{echo,aGk=}` -> `echo aGk=`), as attackers use it to
/// avoid spaces.
pub fn brace_words(words: Vec<String>) -> Vec<String> {
    match words.first() {
        Some(f) if f.starts_with('{') && f.ends_with('}') && f.contains(',') => {
            let mut out: Vec<String> = f[1..f.len() - 1].split(',').map(str::to_string).collect();
            out.extend(words.into_iter().skip(1));
            out
        }
        _ => words,
    }
}

/// The path a `PATH` lookup finds (what sudo logs as `COMMAND=`), before symlinks are
/// resolved: `sh` is `/usr/bin/sh` here even though auditd's `exe=` shows `/usr/bin/dash`.
pub fn path_for(word: &str, cwd: &str) -> String {
    match word {
        "sh" | "python3" | "python" => format!("/usr/bin/{word}"),
        // An absolute path is run (and logged) as written.
        w if w.starts_with('/') => w.to_string(),
        w => exe_for(w, cwd),
    }
}

/// x86_64 syscall names of the numbers the generators write.
pub fn syscall_name(n: u32) -> &'static str {
    match n {
        2 => "open",
        59 => "execve",
        257 => "openat",
        _ => "unknown",
    }
}

pub fn is_builtin(word: &str) -> bool {
    BUILTINS.contains(&word)
}

/// Splits a script into simple commands: here-document bodies dropped, `$( )` and backtick
/// substitutions lifted out (they run first), compound keywords stripped.
pub fn statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut heredoc: Option<String> = None;
    for line in script.lines() {
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        heredoc = heredoc_delimiter(trimmed);
        for piece in split(trimmed) {
            for sub in substitutions(&piece) {
                out.extend(split(&sub).into_iter().filter_map(|s| strip_keywords(&s)));
            }
            if let Some(s) = strip_keywords(&piece) {
                out.push(s);
            }
        }
    }
    out
}

/// `cat << 'EOF' > x` -> `EOF`.
fn heredoc_delimiter(line: &str) -> Option<String> {
    let i = line.find("<<")?;
    let rest = line[i + 2..].trim_start_matches(['-', '~']).trim_start();
    let word: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ';' && *c != '>')
        .collect();
    let word = word.trim_matches(['\'', '"']).to_string();
    (!word.is_empty() && !word.starts_with('<')).then_some(word)
}

/// Splits on `;`, `&&`, `||`, `|`, `&` outside quotes and `$( )`.
fn split(s: &str) -> Vec<String> {
    let (mut out, mut cur) = (Vec::new(), String::new());
    let (mut sq, mut dq, mut depth, mut bt) = (false, false, 0i32, false);
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\\' if !sq => {
                cur.push(c);
                if let Some(n) = next {
                    cur.push(n);
                }
                i += 2;
                continue;
            }
            '\'' if !dq => sq = !sq,
            '"' if !sq => dq = !dq,
            '`' if !sq => bt = !bt,
            '$' if !sq && next == Some('(') => depth += 1,
            ')' if !sq && depth > 0 => depth -= 1,
            _ => {}
        }
        let free = !sq && !dq && depth == 0 && !bt;
        if free && matches!(c, ';' | '|' | '&') {
            // `2>&1`, `>&2` and `&>` are redirections, not separators.
            let redirect = c == '&' && (cur.ends_with('>') || next == Some('>'));
            if !redirect {
                out.push(std::mem::take(&mut cur));
                if next == Some(c) {
                    i += 1;
                }
                i += 1;
                continue;
            }
        }
        cur.push(c);
        i += 1;
    }
    out.push(cur);
    out.into_iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// The commands inside `$( … )` and backticks of a statement.
fn substitutions(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("$(") {
        let after = &rest[i + 2..];
        let mut depth = 1;
        let mut end = None;
        for (j, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(j);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(j) = end else { break };
        // `$((1+2))` is arithmetic.
        if !after.starts_with('(') {
            out.push(after[..j].to_string());
        }
        rest = &after[j + 1..];
    }
    let parts: Vec<&str> = s.split('`').collect();
    out.extend(parts.iter().skip(1).step_by(2).map(|p| p.to_string()));
    out
}

/// Removes leading keywords and variable assignments; `None` when nothing runs.
fn strip_keywords(s: &str) -> Option<String> {
    let mut rest = s.trim();
    loop {
        let first = rest.split_whitespace().next()?;
        if SKIP.contains(&first) || first.ends_with("()") {
            return None;
        }
        if KEYWORDS.contains(&first) || is_assignment(first) {
            rest = rest[first.len()..].trim_start();
            continue;
        }
        break;
    }
    // `( cmd )` subshells and `{ cmd; }` groups run `cmd`.
    let rest = rest.trim_start_matches('(').trim_end_matches(')');
    let rest = rest.trim_end_matches(['{', '}']).trim();
    (!rest.is_empty()).then(|| rest.to_string())
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// The words of a simple command as the program receives them: quotes removed, redirections
/// dropped.
pub fn argv(stmt: &str) -> Vec<String> {
    let (mut out, mut cur, mut started) = (Vec::new(), String::new(), false);
    let (mut sq, mut dq) = (false, false);
    let mut chars = stmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if !dq => {
                sq = !sq;
                started = true;
            }
            '"' if !sq => {
                dq = !dq;
                started = true;
            }
            '\\' if !sq => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    started = true;
                }
            }
            c if c.is_whitespace() && !sq && !dq => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            _ => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    // Redirections: `> x`, `2>/dev/null`, `<x`, `&>x`.
    let mut words = Vec::new();
    let mut skip_next = false;
    for w in out {
        if skip_next {
            skip_next = false;
            continue;
        }
        let t = w.trim_start_matches(['0', '1', '2', '&']);
        if t.starts_with('>') || t.starts_with('<') {
            skip_next = t.trim_start_matches(['>', '<', '&']).is_empty();
            continue;
        }
        words.push(w);
    }
    words
}

/// Targets of `>`/`>>` redirections in a statement.
pub fn redirect_targets(stmt: &str) -> Vec<String> {
    let w: Vec<&str> = stmt.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, x) in w.iter().enumerate() {
        let t = x.trim_start_matches(['1', '2', '&']);
        if let Some(rest) = t.strip_prefix(">>").or_else(|| t.strip_prefix('>')) {
            let target = if rest.is_empty() {
                w.get(i + 1).copied().unwrap_or("")
            } else {
                rest
            };
            let target = target.trim_matches(['"', '\'']);
            if !target.is_empty() && !target.starts_with('&') && target != "/dev/null" {
                out.push(target.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_as_sh_runs_them() {
        let s = statements(
            "if [ -f /etc/x ]; then cat /etc/x | grep root; fi\nfor i in $(seq 1 3); do\n  curl -s http://a/$i > /tmp/o 2>&1\ndone\ncat << EOF > /tmp/y\nnot a command\nEOF\nX=1 env",
        );
        assert_eq!(
            s,
            [
                "[ -f /etc/x ]",
                "cat /etc/x",
                "grep root",
                "seq 1 3",
                "curl -s http://a/$i > /tmp/o 2>&1",
                "cat << EOF > /tmp/y",
                "env"
            ]
        );
        assert_eq!(
            argv("curl -s 'a b' \"c\" > /tmp/o 2>&1"),
            ["curl", "-s", "a b", "c"]
        );
        assert_eq!(
            redirect_targets("echo x >> /etc/crontab 2>/dev/null"),
            ["/etc/crontab"]
        );
        assert_eq!(exe_for("useradd", "/root"), "/usr/sbin/useradd");
        assert_eq!(exe_for("./run.sh", "/tmp"), "/tmp/run.sh");
        assert_eq!(exe_for("/bin/sh", "/tmp"), "/usr/bin/dash");
        assert_eq!(exe_for("/opt/a/../b/x", "/tmp"), "/opt/b/x");
        assert_eq!(expand("~/.ssh/k", "/home/a", "a", "/"), "/home/a/.ssh/k");
        assert_eq!(
            expand("$TEMPDIR/env/bin/python", "/home/a", "a", "/"),
            "/tmp/env/bin/python"
        );
        assert_eq!(brace_words(vec!["{echo,aGk=}".into()]), ["echo", "aGk="]);
    }
}
