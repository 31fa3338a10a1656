//! Sessions the network sensor alone sees: a Windows host's idle-time flows (name lookups,
//! ticket renewals, time sync, a cloud check-in) and, as their malicious counterpart, a
//! compromised host beaconing to its command-and-control server. Neither has a host record
//! near it, so the verdict must come from the flows themselves.

use super::benign::{Scenario, Scene};
use super::benign_win::{finish, host, scenario, workstation};
use super::record::{Clock, Role};
use super::winflow::ephemeral_port;
use super::winrec::WinLog;
use super::world::{attacker_ip, resolve};
use crate::event::{Cause, Risk};

pub const SCENARIOS: [Scenario; 2] = [
    scenario(
        "win-network-idle",
        Cause::Legitimate,
        Risk::Low,
        &[],
        "A host's ordinary idle-time flows: DNS, Kerberos renewal, time sync, cloud check-in",
        &[],
        idle,
    ),
    scenario(
        "win-c2-beacon",
        Cause::Malicious,
        Risk::High,
        &["T1071.001", "T1573.002"],
        "A compromised host beacons over HTTPS to a rare external address at a fixed interval",
        &[
            "Isolate the host from the network",
            "Block the beacon's destination address at the firewall and proxy",
            "Find the process that opens the connections (EDR or Sysmon 3) and collect it",
            "Hunt for the same destination on every other host",
        ],
        beacon,
    ),
];

/// Services Windows checks in with when nobody is at the desk.
const CLOUD: [&str; 4] = [
    "settings-win.data.microsoft.com",
    "login.live.com",
    "ctldl.windowsupdate.com",
    "v10.events.data.microsoft.com",
];

fn port(s: &mut Scene<'_>) -> u16 {
    ephemeral_port(&mut s.rng)
}

fn idle(s: &mut Scene<'_>) {
    let h = if s.rng.chance(70) {
        workstation(s)
    } else {
        host(s, "SQL01")
    };
    let mut log = WinLog::new(h, s.enabled);
    log.role = Role::Story;
    let mut c = Clock::at(s.start);
    let lookups = s.rng.between(2, 5);
    for _ in 0..lookups {
        let t = c.tick(&mut s.rng, 20_000, 240_000);
        let sport = port(s);
        log.dns_flow(t, sport);
    }
    let t = c.tick(&mut s.rng, 1_000, 60_000);
    let ports = [port(s), port(s)];
    log.logon_flows(t, ports);
    let domain = *s.rng.pick(&CLOUD);
    let ip = resolve(domain);
    let (t, sport) = (c.tick(&mut s.rng, 5_000, 90_000), port(s));
    log.dns_flow(t, sport);
    let (t, sport) = (c.tick(&mut s.rng, 20, 200), port(s));
    log.flow(t, sport, (&ip, 443), false);
    let summary = format!(
        "{} made only ordinary network flows while idle: {lookups} DNS lookups at the domain controller, a Kerberos ticket renewal and LDAP lookup, and one HTTPS check-in with {domain}",
        h.name
    );
    finish(s, log, "", summary);
}

fn beacon(s: &mut Scene<'_>) {
    let h = workstation(s);
    let mut log = WinLog::new(h, s.enabled);
    log.role = Role::Story;
    let mut c = Clock::at(s.start);
    // A rare external address, reached by IP (no lookup before), every `every` s with jitter.
    let c2 = attacker_ip(&s.rng.hex(6));
    // Under the session gap (5 min), so one beacon is one session.
    let every = *s.rng.pick(&[30u64, 60, 120]);
    let jitter = every * 100 / 10;
    let n = s.rng.between(6, 14);
    let (out, back) = (s.rng.between(180, 900), s.rng.between(90, 600));
    for _ in 0..n {
        let t = c.tick(&mut s.rng, every * 1000 - jitter, every * 1000 + jitter);
        let sport = port(s);
        let wobble = s.rng.between(0, 8);
        log.flow_sized(t, sport, (&c2, 443), (out + wobble, back));
    }
    let summary = format!(
        "{} connected to {c2}:443 {n} times about every {every} s with no DNS lookup before: a regular beacon to a rare external address, typical of command-and-control over HTTPS",
        h.name
    );
    finish(s, log, "", summary);
}
