//! Windows admin work that looks like an attack and is not: a vendor updater scheduled as a
//! task, a monitoring agent installed as a service, PowerShell remoting from the admin
//! workstation.

use super::benign::{Scenario, Scene};
use super::benign_win::{finish, host, scenario, workstation};
use super::record::{Clock, Role};
use super::winbg::{dcom_svchost, new_proc, schedule_svchost, services};
use super::winrec::{Integrity, WinLog};
use super::world::{Account, IT_ADMIN};
use crate::event::{Cause, Risk};

pub const SCENARIOS: [Scenario; 3] = [
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
];

/// IT admin's RDP logon and an elevated console on `h`.
pub(super) fn admin_console(
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
    // Not the admin's own workstation: the admin connects from WS04.
    let mut h = workstation(s);
    if h.name == "WS04" {
        h = host(s, "WS05");
    }
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
