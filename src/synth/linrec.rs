//! Linux records: auditd process records (`SYSCALL` execve with its `EXECVE`, `CWD` and
//! `PROCTITLE` companions, as Security-Datasets' Linux captures show them, with `node=` as
//! auditd writes when `name_format = hostname` and the enriched names of `log_format =
//! ENRICHED`), and auth.log / syslog lines with rsyslog's RFC 3339 stamps.

use chrono::{DateTime, Utc};

use super::record::{OutFormat, Record, Role, audit_stamp, syslog_time};
use super::world::Host;

/// A process as auditd sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinProc {
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    /// The login uid: who logged in, whatever sudo made of them.
    pub auid: u32,
    pub ses: u32,
    pub tty: String,
    pub exe: String,
    pub argv: Vec<String>,
    pub cwd: String,
}

/// Collects the Linux records of one session, writing only the kinds that are enabled.
pub struct LinLog<'h> {
    pub host: &'h Host,
    pub enabled: &'h [OutFormat],
    pub role: Role,
    pub records: Vec<Record>,
    /// auditd's event serial, increasing.
    pub serial: u64,
}

impl<'h> LinLog<'h> {
    pub fn new(host: &'h Host, enabled: &'h [OutFormat], start: DateTime<Utc>) -> LinLog<'h> {
        // Serials grow with time across sessions, as one auditd's do.
        let serial = (start.timestamp().rem_euclid(100_000_000) as u64) * 4;
        LinLog {
            host,
            enabled,
            role: Role::Context,
            records: Vec::new(),
            serial,
        }
    }

    fn push(&mut self, kind: OutFormat, t: DateTime<Utc>, line: String) {
        if self.enabled.contains(&kind) {
            self.records.push(Record {
                format: kind,
                time: t,
                line,
                role: self.role,
            });
        }
    }

    /// The auditd records of one successful `execve`.
    pub fn exec(&mut self, t: DateTime<Utc>, p: &LinProc) {
        self.serial += 1;
        let stamp = audit_stamp(t, self.serial);
        let node = &self.host.name;
        let comm: String = super::winrec::basename(&p.exe).chars().take(15).collect();
        let gid = p.uid;
        let syscall = format!(
            "node={node} type=SYSCALL msg={stamp}: arch=c000003e syscall=59 success=yes exit=0 a0=55d0c0a8e0a0 a1=55d0c0a8e1c0 a2=55d0c0a8e200 a3=8 items=2 ppid={} pid={} auid={} uid={} gid={gid} euid={} suid={} fsuid={} egid={gid} sgid={gid} fsgid={gid} tty={} ses={} comm={} exe={} subj=unconfined key=(null)",
            p.ppid,
            p.pid,
            p.auid,
            p.uid,
            p.uid,
            p.uid,
            p.uid,
            p.tty,
            p.ses,
            audit_value(&comm),
            audit_value(&p.exe),
        ) + &enriched("execve", p);
        let mut execve = format!("node={node} type=EXECVE msg={stamp}: argc={}", p.argv.len());
        for (i, a) in p.argv.iter().enumerate() {
            execve.push_str(&format!(" a{i}={}", audit_value(a)));
        }
        let cwd = format!(
            "node={node} type=CWD msg={stamp}: cwd={}",
            audit_value(&p.cwd)
        );
        let title: Vec<u8> = p
            .argv
            .join("\0")
            .into_bytes()
            .into_iter()
            .take(128)
            .collect();
        let proctitle = format!(
            "node={node} type=PROCTITLE msg={stamp}: proctitle={}",
            hex::encode_upper(title)
        );
        for line in [syscall, execve, cwd, proctitle] {
            self.push(OutFormat::Audit, t, line);
        }
    }

    /// A failed syscall on a path (`exit` a negative errno), e.g. `openat` denied (-13).
    pub fn denied(&mut self, t: DateTime<Utc>, p: &LinProc, syscall: u32, path: &str, exit: i32) {
        self.serial += 1;
        let stamp = audit_stamp(t, self.serial);
        let node = &self.host.name;
        let comm: String = super::winrec::basename(&p.exe).chars().take(15).collect();
        let line = format!(
            "node={node} type=SYSCALL msg={stamp}: arch=c000003e syscall={syscall} success=no exit={exit} a0=ffffff9c a1=7ffd2c1e5e10 a2=0 a3=0 items=1 ppid={} pid={} auid={} uid={} gid={} euid={} suid={} fsuid={} egid={} sgid={} fsgid={} tty={} ses={} comm={} exe={} subj=unconfined key=\"access\"",
            p.ppid,
            p.pid,
            p.auid,
            p.uid,
            p.uid,
            p.uid,
            p.uid,
            p.uid,
            p.uid,
            p.uid,
            p.uid,
            p.tty,
            p.ses,
            audit_value(&comm),
            audit_value(&p.exe),
        ) + &enriched(super::lincmd::syscall_name(syscall), p);
        self.push(OutFormat::Audit, t, line);
        let path_line = format!(
            "node={node} type=PATH msg={stamp}: item=0 name={} nametype=UNKNOWN",
            audit_value(path)
        );
        self.push(OutFormat::Audit, t, path_line);
    }

    /// An auth.log line from `program[pid]` (pid `None`: no bracket).
    pub fn auth(&mut self, t: DateTime<Utc>, program: &str, pid: Option<u32>, msg: &str) {
        let line = self.line(t, program, pid, msg);
        self.push(OutFormat::AuthLog, t, line);
    }

    /// A syslog line from `program[pid]`.
    pub fn syslog(&mut self, t: DateTime<Utc>, program: &str, pid: Option<u32>, msg: &str) {
        let line = self.line(t, program, pid, msg);
        self.push(OutFormat::Syslog, t, line);
    }

    fn line(&self, t: DateTime<Utc>, program: &str, pid: Option<u32>, msg: &str) -> String {
        let tag = match pid {
            Some(p) => format!("{program}[{p}]"),
            None => program.to_string(),
        };
        // Log lines are one line: a command with newlines is logged with them escaped.
        let msg = msg.replace('\n', "#012");
        format!("{} {} {tag}: {msg}", syslog_time(t), self.host.name)
    }
}

/// The interpretations auditd appends with `log_format = ENRICHED` (the default of auditd
/// 3): after a `\x1d`, the syscall's name and the ids as account names.
fn enriched(syscall: &str, p: &LinProc) -> String {
    let name = |id: u32| {
        if id == u32::MAX {
            "unset".to_string()
        } else {
            super::world::ACCOUNTS
                .iter()
                .find(|a| a.id == id)
                .map_or_else(|| id.to_string(), |a| a.name.to_string())
        }
    };
    let (auid, uid) = (name(p.auid), name(p.uid));
    format!(
        "\x1dARCH=x86_64 SYSCALL={syscall} AUID=\"{auid}\" UID=\"{uid}\" GID=\"{uid}\" EUID=\"{uid}\" SUID=\"{uid}\" FSUID=\"{uid}\" EGID=\"{uid}\" SGID=\"{uid}\" FSGID=\"{uid}\""
    )
}

/// An auditd value: quoted when plain, hex-encoded (upper case, unquoted) when it holds a
/// space, a quote, a control or non-ASCII character, as the kernel encodes it.
pub fn audit_value(s: &str) -> String {
    let plain = !s.is_empty() && s.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'"');
    if plain {
        format!("\"{s}\"")
    } else if s.is_empty() {
        "\"\"".into()
    } else {
        hex::encode_upper(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_values_are_encoded_like_the_kernel_does() {
        assert_eq!(audit_value("curl"), "\"curl\"");
        assert_eq!(audit_value("-c echo hi"), "2D63206563686F206869");
        assert_eq!(audit_value(""), "\"\"");
    }
}
