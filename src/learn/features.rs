//! Session features for the learned prior: what a session did (rules, event ids, processes,
//! sources, actor kind, time of day), deliberately without host names or addresses so that
//! a correction on one host carries over to similar sessions on others.

use crate::sessions::{ActorKind, Session};

/// Feature tokens with weights (a token may repeat; weights add up).
pub fn session_features(s: &Session) -> Vec<(String, f64)> {
    let mut f: Vec<(String, f64)> = Vec::new();
    for d in &s.detections {
        f.push((format!("rule:{}", d.rule_id), 3.0));
        f.push((format!("level:{}", d.level), 1.0));
        for t in &d.techniques {
            // One token per technique across ATT&CK versions: a SigmaHQ rule's v19 tag and a
            // built-in rule's v18 tag for the same behaviour make sessions alike.
            f.push((format!("tech:{}", crate::attack::builtin_key(t)), 2.0));
        }
    }
    if s.detections.is_empty() {
        f.push(("rules:none".into(), 1.0));
    }
    let mut activities: std::collections::BTreeMap<&str, u64> = Default::default();
    for (id, n) in &s.event_ids {
        // log-scaled: a thousand failures are "many", not a thousand times one.
        f.push((format!("eid:{id}"), 0.5 + 0.5 * (*n as f64).ln_1p()));
        if let Some(a) = activity(id) {
            *activities.entry(a).or_default() += n;
        }
    }
    // What the events mean, across log sources: a DC's Kerberos pre-authentication failures
    // and a file server's failed logons are the same stale password seen from two places.
    for (a, n) in activities {
        f.push((format!("act:{a}"), 1.0 + (n as f64).ln_1p()));
    }
    for p in &s.processes {
        f.push((format!("proc:{p}"), 1.0));
    }
    for fmt in s.formats.keys() {
        f.push((format!("fmt:{fmt}"), 0.5));
    }
    let kind = match s.actor_kind {
        ActorKind::User => "user",
        ActorKind::Process => "process",
        ActorKind::Network => "network",
        ActorKind::Host => "host",
        ActorKind::Source => "source",
    };
    f.push((format!("actor:{kind}"), 0.5));
    if let Some(u) = &s.user {
        let u = u.to_lowercase();
        let service = u.starts_with("svc") || u.contains("service") || u.ends_with('$');
        f.push((
            if service {
                "user:service"
            } else {
                "user:person"
            }
            .into(),
            1.0,
        ));
    }
    let hour = match s.hour {
        0..=5 => "night",
        6..=8 => "morning",
        9..=17 => "business",
        _ => "evening",
    };
    f.push((format!("hour:{hour}"), 0.5));
    if s.weekend {
        f.push(("weekend".into(), 0.5));
    }
    f.push((
        format!("size:{}", (s.events.max(1) as f64).log2().floor() as u32),
        0.5,
    ));
    f.push((
        format!(
            "duration:{}",
            (s.duration_s.max(1) as f64).log10().floor() as u32
        ),
        0.5,
    ));
    if !s.remote_ips.is_empty() {
        let external = s.remote_ips.iter().any(|ip| !is_private(ip));
        f.push((
            if external {
                "remote:external"
            } else {
                "remote:internal"
            }
            .into(),
            1.0,
        ));
    }
    f
}

/// The kind of activity a Windows event id records (Security, System, Sysmon), when it is one
/// that recurs across hosts and roles.
fn activity(event_id: &str) -> Option<&'static str> {
    Some(match event_id {
        "4625" | "4771" | "4776-failure" | "529" | "530" | "531" | "532" | "533" | "534"
        | "535" | "536" | "537" | "539" => "auth-failure",
        "4624" | "4768" | "4769" | "540" => "auth-success",
        "4740" => "lockout",
        "4688" | "1" => "process-start",
        "7045" | "4697" => "service-install",
        "4698" | "4702" | "106" => "scheduled-task",
        "4720" | "4722" | "4724" | "4728" | "4732" | "4738" | "4756" => "account-change",
        "1102" | "104" => "log-cleared",
        "3" | "5156" => "network-connection",
        "10" => "process-access",
        "12" | "13" | "14" | "4657" => "registry-change",
        "4104" | "4103" => "powershell",
        _ => return None,
    })
}

/// RFC 1918 / loopback / link-local (IPv4) and ULA / loopback (IPv6) addresses.
pub fn is_private(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        Ok(std::net::IpAddr::V6(v6)) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => false,
    }
}
