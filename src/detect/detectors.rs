//! Threshold detectors over many events (a session, a file): brute force, password spraying,
//! failures followed by a success, and port scans. Sigma's per-event rules cannot count, and
//! correlation rules are not run (see `load.rs`), so these few aggregations live here.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Event, Format, Risk};
use crate::model::Hit;

/// Thresholds; the defaults suit interactive triage of a few thousand events.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectorConfig {
    /// Events further apart than this start a new burst.
    pub window_s: i64,
    /// Logon failures from one source in one burst that make brute force.
    pub brute_force_min: usize,
    /// Distinct accounts failing from one source in one burst that make password spraying.
    pub spray_min_users: usize,
    /// Distinct destination ports (vertical) or hosts (horizontal) from one source.
    pub scan_min_targets: usize,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            window_s: 300,
            brute_force_min: 10,
            spray_min_users: 5,
            scan_min_targets: 20,
        }
    }
}

/// Detector hits over `events` with the default thresholds.
pub fn detectors(events: &[Event]) -> Vec<Hit> {
    detectors_with(events, &DetectorConfig::default())
}

/// What one event means to the detectors.
enum Kind<'a> {
    Failure { user: Option<&'a str> },
    Success,
    Flow { dst: &'a str, port: Option<u16> },
}

/// One classified event: its time, the event and what kind of evidence it is.
type Classified<'a> = (Option<DateTime<Utc>>, &'a Event, Kind<'a>);

pub fn detectors_with(events: &[Event], cfg: &DetectorConfig) -> Vec<Hit> {
    // Per source, the classified events in time order (records without a time keep file order).
    let mut by_source: BTreeMap<&str, Vec<Classified<'_>>> = BTreeMap::new();
    for ev in events {
        if let Some((src, kind)) = classify(ev) {
            by_source
                .entry(src)
                .or_default()
                .push((ev.timestamp, ev, kind));
        }
    }
    let mut hits = Vec::new();
    for (src, mut list) in by_source {
        list.sort_by_key(|(t, _, _)| *t);
        for burst in bursts(&list, cfg.window_s) {
            logon_bursts(src, burst, cfg, &mut hits);
            scan_burst(src, burst, cfg, &mut hits);
        }
    }
    hits
}

type Entry<'a> = (Option<DateTime<Utc>>, &'a Event, Kind<'a>);

/// Splits a time-ordered list where consecutive events are more than `window_s` apart.
fn bursts<'l, 'a>(list: &'l [Entry<'a>], window_s: i64) -> Vec<&'l [Entry<'a>]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..list.len() {
        let gap = match (list[i - 1].0, list[i].0) {
            (Some(a), Some(b)) => (b - a).num_seconds(),
            _ => 0,
        };
        if gap > window_s {
            out.push(&list[start..i]);
            start = i;
        }
    }
    if start < list.len() {
        out.push(&list[start..]);
    }
    out
}

fn logon_bursts(src: &str, burst: &[Entry<'_>], cfg: &DetectorConfig, hits: &mut Vec<Hit>) {
    let failures: Vec<(&Event, Option<&str>)> = burst
        .iter()
        .filter_map(|(_, ev, k)| match k {
            Kind::Failure { user } => Some((*ev, *user)),
            _ => None,
        })
        .collect();
    if failures.len() >= cfg.brute_force_min {
        let at = failures[cfg.brute_force_min - 1].0;
        hits.push(hit(
            "lookout-detector-brute-force",
            format!("Brute force: {} failed logons from {src}", failures.len()),
            Risk::High,
            (&["T1110.001"], "credential-access"),
            at,
        ));
    }
    let mut users: HashSet<&str> = HashSet::new();
    for (ev, user) in &failures {
        if let Some(u) = user {
            users.insert(u);
            if users.len() == cfg.spray_min_users {
                hits.push(hit(
                    "lookout-detector-password-spray",
                    format!("Password spraying: failed logons for many accounts from {src}"),
                    Risk::High,
                    (&["T1110.003"], "credential-access"),
                    ev,
                ));
            }
        }
    }
    // A success after enough failures from the same source: the guessing may have worked.
    if failures.len() >= cfg.brute_force_min.min(5)
        && let Some((_, ev, _)) = burst
            .iter()
            .skip_while(|(_, _, k)| !matches!(k, Kind::Failure { .. }))
            .find(|(_, _, k)| matches!(k, Kind::Success))
    {
        hits.push(hit(
            "lookout-detector-brute-force-success",
            format!("Logon success from {src} after {} failures", failures.len()),
            Risk::Critical,
            (&["T1110", "T1078"], "credential-access"),
            ev,
        ));
    }
}

fn scan_burst(src: &str, burst: &[Entry<'_>], cfg: &DetectorConfig, hits: &mut Vec<Hit>) {
    let mut ports: HashMap<&str, HashSet<u16>> = HashMap::new();
    let mut hosts: HashSet<&str> = HashSet::new();
    let (mut vertical, mut horizontal) = (false, false);
    for (_, ev, k) in burst {
        let Kind::Flow { dst, port } = k else {
            continue;
        };
        let on_host = ports.entry(dst).or_default();
        if let Some(p) = port {
            on_host.insert(*p);
        }
        let probed = on_host.len();
        hosts.insert(dst);
        if !vertical && probed >= cfg.scan_min_targets {
            vertical = true;
            hits.push(hit(
                "lookout-detector-port-scan",
                format!("Port scan: {src} probed many ports of {dst}"),
                Risk::Medium,
                (&["T1046"], "discovery"),
                ev,
            ));
        }
        if !horizontal && hosts.len() >= cfg.scan_min_targets {
            horizontal = true;
            hits.push(hit(
                "lookout-detector-host-sweep",
                format!("Host sweep: {src} contacted many hosts"),
                Risk::Medium,
                (&["T1046", "T1018"], "discovery"),
                ev,
            ));
        }
    }
}

/// `attack`: technique ids and the tactic they serve here.
fn hit(id: &str, title: String, level: Risk, attack: (&[&str], &str), ev: &Event) -> Hit {
    Hit {
        rule_id: id.into(),
        title: title.into(),
        level,
        techniques: attack.0.iter().map(|t| t.to_string()).collect(),
        tactics: [attack.1.to_string()].into(),
        event_id: ev.id.clone(),
        events: Vec::new(),
    }
}

/// The source key and meaning of an event, or `None` when no detector cares about it.
fn classify(ev: &Event) -> Option<(&str, Kind<'_>)> {
    let field = |k: &str| ev.fields.get(k).map(String::as_str);
    let src = ev
        .src_ip
        .as_deref()
        .or_else(|| field("IpAddress"))
        .or_else(|| field("rhost"))
        .filter(|s| !s.is_empty() && *s != "-");
    let user = ev.user.as_deref().or_else(|| field("TargetUserName"));
    match ev.format {
        Format::Evtx | Format::WinJson => {
            let src = src.or(ev.host.as_deref())?;
            match ev.event_id.as_deref()? {
                "4625" => Some((src, Kind::Failure { user })),
                "4771" if field("Status") == Some("0x18") => Some((src, Kind::Failure { user })),
                "4624" if matches!(field("LogonType"), Some("3" | "8" | "10")) => {
                    Some((src, Kind::Success))
                }
                _ => None,
            }
        }
        Format::AuthLog | Format::Syslog => {
            let text = if ev.message.is_empty() {
                &ev.raw
            } else {
                &ev.message
            };
            let src = src?;
            if text.contains("Failed password") || text.contains("Invalid user") {
                Some((
                    src,
                    Kind::Failure {
                        user: ssh_user(text).or(user),
                    },
                ))
            } else if text.contains("authentication failure") {
                Some((src, Kind::Failure { user }))
            } else if text.contains("Accepted ") {
                Some((src, Kind::Success))
            } else {
                None
            }
        }
        Format::ZeekJson | Format::ZeekTsv | Format::Binetflow | Format::SuricataEve => {
            let flow = match ev.format {
                Format::Binetflow => true,
                Format::SuricataEve => ev.event_id.as_deref() == Some("flow"),
                _ => matches!(ev.event_id.as_deref(), Some("conn") | None),
            };
            let dst = ev.dst_ip.as_deref().filter(|_| flow)?;
            Some((
                src?,
                Kind::Flow {
                    dst,
                    port: ev.dst_port,
                },
            ))
        }
        _ => None,
    }
}

/// The account name in `Failed password for [invalid user] NAME from ...`.
fn ssh_user(text: &str) -> Option<&str> {
    let rest = text
        .split_once("Failed password for ")
        .map(|(_, r)| r)
        .or_else(|| text.split_once("Invalid user ").map(|(_, r)| r))?;
    let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
    rest.split_whitespace().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh(i: i64, text: &str) -> Event {
        let mut ev = Event::new(Format::AuthLog, "auth.log", i as u64, text);
        ev.timestamp = DateTime::from_timestamp(1_700_000_000 + i, 0);
        ev.src_ip = Some("173.234.31.186".into());
        ev.message = text.into();
        ev.finish()
    }

    #[test]
    fn brute_force_spray_and_success() {
        let mut events: Vec<Event> = (0..12)
            .map(|i| {
                ssh(
                    i,
                    &format!(
                        "Failed password for invalid user u{i} from 173.234.31.186 port 1 ssh2"
                    ),
                )
            })
            .collect();
        events.push(ssh(
            20,
            "Accepted password for u3 from 173.234.31.186 port 2 ssh2",
        ));
        let hits = detectors(&events);
        let ids: Vec<&str> = hits.iter().map(|h| &*h.rule_id).collect();
        assert!(ids.contains(&"lookout-detector-brute-force"), "{ids:?}");
        assert!(ids.contains(&"lookout-detector-password-spray"), "{ids:?}");
        assert!(
            ids.contains(&"lookout-detector-brute-force-success"),
            "{ids:?}"
        );
        // The brute-force hit points at the event that crossed the threshold.
        let bf = hits
            .iter()
            .find(|h| &*h.rule_id == "lookout-detector-brute-force")
            .unwrap();
        assert_eq!(bf.event_id, events[9].id);
    }

    #[test]
    fn few_or_spread_out_failures_are_quiet() {
        let events: Vec<Event> = (0..12)
            .map(|i| {
                ssh(
                    i * 1000,
                    "Failed password for root from 173.234.31.186 port 1 ssh2",
                )
            })
            .collect();
        assert!(detectors(&events).is_empty());
        assert!(detectors(&events[..3]).is_empty());
    }

    #[test]
    fn vertical_port_scan() {
        let events: Vec<Event> = (0..30u16)
            .map(|p| {
                let mut ev = Event::new(Format::ZeekJson, "conn.log", p as u64, "{}");
                ev.event_id = Some("conn".into());
                ev.src_ip = Some("10.0.0.66".into());
                ev.dst_ip = Some("10.0.0.5".into());
                ev.dst_port = Some(1000 + p);
                ev.finish()
            })
            .collect();
        let hits = detectors(&events);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].techniques.to_vec(), vec!["T1046"]);
    }
}
