//! Ordinary Linux activity around a session: the ssh login and logout (sshd, PAM, logind),
//! the login shell and everyday commands, and cron's hourly run.

use super::linrec::{LinLog, LinProc};
use super::record::{Clock, Role};
use super::rng::Rng;
use super::world::Account;

/// A logged-in ssh session: its shell is the parent of what the user runs.
#[derive(Debug, Clone)]
pub struct Login {
    pub shell: LinProc,
    /// The sshd process of the session (named in auth.log, never exec'd).
    pub sshd_pid: u32,
    pub src_ip: String,
    pub port: u16,
}

pub fn new_pid(r: &mut Rng) -> u32 {
    r.between(2_000, 60_000) as u32
}

/// Where admins and developers connect from: the bastion and the VPN pool.
const ORIGINS: [&str; 4] = ["10.0.2.5", "10.8.0.14", "10.8.0.22", "10.0.1.14"];

/// The user logs in over ssh with a key and gets a login shell.
pub fn ssh_login(log: &mut LinLog<'_>, r: &mut Rng, clock: &mut Clock, user: &Account) -> Login {
    log.role = Role::Context;
    let sshd_pid = new_pid(r);
    let src_ip = r.pick(&ORIGINS).to_string();
    let port = r.between(40_000, 65_000) as u16;
    let ses = r.between(100, 9_000) as u32;
    let t = clock.tick(r, 100, 900);
    log.auth(
        t,
        "sshd",
        Some(sshd_pid),
        &format!(
            "Accepted publickey for {} from {src_ip} port {port} ssh2: ED25519 SHA256:{}",
            user.name,
            r.hex(43)
        ),
    );
    let t = clock.tick(r, 5, 40);
    log.auth(
        t,
        "sshd",
        Some(sshd_pid),
        &format!(
            "pam_unix(sshd:session): session opened for user {}(uid={}) by (uid=0)",
            user.name, user.id
        ),
    );
    log.auth(
        t,
        "systemd-logind",
        Some(log.host.boot.systemd + 700),
        &format!("New session {ses} of user {}.", user.name),
    );
    let shell = LinProc {
        pid: new_pid(r),
        ppid: sshd_pid,
        uid: user.id,
        auid: user.id,
        ses,
        tty: format!("pts{}", r.below(4)),
        exe: "/usr/bin/bash".into(),
        argv: vec!["-bash".into()],
        cwd: home(user.name),
    };
    log.exec(clock.tick(r, 50, 300), &shell);
    Login {
        shell,
        sshd_pid,
        src_ip,
        port,
    }
}

pub fn home(user: &str) -> String {
    if user == "root" {
        "/root".into()
    } else {
        format!("/home/{user}")
    }
}

/// Everyday commands from the login shell.
pub fn chores(log: &mut LinLog<'_>, r: &mut Rng, clock: &mut Clock, login: &Login, n: u64) {
    log.role = Role::Context;
    let chores: [&[&str]; 8] = [
        &["ls", "-la"],
        &["git", "status"],
        &["df", "-h"],
        &["systemctl", "status", "nginx"],
        &["tail", "-n", "50", "/var/log/syslog"],
        &["vim", "notes.txt"],
        &["htop"],
        &["journalctl", "-u", "app", "--since", "today"],
    ];
    for _ in 0..n {
        let argv: Vec<String> = r.pick(&chores).iter().map(|s| s.to_string()).collect();
        let p = LinProc {
            pid: new_pid(r),
            ppid: login.shell.pid,
            exe: super::lincmd::exe_for(&argv[0], "/"),
            argv,
            ..login.shell.clone()
        };
        log.exec(clock.tick(r, 3_000, 60_000), &p);
    }
}

/// cron's hourly run-parts.
pub fn cron_hourly(log: &mut LinLog<'_>, r: &mut Rng, clock: &mut Clock) {
    log.role = Role::Context;
    let pid = new_pid(r);
    let t = clock.tick(r, 10_000, 120_000);
    log.auth(
        t,
        "CRON",
        Some(pid),
        "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
    );
    log.syslog(
        t,
        "CRON",
        Some(pid),
        "(root) CMD (cd / && run-parts --report /etc/cron.hourly)",
    );
    let sh = LinProc {
        pid: pid + 1,
        ppid: log.host.boot.cron,
        uid: 0,
        auid: u32::MAX,
        ses: u32::MAX,
        tty: "(none)".into(),
        exe: "/usr/bin/dash".into(),
        argv: vec![
            "/bin/sh".into(),
            "-c".into(),
            "cd / && run-parts --report /etc/cron.hourly".into(),
        ],
        cwd: "/root".into(),
    };
    log.exec(t, &sh);
    let t = clock.tick(r, 100, 900);
    log.auth(
        t,
        "CRON",
        Some(pid),
        "pam_unix(cron:session): session closed for user root",
    );
}

/// The user logs out.
pub fn ssh_logout(
    log: &mut LinLog<'_>,
    r: &mut Rng,
    clock: &mut Clock,
    user: &Account,
    login: &Login,
) {
    log.role = Role::Context;
    let t = clock.tick(r, 20_000, 300_000);
    let (ip, port, pid) = (&login.src_ip, login.port, login.sshd_pid);
    log.auth(
        t,
        "sshd",
        Some(pid),
        &format!("Received disconnect from {ip} port {port}:11: disconnected by user"),
    );
    log.auth(
        t,
        "sshd",
        Some(pid),
        &format!("Disconnected from user {} {ip} port {port}", user.name),
    );
    let t = clock.tick(r, 5, 40);
    log.auth(
        t,
        "sshd",
        Some(pid),
        &format!(
            "pam_unix(sshd:session): session closed for user {}",
            user.name
        ),
    );
    log.auth(
        t,
        "systemd-logind",
        Some(log.host.boot.systemd + 700),
        &format!(
            "Session {} logged out. Waiting for processes to exit.",
            login.shell.ses
        ),
    );
    let t = clock.tick(r, 5, 200);
    log.auth(
        t,
        "systemd-logind",
        Some(log.host.boot.systemd + 700),
        &format!("Removed session {}.", login.shell.ses),
    );
}
