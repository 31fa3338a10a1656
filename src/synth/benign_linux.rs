//! Linux admin routines, user work, service accounts and misconfigurations.
//!
//! Over 500 lines on purpose: a catalogue of scenarios, one function each, that reads as a
//! list; the shared scaffolding between them is still to be folded (see issue #19).

use super::atomics::Platform;
use super::benign::{Scenario, Scene};
use super::linbg::{self, Login, new_pid};
use super::linrec::{LinLog, LinProc};
use super::record::{Clock, Role};
use super::world::{Host, account};
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
        platform: Platform::Linux,
        cause,
        risk,
        techniques,
        title,
        fix,
        make,
    }
}

pub const SCENARIOS: [Scenario; 10] = [
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
        "lnx-package-user",
        Cause::Legitimate,
        Risk::Low,
        &["T1136.001"],
        "Installing a package creates its system user",
        &[],
        package_user,
    ),
    scenario(
        "lnx-ansible",
        Cause::Legitimate,
        Risk::Low,
        &["T1548.003"],
        "Ansible configures a host through sudo /bin/sh",
        &[],
        ansible,
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
    scenario(
        "lnx-broken-cron",
        Cause::Misconfiguration,
        Risk::Low,
        &[],
        "A cron job fails every 5 minutes: its script is not executable",
        &[
            "Make the script executable: chmod 755 /opt/app/bin/sync.sh (or call it as sh /opt/app/bin/sync.sh in the crontab)",
            "Install an MTA or set MAILTO=\"\" so cron's failure output is not discarded unseen",
        ],
        broken_cron,
    ),
    scenario(
        "lnx-permission-storm",
        Cause::Misconfiguration,
        Risk::Medium,
        &[],
        "After a deploy, the web server is denied its own files hundreds of times a minute",
        &[
            "Give the files back to the web server: chown -R www-data:www-data /srv/www/static",
            "Fix the deploy script's umask/ownership so the next release does not repeat it",
        ],
        permission_storm,
    ),
    scenario(
        "lnx-misrouted-backup",
        Cause::Misconfiguration,
        Risk::Medium,
        &["T1110"],
        "A backup job points at the wrong host: failed ssh logons every run",
        &[
            "Correct the target in /etc/backup.conf on backup01 (db01, not web01)",
            "Remove the job's key attempts from the brute-force watchlist once fixed",
            "Alert on the backup job's exit status so a wrong target is noticed the first night",
        ],
        misrouted_backup,
    ),
    scenario(
        "lnx-misrouted-backup-src",
        Cause::Misconfiguration,
        Risk::Medium,
        &[],
        "The backup job on backup01 fails every run against the wrong host",
        &[
            "Correct the target in /etc/backup.conf (db01, not web01)",
            "Run the job once by hand and check it exits 0",
        ],
        misrouted_backup_source,
    ),
    scenario(
        "lnx-expired-cert",
        Cause::Misconfiguration,
        Risk::Medium,
        &[],
        "Mail relay and app calls fail: the internal certificate expired",
        &[
            "Renew the certificate of smtp.corp.local and install the new chain",
            "Add the certificate's expiry to monitoring (e.g. 30 days ahead)",
        ],
        expired_cert,
    ),
];

fn host<'w>(s: &Scene<'w>, name: &str) -> &'w Host {
    s.world.host(name).unwrap_or(&s.world.hosts[0])
}

fn finish(
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
fn run(
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
fn sudo(
    log: &mut LinLog<'_>,
    r: &mut super::rng::Rng,
    c: &mut Clock,
    sh: &LinProc,
    user: &str,
    command: &str,
) -> LinProc {
    let mut argv = vec!["sudo"];
    argv.extend(command.split(' '));
    let p = run(log, r, c, sh, &argv, sh.uid);
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

fn sudo_close(log: &mut LinLog<'_>, r: &mut super::rng::Rng, c: &mut Clock, p: &LinProc) {
    log.auth(
        c.tick(r, 200, 5_000),
        "sudo",
        Some(p.pid),
        "pam_unix(sudo:session): session closed for user root",
    );
}

fn login<'w>(s: &mut Scene<'w>, h: &'w Host, user: &str) -> (LinLog<'w>, Clock, Login) {
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
    let p = sudo(
        &mut log,
        r,
        &mut c,
        &l.shell,
        "ops",
        "/usr/bin/apt-get update",
    );
    run(&mut log, r, &mut c, &p, &["apt-get", "update"], 0);
    sudo_close(&mut log, r, &mut c, &p);
    let p = sudo(
        &mut log,
        r,
        &mut c,
        &l.shell,
        "ops",
        "/usr/bin/apt-get -y upgrade",
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

fn package_user(s: &mut Scene<'_>) {
    let i = s.rng.below(3) as usize;
    let h = host(s, ["web01", "db01", "app01"][i]);
    let (mut log, mut c, l) = login(s, h, "ops");
    let r = &mut s.rng;
    let p = sudo(
        &mut log,
        r,
        &mut c,
        &l.shell,
        "ops",
        "/usr/bin/apt-get install -y prometheus-node-exporter",
    );
    let apt = run(
        &mut log,
        r,
        &mut c,
        &p,
        &["apt-get", "install", "-y", "prometheus-node-exporter"],
        0,
    );
    let dpkg = run(
        &mut log,
        r,
        &mut c,
        &apt,
        &[
            "/usr/bin/dpkg",
            "--status-fd",
            "35",
            "--configure",
            "prometheus-node-exporter",
        ],
        0,
    );
    let ua = run(
        &mut log,
        r,
        &mut c,
        &dpkg,
        &[
            "useradd",
            "--system",
            "--no-create-home",
            "--home-dir",
            "/var/lib/prometheus",
            "--shell",
            "/usr/sbin/nologin",
            "prometheus",
        ],
        0,
    );
    let t = c.tick(r, 10, 200);
    log.auth(
        t,
        "groupadd",
        Some(ua.pid - 1),
        "group added to /etc/group: name=prometheus, GID=998",
    );
    log.auth(t, "useradd", Some(ua.pid), "new user: name=prometheus, UID=998, GID=998, home=/var/lib/prometheus, shell=/usr/sbin/nologin, from=none");
    log.syslog(
        c.tick(r, 1_000, 5_000),
        "systemd",
        Some(1),
        "Started prometheus-node-exporter.service - Prometheus exporter for machine metrics.",
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
        "ops installed prometheus-node-exporter on {} with sudo apt-get; the package's postinst created the system user prometheus (UID 998, nologin shell) and started the exporter: package installation, not a backdoor account",
        h.name
    );
    finish(s, log, "ops", Some(1000), known, summary);
}

fn ansible(s: &mut Scene<'_>) {
    let i = s.rng.below(3) as usize;
    let h = host(s, ["web01", "db01", "app01"][i]);
    let (mut log, mut c, l) = login(s, h, "deploy");
    let r = &mut s.rng;
    for module in ["setup", "apt", "template", "systemd"] {
        let tmp = format!(
            "/home/deploy/.ansible/tmp/ansible-tmp-{}-{}",
            r.between(1_772_000_000, 1_773_000_000),
            r.between(1000, 9999)
        );
        let cmd = format!(
            "/bin/sh -c echo BECOME-SUCCESS-{} ; /usr/bin/python3 {tmp}/AnsiballZ_{module}.py",
            r.hex(32)
        );
        let p = sudo(&mut log, r, &mut c, &l.shell, "deploy", &cmd);
        let sh = run(
            &mut log,
            r,
            &mut c,
            &p,
            &["/bin/sh", "-c", &cmd["/bin/sh -c ".len()..]],
            0,
        );
        run(
            &mut log,
            r,
            &mut c,
            &sh,
            &["/usr/bin/python3", &format!("{tmp}/AnsiballZ_{module}.py")],
            0,
        );
        sudo_close(&mut log, r, &mut c, &p);
    }
    let known = vec![l.sshd_pid];
    log.role = Role::Context;
    linbg::ssh_logout(
        &mut log,
        r,
        &mut c,
        &account("deploy").unwrap_or_else(|| h.users[0].clone()),
        &l,
    );
    let summary = format!(
        "The deploy account connected to {} from {} and ran four Ansible modules (setup, apt, template, systemd) through sudo /bin/sh -c echo BECOME-SUCCESS-…; python3 AnsiballZ_*.py: configuration management, not a root shell",
        h.name, l.src_ip
    );
    finish(s, log, "deploy", Some(1001), known, summary);
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

fn broken_cron(s: &mut Scene<'_>) {
    let h = host(s, "app01");
    let mut log = LinLog::new(h, s.enabled, s.start);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let n = r.between(8, 16);
    for _ in 0..n {
        let pid = new_pid(r);
        let t = c.tick(r, 299_500, 300_500);
        log.auth(
            t,
            "CRON",
            Some(pid),
            "pam_unix(cron:session): session opened for user dev(uid=1003) by (uid=0)",
        );
        log.syslog(
            t,
            "CRON",
            Some(pid),
            "(dev) CMD (/opt/app/bin/sync.sh >> /var/log/app/sync.log 2>&1)",
        );
        let sh = LinProc {
            pid: pid + 1,
            ppid: h.boot.cron,
            uid: 1003,
            auid: 1003,
            ses: r.between(100, 900) as u32,
            tty: "(none)".into(),
            exe: "/usr/bin/dash".into(),
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                "/opt/app/bin/sync.sh >> /var/log/app/sync.log 2>&1".into(),
            ],
            cwd: "/home/dev".into(),
        };
        log.exec(t, &sh);
        let failing = LinProc {
            pid: pid + 2,
            ppid: sh.pid,
            exe: "/opt/app/bin/sync.sh".into(),
            argv: vec!["/opt/app/bin/sync.sh".into()],
            ..sh.clone()
        };
        log.denied(c.tick(r, 1, 20), &failing, 59, "/opt/app/bin/sync.sh", -13);
        log.syslog(
            c.tick(r, 5, 80),
            "CRON",
            Some(pid),
            "(CRON) info (No MTA installed, discarding output)",
        );
        log.auth(
            c.tick(r, 1, 40),
            "CRON",
            Some(pid),
            "pam_unix(cron:session): session closed for user dev",
        );
    }
    let summary = format!(
        "cron on app01 ran dev's job /opt/app/bin/sync.sh {n} times, every 5 minutes, and each execve failed with EACCES (exit=-13): the script lost its execute bit; cron discarded the error output (no MTA)"
    );
    finish(s, log, "dev", Some(1003), vec![], summary);
}

fn permission_storm(s: &mut Scene<'_>) {
    let h = host(s, "web01");
    let mut log = LinLog::new(h, s.enabled, s.start);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let worker = LinProc {
        pid: new_pid(r),
        ppid: h.boot.systemd,
        uid: 33,
        auid: u32::MAX,
        ses: u32::MAX,
        tty: "(none)".into(),
        exe: "/usr/sbin/nginx".into(),
        argv: vec!["nginx: worker process".into()],
        cwd: "/".into(),
    };
    let n = r.between(60, 140);
    for i in 0..n {
        let file = ["css/site.css", "js/app.js", "img/logo.svg", "index.html"][(i % 4) as usize];
        log.denied(
            c.tick(r, 100, 1_500),
            &worker,
            257,
            &format!("/srv/www/static/{file}"),
            -13,
        );
        if i % 20 == 0 {
            log.syslog(
                c.tick(r, 1, 20),
                "nginx",
                Some(worker.pid),
                &format!("open() \"/srv/www/static/{file}\" failed (13: Permission denied)"),
            );
        }
    }
    let summary = format!(
        "nginx's worker (www-data) on web01 was denied opening files under /srv/www/static {n} times within minutes (openat, exit=-13): the last deploy left the files owned by root with mode 600"
    );
    finish(s, log, "www-data", None, vec![worker.pid], summary);
}

fn misrouted_backup(s: &mut Scene<'_>) {
    let h = host(s, "web01");
    let mut log = LinLog::new(h, s.enabled, s.start);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let n = r.between(6, 12);
    for _ in 0..n {
        let pid = new_pid(r);
        let port = r.between(40_000, 65_000);
        let t = c.tick(r, 595_000, 605_000);
        log.auth(
            t,
            "sshd",
            Some(pid),
            &format!(
                "Failed publickey for backup from 10.0.2.40 port {port} ssh2: ED25519 SHA256:{}",
                "Qx3L9dT2vYc8mRk0pW1sJf7hNbGz4eA6uX5iO2lKqE8"
            ),
        );
        log.auth(
            c.tick(r, 5, 50),
            "sshd",
            Some(pid),
            &format!(
                "Connection closed by authenticating user backup 10.0.2.40 port {port} [preauth]"
            ),
        );
    }
    let summary = format!(
        "{n} failed publickey logons for backup on web01 from backup01 (10.0.2.40), one every 10 minutes with the same key: backup01's job targets web01 instead of db01, where its key is authorised"
    );
    finish(s, log, "backup", None, vec![], summary);
}

fn misrouted_backup_source(s: &mut Scene<'_>) {
    let h = host(s, "backup01");
    let mut log = LinLog::new(h, s.enabled, s.start);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let n = r.between(6, 12);
    for _ in 0..n {
        let pid = new_pid(r);
        let t = c.tick(r, 595_000, 605_000);
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
            "(backup) CMD (/usr/local/bin/backup.sh db)",
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
                "/usr/local/bin/backup.sh db".into(),
            ],
            cwd: "/home/backup".into(),
        };
        log.exec(t, &sh);
        run(
            &mut log,
            r,
            &mut c,
            &sh,
            &[
                "rsync",
                "-az",
                "backup@web01:/var/lib/postgresql/dumps/",
                "/srv/backup/db/",
            ],
            1004,
        );
        log.syslog(c.tick(r, 1_000, 5_000), "backup.sh", Some(sh.pid), "rsync to web01:/var/lib/postgresql/dumps/ failed: Permission denied (publickey) (exit 255)");
        log.auth(
            c.tick(r, 100, 900),
            "CRON",
            Some(pid),
            "pam_unix(cron:session): session closed for user backup",
        );
    }
    let summary = format!(
        "backup01's database backup job ran {n} times and failed each time (rsync exit 255, publickey denied) because /etc/backup.conf names web01 instead of db01"
    );
    finish(s, log, "backup", Some(1004), vec![], summary);
}

fn expired_cert(s: &mut Scene<'_>) {
    let h = host(s, "app01");
    let mut log = LinLog::new(h, s.enabled, s.start);
    let (r, mut c) = (&mut s.rng, Clock::at(s.start));
    log.role = Role::Story;
    let n = r.between(6, 14);
    for i in 0..n {
        let pid = new_pid(r);
        if i % 2 == 0 {
            log.syslog(c.tick(r, 60_000, 400_000), "postfix/smtp", Some(pid), "warning: TLS library problem: error:0A000086:SSL routines::certificate verify failed: certificate has expired");
            log.syslog(c.tick(r, 5, 90), "postfix/smtp", Some(pid), &format!("{}: to=<ops@corp.local>, relay=smtp.corp.local[10.0.0.25]:587, delay=0.4, status=deferred (lost connection with smtp.corp.local[10.0.0.25] while performing the TLS handshake)", r.hex(10).to_uppercase()));
        } else {
            log.syslog(c.tick(r, 60_000, 400_000), "app", Some(pid), "ERROR notify: SSL: CERTIFICATE_VERIFY_FAILED certificate verify failed: certificate has expired (_ssl.c:1007) host=smtp.corp.local");
        }
    }
    let summary = format!(
        "app01 failed {n} times to talk TLS to smtp.corp.local (10.0.0.25): postfix deferred mail and the app's notifier errored with 'certificate has expired'"
    );
    finish(s, log, "system", None, vec![], summary);
}
