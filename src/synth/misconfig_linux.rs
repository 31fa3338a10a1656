//! Linux misconfigurations: a cron job failing every few minutes, a permission-denied
//! storm, a misrouted backup job, an expired certificate.

use super::benign::{Scenario, Scene};
use super::benign_linux::{finish, host, run, scenario};
use super::linbg::new_pid;
use super::linrec::{LinLog, LinProc};
use super::record::{Clock, Role};
use crate::event::{Cause, Risk};

pub const SCENARIOS: [Scenario; 5] = [
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
