//! What the Windows generator knows about the machine: where binaries live, their PE names,
//! cmd.exe built-ins, PowerShell aliases, environment variables, and how command text splits
//! into statements and tokens.

use super::winrec::basename;

/// Binaries found in `C:\Windows\System32` (without `.exe`).
const SYSTEM32: &[&str] = &[
    "arp",
    "at",
    "attrib",
    "auditpol",
    "bcdedit",
    "bitsadmin",
    "cacls",
    "certreq",
    "certutil",
    "chcp",
    "cipher",
    "cmd",
    "cmdkey",
    "cmstp",
    "control",
    "cscript",
    "curl",
    "diskshadow",
    "dllhost",
    "dnscmd",
    "dsquery",
    "esentutl",
    "eventvwr",
    "expand",
    "extrac32",
    "findstr",
    "fltmc",
    "forfiles",
    "fsutil",
    "ftp",
    "gpresult",
    "hostname",
    "icacls",
    "ipconfig",
    "klist",
    "ldifde",
    "logman",
    "makecab",
    "mavinject",
    "mmc",
    "mofcomp",
    "msdt",
    "msiexec",
    "mshta",
    "nbtstat",
    "net",
    "net1",
    "netsh",
    "netstat",
    "nltest",
    "notepad",
    "ntdsutil",
    "odbcconf",
    "pcalua",
    "ping",
    "pnputil",
    "qprocess",
    "query",
    "quser",
    "qwinsta",
    "rdpclip",
    "reg",
    "regini",
    "regsvr32",
    "replace",
    "robocopy",
    "route",
    "rundll32",
    "runas",
    "sc",
    "schtasks",
    "sdbinst",
    "secedit",
    "setspn",
    "shutdown",
    "sort",
    "systeminfo",
    "takeown",
    "tar",
    "taskkill",
    "tasklist",
    "timeout",
    "tracert",
    "tscon",
    "vssadmin",
    "w32tm",
    "wbadmin",
    "wevtutil",
    "where",
    "whoami",
    "wscript",
    "wusa",
    "xcopy",
    "calc",
    "conhost",
    "dxdiag",
    "fodhelper",
    "computerdefaults",
    "sdclt",
    "slui",
    "wsreset",
    "msconfig",
    "mstsc",
    "nslookup",
    "powercfg",
    "print",
    "psr",
    "sethc",
    "utilman",
    "osk",
    "magnify",
    "narrator",
    "winrm",
    "wuauclt",
    "usoclient",
    "gpupdate",
    "cleanmgr",
    "defrag",
    "dism",
    "sfc",
    "manage-bde",
    "wmiprvse",
    "svchost",
    "lsass",
    "services",
    "mode",
    "more",
    "find",
    "tree",
    "comp",
    "fc",
    "cmdl32",
    "ieexec",
    "infdefaultinstall",
    "presentationhost",
    "register-cimprovider",
    "syncappvpublishingserver",
    "ttdinject",
    "verclsid",
    "wlrmdr",
    "wsl",
    "bash",
    "tzutil",
    "change",
    "reset",
    "logoff",
    "dfsvc",
    "dsacls",
    "dcdiag",
    "repadmin",
    "gpfixup",
    "csvde",
];

/// Full paths of binaries that do not live in System32.
const ELSEWHERE: &[(&str, &str)] = &[
    (
        "powershell",
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    ),
    (
        "powershell_ise",
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell_ise.exe",
    ),
    ("pwsh", r"C:\Program Files\PowerShell\7\pwsh.exe"),
    ("wmic", r"C:\Windows\System32\wbem\WMIC.exe"),
    ("explorer", r"C:\Windows\explorer.exe"),
    ("regedit", r"C:\Windows\regedit.exe"),
    ("hh", r"C:\Windows\hh.exe"),
    (
        "msbuild",
        r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\MSBuild.exe",
    ),
    (
        "installutil",
        r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\InstallUtil.exe",
    ),
    (
        "regasm",
        r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\RegAsm.exe",
    ),
    (
        "regsvcs",
        r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\RegSvcs.exe",
    ),
    (
        "csc",
        r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe",
    ),
    (
        "jsc",
        r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\jsc.exe",
    ),
    ("msxsl", r"C:\Users\Public\msxsl.exe"),
];

/// PE `OriginalFileName` and `Description` as Windows ships them, for binaries rules name.
const PE_NAMES: &[(&str, &str, &str)] = &[
    ("cmd.exe", "Cmd.Exe", "Windows Command Processor"),
    ("powershell.exe", "PowerShell.EXE", "Windows PowerShell"),
    ("pwsh.exe", "pwsh.dll", "PowerShell 7"),
    (
        "rundll32.exe",
        "RUNDLL32.EXE",
        "Windows host process (Rundll32)",
    ),
    (
        "regsvr32.exe",
        "REGSVR32.EXE",
        "Microsoft(C) Register Server",
    ),
    ("reg.exe", "reg.exe", "Registry Console Tool"),
    (
        "schtasks.exe",
        "schtasks.exe",
        "Task Scheduler Configuration Tool",
    ),
    (
        "sc.exe",
        "sc.exe",
        "Service Control Manager Configuration Tool",
    ),
    ("net.exe", "net.exe", "Net Command"),
    ("net1.exe", "net1.exe", "Net Command"),
    ("certutil.exe", "CertUtil.exe", "CertUtil.exe"),
    (
        "bitsadmin.exe",
        "bitsadmin.exe",
        "BITS administration utility",
    ),
    ("wmic.exe", "wmic.exe", "WMI Commandline Utility"),
    (
        "mshta.exe",
        "MSHTA.EXE",
        "Microsoft (R) HTML Application host",
    ),
    (
        "whoami.exe",
        "whoami.exe",
        "whoami - displays logged on user information",
    ),
    (
        "vssadmin.exe",
        "VSSADMIN.EXE",
        "Command Line Interface for Microsoft Volume Shadow Copy Service",
    ),
    (
        "wevtutil.exe",
        "wevtutil.exe",
        "Eventing Command Line Utility",
    ),
    ("msiexec.exe", "msiexec.exe", "Windows installer"),
    (
        "cscript.exe",
        "cscript.exe",
        "Microsoft (R) Console Based Script Host",
    ),
    (
        "wscript.exe",
        "wscript.exe",
        "Microsoft (R) Windows Based Script Host",
    ),
    ("netsh.exe", "netsh.exe", "Network Command Shell"),
    (
        "bcdedit.exe",
        "bcdedit.exe",
        "Boot Configuration Data Editor",
    ),
    (
        "nltest.exe",
        "nltestrk.exe",
        "Microsoft® Logon Server Test Utility",
    ),
    ("msbuild.exe", "MSBuild.exe", "MSBuild.exe"),
    (
        "installutil.exe",
        "InstallUtil.exe",
        "Microsoft .NET Framework installation utility",
    ),
    (
        "regasm.exe",
        "RegAsm.exe",
        "Microsoft .NET Assembly Registration Utility",
    ),
    (
        "cmstp.exe",
        "CMSTP.EXE",
        "Microsoft Connection Manager Profile Installer",
    ),
    (
        "esentutl.exe",
        "esentutl.exe",
        "Extensible Storage Engine Utilities",
    ),
    ("ntdsutil.exe", "ntdsutil.exe", "NT5DS"),
    (
        "procdump.exe",
        "procdump",
        "Sysinternals process dump utility",
    ),
    (
        "procdump64.exe",
        "procdump",
        "Sysinternals process dump utility",
    ),
    ("psexec.exe", "psexec.c", "Execute processes remotely"),
    ("mimikatz.exe", "mimikatz.exe", "mimikatz for Windows"),
    ("ftp.exe", "ftp.exe", "File Transfer Program"),
    ("curl.exe", "curl.exe", "The curl executable"),
    ("tar.exe", "bsdtar", "BSD tar archive tool"),
    ("icacls.exe", "iCACLS.EXE", "icacls"),
    ("takeown.exe", "takeown.exe", "Takes ownership of a file"),
    ("explorer.exe", "EXPLORER.EXE", "Windows Explorer"),
    ("conhost.exe", "CONHOST.EXE", "Console Window Host"),
];

/// cmd.exe commands that run inside cmd.exe (no new process).
const CMD_BUILTINS: &[&str] = &[
    "echo", "@echo", "set", "setlocal", "endlocal", "cd", "chdir", "del", "erase", "copy", "move",
    "ren", "rename", "type", "dir", "md", "mkdir", "rd", "rmdir", "cls", "if", "for", "call",
    "exit", "pushd", "popd", "title", "ver", "vol", "mklink", "assoc", "ftype", "rem", "::",
    "pause", "goto", "shift", "path", "prompt", "color", "verify", "break", "date", "time",
];

/// PowerShell 5.1 aliases that shadow binaries of the same name: `curl` is `Invoke-WebRequest`,
/// `sc` is `Set-Content` (only `curl.exe` and `sc.exe` run the binaries).
const PS_SHADOWED: &[&str] = &[
    "curl", "wget", "sc", "sort", "where", "start", "del", "copy", "move", "type", "echo",
];

/// Where a bare binary name resolves; `None` when it is not a known binary.
pub fn resolve_known(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let stem = lower.strip_suffix(".exe").unwrap_or(&lower);
    if let Some((_, p)) = ELSEWHERE.iter().find(|(n, _)| *n == stem) {
        return Some(p.to_string());
    }
    SYSTEM32
        .contains(&stem)
        .then(|| format!(r"C:\Windows\System32\{stem}.exe"))
}

/// `OriginalFileName` and `Description` of a binary by its original file name.
pub fn pe_info(original: &str) -> (&str, &'static str) {
    let lower = original.to_ascii_lowercase();
    PE_NAMES
        .iter()
        .find(|(n, _, _)| *n == lower)
        .map(|(_, o, d)| (*o, *d))
        .unwrap_or((original, "-"))
}

pub fn is_cmd_builtin(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    CMD_BUILTINS.contains(&w.as_str()) || w.starts_with("echo.") || w.starts_with("rem ")
}

/// Whether a PowerShell command word starts a new process (a binary) rather than a cmdlet,
/// alias, function or script.
pub fn ps_runs_binary(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    if w.ends_with(".exe") || w.ends_with(".com") {
        return true;
    }
    if w.ends_with(".ps1") || w.contains('-') || PS_SHADOWED.contains(&w.as_str()) {
        return false;
    }
    if w.contains('\\') || w.contains('/') {
        return w.ends_with(".bat") || w.ends_with(".cmd");
    }
    resolve_known(&w).is_some()
}

/// Environment variables of a user's process on `host`.
pub fn env_value(var: &str, user: &str, host: &str) -> Option<String> {
    let home = format!(r"C:\Users\{user}");
    let v = match var.to_ascii_lowercase().as_str() {
        "temp" | "tmp" => format!(r"{home}\AppData\Local\Temp"),
        "userprofile" => home,
        "appdata" => format!(r"{home}\AppData\Roaming"),
        "localappdata" => format!(r"{home}\AppData\Local"),
        "homepath" => format!(r"\Users\{user}"),
        "homedrive" | "systemdrive" => "C:".into(),
        "windir" | "systemroot" => r"C:\Windows".into(),
        "programdata" | "allusersprofile" => r"C:\ProgramData".into(),
        "programfiles" => r"C:\Program Files".into(),
        "programfiles(x86)" => r"C:\Program Files (x86)".into(),
        "public" => r"C:\Users\Public".into(),
        "computername" => host.to_string(),
        "username" => user.to_string(),
        "userdomain" => super::world::DOMAIN.into(),
        "comspec" => r"C:\Windows\System32\cmd.exe".into(),
        _ => return None,
    };
    Some(v)
}

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
    'outer: while i < b.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        match c {
            '"' if !sq => dq = !dq,
            '\'' if ps && !dq => sq = !sq,
            '(' if ps && !dq && !sq => depth += 1,
            ')' if ps && !dq && !sq => depth = (depth - 1).max(0),
            _ => {}
        }
        if !dq && !sq && depth == 0 {
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
        match c {
            '"' if !sq => dq = !dq,
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
    let w = unquote(word);
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
