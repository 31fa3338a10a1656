//! What PowerShell cmdlets leave behind when they run inside powershell.exe: downloads, files
//! and registry values written, accounts, tasks and services created, LSASS opened.

use super::wineffects::{Ctx, Effect, Spawn, abs, is_registry, registry_path, url_host};
use super::wintools::{image_for, unquote};

/// The value of a named parameter (`-Path x`, `-Path:x`), else the `n`th positional argument.
fn param<'a>(w: &'a [String], names: &[&str], n: usize) -> Option<&'a str> {
    for (i, x) in w.iter().enumerate().skip(1) {
        let lower = x.to_ascii_lowercase();
        for name in names {
            let flag = format!("-{name}");
            if lower == flag {
                return w.get(i + 1).map(|v| unquote(v));
            }
            if let Some(v) = lower.strip_prefix(&format!("{flag}:")) {
                return Some(unquote(&x[x.len() - v.len()..]));
            }
        }
    }
    // Positional: skip named parameters and their values.
    let mut pos = Vec::new();
    let mut i = 1;
    while i < w.len() {
        if w[i].starts_with('-') && w[i].len() > 1 && !w[i].contains(':') {
            i += 2;
            continue;
        }
        pos.push(unquote(&w[i]));
        i += 1;
    }
    pos.get(n).copied()
}

/// Effects of one PowerShell statement whose command is a cmdlet, alias or expression.
pub fn cmdlet_effects(cmd: &str, w: &[String], stmt: &str, ctx: &Ctx<'_>) -> Vec<Effect> {
    let lower = stmt.to_ascii_lowercase();
    let mut fx = Vec::new();
    let downloads = [
        "invoke-webrequest",
        "iwr",
        "curl",
        "wget",
        "invoke-restmethod",
        "irm",
        "start-bitstransfer",
    ];
    let fetches = downloads.contains(&cmd)
        || lower.contains(".downloadstring(")
        || lower.contains(".downloadfile(")
        || lower.contains(".downloaddata(")
        || lower.contains("net.webclient")
        || lower.contains("xmlhttp");
    if fetches && let Some((host, port)) = url_host(stmt) {
        fx.push(Effect::Fetch { host, port });
        let out = param(w, &["outfile", "destination"], usize::MAX)
            .map(str::to_string)
            .or_else(|| download_file_target(stmt));
        if let Some(out) = out {
            fx.push(Effect::WriteFile(abs(&out, ctx)));
        }
    }
    match cmd {
        "set-itemproperty" | "new-itemproperty" | "sp" => {
            if let Some(path) = param(w, &["path"], 0).filter(|p| is_registry(p)) {
                let name = param(w, &["name"], 1).unwrap_or("(Default)");
                let value = param(w, &["value"], 2).unwrap_or("");
                let dword = lower.contains("dword") || value.parse::<u32>().is_ok();
                let details = match value.parse::<u32>() {
                    Ok(n) if dword => format!("DWORD (0x{n:08x})"),
                    _ => value.to_string(),
                };
                fx.push(Effect::RegSetValue {
                    target: format!("{}\\{name}", registry_path(path, ctx.user)),
                    details,
                });
            }
        }
        "new-item" | "ni" | "md" | "mkdir" => match param(w, &["path"], 0) {
            Some(p) if is_registry(p) => fx.push(Effect::RegCreateKey(registry_path(p, ctx.user))),
            Some(p) if lower.contains("-itemtype file") || lower.contains("-type file") => {
                fx.push(Effect::WriteFile(abs(p, ctx)));
            }
            _ => {}
        },
        "remove-itemproperty" | "rp" => {
            if let Some(path) = param(w, &["path"], 0).filter(|p| is_registry(p)) {
                let name = param(w, &["name"], 1).unwrap_or("");
                fx.push(Effect::RegDelete {
                    kind: "DeleteValue",
                    target: format!("{}\\{name}", registry_path(path, ctx.user)),
                });
            }
        }
        "remove-item" | "ri" | "del" | "rm" => {
            if let Some(path) = param(w, &["path"], 0).filter(|p| is_registry(p)) {
                fx.push(Effect::RegDelete {
                    kind: "DeleteKey",
                    target: registry_path(path, ctx.user),
                });
            }
        }
        "out-file" | "set-content" | "add-content" | "sc" | "ac" | "export-csv"
        | "export-clixml" => {
            if let Some(p) = param(w, &["filepath", "path", "literalpath"], 0) {
                fx.push(Effect::WriteFile(abs(p, ctx)));
            }
        }
        "copy-item" | "cp" | "copy" | "move-item" | "mv" | "move" => {
            if let Some(p) = param(w, &["destination"], 1) {
                fx.push(Effect::WriteFile(abs(p, ctx)));
            }
        }
        "compress-archive" => {
            if let Some(p) = param(w, &["destinationpath"], 1) {
                fx.push(Effect::WriteFile(abs(p, ctx)));
            }
        }
        "new-localuser" => {
            if let Some(n) = param(w, &["name"], 0) {
                fx.push(Effect::UserAdd(n.to_string()));
            }
        }
        "add-localgroupmember" => {
            if let (Some(g), Some(m)) = (param(w, &["group", "name"], 0), param(w, &["member"], 1))
            {
                fx.push(Effect::GroupAdd {
                    group: g.to_string(),
                    member: m.rsplit('\\').next().unwrap_or(m).to_string(),
                });
            }
        }
        "register-scheduledtask" => {
            let name = param(w, &["taskname"], 0).unwrap_or("Task").to_string();
            fx.push(Effect::TaskCreate {
                name,
                command: String::new(),
            });
        }
        "new-service" => {
            if let Some(n) = param(w, &["name"], 0) {
                let path = param(w, &["binarypathname"], 1).unwrap_or("").to_string();
                fx.push(Effect::ServiceCreate {
                    name: n.to_string(),
                    path,
                });
            }
        }
        "start-service" | "sasv" => {
            if let Some(n) = param(w, &["name"], 0) {
                fx.push(Effect::ServiceStart(n.to_string()));
            }
        }
        "invoke-wmimethod" | "invoke-cimmethod" if lower.contains("create") => {
            let line = param(w, &["argumentlist", "arguments"], usize::MAX).unwrap_or("");
            let line = line
                .trim_start_matches("@{CommandLine=")
                .trim_end_matches('}');
            if !line.is_empty() {
                fx.push(Effect::WmiSpawn(unquote(line).to_string()));
            }
        }
        "invoke-command" | "icm" | "enter-pssession" | "etsn" | "new-pssession" | "nsn" => {
            if let Some(c) = param(w, &["computername", "cn"], usize::MAX) {
                fx.push(Effect::ExplicitLogon {
                    server: c.to_string(),
                    port: 5985,
                });
            }
        }
        _ => {}
    }
    let lsass = lower.contains("lsass")
        && (lower.contains("minidump") || lower.contains("dump") || lower.contains("get-process"));
    if lsass || lower.contains("sekurlsa") || lower.contains("invoke-mimikatz") {
        fx.push(Effect::LsassAccess("0x1410"));
    }
    fx
}

/// `DownloadFile('url', 'path')`: the path.
fn download_file_target(stmt: &str) -> Option<String> {
    let lower = stmt.to_ascii_lowercase();
    let i = lower.find(".downloadfile(")?;
    let args = &stmt[i + 14..];
    let args = args.split(')').next()?;
    let (_, target) = args.split_once(',')?;
    let t = unquote(target.trim());
    (!t.is_empty() && !t.starts_with('$')).then(|| t.to_string())
}

/// `Start-Process [-FilePath] x [-ArgumentList y]`: the process it starts.
pub fn start_process(w: &[String], ctx: &Ctx<'_>) -> Option<Spawn> {
    let file = param(w, &["filepath", "file"], 0)?;
    if file.starts_with('$') || !super::wineffects::names_program(file) {
        return None;
    }
    // `Start-Process "cmd.exe /c calc.exe"`: the program is the first word.
    let (file, inline) = match file.split_once(' ') {
        Some((f, rest)) if rest.trim_start().starts_with(['/', '-']) => (f, rest.trim()),
        _ => (file, ""),
    };
    let image = image_for(file, ctx.cwd);
    let listed = param(w, &["argumentlist", "args"], 1).unwrap_or("");
    let args = if inline.is_empty() {
        listed.to_string()
    } else {
        format!("{inline} {listed}").trim().to_string()
    };
    let args = args.as_str();
    let cmd = if args.is_empty() {
        format!("\"{image}\"")
    } else {
        format!("\"{image}\" {args}")
    };
    Some(Spawn { image, cmd })
}
