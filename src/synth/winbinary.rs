//! What a Windows binary does, from its name and arguments: accounts (`net`), tasks
//! (`schtasks`), services (`sc`), registry values (`reg`), DLLs loaded and LSASS dumped
//! (`rundll32`, `regsvr32`, dump tools), nested shells (`cmd /c`, `powershell -enc`), WMI
//! process creation and downloads.

use base64::Engine;

use super::wineffects::{Ctx, Effect, Spawn, abs, flag_value, registry_path, url_host};
use super::wintools::{unquote, words};

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
