//! Linux routines, user work and service accounts: patching, the backup job, a developer's
//! day.

use super::atomics::Platform;
use super::benign::{Scenario, Scene};
use super::linbg::{self, Login, new_pid};
use super::linrec::{LinLog, LinProc};
use super::record::{Clock, Role};
use super::world::{Host, account};
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
        platform: Platform::Linux,
        cause,
        risk,
        techniques,
        title,
        fix,
        make,
    }
}

pub const SCENARIOS: [Scenario; 3] = [
    scenario(
        "lnx-patching",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "An admin applies package updates with sudo apt-get",
        &[],
        patching,
    ),
    scenario(
        "lnx-backup",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "The nightly rsync backup job pulls web data to backup01",
        &[],
        backup,
    ),
    scenario(
        "lnx-dev-day",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "A developer's ordinary work over ssh",
        &[],
        dev_day,
    ),
];

pub(super) fn host<'w>(s: &Scene<'w>, name: &str) -> &'w Host {
    s.world.host(name).unwrap_or(&s.world.hosts[0])
}

pub(super) fn finish(
    s: &mut Scene<'_>,
    log: LinLog<'_>,
    user: &str,
    uid: Option<u32>,
    known: Vec<u32>,
    summary: String,
) {
    s.host = log.host.name.clone();
    s.user = user.to_string();
    s.actor_uid = uid;
    s.known_pids.extend(known);
    s.summary = summary;
    s.records.extend(log.records);
}

/// A child of `parent` running `argv` as `uid`.
pub(super) fn run(
    log: &mut LinLog<'_>,
    r: &mut super::rng::Rng,
    c: &mut Clock,
    parent: &LinProc,
    argv: &[&str],
    uid: u32,
) -> LinProc {
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let p = LinProc {
        pid: new_pid(r),
        ppid: parent.pid,
        uid,
        exe: super::lincmd::exe_for(&argv[0], &parent.cwd),
        argv,
        ..parent.clone()
    };
    log.exec(c.tick(r, 200, 3_000), &p);
    p
}

/// `sudo COMMAND…` from `sh`, with sudo's auth.log lines; returns sudo's process.
pub(super) fn sudo(
    log: &mut LinLog<'_>,
    r: &mut super::rng::Rng,
    c: &mut Clock,
    sh: &LinProc,
    user: &str,
    command: &[&str],
) -> LinProc {
    // sudo logs the command after its own flags, the program by its PATH location and the
    // words joined by spaces (quotes gone).
    let mut argv = vec!["sudo"];
    argv.extend(command);
    let p = run(log, r, c, sh, &argv, sh.uid);
    let mut rest = command;
    while let Some((first, tail)) = rest.split_first().filter(|(f, _)| f.starts_with('-')) {
        rest = if *first == "-u" {
            tail.get(1..).unwrap_or(&[])
        } else {
            tail
        };
    }
    let command = match rest.split_first() {
        Some((prog, args)) => {
            let mut words = vec![super::lincmd::path_for(prog, &sh.cwd)];
            words.extend(args.iter().map(|a| a.to_string()));
            words.join(" ")
        }
        None => "/bin/bash".to_string(),
    };
    let t = c.tick(r, 20, 200);
    log.auth(
        t,
        "sudo",
        None,
        &format!(
            "{user:>8} : TTY={} ; PWD={} ; USER=root ; COMMAND={command}",
            sh.tty.replace("pts", "pts/"),
            sh.cwd
        ),
    );
    log.auth(
        t,
        "sudo",
        Some(p.pid),
        &format!(
            "pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid={})",
            sh.uid
        ),
    );
    p
}

pub(super) fn sudo_close(
    log: &mut LinLog<'_>,
    r: &mut super::rng::Rng,
    c: &mut Clock,
    p: &LinProc,
) {
    log.auth(
        c.tick(r, 200, 5_000),
        "sudo",
        Some(p.pid),
        "pam_unix(sudo:session): session closed for user root",
    );
}

pub(super) fn login<'w>(s: &mut Scene<'w>, h: &'w Host, user: &str) -> (LinLog<'w>, Clock, Login) {
    let a = account(user).unwrap_or_else(|| h.users[0].clone());
    let mut log = LinLog::new(h, s.enabled, s.start);
    let mut c = Clock::at(s.start);
    let l = linbg::ssh_login(&mut log, &mut s.rng, &mut c, &a);
    log.role = Role::Story;
    (log, c, l)
}

fn patching(s: &mut Scene<'_>) {
    let i = s.rng.below(3) as usize;
    let h = host(s, ["web01", "db01", "app01"][i]);
    let (mut log, mut c, l) = login(s, h, "ops");
    let r = &mut s.rng;
    let p = sudo(&mut log, r, &mut c, &l.shell, "ops", &["apt-get", "update"]);
    run(&mut log, r, &mut c, &p, &["apt-get", "update"], 0);
    sudo_close(&mut log, r, &mut c, &p);
    let p = sudo(
        &mut log,
        r,
        &mut c,
        &l.shell,
        "ops",
        &["apt-get", "-y", "upgrade"],
    );
    let apt = run(&mut log, r, &mut c, &p, &["apt-get", "-y", "upgrade"], 0);
    run(
        &mut log,
        r,
        &mut c,
        &apt,
        &[
            "/usr/bin/dpkg",
            "--status-fd",
            "35",
            "--configure",
            "--pending",
        ],
        0,
    );
    log.syslog(c.tick(r, 5_000, 30_000), "systemd", Some(1), "Reloading.");
    log.syslog(
        c.tick(r, 500, 3_000),
        "systemd",
        Some(1),
        "Started nginx.service - A high performance web server and a reverse proxy server.",
    );
    sudo_close(&mut log, r, &mut c, &p);
    let known = vec![l.sshd_pid];
    log.role = Role::Context;
    linbg::ssh_logout(
        &mut log,
        r,
        &mut c,
        &account("ops").unwrap_or_else(|| h.users[0].clone()),
        &l,
    );
    let summary = format!(
        "ops logged in to {} from {} and ran sudo apt-get update and apt-get -y upgrade; dpkg configured the packages and systemd restarted nginx",
        h.name, l.src_ip
    );
    finish(s, log, "ops", Some(1000), known, summary);
}

fn backup(s: &mut Scene<'_>) {
    let h = host(s, "backup01");
    let mut log = LinLog::new(h, s.enabled, s.start);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let pid = new_pid(r);
    let t = c.tick(r, 100, 900);
    log.auth(
        t,
        "CRON",
        Some(pid),
        "pam_unix(cron:session): session opened for user backup(uid=1004) by (uid=0)",
    );
    log.syslog(
        t,
        "CRON",
        Some(pid),
        "(backup) CMD (/usr/local/bin/backup.sh web01)",
    );
    let sh = LinProc {
        pid: pid + 1,
        ppid: h.boot.cron,
        uid: 1004,
        auid: 1004,
        ses: r.between(100, 900) as u32,
        tty: "(none)".into(),
        exe: "/usr/bin/dash".into(),
        argv: vec![
            "/bin/sh".into(),
            "-c".into(),
            "/usr/local/bin/backup.sh web01".into(),
        ],
        cwd: "/home/backup".into(),
    };
    log.exec(t, &sh);
    let rs = run(
        &mut log,
        r,
        &mut c,
        &sh,
        &[
            "rsync",
            "-az",
            "--delete",
            "-e",
            "ssh -i /home/backup/.ssh/id_ed25519",
            "backup@web01:/var/www/",
            "/srv/backup/web01/",
        ],
        1004,
    );
    run(
        &mut log,
        r,
        &mut c,
        &rs,
        &[
            "ssh",
            "-i",
            "/home/backup/.ssh/id_ed25519",
            "-l",
            "backup",
            "web01",
            "rsync",
            "--server",
            "--sender",
            "-logDtprze.iLsfxCIvu",
            ".",
            "/var/www/",
        ],
        1004,
    );
    log.syslog(
        c.tick(r, 60_000, 900_000),
        "backup.sh",
        Some(sh.pid),
        "web01: 1423 files, 318 MB transferred, exit 0",
    );
    log.auth(
        c.tick(r, 100, 900),
        "CRON",
        Some(pid),
        "pam_unix(cron:session): session closed for user backup",
    );
    let summary = "backup01's cron ran /usr/local/bin/backup.sh as the backup service account: rsync over ssh pulled web01:/var/www to /srv/backup/web01 and exited 0".to_string();
    finish(s, log, "backup", Some(1004), vec![], summary);
}

fn dev_day(s: &mut Scene<'_>) {
    let h = host(s, "app01");
    let (mut log, mut c, l) = login(s, h, "dev");
    let r = &mut s.rng;
    for argv in [
        &["git", "pull"][..],
        &["make", "test"],
        &["python3", "-m", "pytest", "-q"],
        &["vim", "app/settings.py"],
        &["git", "commit", "-am", "fix settings"],
        &["git", "push"],
    ] {
        run(&mut log, r, &mut c, &l.shell, argv, 1003);
    }
    let known = vec![l.sshd_pid];
    log.role = Role::Context;
    linbg::ssh_logout(
        &mut log,
        r,
        &mut c,
        &account("dev").unwrap_or_else(|| h.users[0].clone()),
        &l,
    );
    let summary = format!(
        "dev worked on app01 over ssh from {}: git pull, make test, pytest, edited settings.py, committed and pushed",
        l.src_ip
    );
    finish(s, log, "dev", Some(1003), known, summary);
}
