//! What one Windows statement does when it runs: the process it starts (if any) and what that
//! process (or the shell itself) leaves behind: downloads, files, registry values, an LSASS
//! handle, accounts, scheduled tasks, services, logons with explicit credentials.

use base64::Engine;

use super::wintools::{
    cmd_statements, expand_env, image_for, is_cmd_builtin, ps_runs_binary, unquote, words,
};

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
    let expanded = expand_env(stmt, ctx.user, ctx.host);
    let mut w = words(&expanded, shell == Shell::PowerShell);
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
    if (lower == "start-process" || lower == "saps" || lower == "start")
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
    let Some(first) = w.first() else { return step };
    let image = image_for(first, ctx.cwd);
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

/// Positional arguments (not flags) after the binary.
fn positional(w: &[String]) -> Vec<&str> {
    w.iter()
        .skip(1)
        .filter(|x| !x.starts_with('/') && !x.starts_with('-'))
        .map(|x| unquote(x))
        .collect()
}

/// What a binary does, from its name and arguments.
pub fn analyse_binary(sp: &Spawn, ctx: &Ctx<'_>) -> Vec<Effect> {
    let w = words(&sp.cmd, false);
    let name = super::winrec::basename(&sp.image).to_ascii_lowercase();
    let stem = name.trim_end_matches(".exe");
    let lower = sp.cmd.to_ascii_lowercase();
    let mut fx = Vec::new();
    let arg = |i: usize| {
        w.get(i)
            .map(|s| unquote(s).to_ascii_lowercase())
            .unwrap_or_default()
    };
    match stem {
        "net" | "net1" => {
            let pos = positional(&w);
            let add = lower.contains("/add");
            match arg(1).as_str() {
                "user" if add => {
                    if let Some(u) = pos.get(1) {
                        fx.push(Effect::UserAdd(u.to_string()));
                    }
                }
                "localgroup" | "group" if add => {
                    if let (Some(g), Some(m)) = (pos.get(1), pos.get(2)) {
                        fx.push(Effect::GroupAdd {
                            group: g.to_string(),
                            member: m.to_string(),
                        });
                    }
                }
                "use" => {
                    if let Some(s) = pos.iter().find(|p| p.starts_with("\\\\")) {
                        let server = s.trim_start_matches('\\').split('\\').next().unwrap_or("");
                        fx.push(Effect::ExplicitLogon {
                            server: server.to_string(),
                            port: 445,
                        });
                    }
                }
                _ => {}
            }
        }
        "schtasks" if lower.contains("/create") => {
            let name = flag_value(&w, &["/tn"]).unwrap_or("Task").to_string();
            let command = flag_value(&w, &["/tr"]).unwrap_or("").to_string();
            if let Some(server) =
                flag_value(&w, &["/s"]).filter(|s| !s.eq_ignore_ascii_case("localhost"))
            {
                fx.push(Effect::ExplicitLogon {
                    server: server.to_string(),
                    port: 135,
                });
            } else {
                fx.push(Effect::TaskCreate { name, command });
            }
        }
        "sc" => {
            let pos = positional(&w);
            let (verb, svc) = match pos.first() {
                Some(p) if p.starts_with("\\\\") => (pos.get(1), pos.get(2)),
                _ => (pos.first(), pos.get(1)),
            };
            match (verb.map(|v| v.to_ascii_lowercase()), svc) {
                (Some(v), Some(s)) if v == "create" => {
                    let path = flag_value(&w, &["binpath=", "binPath="])
                        .unwrap_or("")
                        .to_string();
                    fx.push(Effect::ServiceCreate {
                        name: s.to_string(),
                        path,
                    });
                }
                (Some(v), Some(s)) if v == "start" => fx.push(Effect::ServiceStart(s.to_string())),
                _ => {}
            }
        }
        "reg" => fx.extend(reg_effects(&w, ctx)),
        "rundll32" => {
            if let Some(dll) = w.get(1).map(|d| {
                unquote(d)
                    .split(',')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            }) && !dll.is_empty()
            {
                fx.push(Effect::LoadImage(dll_path(&dll, ctx)));
            }
            if lower.contains("comsvcs") && (lower.contains("minidump") || lower.contains("#24")) {
                fx.push(Effect::LsassAccess("0x1fffff"));
                if let Some(out) = w
                    .iter()
                    .rev()
                    .nth(1)
                    .map(|x| unquote(x))
                    .filter(|x| x.contains('.'))
                {
                    fx.push(Effect::WriteFile(abs(out, ctx)));
                }
            }
        }
        "regsvr32" => {
            if let Some(dll) = positional(&w).last() {
                fx.push(Effect::LoadImage(dll_path(dll, ctx)));
            }
        }
        "cmd" => {
            if let Some(i) = w.iter().position(|x| {
                x.eq_ignore_ascii_case("/c")
                    || x.eq_ignore_ascii_case("/k")
                    || x.eq_ignore_ascii_case("/r")
            }) {
                let inner = unquote(&w[i + 1..].join(" ")).to_string();
                fx.push(Effect::CmdLine(inner));
            }
        }
        "powershell" | "pwsh" => fx.extend(powershell_script(&w).map(Effect::Script)),
        "wmic" if lower.contains("call create") => {
            if let Some(i) = w.iter().position(|x| x.eq_ignore_ascii_case("create")) {
                fx.push(Effect::WmiSpawn(unquote(&w[i + 1..].join(" ")).to_string()));
            }
        }
        _ => {}
    }
    // Tools whose whole job is reading LSASS, whatever their arguments say.
    const LSASS_TOOLS: [&str; 10] = [
        "dumpert",
        "nanodump",
        "pypykatz",
        "mimikatz",
        "handlekatz",
        "sqldumper",
        "createdump",
        "rdrleakdiag",
        "xordump",
        "lsassy",
    ];
    let tool = LSASS_TOOLS.iter().any(|t| stem.contains(t));
    if (lower.contains("lsass") || tool) && !fx.iter().any(|f| matches!(f, Effect::LsassAccess(_)))
    {
        let access = if stem.contains("procdump") {
            "0x1fffff"
        } else {
            "0x1010"
        };
        fx.push(Effect::LsassAccess(access));
    }
    if lower.contains("sekurlsa::") && !fx.iter().any(|f| matches!(f, Effect::LsassAccess(_))) {
        fx.push(Effect::LsassAccess("0x1010"));
    }
    if (stem == "psexec" || stem == "psexec64")
        && let Some(s) = w.iter().find(|x| x.starts_with("\\\\"))
    {
        fx.push(Effect::ExplicitLogon {
            server: s.trim_start_matches('\\').to_string(),
            port: 445,
        });
    }
    // Downloads: certutil, bitsadmin, curl, mshta, msiexec, regsvr32 /i:URL, ftp…
    if !matches!(
        stem,
        "cmd" | "powershell" | "pwsh" | "schtasks" | "reg" | "sc"
    ) && let Some((host, port)) = url_host(&sp.cmd)
    {
        fx.push(Effect::Fetch { host, port });
        let out = match stem {
            "certutil" | "bitsadmin" => positional(&w)
                .last()
                .filter(|p| !p.contains("://"))
                .map(|s| s.to_string()),
            _ => flag_value(&w, &["-o", "--output", "-outfile", "/o"]).map(str::to_string),
        };
        if let Some(out) = out {
            fx.push(Effect::WriteFile(abs(&out, ctx)));
        }
    } else if let Some(dump) = w
        .iter()
        .map(|x| unquote(x))
        .find(|x| x.to_ascii_lowercase().ends_with(".dmp"))
        && !fx.iter().any(|f| matches!(f, Effect::WriteFile(_)))
    {
        fx.push(Effect::WriteFile(abs(dump, ctx)));
    }
    fx
}

/// A DLL argument as a path: bare names are System32's.
fn dll_path(dll: &str, ctx: &Ctx<'_>) -> String {
    let d = unquote(dll);
    if d.contains('\\') || d.contains('/') || d.contains(':') {
        abs(d, ctx)
    } else if d.contains("://") {
        d.to_string()
    } else {
        format!(r"C:\Windows\System32\{d}")
    }
}

/// The script a `powershell.exe` command line runs: `-EncodedCommand` decoded, `-Command`
/// text, or the bare script after the flags.
pub fn powershell_script(w: &[String]) -> Option<String> {
    let mut i = 1;
    while i < w.len() {
        let f = w[i].to_ascii_lowercase();
        let f = f.trim_start_matches(['-', '/']);
        if !w[i].starts_with(['-', '/']) {
            return Some(unquote(&w[i..].join(" ")).to_string());
        }
        if f == "ec" || (!f.is_empty() && "encodedcommand".starts_with(f)) {
            let b64 = w.get(i + 1).map(|s| unquote(s)).unwrap_or("");
            return decode_utf16_b64(b64);
        }
        if !f.is_empty() && "command".starts_with(f) {
            return Some(unquote(&w[i + 1..].join(" ")).to_string());
        }
        // Flags with a value: -ExecutionPolicy Bypass, -WindowStyle Hidden, -File x.ps1.
        let prefix_of = |full: &str, min: usize| f.len() >= min && full.starts_with(f);
        let takes_value = prefix_of("executionpolicy", 2)
            || f == "ep"
            || prefix_of("windowstyle", 1)
            || prefix_of("file", 1)
            || prefix_of("version", 1)
            || prefix_of("inputformat", 1)
            || prefix_of("outputformat", 1);
        i += if takes_value { 2 } else { 1 };
    }
    None
}

/// PowerShell's `-EncodedCommand` payload: base64 of UTF-16LE text.
pub fn decode_utf16_b64(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

/// `reg add|delete|save` effects.
fn reg_effects(w: &[String], ctx: &Ctx<'_>) -> Vec<Effect> {
    let verb = w.get(1).map(|v| v.to_ascii_lowercase()).unwrap_or_default();
    let Some(key) = w.get(2).map(|k| registry_path(unquote(k), ctx.user)) else {
        return Vec::new();
    };
    let value = flag_value(w, &["/v"]).map(str::to_string);
    match verb.as_str() {
        "add" => {
            let mut fx = vec![Effect::RegCreateKey(key.clone())];
            let data = flag_value(w, &["/d"]).unwrap_or("");
            let kind = flag_value(w, &["/t"])
                .unwrap_or("REG_SZ")
                .to_ascii_uppercase();
            let details = if kind == "REG_DWORD" {
                let n = data.trim_start_matches("0x").parse::<u32>().unwrap_or(0);
                format!("DWORD (0x{n:08x})")
            } else {
                data.to_string()
            };
            let name = value.unwrap_or_else(|| {
                if w.iter().any(|x| x.eq_ignore_ascii_case("/ve")) {
                    "(Default)".into()
                } else {
                    String::new()
                }
            });
            if !name.is_empty() {
                fx.push(Effect::RegSetValue {
                    target: format!("{key}\\{name}"),
                    details,
                });
            }
            fx
        }
        "delete" => match value {
            Some(v) => vec![Effect::RegDelete {
                kind: "DeleteValue",
                target: format!("{key}\\{v}"),
            }],
            None => vec![Effect::RegDelete {
                kind: "DeleteKey",
                target: key,
            }],
        },
        "save" | "export" => w
            .get(3)
            .map(|o| vec![Effect::WriteFile(abs(unquote(o), ctx))])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
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
        "HKCU" | "HKEY_CURRENT_USER" => format!("HKU\\{}", super::winrec::user_sid(user)),
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
