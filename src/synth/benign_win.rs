//! Windows admin routines, user work, service accounts and misconfigurations.
//!
//! Over 500 lines on purpose: a catalogue of scenarios, one function each, that reads as a
//! list; the shared scaffolding between them is still to be folded (see issue #19).

use super::atomics::Platform;
use super::benign::{Scenario, Scene};
use super::record::{Clock, Role};
use super::winbg::{self, dcom_svchost, new_proc, schedule_svchost, services};
use super::winrec::{Integrity, WinLog};
use super::world::{Account, Host, IT_ADMIN, SVC_BACKUP, SVC_SQL, resolve};
use crate::event::{Cause, Risk};

const fn scenario(
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

pub const SCENARIOS: [Scenario; 12] = [
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
        "win-vendor-task",
        Cause::Legitimate,
        Risk::Low,
        &["T1053.005"],
        "IT admin schedules the vendor's driver updater",
        &[],
        vendor_task,
    ),
    scenario(
        "win-agent-install",
        Cause::Legitimate,
        Risk::Low,
        &["T1543.003"],
        "IT admin deploys the monitoring agent (a new service)",
        &[],
        agent_install,
    ),
    scenario(
        "win-remote-admin",
        Cause::Legitimate,
        Risk::Low,
        &["T1021.006"],
        "IT admin restarts the print spooler over PowerShell remoting",
        &[],
        remote_admin,
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
    scenario(
        "win-stale-password-fs",
        Cause::Misconfiguration,
        Risk::Medium,
        &[],
        "A backup job logs on with svc_backup's old password every 5 minutes",
        &[
            "Update the password stored in the backup job on backup01 (or move svc_backup to a group managed service account)",
            "Unlock svc_backup if the failures locked it out (Unlock-ADAccount svc_backup)",
            "Check that the next run logs on (4624 type 3 from 10.0.2.40) and the failures stop",
        ],
        stale_password_fs,
    ),
    scenario(
        "win-stale-password-dc",
        Cause::Misconfiguration,
        Risk::Medium,
        &[],
        "Kerberos pre-authentication fails for svc_backup until the account locks out",
        &[
            "Update the password stored in the backup job on backup01",
            "Unlock svc_backup (Unlock-ADAccount svc_backup) once the job has the new password",
            "Find other places the old password is stored (services, tasks, mapped drives)",
        ],
        stale_password_dc,
    ),
    scenario(
        "win-clock-skew-dc",
        Cause::Misconfiguration,
        Risk::Low,
        &[],
        "WS02's clock is off: the DC rejects its Kerberos requests (0x25)",
        &[
            "Resync WS02's clock with the domain hierarchy: w32tm /config /syncfromflags:domhier /update, then w32tm /resync",
            "Check that the Windows Time service runs on WS02 and that the CMOS battery or VM time sync is not fighting it",
        ],
        clock_skew_dc,
    ),
    scenario(
        "win-clock-skew-client",
        Cause::Misconfiguration,
        Risk::Low,
        &[],
        "WS02's time service cannot reach a domain time source",
        &[
            "Run w32tm /resync /rediscover on WS02 and check w32tm /query /status",
            "Make sure UDP 123 from WS02 to the DC is open",
        ],
        clock_skew_client,
    ),
    scenario(
        "win-broken-task",
        Cause::Misconfiguration,
        Risk::Low,
        &[],
        "A scheduled task fails every 5 minutes: its script was removed",
        &[
            "Restore C:\\Scripts\\map-drives.cmd or point the task at the script's new place",
            "Or disable the task: schtasks /change /tn \"\\MapDrives\" /disable",
        ],
        broken_task,
    ),
];

fn host<'w>(s: &Scene<'w>, name: &str) -> &'w Host {
    s.world.host(name).unwrap_or(&s.world.hosts[0])
}

/// A workstation chosen by the scene's random stream.
fn workstation<'w>(s: &mut Scene<'w>) -> &'w Host {
    let names = ["WS01", "WS02", "WS03", "WS04", "WS05", "LAPTOP06"];
    let name = *s.rng.pick(&names);
    host(s, name)
}

fn finish(s: &mut Scene<'_>, log: WinLog<'_>, user: &str, summary: String) {
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

/// IT admin's RDP logon and an elevated console on `h`.
fn admin_console(
    log: &mut WinLog<'_>,
    s_rng: &mut super::rng::Rng,
    c: &mut Clock,
    admin: &Account,
) -> (String, super::winrec::WinProc) {
    let h = log.host;
    let id = format!("0x{:x}", s_rng.between(0x100000, 0xffffff));
    log.logon(c.tick(s_rng, 100, 900), admin, 10, &id, "10.0.1.14");
    let explorer = new_proc(
        s_rng,
        h,
        r"C:\Windows\explorer.exe",
        r"C:\Windows\Explorer.EXE",
        Some(admin),
        Integrity::Medium,
        &id,
    );
    log.process_create(c.tick(s_rng, 2_000, 5_000), &explorer, &dcom_svchost(h));
    let cmd = new_proc(
        s_rng,
        h,
        r"C:\Windows\System32\cmd.exe",
        r#""C:\Windows\system32\cmd.exe" "#,
        Some(admin),
        Integrity::High,
        &id,
    );
    log.process_create(c.tick(s_rng, 5_000, 30_000), &cmd, &explorer);
    (id, cmd)
}

fn vendor_task(s: &mut Scene<'_>) {
    let h = workstation(s);
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let (id, cmd) = admin_console(&mut log, r, &mut c, &IT_ADMIN);
    let line = r#"schtasks /create /tn "Vendor\DellCommandUpdate" /tr "\"C:\Program Files\Dell\CommandUpdate\dcu-cli.exe\" /applyUpdates -silent" /sc weekly /d SUN /st 03:00 /ru SYSTEM"#;
    let st = new_proc(
        r,
        h,
        r"C:\Windows\System32\schtasks.exe",
        line,
        Some(&IT_ADMIN),
        Integrity::High,
        &id,
    );
    log.process_create(c.tick(r, 2_000, 20_000), &st, &cmd);
    log.task_created(
        c.tick(r, 50, 300),
        &st,
        r"Vendor\DellCommandUpdate",
        r#""C:\Program Files\Dell\CommandUpdate\dcu-cli.exe" /applyUpdates -silent"#,
    );
    log.file_create(
        c.tick(r, 5, 50),
        &schedule_svchost(h),
        r"C:\Windows\System32\Tasks\Vendor\DellCommandUpdate",
    );
    log.logoff(c.tick(r, 60_000, 300_000), &IT_ADMIN, &id, true);
    let summary = format!(
        "it_admin logged on to {} over RDP from WS04 and registered the weekly task \\Vendor\\DellCommandUpdate running Dell's signed dcu-cli.exe as SYSTEM: a documented vendor updater, not persistence",
        h.name
    );
    finish(s, log, IT_ADMIN.name, summary);
}

fn agent_install(s: &mut Scene<'_>) {
    let name = if s.rng.chance(50) { "FS01" } else { "SQL01" };
    let h = host(s, name);
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let (id, cmd) = admin_console(&mut log, r, &mut c, &IT_ADMIN);
    let msi = new_proc(
        r,
        h,
        r"C:\Windows\System32\msiexec.exe",
        r#"msiexec.exe /i "\\FS01\deploy\zabbix_agent2-6.4.12-windows-amd64-openssl.msi" /qn SERVER=10.0.0.40"#,
        Some(&IT_ADMIN),
        Integrity::High,
        &id,
    );
    log.process_create(c.tick(r, 2_000, 20_000), &msi, &cmd);
    let msi_sys = new_proc(
        r,
        h,
        r"C:\Windows\System32\msiexec.exe",
        r"C:\Windows\system32\msiexec.exe /V",
        None,
        Integrity::System,
        "0x3e7",
    );
    log.process_create(c.tick(r, 500, 2_000), &msi_sys, &services(h));
    let path = r#""C:\Program Files\Zabbix Agent 2\zabbix_agent2.exe" -c "C:\Program Files\Zabbix Agent 2\zabbix_agent2.conf" -f=false"#;
    log.file_create(
        c.tick(r, 2_000, 9_000),
        &msi_sys,
        r"C:\Program Files\Zabbix Agent 2\zabbix_agent2.exe",
    );
    log.service_installed(c.tick(r, 500, 3_000), &msi_sys, "Zabbix Agent 2", path);
    let agent = new_proc(
        r,
        h,
        r"C:\Program Files\Zabbix Agent 2\zabbix_agent2.exe",
        path,
        None,
        Integrity::System,
        "0x3e7",
    );
    log.process_create(c.tick(r, 1_000, 4_000), &agent, &services(h));
    log.network(
        c.tick(r, 1_000, 4_000),
        &agent,
        50611,
        ("10.0.0.40", 10051, "zabbix.corp.local"),
    );
    log.logoff(c.tick(r, 60_000, 300_000), &IT_ADMIN, &id, true);
    let summary = format!(
        "it_admin installed the Zabbix monitoring agent on {} from \\\\FS01\\deploy with msiexec; the installer registered the service \"Zabbix Agent 2\" (7045/4697), which started and connected to the Zabbix server 10.0.0.40:10051",
        h.name
    );
    finish(s, log, IT_ADMIN.name, summary);
}

fn remote_admin(s: &mut Scene<'_>) {
    let name = if s.rng.chance(50) { "FS01" } else { "SQL01" };
    let h = host(s, name);
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let id = format!("0x{:x}", r.between(0x100000, 0xffffff));
    log.logon(c.tick(r, 100, 900), &IT_ADMIN, 3, &id, "10.0.1.14");
    let ws = new_proc(
        r,
        h,
        r"C:\Windows\System32\wsmprovhost.exe",
        r"C:\Windows\system32\wsmprovhost.exe -Embedding",
        Some(&IT_ADMIN),
        Integrity::High,
        &id,
    );
    log.process_create(c.tick(r, 200, 900), &ws, &dcom_svchost(h));
    for script in [
        "Get-Service -Name Spooler",
        "Restart-Service -Name Spooler -Force",
        "Get-WinEvent -LogName System -MaxEvents 20",
    ] {
        let gid = r.guid();
        log.script_block(c.tick(r, 5_000, 60_000), &ws, script, &gid);
    }
    log.logoff(c.tick(r, 10_000, 60_000), &IT_ADMIN, &id, false);
    let summary = format!(
        "it_admin opened a PowerShell remoting session on {} from WS04 (10.0.1.14, Kerberos, logon type 3), restarted the Spooler service and read the System log: routine remote administration",
        h.name
    );
    finish(s, log, IT_ADMIN.name, summary);
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

fn stale_password_fs(s: &mut Scene<'_>) {
    let h = host(s, "FS01");
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let n = r.between(18, 30);
    for _ in 0..n {
        log.logon_failed(
            c.tick(r, 295_000, 305_000),
            "svc_backup",
            "10.0.2.40",
            ("0xc000006d", "0xc000006a"),
        );
    }
    let summary = format!(
        "{n} failed network logons (4625, bad password 0xc000006a) for svc_backup on FS01 from backup01 (10.0.2.40), one every 5 minutes: the backup job still uses svc_backup's old password after it was rotated"
    );
    finish(s, log, SVC_BACKUP.name, summary);
}

fn stale_password_dc(s: &mut Scene<'_>) {
    let h = host(s, "DC01");
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let n = r.between(10, 20);
    for i in 0..n {
        log.kerberos_failed(
            c.tick(r, 295_000, 305_000),
            "svc_backup",
            "10.0.2.40",
            "0x18",
        );
        if i == 9 {
            let f = [
                ("TargetUserName", "svc_backup".to_string()),
                ("TargetDomainName", "BACKUP01".into()),
                ("SubjectUserName", "DC01$".into()),
                ("SubjectDomainName", "CORP".into()),
            ];
            log.security(
                c.tick(r, 5, 50),
                4740,
                "13824",
                "A user account was locked out.",
                &f,
            );
        }
    }
    let summary = format!(
        "{n} Kerberos pre-authentication failures (4771, 0x18 bad password) for svc_backup from backup01 (10.0.2.40) every 5 minutes, and the account was locked out (4740) after the tenth: a job with a stale stored password"
    );
    finish(s, log, SVC_BACKUP.name, summary);
}

fn clock_skew_dc(s: &mut Scene<'_>) {
    let h = host(s, "DC01");
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let n = r.between(12, 24);
    for i in 0..n {
        let who = if i % 3 == 0 { "WS02$" } else { "bob" };
        log.kerberos_failed(c.tick(r, 60_000, 420_000), who, "10.0.1.12", "0x25");
    }
    let summary = format!(
        "{n} Kerberos pre-authentication failures with status 0x25 (clock skew too great) for bob and the machine account WS02$ from WS02 (10.0.1.12): WS02's clock is more than 5 minutes off"
    );
    finish(s, log, "bob", summary);
}

fn clock_skew_client(s: &mut Scene<'_>) {
    let h = host(s, "WS02");
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    for _ in 0..r.between(3, 6) {
        log.system(c.tick(r, 600_000, 1_800_000), ("Microsoft-Windows-Time-Service", 129, "0"), "NtpClient was unable to set a domain peer to use as a time source because of discovery error.", &[("ErrorMessage", "The entry is not found. (0x800706E1)".into())]);
    }
    log.system(c.tick(r, 60_000, 600_000), ("Microsoft-Windows-Time-Service", 36, "0"), "The time service has not synchronized the system time for 86400 seconds because none of the time service providers provided a usable time stamp.", &[("Seconds", "86400".into())]);
    let summary = "WS02's Windows Time service could not find a domain time source (event 129, repeated) and has not synchronized for a day (event 36): the cause of the Kerberos clock-skew failures".to_string();
    finish(s, log, "system", summary);
}

fn broken_task(s: &mut Scene<'_>) {
    let h = workstation(s);
    let mut log = WinLog::new(h, s.enabled);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let n = r.between(8, 16);
    for _ in 0..n {
        let p = new_proc(
            r,
            h,
            r"C:\Windows\System32\cmd.exe",
            r#"C:\Windows\system32\cmd.exe /c "C:\Scripts\map-drives.cmd""#,
            None,
            Integrity::System,
            "0x3e7",
        );
        log.process_create(c.tick(r, 299_000, 301_000), &p, &schedule_svchost(h));
        let f = [
            ("TaskName", r"\MapDrives".to_string()),
            ("TaskInstanceId", r.guid()),
            ("ActionName", r"C:\Windows\system32\cmd.exe".into()),
            ("ResultCode", "1".into()),
        ];
        log.other(c.tick(r, 50, 400), ("Microsoft-Windows-TaskScheduler", "Microsoft-Windows-TaskScheduler/Operational"), (201, "201"), "Task Scheduler successfully completed task \"\\MapDrives\" , instance , action \"C:\\Windows\\system32\\cmd.exe\" with return code 1.", &f);
    }
    let summary = format!(
        "The scheduled task \\MapDrives on {} ran cmd.exe /c C:\\Scripts\\map-drives.cmd {n} times, every 5 minutes as SYSTEM, and each run ended with return code 1 (event 201): the script it points to is gone",
        h.name
    );
    finish(s, log, "system", summary);
}
