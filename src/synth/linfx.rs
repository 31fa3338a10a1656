//! What Linux binaries write besides their auditd records: account changes (useradd,
//! usermod, userdel, groupadd, passwd), crontab and cron reloads, su sessions, systemd unit
//! changes; with the summary and fix steps they add to the story.

use super::linrec::LinProc;
use super::linux::Run;

impl Run<'_, '_> {
    /// What a file write means to the logs: cron notices its tables.
    pub(super) fn file_written(&mut self, by: &LinProc, path: &str) {
        let cron_table = path.starts_with("/etc/cron") || path.starts_with("/var/spool/cron");
        if cron_table {
            let t = self.clock.tick(&mut self.r, 30_000, 60_000);
            let what = if path.starts_with("/var/spool/cron") {
                format!(
                    "({}) RELOAD (crontabs/{})",
                    by_name(by),
                    super::winrec::basename(path)
                )
            } else {
                format!("(*system*) RELOAD ({path})")
            };
            let cron = self.log.host.boot.cron;
            self.log.syslog(t, "cron", Some(cron), &what);
            self.did.push(format!("changed the cron table {path}"));
            self.fix.push(format!("Remove the entry added to {path}"));
        }
        if path.contains("authorized_keys") {
            self.did.push(format!("added an ssh key to {path}"));
            self.fix.push(format!("Remove unknown keys from {path}"));
        }
    }

    pub(super) fn binary_effects(&mut self, p: &LinProc, base: &str) {
        let args = &p.argv[1..];
        let t = self.clock.tick(&mut self.r, 10, 300);
        let last = args
            .iter()
            .rev()
            .find(|a| !a.starts_with('-'))
            .cloned()
            .unwrap_or_default();
        let flag = |f: &str| {
            args.iter()
                .position(|a| a == f)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        match base {
            "useradd" | "adduser" => {
                let name = last;
                let uid = 1005 + (self.r.below(40) as u32);
                let shell = flag("-s").unwrap_or_else(|| "/bin/sh".into());
                let home = flag("-d").unwrap_or_else(|| format!("/home/{name}"));
                if !args.iter().any(|a| a == "-N" || a == "-g") {
                    self.log.auth(
                        t,
                        base,
                        Some(p.pid),
                        &format!("new group: name={name}, GID={uid}"),
                    );
                }
                self.log.auth(t, base, Some(p.pid), &format!("new user: name={name}, UID={uid}, GID={uid}, home={home}, shell={shell}, from=/dev/{}", p.tty.replace("pts", "pts/")));
                self.did.push(format!("created the account {name}"));
                self.fix
                    .push(format!("Delete the account {name} (userdel -r {name})"));
            }
            "usermod" => {
                if let Some(groups) = flag("-G").or_else(|| flag("-aG")) {
                    for g in groups.split(',') {
                        self.log.auth(
                            t,
                            base,
                            Some(p.pid),
                            &format!("add '{last}' to group '{g}'"),
                        );
                        self.log.auth(
                            t,
                            base,
                            Some(p.pid),
                            &format!("add '{last}' to shadow group '{g}'"),
                        );
                    }
                    self.did.push(format!("added {last} to {groups}"));
                    self.fix.push(format!("Remove {last} from {groups}"));
                }
            }
            "userdel" | "deluser" => {
                self.log
                    .auth(t, base, Some(p.pid), &format!("delete user '{last}'"))
            }
            "groupadd" => {
                self.log.auth(
                    t,
                    base,
                    Some(p.pid),
                    &format!("group added to /etc/group: name={last}, GID=1010"),
                );
                self.log.auth(
                    t,
                    base,
                    Some(p.pid),
                    &format!("new group: name={last}, GID=1010"),
                );
            }
            "passwd" | "chpasswd" => {
                let who = if base == "passwd" && !last.is_empty() {
                    last
                } else {
                    by_name(p)
                };
                self.log.auth(
                    t,
                    base,
                    Some(p.pid),
                    &format!("pam_unix({base}:chauthtok): password changed for {who}"),
                );
            }
            "crontab" => {
                let who = flag("-u").unwrap_or_else(|| by_name(p));
                let verb = match args.first().map(String::as_str) {
                    Some("-l") => "LIST",
                    Some("-r") => "DELETE",
                    Some("-e") => "BEGIN EDIT",
                    _ => "REPLACE",
                };
                self.log.auth(
                    t,
                    "crontab",
                    Some(p.pid),
                    &format!("({who}) {verb} ({who})"),
                );
                if verb != "LIST" {
                    let t = self.clock.tick(&mut self.r, 20_000, 60_000);
                    let cron = self.log.host.boot.cron;
                    self.log.syslog(
                        t,
                        "cron",
                        Some(cron),
                        &format!("({who}) RELOAD (crontabs/{who})"),
                    );
                    self.did.push(format!("replaced the crontab of {who}"));
                    self.fix.push(format!(
                        "Restore the crontab of {who} (crontab -u {who} -l to review)"
                    ));
                }
            }
            "su" => {
                let to = args
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .cloned()
                    .unwrap_or_else(|| "root".into());
                self.log.auth(
                    t,
                    "su",
                    Some(p.pid),
                    &format!(
                        "(to {to}) {} on {}",
                        self.user.name,
                        p.tty.replace("pts", "pts/")
                    ),
                );
                self.log.auth(
                    t,
                    "su",
                    Some(p.pid),
                    &format!(
                        "pam_unix(su:session): session opened for user {to}(uid=0) by {}(uid={})",
                        self.user.name, self.user.id
                    ),
                );
            }
            "systemctl" => {
                let unit = args
                    .iter()
                    .rev()
                    .find(|a| !a.starts_with('-'))
                    .cloned()
                    .unwrap_or_default();
                let msg = match args.first().map(String::as_str) {
                    Some("daemon-reload") | Some("enable") => Some("Reloading.".to_string()),
                    Some("start") | Some("restart") => Some(format!("Started {unit}.")),
                    Some("stop") => Some(format!("Stopped {unit}.")),
                    _ => None,
                };
                if let Some(msg) = msg {
                    self.log.syslog(t, "systemd", Some(1), &msg);
                }
            }
            _ => {}
        }
    }
}

/// The account a process runs as (by uid), for log lines that name it.
fn by_name(p: &LinProc) -> String {
    super::world::ACCOUNTS
        .iter()
        .find(|a| a.id == p.uid)
        .map_or_else(|| p.uid.to_string(), |a| a.name.to_string())
}
