//! A Linux atomic test as the records running it leaves: the executor (`sh -c` / `bash -c`,
//! through sudo when the test needs root) started from the user's ssh login shell, an auditd
//! execve record for every binary it runs, and the auth.log / syslog lines those binaries
//! write (sudo, su, useradd, usermod, passwd, crontab, cron, systemd).

use chrono::{DateTime, Utc};

use super::atomics::{AtomicTest, Executor};
use super::augment::{Launch, Variant, renamed};
use super::linbg::{self, Login};
use super::lincmd::{
    argv, brace_words, exe_for, expand, is_builtin, path_for, redirect_targets, statements,
};
use super::linrec::{LinLog, LinProc};
use super::record::{Candidate, Clock, OutFormat, Role, Story};
use super::rng::Rng;
use super::world::{Account, Host};
use crate::event::{Cause, Risk};

/// Where and how one Linux test runs.
pub struct Plan<'a> {
    pub test: &'a AtomicTest,
    pub host: &'a Host,
    pub user: &'a Account,
    pub start: DateTime<Utc>,
    pub variant: &'a Variant,
    pub enabled: &'a [OutFormat],
    pub rng: Rng,
}

const MAX_DEPTH: u32 = 3;
const SHELLS: [&str; 4] = ["sh", "bash", "dash", "zsh"];

/// One test's generation in progress (what its binaries log is written by `linfx`).
pub(super) struct Run<'a, 'h> {
    pub(super) log: LinLog<'h>,
    pub(super) r: Rng,
    pub(super) clock: Clock,
    pub(super) user: &'a Account,
    pub(super) relocate: Option<String>,
    pub(super) commands: Vec<String>,
    pub(super) did: Vec<String>,
    pub(super) fix: Vec<String>,
}

pub fn generate(plan: Plan<'_>) -> Candidate {
    let Plan {
        test,
        host,
        user,
        start,
        variant,
        enabled,
        mut rng,
    } = plan;
    let mut clock = Clock::at(start);
    let mut log = LinLog::new(host, enabled, start);
    if rng.chance(50) {
        linbg::cron_hourly(&mut log, &mut rng, &mut clock);
    }
    let login = linbg::ssh_login(&mut log, &mut rng, &mut clock, user);
    let n = rng.between(1, 3);
    linbg::chores(&mut log, &mut rng, &mut clock, &login, n);
    let mut run = Run {
        log,
        r: rng,
        clock,
        user,
        relocate: variant.relocate.clone(),
        commands: Vec::new(),
        did: Vec::new(),
        fix: Vec::new(),
    };
    run.clock.tick(&mut run.r, 10_000, 120_000);
    run.log.role = Role::Story;
    let first_story = run.log.records.len();
    let command = variant.rewrite(
        &test
            .command
            .replace("$PathToAtomicsFolder", "/opt/AtomicRedTeam/atomics")
            .replace("PathToAtomicsFolder", "/opt/AtomicRedTeam/atomics"),
        false,
        &mut run.r,
    );
    run.execute(test, &command, variant, &login);
    let (s, e) = match (run.log.records.get(first_story), run.log.records.last()) {
        (Some(a), Some(b)) => (a.time, b.time),
        _ => (run.clock.now, run.clock.now),
    };
    run.log.role = Role::Context;
    let (r, clock) = (&mut run.r, &mut run.clock);
    linbg::chores(&mut run.log, r, clock, &login, 1);
    linbg::ssh_logout(&mut run.log, r, clock, user, &login);
    let first = run
        .commands
        .first()
        .map(|c| crate::text::one_line(c, 160))
        .unwrap_or_else(|| command.lines().next().unwrap_or("").trim().to_string());
    let mut summary = format!(
        "{} on {} ran `{first}` ({} commands): atomic test \"{}\" for {} {}",
        user.name,
        host.name,
        run.commands.len(),
        test.name,
        test.technique,
        test.technique_name
    );
    if !run.did.is_empty() {
        summary.push_str("; it ");
        summary.push_str(
            &run.did
                .iter()
                .take(4)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    let mut fix = vec![
        format!("Isolate {} and preserve its logs and memory", host.name),
        format!(
            "Rotate the ssh keys and password of {} and review its sudo rights",
            user.name
        ),
    ];
    run.fix.dedup();
    fix.extend(run.fix.into_iter().take(5));
    let mut known = host.boot.pids().to_vec();
    known.push(login.sshd_pid);
    Candidate {
        story: Story {
            id: String::new(),
            cause: Cause::Malicious,
            techniques: vec![test.technique.clone()],
            risk: Risk::High,
            host: host.name.clone(),
            user: user.name.to_string(),
            start: s,
            end: e,
            title: test.name.clone(),
            summary,
            fix,
            source: format!("atomic {}#{} {}", test.technique, test.number, test.guid),
        },
        records: run.log.records,
        known_pids: known,
        other_users: vec!["root".into()],
        actor_uid: Some(user.id),
    }
}

impl Run<'_, '_> {
    /// Starts `argv` as a child of `parent` (same uid unless `uid` says otherwise).
    fn spawn(&mut self, parent: &LinProc, mut argv: Vec<String>, uid: u32) -> LinProc {
        let mut exe = exe_for(&argv[0], &parent.cwd);
        let base = super::winrec::basename(&exe).to_string();
        let plain =
            exe.starts_with("/usr/bin/") && !SHELLS.contains(&base.as_str()) && base != "sudo";
        if plain && let Some(dir) = self.relocate.take() {
            let new = format!("{dir}/{}", renamed(&base, &mut self.r));
            self.spawn(parent, vec!["cp".into(), exe.clone(), new.clone()], uid);
            argv[0] = new.clone();
            exe = new;
        }
        let p = LinProc {
            pid: linbg::new_pid(&mut self.r),
            ppid: parent.pid,
            uid,
            exe,
            argv,
            ..parent.clone()
        };
        let t = self.clock.tick(&mut self.r, 100, 2_000);
        self.log.exec(t, &p);
        self.commands.push(p.argv.join(" "));
        p
    }

    fn execute(&mut self, test: &AtomicTest, command: &str, v: &Variant, login: &Login) {
        let mut parent = login.shell.clone();
        if v.launch != Launch::Session {
            parent = self.spawn(&parent, vec!["bash".into()], parent.uid);
            self.commands.pop();
        }
        let lines: Vec<String> = command
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let chunks = if v.split_lines {
            lines
        } else {
            vec![lines.join("\n")]
        };
        let shell = if test.executor == Executor::Bash {
            "bash"
        } else {
            "sh"
        };
        for chunk in chunks.iter().filter(|c| !c.is_empty()) {
            let argv = vec![shell.to_string(), "-c".to_string(), chunk.clone()];
            let before = self.commands.len();
            let sh = if test.elevated && self.user.id != 0 {
                let mut full = vec!["sudo".to_string()];
                full.extend(argv);
                self.sudo(&parent, full)
            } else {
                Some(self.spawn(&parent, argv, parent.uid))
            };
            // The summary names what the executor ran, not the executor.
            self.commands.truncate(before);
            if let Some(sh) = sh {
                self.shell(&sh, chunk, 0);
            }
        }
    }

    /// `sudo [flags] command…`: sudo's process and auth.log lines, then the command as root.
    /// Returns the command's process.
    fn sudo(&mut self, parent: &LinProc, argv: Vec<String>) -> Option<LinProc> {
        let sudo = self.spawn(parent, argv.clone(), parent.uid);
        let mut i = 1;
        let mut target = "root".to_string();
        let mut list = false;
        while i < argv.len() && argv[i].starts_with('-') {
            match argv[i].as_str() {
                "-u" => {
                    target = argv.get(i + 1).cloned().unwrap_or(target);
                    i += 1;
                }
                "-l" => list = true,
                _ => {}
            }
            i += 1;
        }
        let rest: Vec<String> = argv[i..].to_vec();
        let command = if list {
            "list".to_string()
        } else if rest.is_empty() {
            "/bin/bash".to_string()
        } else {
            let mut c = vec![path_for(&rest[0], &parent.cwd)];
            c.extend(rest[1..].iter().cloned());
            c.join(" ")
        };
        let tty = parent.tty.replace("pts", "pts/");
        let msg = format!(
            "{:>8} : TTY={tty} ; PWD={} ; USER={target} ; COMMAND={command}",
            self.user.name, parent.cwd
        );
        let t = self.clock.tick(&mut self.r, 20, 200);
        self.log.auth(t, "sudo", None, &msg);
        let uid = super::world::account(&target).map_or(0, |a| a.id);
        self.log.auth(
            t,
            "sudo",
            Some(sudo.pid),
            &format!(
                "pam_unix(sudo:session): session opened for user {target}(uid={uid}) by {}(uid={})",
                self.user.name, self.user.id
            ),
        );
        self.did.push(format!(
            "ran `{}` as {target} through sudo",
            crate::text::one_line(&command, 80)
        ));
        let child = (!list && !rest.is_empty()).then(|| self.spawn(&sudo, rest, uid));
        let t = self.clock.tick(&mut self.r, 50, 800);
        // PAM's closing line names only the target account, so sessionizing files it under
        // that account's (root's) open session, often a cron run: as context it says nothing
        // about that session, whereas as a story record it made an hourly cron job malicious.
        let role = std::mem::replace(&mut self.log.role, Role::Context);
        self.log.auth(
            t,
            "sudo",
            Some(sudo.pid),
            &format!("pam_unix(sudo:session): session closed for user {target}"),
        );
        self.log.role = role;
        child
    }

    /// A shell process runs `script`.
    fn shell(&mut self, sh: &LinProc, script: &str, depth: u32) {
        for stmt in statements(script) {
            let home = super::linbg::home(self.user.name);
            let mut words: Vec<String> = brace_words(argv(&stmt))
                .into_iter()
                .map(|w| expand(&w, &home, self.user.name, &sh.cwd))
                .collect();
            if words.first().is_some_and(|w| w == "exec") {
                words.remove(0);
            }
            // A first word with spaces is text the statement splitter could not place (an
            // unusual quoting), not a program name.
            let Some(first) = words
                .first()
                .cloned()
                .filter(|f| !f.contains(char::is_whitespace))
            else {
                continue;
            };
            for target in redirect_targets(&stmt) {
                self.file_written(sh, &target);
            }
            if is_builtin(&first) || first.contains('=') {
                continue;
            }
            let child = if first == "sudo" {
                self.sudo(sh, words)
            } else {
                Some(self.spawn(sh, words, sh.uid))
            };
            let Some(child) = child else { continue };
            let base = super::winrec::basename(&child.exe).to_string();
            if SHELLS.contains(&base.as_str())
                && depth < MAX_DEPTH
                && let Some(i) = child.argv.iter().position(|a| a == "-c")
                && let Some(inner) = child.argv.get(i + 1).cloned()
            {
                self.shell(&child, &inner, depth + 1);
                continue;
            }
            self.binary_effects(&child, &base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::atomics::Executor;
    use crate::synth::atomics::Platform;
    use crate::synth::world::World;
    use chrono::TimeZone;

    /// PAM's line closing an attacker's sudo names only the target account, so sessionizing
    /// files it under that account's open session (often an hourly cron run): it must not
    /// carry the attack's label there. The opening line names the attacker and stays story.
    #[test]
    fn an_attacks_sudo_close_line_is_context_and_its_open_line_story() {
        let test = AtomicTest {
            technique: "T1548.003".into(),
            technique_name: "Abuse Elevation Control Mechanism: Sudo and Sudo Caching".into(),
            number: 1,
            name: "sudo as root".into(),
            guid: "00000000-0000-0000-0000-000000000000".into(),
            platforms: vec!["linux".into()],
            executor: Executor::Sh,
            command: "sudo id\nsudo cat /etc/shadow".into(),
            elevated: false,
        };
        let world = World::new(1);
        let host = world.of(Platform::Linux).next().expect("a Linux host");
        let user = host.users.first().expect("a user").clone();
        let candidate = generate(Plan {
            test: &test,
            host,
            user: &user,
            start: Utc.with_ymd_and_hms(2026, 3, 3, 10, 0, 0).unwrap(),
            variant: &Variant::base(),
            enabled: &[OutFormat::AuthLog, OutFormat::Audit],
            rng: Rng::new(7),
        });
        let roles = |needle: &str| -> Vec<Role> {
            candidate
                .records
                .iter()
                .filter(|r| r.line.contains("sudo") && r.line.contains(needle))
                .map(|r| r.role)
                .collect()
        };
        let closed = roles("session closed for user root");
        let opened = roles("session opened for user root");
        assert_eq!(closed.len(), 2, "one close line per sudo");
        assert!(closed.iter().all(|r| *r == Role::Context), "{closed:?}");
        assert_eq!(opened.len(), 2, "one open line per sudo");
        assert!(opened.iter().all(|r| *r == Role::Story), "{opened:?}");
    }
}
