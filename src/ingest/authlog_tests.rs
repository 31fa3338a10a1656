//! Unit tests of the auth.log parser: one case per program's message shapes.

use super::*;
use crate::event::Format;

/// The event id and user an auth.log line gave, the pair most tests check.
fn id_user(ev: &Event) -> (Option<&str>, Option<&str>) {
    (ev.event_id.as_deref(), ev.user.as_deref())
}

fn run(program: &str, msg: &str) -> Event {
    let mut ev = Event::new(Format::AuthLog, "auth.log", 1, msg);
    enrich(&mut ev, program, msg);
    ev
}

#[test]
fn sshd_failures_and_successes() {
    let ev = run(
        "sshd",
        "Failed password for invalid user admin from 10.0.0.7 port 4242 ssh2",
    );
    assert_eq!(ev.event_id.as_deref(), Some("sshd:failed_password"));
    assert_eq!(
        (ev.user.as_deref(), ev.src_ip.as_deref(), ev.src_port),
        (Some("admin"), Some("10.0.0.7"), Some(4242))
    );
    assert_eq!(ev.fields["invalid_user"], "true");
    let ev = run(
        "sshd",
        "Accepted publickey for bob from 192.168.1.5 port 50000 ssh2: RSA SHA256:abc",
    );
    assert_eq!(ev.event_id.as_deref(), Some("sshd:accepted_publickey"));
    assert_eq!(
        (ev.user.as_deref(), ev.src_port),
        (Some("bob"), Some(50000))
    );
    let ev = run(
        "sshd",
        "message repeated 2 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
    );
    assert_eq!(id_user(&ev), (Some("sshd:failed_password"), Some("root")));
    let ev = run(
        "sshd",
        "Received disconnect from 139.59.209.18: 11: Bye Bye [preauth]",
    );
    assert_eq!(
        (ev.event_id.as_deref(), ev.src_ip.as_deref()),
        (Some("sshd:disconnect"), Some("139.59.209.18"))
    );
    let ev = run(
        "sshd",
        "reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
    );
    assert_eq!(ev.src_ip.as_deref(), Some("173.234.31.186"));
    let ev = run("sshd", "Invalid user webmaster from 173.234.31.186");
    assert_eq!(
        (ev.user.as_deref(), ev.src_ip.as_deref()),
        (Some("webmaster"), Some("173.234.31.186"))
    );
}

#[test]
fn pam_lines() {
    let ev = run(
        "sshd",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=112.95.230.3  user=root",
    );
    assert_eq!(ev.event_id.as_deref(), Some("sshd:auth_failure"));
    assert_eq!(
        (ev.user.as_deref(), ev.src_ip.as_deref()),
        (Some("root"), Some("112.95.230.3"))
    );
    let ev = run(
        "sshd",
        "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
    );
    assert_eq!(ev.src_ip.as_deref(), Some("218.188.2.4"));
    let ev = run("su", "session opened for user news by (uid=0)");
    assert_eq!(id_user(&ev), (Some("su:session_opened"), Some("news")));
    let ev = run(
        "sudo",
        "pam_unix(sudo:session): session opened for user root by bob(uid=1000)",
    );
    assert_eq!(
        (ev.user.as_deref(), ev.fields["target_user"].as_str()),
        (Some("bob"), "root")
    );
}

#[test]
fn sudo_su_accounts_cron() {
    let ev = run(
        "sudo",
        "    bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/sh -c 'a ; b'",
    );
    assert_eq!(ev.event_id.as_deref(), Some("sudo:command"));
    assert_eq!(ev.user.as_deref(), Some("bob"));
    assert_eq!(ev.command_line.as_deref(), Some("/bin/sh -c 'a ; b'"));
    assert_eq!(ev.fields["target_user"], "root");
    let ev = run(
        "sudo",
        "bob : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls",
    );
    assert_eq!(ev.event_id.as_deref(), Some("sudo:auth_failure"));
    let ev = run("su", "(to root) bob on pts/0");
    assert_eq!(id_user(&ev), (Some("su:switch"), Some("bob")));
    let ev = run(
        "useradd",
        "new user: name=eve, UID=1001, GID=1001, home=/home/eve, shell=/bin/bash",
    );
    assert_eq!(id_user(&ev), (Some("useradd:new_user"), Some("eve")));
    let ev = run("usermod", "add 'eve' to group 'sudo'");
    assert_eq!(ev.fields["group"], "sudo");
    let ev = run("cron", "(root) CMD (run-parts /etc/cron.hourly)");
    assert_eq!(
        ev.command_line.as_deref(),
        Some("run-parts /etc/cron.hourly")
    );
    let ev = run("kernel", "nothing to see");
    assert_eq!(ev.event_id, None);
}
