//! Ordinary Windows activity around a session: the user's logon and desktop, everyday
//! programs with their network traffic, background services, and the logoff. It makes each
//! story sit in a host's normal day, and gives its processes real parents.

use super::record::{Clock, Role};
use super::rng::Rng;
use super::winrec::{Integrity, WinLog, WinProc};
use super::world::{Account, Host, resolve, win_pid};

/// The desktop a session's processes hang from.
pub struct Desktop {
    pub logon_id: String,
    pub explorer: WinProc,
}

/// A process of the host's boot (services.exe, lsass.exe…): started before the logs begin.
pub fn boot_proc(host: &Host, pid: u32, image: &str, cmd: &str) -> WinProc {
    WinProc {
        pid,
        guid: format!(
            "{{{}-5c8c-69a2-{:04x}-000000000a00}}",
            host.guid_prefix,
            pid % 0xffff
        ),
        image: image.into(),
        cmd: cmd.into(),
        user: "NT AUTHORITY\\SYSTEM".into(),
        integrity: Integrity::System,
        logon_id: "0x3e7".into(),
        cwd: r"C:\Windows\system32\".into(),
        original: super::winrec::basename(image).to_string(),
    }
}

pub fn services(host: &Host) -> WinProc {
    boot_proc(
        host,
        host.boot.services,
        r"C:\Windows\System32\services.exe",
        r"C:\Windows\system32\services.exe",
    )
}

pub fn lsass(host: &Host) -> WinProc {
    boot_proc(
        host,
        host.boot.lsass,
        r"C:\Windows\System32\lsass.exe",
        r"C:\Windows\system32\lsass.exe",
    )
}

pub fn wmiprvse(host: &Host) -> WinProc {
    boot_proc(
        host,
        host.boot.wmiprvse,
        r"C:\Windows\System32\wbem\WmiPrvSE.exe",
        r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding",
    )
}

pub fn schedule_svchost(host: &Host) -> WinProc {
    boot_proc(
        host,
        host.boot.schedule,
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
    )
}

pub fn dcom_svchost(host: &Host) -> WinProc {
    boot_proc(
        host,
        host.boot.dcom,
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
    )
}

fn winlogon(host: &Host) -> WinProc {
    boot_proc(
        host,
        host.boot.winlogon,
        r"C:\Windows\System32\winlogon.exe",
        "winlogon.exe",
    )
}

/// A new process of `user` (or SYSTEM when `user` is `None`).
pub fn new_proc(
    r: &mut Rng,
    host: &Host,
    image: &str,
    cmd: &str,
    user: Option<&Account>,
    integrity: Integrity,
    logon_id: &str,
) -> WinProc {
    let pid = win_pid(r, 1000, 20000);
    let (user_name, cwd) = match user {
        Some(a) => (a.qualified(), format!(r"C:\Users\{}", a.name)),
        None => (
            "NT AUTHORITY\\SYSTEM".to_string(),
            r"C:\Windows\system32".to_string(),
        ),
    };
    WinProc {
        pid,
        guid: format!(
            "{{{}-{}-{}-{}-{}}}",
            host.guid_prefix,
            r.hex(4),
            r.hex(4),
            r.hex(4),
            r.hex(12)
        ),
        image: image.into(),
        cmd: cmd.into(),
        user: user_name,
        integrity,
        logon_id: logon_id.into(),
        cwd,
        original: super::winrec::basename(image).to_string(),
    }
}

/// Programs a user starts in an ordinary day: image, command line, where it connects.
const APPS: &[(&str, &str, Option<&str>)] = &[
    (
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\"",
        Some("www.google.com"),
    ),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\"",
        Some("outlook.office365.com"),
    ),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" /dde",
        None,
    ),
    (
        r"C:\Windows\System32\notepad.exe",
        "\"C:\\Windows\\system32\\notepad.exe\"",
        None,
    ),
    (
        r"C:\Users\USER\AppData\Local\Microsoft\Teams\current\Teams.exe",
        "\"C:\\Users\\USER\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe\"",
        Some("teams.microsoft.com"),
    ),
    (
        r"C:\Program Files\Microsoft OneDrive\OneDrive.exe",
        "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background",
        Some("api.onedrive.com"),
    ),
];

/// The user logs on (console, or RDP from the admin workstation on servers) and the desktop
/// starts.
pub fn logon(log: &mut WinLog<'_>, r: &mut Rng, clock: &mut Clock, user: &Account) -> Desktop {
    let host = log.host;
    log.role = Role::Context;
    let logon_id = format!("0x{:x}", r.between(0x100000, 0xffffff));
    let (kind, ip) = if host.server {
        (10, "10.0.1.14")
    } else {
        (2, "127.0.0.1")
    };
    let at = clock.tick(r, 200, 900);
    log.logon(at, user, kind, &logon_id, ip);
    let port = super::winflow::ephemeral_port;
    if host.server {
        log.flow_between(at, (ip, port(r)), (&host.ip, 3389), false);
    }
    let ports = [port(r), port(r)];
    log.logon_flows(at, ports);
    let userinit = new_proc(
        r,
        host,
        r"C:\Windows\System32\userinit.exe",
        r"C:\Windows\system32\userinit.exe",
        Some(user),
        Integrity::Medium,
        &logon_id,
    );
    log.process_create(clock.tick(r, 1500, 3000), &userinit, &winlogon(host));
    let explorer = new_proc(
        r,
        host,
        r"C:\Windows\explorer.exe",
        r"C:\Windows\Explorer.EXE",
        Some(user),
        Integrity::Medium,
        &logon_id,
    );
    log.process_create(clock.tick(r, 300, 800), &explorer, &userinit);
    // The mapped drives reconnect once the desktop is up.
    for _ in 0..r.between(1, 3) {
        let sport = port(r);
        log.share_flow(clock.tick(r, 300, 2_000), sport);
    }
    Desktop { logon_id, explorer }
}

/// A few everyday programs from the desktop, some talking to their services.
pub fn apps(
    log: &mut WinLog<'_>,
    r: &mut Rng,
    clock: &mut Clock,
    user: &Account,
    desk: &Desktop,
    n: u64,
) {
    let host = log.host;
    log.role = Role::Context;
    for _ in 0..n {
        let (image, cmd, remote) = *r.pick(APPS);
        let image = image.replace("USER", user.name);
        let cmd = cmd.replace("USER", user.name);
        let p = new_proc(
            r,
            host,
            &image,
            &cmd,
            Some(user),
            Integrity::Medium,
            &desk.logon_id,
        );
        log.process_create(clock.tick(r, 5_000, 90_000), &p, &desk.explorer);
        if let Some(domain) = remote {
            let ip = resolve(domain);
            log.dns(clock.tick(r, 50, 400), &p, domain, &ip);
            let sport = r.between(49152, 65000) as u16;
            log.network(clock.tick(r, 10, 80), &p, sport, (&ip, 443, domain));
        }
    }
}

/// Services the machine starts on its own (SYSTEM, parented by services.exe or the
/// scheduler).
pub fn services_noise(log: &mut WinLog<'_>, r: &mut Rng, clock: &mut Clock, n: u64) {
    let host = log.host;
    log.role = Role::Context;
    let choices: [(&str, &str, bool); 4] = [
        (
            r"C:\Windows\System32\svchost.exe",
            r"C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS",
            false,
        ),
        (
            r"C:\Program Files\Windows Defender\MpCmdRun.exe",
            "\"C:\\Program Files\\Windows Defender\\MpCmdRun.exe\" -SignatureUpdate -ScheduleJob",
            true,
        ),
        (
            r"C:\Windows\System32\taskhostw.exe",
            "taskhostw.exe Install $(Arg0)",
            true,
        ),
        (
            r"C:\Windows\System32\sppsvc.exe",
            r"C:\Windows\system32\sppsvc.exe",
            false,
        ),
    ];
    for _ in 0..n {
        let (image, cmd, scheduled) = *r.pick(&choices);
        let p = new_proc(r, host, image, cmd, None, Integrity::System, "0x3e7");
        let parent = if scheduled {
            schedule_svchost(host)
        } else {
            services(host)
        };
        log.process_create(clock.tick(r, 10_000, 120_000), &p, &parent);
    }
}

/// The user logs off.
pub fn logoff(
    log: &mut WinLog<'_>,
    r: &mut Rng,
    clock: &mut Clock,
    user: &Account,
    desk: &Desktop,
) {
    log.role = Role::Context;
    log.logoff(clock.tick(r, 30_000, 300_000), user, &desk.logon_id, true);
    log.logoff(clock.tick(r, 500, 2_000), user, &desk.logon_id, false);
}
