//! What one Windows statement does when it runs: the process it starts (if any) and what that
//! process (or the shell itself) leaves behind: downloads, files, registry values, an LSASS
//! handle, accounts, scheduled tasks, services, logons with explicit credentials.

use super::winbinary::analyse_binary;
use super::wintables::{association, is_cmd_builtin, ps_runs_binary};
use super::wintools::{cmd_statements, expand_env, image_for, unquote, words};

/// The shell a statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Cmd,
    PowerShell,
}

/// Something a statement causes, attributed to the process that does it.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A DNS lookup and a connection to `host:port` (an address needs no lookup).
    Fetch {
        host: String,
        port: u16,
    },
    WriteFile(String),
    RegCreateKey(String),
    RegSetValue {
        target: String,
        details: String,
    },
    RegDelete {
        kind: &'static str,
        target: String,
    },
    LoadImage(String),
    /// A handle to LSASS with `access` rights.
    LsassAccess(&'static str),
    UserAdd(String),
    GroupAdd {
        group: String,
        member: String,
    },
    TaskCreate {
        name: String,
        command: String,
    },
    ServiceCreate {
        name: String,
        path: String,
    },
    ServiceStart(String),
    /// A logon with explicit credentials to a server (`net use`, PsExec, remote schtasks).
    ExplicitLogon {
        server: String,
        port: u16,
    },
    /// A process created by WMI (`wmic process call create`), parented by WmiPrvSE.
    WmiSpawn(String),
    /// Script text a new PowerShell process runs (from `-Command` or `-EncodedCommand`).
    Script(String),
    /// Commands a new cmd.exe runs (`cmd /c …`).
    CmdLine(String),
}

/// A statement's new process: image, command line and the PE's original name.
#[derive(Debug, Clone, PartialEq)]
pub struct Spawn {
    pub image: String,
    pub cmd: String,
}

/// One statement analysed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    pub spawn: Option<Spawn>,
    /// Effects of the new process, or of the shell when nothing is spawned.
    pub effects: Vec<Effect>,
    /// Effects of the shell even when a process is spawned (cmd redirections).
    pub shell_effects: Vec<Effect>,
}

/// Who runs the statement, for paths and environment variables.
#[derive(Debug, Clone)]
pub struct Ctx<'a> {
    pub user: &'a str,
    pub host: &'a str,
    pub cwd: &'a str,
}

/// Analyses one statement of `shell`.
pub fn analyse(stmt: &str, shell: Shell, ctx: &Ctx<'_>) -> Step {
    let mut expanded = expand_env(stmt, ctx.user, ctx.host);
    // cmd's `""C:\a b"\c.exe"`: the outer pair only wraps the whole command.
    if shell == Shell::Cmd && expanded.starts_with("\"\"") {
        expanded.remove(0);
    }
    // cmd expands `%VAR%` before splitting (an unquoted `%ProgramFiles%\x` splits at its
    // space); PowerShell expands `$env:VAR` inside the word it is part of.
    let mut w = match shell {
        Shell::Cmd => words(&expanded, false),
        Shell::PowerShell => words(stmt, true)
            .iter()
            .map(|x| expand_env(x, ctx.user, ctx.host))
            .collect(),
    };
    // `&"C:\x.exe"`: the call operator glued to its command.
    if let Some(f) = w.first_mut()
        && f.len() > 1
        && let Some(rest) = f.strip_prefix('&')
    {
        *f = rest.to_string();
    }
    // `$x = cmd …`, `& "C:\x.exe" …`, `@echo off`, `start "" /b x.exe`.
    if shell == Shell::PowerShell && w.len() > 2 && w[0].starts_with('$') && w[1] == "=" {
        w.drain(..2);
    }
    if w.first().is_some_and(|f| f == "&" || f == ".") {
        w.remove(0);
    }
    let Some(first) = w
        .first()
        .map(|f| unquote(f).trim_start_matches('@').to_string())
    else {
        return Step::default();
    };
    let lower = first.to_ascii_lowercase();
    let mut step = Step::default();
    if shell == Shell::Cmd {
        step.shell_effects = redirections(&w, ctx);
        if lower == "start" {
            let rest: Vec<String> = w[1..]
                .iter()
                .skip_while(|x| x.starts_with('/') || x.as_str() == "\"\"")
                .cloned()
                .collect();
            return spawn_step(&rest, shell, ctx, step);
        }
        if is_cmd_builtin(&lower) {
            if matches!(lower.as_str(), "copy" | "move") && w.len() >= 3 {
                step.effects
                    .push(Effect::WriteFile(abs(unquote(&w[w.len() - 1]), ctx)));
            }
            return step;
        }
        return spawn_step(&w, shell, ctx, step);
    }
    if ps_runs_binary(&first) {
        return spawn_step(&w, shell, ctx, step);
    }
    step.effects = super::wincmdlets::cmdlet_effects(&lower, &w, &expanded, ctx);
    if matches!(lower.as_str(), "start-process" | "saps" | "start")
        && let Some(sp) = super::wincmdlets::start_process(&w, ctx)
    {
        let child = analyse_binary(&sp, ctx);
        step.spawn = Some(sp);
        step.effects = child;
    }
    step
}

/// The statement starts the binary named by `w[0]`.
fn spawn_step(w: &[String], shell: Shell, ctx: &Ctx<'_>, mut step: Step) -> Step {
    let Some(first) = w.first().filter(|f| {
        let u = unquote(f);
        names_program(u)
    }) else {
        return step;
    };
    let image = image_for(first, ctx.cwd);
    if let Some((handler, how)) = association(&image) {
        // A document or script run by name: its associated program opens it.
        let mut cmd = format!("\"{handler}\" {}", how.replace("{}", &image));
        for a in &w[1..] {
            cmd.push(' ');
            cmd.push_str(a);
        }
        let spawn = Spawn {
            image: handler.to_string(),
            cmd,
        };
        step.effects = analyse_binary(&spawn, ctx);
        step.spawn = Some(spawn);
        return step;
    }
    let args: Vec<String> = w[1..]
        .iter()
        .take_while(|x| !x.starts_with('>') && !x.starts_with("2>"))
        .map(|a| match shell {
            // PowerShell passes single-quoted arguments double-quoted.
            Shell::PowerShell if a.starts_with('\'') => format!("\"{}\"", unquote(a)),
            _ => a.clone(),
        })
        .collect();
    let cmd = match shell {
        // cmd.exe passes the command as typed, quotes included.
        Shell::Cmd => std::iter::once(first.to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
        Shell::PowerShell => std::iter::once(format!("\"{image}\""))
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let spawn = Spawn { image, cmd };
    step.effects = analyse_binary(&spawn, ctx);
    step.spawn = Some(spawn);
    step
}

/// Whether a command word can name a program: not a lone `@`, a switch (`/S`), an
/// assignment (`path=%path%;…`), a URL or shell folder (`start https://…` opens the
/// browser, which is left out) or a registry path.
pub fn names_program(u: &str) -> bool {
    u.chars().any(char::is_alphanumeric)
        && !u.starts_with(['/', '-'])
        && !u.split('\\').next().unwrap_or("").contains('=')
        && !u.contains("://")
        && !u.to_ascii_lowercase().starts_with("shell:")
        && !is_registry(u)
}

/// `> file`, `>> file`, `2> file` of a cmd statement (the shell opens them).
fn redirections(w: &[String], ctx: &Ctx<'_>) -> Vec<Effect> {
    let mut out = Vec::new();
    for (i, x) in w.iter().enumerate() {
        let t = x.trim_start_matches(['1', '2']);
        let Some(rest) = t.strip_prefix(">>").or_else(|| t.strip_prefix('>')) else {
            continue;
        };
        let target = if rest.is_empty() {
            w.get(i + 1).map(|s| s.as_str()).unwrap_or("")
        } else {
            rest
        };
        let target = unquote(target);
        if !target.is_empty() && !target.eq_ignore_ascii_case("nul") && !target.starts_with('&') {
            out.push(Effect::WriteFile(abs(target, ctx)));
        }
    }
    out
}

/// An absolute Windows path (relative ones are in the working directory).
pub fn abs(path: &str, ctx: &Ctx<'_>) -> String {
    let p = path.replace('/', "\\");
    if p.len() > 2 && p.as_bytes()[1] == b':' || p.starts_with("\\\\") {
        p
    } else {
        format!("{}\\{}", ctx.cwd, p.trim_start_matches(".\\"))
    }
}

/// The first URL in `s`: `(host, port)`.
pub fn url_host(s: &str) -> Option<(String, u16)> {
    let lower = s.to_ascii_lowercase();
    let (i, default_port, skip) = ["https://", "http://", "ftp://"]
        .iter()
        .zip([443u16, 80, 21])
        .find_map(|(p, port)| lower.find(p).map(|i| (i, port, p.len())))?;
    let rest = &s[i + skip..];
    let end = rest
        .find(['/', '"', '\'', ' ', ')', '`', ';', ',', '?'])
        .unwrap_or(rest.len());
    let hostport = rest[..end].rsplit('@').next().unwrap_or("");
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().unwrap_or(default_port)),
        None => (hostport, default_port),
    };
    let host = host.trim_matches(['[', ']']);
    (!host.is_empty() && !host.contains('#') && !host.contains('$'))
        .then(|| (host.to_string(), port))
}

/// The value after a flag (`/tn NAME`, `-o FILE`), compared without case.
pub fn flag_value<'a>(w: &'a [String], flags: &[&str]) -> Option<&'a str> {
    let i = w
        .iter()
        .position(|x| flags.iter().any(|f| x.eq_ignore_ascii_case(f)))?;
    w.get(i + 1).map(|v| unquote(v))
}

/// A registry path as Sysmon writes it: `HKLM\…`, `HKU\<sid>\…` for the current user.
pub fn registry_path(path: &str, user: &str) -> String {
    let p = path
        .trim()
        .trim_start_matches("Registry::")
        .replace('/', "\\");
    let (root, rest) = p.split_once('\\').unwrap_or((p.as_str(), ""));
    let root = root.trim_end_matches(':').to_ascii_uppercase();
    let mapped = match root.as_str() {
        "HKCU" | "HKEY_CURRENT_USER" => format!("HKU\\{}", super::winsec::user_sid(user)),
        "HKLM" | "HKEY_LOCAL_MACHINE" => "HKLM".into(),
        "HKCR" | "HKEY_CLASSES_ROOT" => "HKLM\\SOFTWARE\\Classes".into(),
        "HKU" | "HKEY_USERS" => "HKU".into(),
        other => other.to_string(),
    };
    if rest.is_empty() {
        mapped
    } else {
        format!("{mapped}\\{rest}")
    }
}

/// Whether a path names the registry.
pub fn is_registry(path: &str) -> bool {
    let u = unquote(path).to_ascii_uppercase();
    ["HKCU", "HKLM", "HKCR", "HKU:", "HKEY_", "REGISTRY::"]
        .iter()
        .any(|p| u.starts_with(p))
}

/// Statements of a cmd.exe command (lines, then `&`/`|` separators).
pub fn cmd_script_statements(script: &str) -> Vec<String> {
    script.lines().flat_map(cmd_statements).collect()
}

#[cfg(test)]
#[path = "wineffects_tests.rs"]
mod tests;
