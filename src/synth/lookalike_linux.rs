//! Linux admin work that looks like an attack and is not: a package creating its system
//! user, Ansible running its modules through sudo /bin/sh.

use super::benign::{Scenario, Scene};
use super::benign_linux::{finish, host, login, run, scenario, sudo, sudo_close};
use super::linbg;
use super::record::Role;
use super::world::account;
use crate::event::{Cause, Risk};

pub const SCENARIOS: [Scenario; 2] = [
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
];

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
        &["apt-get", "install", "-y", "prometheus-node-exporter"],
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
        let inner = format!(
            "echo BECOME-SUCCESS-{} ; /usr/bin/python3 {tmp}/AnsiballZ_{module}.py",
            r.hex(32)
        );
        // Ansible's become: sudo -H -S -n -u root /bin/sh -c '…'.
        let become_ = [
            "-H",
            "-S",
            "-n",
            "-u",
            "root",
            "/bin/sh",
            "-c",
            inner.as_str(),
        ];
        let p = sudo(&mut log, r, &mut c, &l.shell, "deploy", &become_);
        let sh = run(&mut log, r, &mut c, &p, &["/bin/sh", "-c", &inner], 0);
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
