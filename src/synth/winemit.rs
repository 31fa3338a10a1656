//! What a Windows test's statements leave besides process starts: each [`Effect`] written
//! as the records it causes (DNS and connections, files, registry, LSASS access, accounts,
//! tasks, services, logons with explicit credentials, WMI children, nested shells), with the
//! summary and fix steps it adds to the story.

use super::winbg;
use super::winbinary::analyse_binary;
use super::windows::{MAX_DEPTH, Run};
use super::wineffects::{Ctx, Effect, Shell, Spawn};
use super::winrec::{Integrity, WinProc};
use super::wintools::{image_for, words};
use super::world::resolve;

impl Run<'_, '_> {
    pub(super) fn effects(&mut self, actor: &WinProc, fx: &[Effect], depth: u32) {
        let host = self.log.host;
        for f in fx {
            let t = self.clock.tick(&mut self.r, 20, 400);
            match f {
                Effect::Fetch { host: name, port } => {
                    let ip = if name.parse::<std::net::IpAddr>().is_ok() {
                        name.clone()
                    } else {
                        resolve(name)
                    };
                    if ip != *name {
                        self.log.dns(t, actor, name, &ip);
                    }
                    let sport = self.r.between(49152, 65000) as u16;
                    let t = self.clock.tick(&mut self.r, 5, 60);
                    self.log.network(t, actor, sport, (&ip, *port, name));
                    self.did.push(format!("connected to {name}:{port}"));
                    self.fix
                        .push(format!("Block {name} at the proxy and firewall"));
                }
                Effect::WriteFile(path) => {
                    self.log.file_create(t, actor, path);
                    self.did.push(format!("wrote {path}"));
                    self.fix
                        .push(format!("Delete {path} after preserving a copy"));
                }
                Effect::RegCreateKey(k) => self.log.registry_key(t, actor, "CreateKey", k),
                Effect::RegSetValue { target, details } => {
                    self.log.registry_set(t, actor, target, details);
                    self.did.push(format!("set {target}"));
                    self.fix.push(format!("Remove the registry value {target}"));
                }
                Effect::RegDelete { kind, target } => self.log.registry_key(t, actor, kind, target),
                Effect::LoadImage(dll) if !dll.contains("://") => {
                    self.log.image_load(t, actor, dll)
                }
                Effect::LoadImage(_) => {}
                Effect::LsassAccess(access) => {
                    let trace = if *access == "0x1fffff" {
                        r"C:\Windows\SYSTEM32\ntdll.dll+9d4c4|C:\Windows\System32\KERNELBASE.dll+2c13e|C:\Windows\System32\dbgcore.DLL+6d3b|C:\Windows\System32\dbgcore.DLL+1f2a|UNKNOWN(00007FFB2E4A1A2C)"
                    } else {
                        r"C:\Windows\SYSTEM32\ntdll.dll+9d4c4|C:\Windows\System32\KERNELBASE.dll+2c13e|UNKNOWN(000001D2A0C4F3E1)"
                    };
                    self.log
                        .process_access(t, actor, &winbg::lsass(host), access, trace);
                    self.did.push("opened LSASS memory".into());
                    self.fix.push(format!(
                        "Treat every credential cached on {} as stolen and reset it",
                        host.name
                    ));
                }
                Effect::UserAdd(name) => {
                    self.log.user_created(t, actor, name);
                    self.did.push(format!("created account {name}"));
                    self.fix.push(format!(
                        "Delete the account {name} (net user {name} /delete)"
                    ));
                }
                Effect::GroupAdd { group, member } => {
                    self.log.group_member_added(t, actor, group, member);
                    self.did.push(format!("added {member} to {group}"));
                    self.fix.push(format!("Remove {member} from {group}"));
                }
                Effect::TaskCreate { name, command } => {
                    self.log.task_created(t, actor, name, command);
                    let t = self.clock.tick(&mut self.r, 5, 50);
                    self.log.file_create(
                        t,
                        &winbg::schedule_svchost(host),
                        &format!(
                            r"C:\Windows\System32\Tasks\{}",
                            name.trim_start_matches('\\')
                        ),
                    );
                    self.did.push(format!("registered scheduled task {name}"));
                    self.fix.push(format!(
                        "Delete the scheduled task {name} (schtasks /delete /tn \"{name}\" /f)"
                    ));
                }
                Effect::ServiceCreate { name, path } => {
                    self.log.service_installed(t, actor, name, path);
                    let t = self.clock.tick(&mut self.r, 5, 50);
                    self.log.registry_set(
                        t,
                        &winbg::services(host),
                        &format!(r"HKLM\System\CurrentControlSet\Services\{name}\ImagePath"),
                        path,
                    );
                    self.services
                        .insert(name.to_ascii_lowercase(), path.clone());
                    self.did.push(format!("installed service {name}"));
                    self.fix.push(format!(
                        "Stop and delete the service {name} (sc delete {name})"
                    ));
                }
                Effect::ServiceStart(name) => {
                    let path = self.services.get(&name.to_ascii_lowercase()).cloned();
                    // Kernel drivers (`.sys`) load; they start no process.
                    let driver = path
                        .as_deref()
                        .is_some_and(|p| p.to_ascii_lowercase().contains(".sys"));
                    if let Some(path) = path.filter(|_| !driver) {
                        let image = image_for(&service_binary(&path), r"C:\Windows\system32");
                        let p = winbg::new_proc(
                            &mut self.r,
                            host,
                            &image,
                            &path,
                            None,
                            Integrity::System,
                            "0x3e7",
                        );
                        self.log.process_create(t, &p, &winbg::services(host));
                    }
                }
                Effect::ExplicitLogon { server, port } => {
                    self.log.explicit_logon(t, actor, self.user.name, server);
                    let ip = super::world::estate_ip(server).unwrap_or_else(|| resolve(server));
                    let sport = self.r.between(49152, 65000) as u16;
                    self.log.network(t, actor, sport, (&ip, *port, server));
                    self.did
                        .push(format!("used explicit credentials against {server}"));
                }
                Effect::WmiSpawn(cmd) => {
                    let first = words(cmd, false).first().cloned().unwrap_or_default();
                    if !first.chars().any(char::is_alphanumeric) {
                        continue;
                    }
                    let image = image_for(&first, &self.ctx_cwd());
                    let child = self.spawn(&winbg::wmiprvse(host), &image, cmd);
                    let cwd = self.ctx_cwd();
                    let ctx = Ctx {
                        user: self.user.name,
                        host: &host.name,
                        cwd: &cwd,
                    };
                    let more = analyse_binary(
                        &Spawn {
                            image,
                            cmd: cmd.clone(),
                        },
                        &ctx,
                    );
                    if depth < MAX_DEPTH {
                        self.effects(&child, &more, depth + 1);
                    }
                }
                Effect::Script(text) if depth < MAX_DEPTH => {
                    self.powershell(actor, text, depth + 1)
                }
                Effect::CmdLine(text) if depth < MAX_DEPTH => {
                    self.shell(actor, Shell::Cmd, text, depth + 1)
                }
                Effect::Script(_) | Effect::CmdLine(_) => {}
            }
        }
    }
}

/// The binary of a service's `binPath`: quoted, or (unquoted) up to the first `.exe`, which
/// is where the service control manager ends up once `C:\Program.exe` does not exist.
fn service_binary(path: &str) -> String {
    let p = path.trim();
    if p.starts_with('"') {
        return words(p, false).first().cloned().unwrap_or_default();
    }
    match p.to_ascii_lowercase().find(".exe") {
        Some(i) => p[..i + 4].to_string(),
        None => words(p, false).first().cloned().unwrap_or_default(),
    }
}
