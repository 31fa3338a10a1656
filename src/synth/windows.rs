//! A Windows atomic test as the records running it leaves: the executor (cmd.exe or
//! powershell.exe) started from the user's desktop, one process per command it runs (with the
//! executor as parent), and what each command implies (DNS and connections for downloads,
//! files, registry values, an LSASS handle, accounts, tasks, services, 4104 script blocks),
//! inside the user's logon and ordinary activity.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::atomics::{AtomicTest, Executor};
use super::augment::{Launch, Variant, renamed};
use super::record::{Candidate, Clock, OutFormat, Role, Story};
use super::rng::Rng;
use super::winbg::{self, Desktop};
use super::wineffects::{Ctx, Shell, analyse, cmd_script_statements};
use super::winrec::{Integrity, WinLog, WinProc, basename};
use super::wintools::{ps_statements, words};
use super::world::{Account, Host};
use crate::event::{Cause, Risk};

/// Where and how one Windows test runs.
pub struct Plan<'a> {
    pub test: &'a AtomicTest,
    pub host: &'a Host,
    pub user: &'a Account,
    pub start: DateTime<Utc>,
    pub variant: &'a Variant,
    pub enabled: &'a [OutFormat],
    pub rng: Rng,
}

/// How deep nested shells (`cmd /c powershell -c …`) are followed.
pub(super) const MAX_DEPTH: u32 = 3;

/// One test's generation in progress (its effects are written by `winemit`).
pub(super) struct Run<'a, 'h> {
    pub(super) log: WinLog<'h>,
    pub(super) r: Rng,
    pub(super) clock: Clock,
    pub(super) user: &'a Account,
    pub(super) integrity: Integrity,
    pub(super) logon_id: String,
    pub(super) relocate: Option<String>,
    pub(super) services: BTreeMap<String, String>,
    pub(super) commands: Vec<String>,
    pub(super) did: Vec<String>,
    pub(super) fix: Vec<String>,
}

/// Generates the candidate for `plan`.
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
    let mut log = WinLog::new(host, enabled);
    let desk = winbg::logon(&mut log, &mut rng, &mut clock, user);
    let n = rng.between(1, 2);
    winbg::apps(&mut log, &mut rng, &mut clock, user, &desk, n);
    let n = rng.below(2);
    winbg::services_noise(&mut log, &mut rng, &mut clock, n);
    // Half the time the attack comes well after the logon (the user has been at work a while):
    // the logon, its network flows and the first programs are then a session of their own,
    // ordinary activity, as most of a real host's sessions are.
    if rng.chance(50) {
        clock.tick(&mut rng, 6 * 60_000, 45 * 60_000);
    }
    let mut run = Run {
        log,
        r: rng,
        clock,
        user,
        integrity: if test.elevated {
            Integrity::High
        } else {
            Integrity::Medium
        },
        logon_id: desk.logon_id.clone(),
        relocate: variant.relocate.clone(),
        services: BTreeMap::new(),
        commands: Vec::new(),
        did: Vec::new(),
        fix: Vec::new(),
    };
    run.clock.tick(&mut run.r, 20_000, 180_000);
    run.log.role = Role::Story;
    let first_story = run.log.records.len();
    let command = variant.rewrite(
        &test
            .command
            .replace("$PathToAtomicsFolder", r"C:\AtomicRedTeam\atomics")
            .replace("PathToAtomicsFolder", r"C:\AtomicRedTeam\atomics"),
        test.executor == Executor::PowerShell,
        &mut run.r,
    );
    run.execute(test.executor, &command, variant, &desk);
    let story_records = &run.log.records[first_story..];
    let (s, e) = match (story_records.first(), story_records.last()) {
        (Some(a), Some(b)) => (a.time, b.time),
        _ => (run.clock.now, run.clock.now),
    };
    run.log.role = Role::Context;
    let (r, clock) = (&mut run.r, &mut run.clock);
    winbg::apps(&mut run.log, r, clock, user, &desk, 1);
    winbg::logoff(&mut run.log, r, clock, user, &desk);
    if run.commands.is_empty() {
        run.commands
            .push(command.lines().next().unwrap_or("").trim().to_string());
    }
    let story = story(
        test,
        host,
        user,
        (s, e),
        &run.commands,
        &run.did,
        run.fix.clone(),
    );
    Candidate {
        story,
        records: run.log.records,
        known_pids: host.boot.pids().to_vec(),
        other_users: vec!["system".into()],
        actor_uid: None,
    }
}

fn story(
    test: &AtomicTest,
    host: &Host,
    user: &Account,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    commands: &[String],
    did: &[String],
    mut fix: Vec<String>,
) -> Story {
    let first = commands
        .first()
        .map(|c| crate::text::one_line(c, 160))
        .unwrap_or_default();
    let mut summary = format!(
        "{} on {} ran `{first}` ({} commands): atomic test \"{}\" for {} {}",
        user.name,
        host.name,
        commands.len(),
        test.name,
        test.technique,
        test.technique_name
    );
    if !did.is_empty() {
        summary.push_str("; it ");
        summary.push_str(&did.iter().take(4).cloned().collect::<Vec<_>>().join(", "));
    }
    let mut steps = vec![
        format!("Isolate {} and collect memory and disk evidence", host.name),
        format!(
            "Reset the password of {} and review its recent logons",
            user.name
        ),
    ];
    fix.dedup();
    steps.extend(fix.into_iter().take(5));
    Story {
        id: String::new(),
        cause: Cause::Malicious,
        techniques: vec![test.technique.clone()],
        risk: Risk::High,
        host: host.name.clone(),
        user: user.name.to_string(),
        start,
        end,
        title: test.name.clone(),
        summary,
        fix: steps,
        source: format!("atomic {}#{} {}", test.technique, test.number, test.guid),
    }
}

impl Run<'_, '_> {
    pub(super) fn ctx_cwd(&self) -> String {
        format!(r"C:\Users\{}", self.user.name)
    }

    /// A new process of the acting user, started by `parent`.
    pub(super) fn spawn(&mut self, parent: &WinProc, image: &str, cmd: &str) -> WinProc {
        let (mut image, mut cmd) = (image.to_string(), cmd.to_string());
        let original = basename(&image).to_string();
        let system_bin = image
            .to_ascii_lowercase()
            .starts_with(r"c:\windows\system32\")
            && !matches!(
                original.to_ascii_lowercase().as_str(),
                "cmd.exe" | "powershell.exe"
            );
        if system_bin && let Some(dir) = self.relocate.take() {
            let new = format!("{dir}\\{}", renamed(&original, &mut self.r));
            // The copy is made first, by the shell that runs the command.
            let t = self.clock.tick(&mut self.r, 100, 600);
            self.log.file_create(t, parent, &new);
            let first = words(&cmd, false).first().cloned().unwrap_or_default();
            let rest = cmd
                .trim_start()
                .strip_prefix(first.as_str())
                .unwrap_or("")
                .to_string();
            cmd = format!("\"{new}\"{rest}");
            image = new;
        }
        let mut p = winbg::new_proc(
            &mut self.r,
            self.log.host,
            &image,
            &cmd,
            Some(self.user),
            self.integrity,
            &self.logon_id,
        );
        p.original = original;
        p.cwd = self.ctx_cwd();
        let t = self.clock.tick(&mut self.r, 150, 2_500);
        self.log.process_create(t, &p, parent);
        self.commands.push(cmd);
        p
    }

    fn execute(&mut self, executor: Executor, command: &str, v: &Variant, desk: &Desktop) {
        let mut parent = desk.explorer.clone();
        let console = match v.launch {
            Launch::Session => None,
            Launch::Console => Some((
                r"C:\Windows\System32\cmd.exe",
                "\"C:\\Windows\\system32\\cmd.exe\" ",
            )),
            Launch::PowerShell => Some((
                r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" ",
            )),
        };
        if let Some((image, cmd)) = console {
            parent = self.spawn(&parent, image, cmd);
            self.commands.pop();
        }
        let lines: Vec<String> = command
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let chunks: Vec<String> = if v.split_lines {
            lines
        } else {
            vec![lines.join("\n")]
        };
        for chunk in chunks.iter().filter(|c| !c.is_empty()) {
            match executor {
                Executor::PowerShell => {
                    let cmdline = if v.encode {
                        let utf16: Vec<u8> =
                            chunk.encode_utf16().flat_map(u16::to_le_bytes).collect();
                        let b64 = base64::Engine::encode(
                            &base64::engine::general_purpose::STANDARD,
                            utf16,
                        );
                        format!(
                            "\"powershell.exe\" -NoProfile -ExecutionPolicy Bypass -EncodedCommand {b64}"
                        )
                    } else if v.explicit {
                        format!(
                            "\"powershell.exe\" -NoProfile -ExecutionPolicy Bypass -Command \"{}\"",
                            chunk.replace('\n', "; ").replace('"', "\\\"")
                        )
                    } else {
                        format!("\"powershell.exe\" & {{{}}}", chunk.replace('\n', "; "))
                    };
                    let ps = self.spawn(
                        &parent,
                        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                        &cmdline,
                    );
                    // The summary names what the executor ran, not the executor.
                    self.commands.pop();
                    self.powershell(&ps, chunk, 0);
                }
                _ => {
                    let cmdline = format!(
                        "\"C:\\Windows\\system32\\cmd.exe\" /c {}",
                        chunk.replace('\n', " & ")
                    );
                    let cmd = self.spawn(&parent, r"C:\Windows\System32\cmd.exe", &cmdline);
                    self.commands.pop();
                    self.shell(&cmd, Shell::Cmd, chunk, 0);
                }
            }
        }
    }

    /// A PowerShell process runs `script`: its script block is logged, then its statements run.
    pub(super) fn powershell(&mut self, ps: &WinProc, script: &str, depth: u32) {
        let id = self.r.guid();
        let t = self.clock.tick(&mut self.r, 300, 1_200);
        self.log.script_block(t, ps, script, &id);
        self.shell(ps, Shell::PowerShell, script, depth);
    }

    pub(super) fn shell(&mut self, proc_: &WinProc, shell: Shell, script: &str, depth: u32) {
        let statements = match shell {
            Shell::Cmd => cmd_script_statements(script),
            Shell::PowerShell => ps_statements(script),
        };
        for stmt in statements {
            if stmt.starts_with('#')
                || stmt.to_ascii_lowercase().starts_with("rem ")
                || stmt.starts_with("::")
            {
                continue;
            }
            let cwd = self.ctx_cwd();
            let ctx = Ctx {
                user: self.user.name,
                host: &self.log.host.name,
                cwd: &cwd,
            };
            let step = analyse(&stmt, shell, &ctx);
            self.effects(proc_, &step.shell_effects, depth);
            match step.spawn {
                Some(sp) => {
                    let child = self.spawn(proc_, &sp.image, &sp.cmd);
                    if basename(&sp.image).eq_ignore_ascii_case("net.exe") {
                        let args = sp.cmd.split_once(' ').map_or("", |(_, a)| a);
                        let net1 = format!(r"C:\Windows\system32\net1 {args}");
                        self.spawn(&child, r"C:\Windows\System32\net1.exe", &net1);
                    }
                    self.effects(&child, &step.effects, depth + 1);
                }
                None => self.effects(proc_, &step.effects, depth),
            }
        }
    }
}
