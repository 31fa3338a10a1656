//! Windows misconfigurations: a stale service password, clock skew breaking Kerberos, a
//! scheduled task failing every few minutes.

use super::benign::{Scenario, Scene};
use super::benign_win::{finish, host, scenario, workstation};
use super::record::{Clock, Role};
use super::winbg::{new_proc, schedule_svchost};
use super::winrec::{Integrity, WinLog};
use super::world::SVC_BACKUP;
use crate::event::{Cause, Risk};

pub const SCENARIOS: [Scenario; 5] = [
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
