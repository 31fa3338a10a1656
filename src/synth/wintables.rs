//! What the Windows generator knows about the machine: where binaries live, their PE names,
//! cmd.exe built-ins, PowerShell aliases that shadow binaries, environment variables.

/// Binaries found in `C:\Windows\System32` (without `.exe`).
const SYSTEM32: &str = "clip arp at attrib auditpol bcdedit bitsadmin cacls certreq certutil chcp cipher cmd cmdkey \
     cmstp control cscript curl diskshadow dllhost dnscmd dsquery esentutl eventvwr expand \
     extrac32 findstr fltmc forfiles fsutil ftp gpresult hostname icacls ipconfig klist \
     ldifde logman makecab mavinject mmc mofcomp msdt msiexec mshta nbtstat net net1 netsh \
     netstat nltest notepad ntdsutil odbcconf pcalua ping pnputil qprocess query quser \
     qwinsta rdpclip reg regini regsvr32 replace robocopy route rundll32 runas sc schtasks \
     sdbinst secedit setspn shutdown sort systeminfo takeown tar taskkill tasklist timeout \
     tracert tscon vssadmin w32tm wbadmin wevtutil where whoami wscript wusa xcopy calc \
     conhost dxdiag fodhelper computerdefaults sdclt slui wsreset msconfig mstsc nslookup \
     powercfg print psr sethc utilman osk magnify narrator winrm wuauclt usoclient gpupdate \
     cleanmgr defrag dism sfc manage-bde wmiprvse svchost lsass services mode more find tree \
     comp fc cmdl32 ieexec infdefaultinstall presentationhost register-cimprovider \
     syncappvpublishingserver ttdinject verclsid wlrmdr wsl bash tzutil change reset logoff \
     dfsvc dsacls dcdiag repadmin gpfixup csvde";

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
    (
        "winword",
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
    ),
    (
        "excel",
        r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
    ),
    (
        "outlook",
        r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
    ),
    (
        "powerpnt",
        r"C:\Program Files\Microsoft Office\root\Office16\POWERPNT.EXE",
    ),
    (
        "chrome",
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    ),
    (
        "msedge",
        r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    ),
    ("python", r"C:\Program Files\Python312\python.exe"),
    ("python3", r"C:\Program Files\Python312\python.exe"),
    ("dotnet", r"C:\Program Files\dotnet\dotnet.exe"),
    ("sysmon", r"C:\Windows\Sysmon.exe"),
    ("sysmon64", r"C:\Windows\Sysmon64.exe"),
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
const CMD_BUILTINS: &str = "echo @echo set setlocal endlocal cd chdir del erase copy move ren rename type dir md \
     mkdir rd rmdir cls if for call exit pushd popd title ver vol mklink assoc ftype rem :: \
     pause goto shift path prompt color verify break date time";

/// PowerShell 5.1 aliases that shadow binaries of the same name: `curl` is `Invoke-WebRequest`,
/// `sc` is `Set-Content` (only `curl.exe` and `sc.exe` run the binaries).
const PS_SHADOWED: &str = "curl wget sc sort where start del copy move type echo";

/// Where a bare binary name resolves; `None` when it is not a known binary.
pub fn resolve_known(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let stem = lower.strip_suffix(".exe").unwrap_or(&lower);
    if let Some((_, p)) = ELSEWHERE.iter().find(|(n, _)| *n == stem) {
        return Some(p.to_string());
    }
    SYSTEM32
        .split_whitespace()
        .any(|n| n == stem)
        .then(|| format!(r"C:\Windows\System32\{stem}.exe"))
}

/// The program Windows starts for a document or script run by name (ShellExecute's file
/// associations), with how it passes the file.
pub fn association(path: &str) -> Option<(&'static str, &'static str)> {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    let found = match ext.as_str() {
        "msc" => (r"C:\Windows\System32\mmc.exe", "\"{}\""),
        "vbs" | "vbe" | "js" | "jse" | "wsf" => (r"C:\Windows\System32\wscript.exe", "\"{}\""),
        "bat" | "cmd" => (r"C:\Windows\System32\cmd.exe", "/c \"{}\""),
        "hta" => (r"C:\Windows\System32\mshta.exe", "\"{}\""),
        "cpl" => (r"C:\Windows\System32\control.exe", "\"{}\""),
        "doc" | "docx" | "docm" | "rtf" | "dotm" => (
            r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
            "/n \"{}\"",
        ),
        "xls" | "xlsx" | "xlsm" | "xll" | "xlam" => (
            r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
            "\"{}\"",
        ),
        _ => return None,
    };
    Some(found)
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
    CMD_BUILTINS.split_whitespace().any(|b| b == w)
        || w.starts_with("echo.")
        || w.starts_with("rem ")
}

/// Whether a PowerShell command word starts a new process (a binary) rather than a cmdlet,
/// alias, function or script.
pub fn ps_runs_binary(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    // `$x="cmd.exe"` assigns; `$x.Method()` calls; only `& "$dir\tool.exe"` runs a binary.
    if w.contains('=') || (w.starts_with('$') && !w.ends_with(".exe")) {
        return false;
    }
    if w.ends_with(".exe") || w.ends_with(".com") {
        return true;
    }
    if w.ends_with(".ps1") || w.contains('-') || PS_SHADOWED.split_whitespace().any(|b| b == w) {
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
