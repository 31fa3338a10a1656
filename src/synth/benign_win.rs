//! Windows routines, user work and service accounts: patching, backups, a day at the desk,
//! SQL Server's service account.

use super::atomics::Platform;
use super::benign::{Scenario, Scene};
use super::record::{Clock, Role};
use super::winbg::{self, dcom_svchost, new_proc, schedule_svchost, services};
use super::winrec::{Integrity, WinLog};
use super::world::{Host, SVC_BACKUP, SVC_SQL, resolve};
use crate::event::{Cause, Risk};

pub(super) const fn scenario(
    name: &'static str,
    cause: Cause,
    risk: Risk,
    techniques: &'static [&'static str],
    title: &'static str,
    fix: &'static [&'static str],
    make: fn(&mut Scene<'_>),
) -> Scenario {
    Scenario {
        name,
        platform: Platform::Windows,
        cause,
        risk,
        techniques,
        title,
        fix,
        make,
    }
}

pub const SCENARIOS: [Scenario; 4] = [
    scenario(
        "win-patching",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "Windows Update installs the monthly cumulative update",
        &[],
        patching,
    ),
    scenario(
        "win-backup",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "Nightly Windows Server Backup of the file shares",
        &[],
        backup,
    ),
    scenario(
        "win-user-day",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "A user's ordinary work: mail, browser, spreadsheets",
        &[],
        user_day,
    ),
    scenario(
        "win-sql-service",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "SQL Server's service account runs the nightly index job",
        &[],
        sql_service,
    ),
];

pub(super) fn host<'w>(s: &Scene<'w>, name: &str) -> &'w Host {
    s.world.host(name).unwrap_or(&s.world.hosts[0])
}

/// A workstation chosen by the scene's random stream.
pub(super) fn workstation<'w>(s: &mut Scene<'w>) -> &'w Host {
    let names = ["WS01", "WS02", "WS03", "WS04", "WS05", "LAPTOP06"];
    let name = *s.rng.pick(&names);
    host(s, name)
}

pub(super) fn finish(s: &mut Scene<'_>, log: WinLog<'_>, user: &str, summary: String) {
    s.host = log.host.name.clone();
    s.user = user.to_string();
    s.summary = summary;
    s.records.extend(log.records);
}

fn patching(s: &mut Scene<'_>) {
    let h = if s.rng.chance(50) {
        workstation(s)
    } else {
        host(s, "SQL01")
    };
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let wu = new_proc(
        r,
        h,
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s wuauserv",
        None,
        Integrity::System,
        "0x3e7",
    );
    log.process_create(c.tick(r, 1_000, 5_000), &wu, &services(h));
    let ip = resolve("download.windowsupdate.com");
    log.dns(c.tick(r, 100, 900), &wu, "download.windowsupdate.com", &ip);
    log.network(
        c.tick(r, 10, 90),
        &wu,
        50122,
        (&ip, 443, "download.windowsupdate.com"),
    );
    let kb = format!("KB50{}", r.between(30000, 39999));
    log.file_create(
        c.tick(r, 30_000, 240_000),
        &wu,
        &format!(
            r"C:\Windows\SoftwareDistribution\Download\{}\windows11.0-{}-x64.cab",
            r.hex(32),
            kb.to_lowercase()
        ),
    );
    let uso = new_proc(
        r,
        h,
        r"C:\Windows\System32\usoclient.exe",
        r"C:\Windows\system32\usoclient.exe StartInstall",
        None,
        Integrity::System,
        "0x3e7",
    );
    log.process_create(c.tick(r, 5_000, 60_000), &uso, &schedule_svchost(h));
    let ti = new_proc(
        r,
        h,
        r"C:\Windows\servicing\TrustedInstaller.exe",
        r"C:\Windows\servicing\TrustedInstaller.exe",
        None,
        Integrity::System,
        "0x3e7",
    );
    log.process_create(c.tick(r, 1_000, 9_000), &ti, &services(h));
    let tiw = new_proc(
        r,
        h,
        r"C:\Windows\WinSxS\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4830_none_7e3f7e2b1b7a4d5c\TiWorker.exe",
        r"C:\Windows\winsxs\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4830_none_7e3f7e2b1b7a4d5c\TiWorker.exe -Embedding",
        None,
        Integrity::System,
        "0x3e7",
    );
    log.process_create(c.tick(r, 500, 3_000), &tiw, &dcom_svchost(h));
    let msg = format!(
        "Installation Successful: Windows successfully installed the following update: 2026-03 Cumulative Update for Windows 11 ({kb})"
    );
    log.system(
        c.tick(r, 300_000, 900_000),
        ("Microsoft-Windows-WindowsUpdateClient", 19, "1"),
        &msg,
        &[("updateTitle", format!("2026-03 Cumulative Update ({kb})"))],
    );
    let summary = format!(
        "Windows Update on {} downloaded {kb} from download.windowsupdate.com and installed it as SYSTEM (svchost wuauserv, usoclient, TrustedInstaller, TiWorker); event 19 reports success",
        h.name
    );
    finish(s, log, "system", summary);
}

fn backup(s: &mut Scene<'_>) {
    let h = host(s, "FS01");
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let id = format!("0x{:x}", r.between(0x100000, 0xffffff));
    log.logon(c.tick(r, 100, 900), &SVC_BACKUP, 4, &id, "-");
    let wb = new_proc(
        r,
        h,
        r"C:\Windows\System32\wbadmin.exe",
        r"C:\Windows\system32\wbadmin.exe start backup -backupTarget:\\backup01\fs01 -include:D: -vssFull -quiet",
        Some(&SVC_BACKUP),
        Integrity::High,
        &id,
    );
    log.process_create(c.tick(r, 500, 3_000), &wb, &schedule_svchost(h));
    let eng = new_proc(
        r,
        h,
        r"C:\Windows\System32\wbengine.exe",
        r#""C:\Windows\system32\wbengine.exe""#,
        None,
        Integrity::System,
        "0x3e7",
    );
    log.process_create(c.tick(r, 500, 3_000), &eng, &services(h));
    let vss = new_proc(
        r,
        h,
        r"C:\Windows\System32\VSSVC.exe",
        r"C:\Windows\system32\vssvc.exe",
        None,
        Integrity::System,
        "0x3e7",
    );
    log.process_create(c.tick(r, 500, 3_000), &vss, &services(h));
    log.network(
        c.tick(r, 1_000, 5_000),
        &eng,
        50522,
        ("10.0.2.40", 445, "backup01"),
    );
    log.other(
        c.tick(r, 600_000, 2_400_000),
        ("Microsoft-Windows-Backup", "Microsoft-Windows-Backup"),
        (14, "0"),
        "The backup operation has completed.",
        &[("HRESULT", "0x0".into())],
    );
    log.logoff(c.tick(r, 1_000, 5_000), &SVC_BACKUP, &id, false);
    let summary = format!(
        "svc_backup's scheduled wbadmin job on {} backed D: up to \\\\backup01\\fs01 using a VSS snapshot (wbengine, vssvc) and completed (event 14)",
        h.name
    );
    finish(s, log, SVC_BACKUP.name, summary);
}

fn user_day(s: &mut Scene<'_>) {
    let h = workstation(s);
    let user = h.users[0].clone();
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    let desk = winbg::logon(&mut log, r, &mut c, &user);
    log.role = Role::Story;
    let n = r.between(3, 6);
    winbg::apps(&mut log, r, &mut c, &user, &desk, n);
    log.role = Role::Story;
    let chrome = new_proc(
        r,
        h,
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\"",
        Some(&user),
        Integrity::Medium,
        &desk.logon_id,
    );
    log.process_create(c.tick(r, 10_000, 60_000), &chrome, &desk.explorer);
    log.file_create(
        c.tick(r, 20_000, 90_000),
        &chrome,
        &format!(r"C:\Users\{}\Downloads\Q1-budget.xlsx", user.name),
    );
    winbg::logoff(&mut log, r, &mut c, &user, &desk);
    let summary = format!(
        "{} worked on {}: logged on, used mail, the browser and Office, downloaded Q1-budget.xlsx, and logged off",
        user.name, h.name
    );
    finish(s, log, user.name, summary);
}

fn sql_service(s: &mut Scene<'_>) {
    let h = host(s, "SQL01");
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let id = format!("0x{:x}", r.between(0x100000, 0xffffff));
    log.logon(c.tick(r, 100, 900), &SVC_SQL, 5, &id, "-");
    let agent = new_proc(
        r,
        h,
        r"C:\Program Files\Microsoft SQL Server\MSSQL16.MSSQLSERVER\MSSQL\Binn\SQLAGENT.EXE",
        "\"C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\SQLAGENT.EXE\" -i MSSQLSERVER",
        Some(&SVC_SQL),
        Integrity::High,
        &id,
    );
    log.process_create(c.tick(r, 1_000, 5_000), &agent, &services(h));
    let job = new_proc(
        r,
        h,
        r"C:\Program Files\Microsoft SQL Server\Client SDK\ODBC\170\Tools\Binn\SQLCMD.EXE",
        "sqlcmd -E -S . -d master -Q \"EXECUTE dbo.IndexOptimize @Databases = 'USER_DATABASES'\" -b",
        Some(&SVC_SQL),
        Integrity::High,
        &id,
    );
    log.process_create(c.tick(r, 60_000, 600_000), &job, &agent);
    log.logoff(c.tick(r, 600_000, 1_800_000), &SVC_SQL, &id, false);
    let summary = "svc_sql, SQL Server's service account on SQL01, started SQL Agent, which ran the nightly IndexOptimize job with sqlcmd".to_string();
    finish(s, log, SVC_SQL.name, summary);
}
