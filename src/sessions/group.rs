//! Sessionization: events grouped by host and actor (user, else process, else host; network
//! records by source address unless they join a host session by IP and time), split
//! at an inactivity gap, with the metadata an analyst triages by.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};

use crate::event::{Cause, Label};
use crate::index::EventMeta;
use crate::model::Hit;
use crate::model::{ActorKind, Session, SessionDetection};

/// Events newer than `gap` after the previous event of the same actor start a new session.
#[derive(Debug, Clone)]
pub struct GroupOptions {
    pub gap_micros: i64,
    /// Known host addresses (`10.0.0.5` -> `WS01`) on top of those learned from the events.
    pub host_ips: HashMap<String, String>,
}

impl GroupOptions {
    pub fn with_gap_minutes(minutes: u32) -> Self {
        GroupOptions {
            gap_micros: i64::from(minutes) * 60 * 1_000_000,
            host_ips: HashMap::new(),
        }
    }
}

/// Who did it, on which host: the grouping key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct ActorKey {
    host: Arc<str>,
    kind: ActorKind,
    actor: Arc<str>,
}

/// Accounts that say nothing about who acted (Windows uses `-` for "none").
fn meaningful_user(u: &str) -> bool {
    !matches!(u, "" | "-" | "N/A" | "n/a" | "null")
}

fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

const UNKNOWN_HOST: &str = "unknown-host";

fn is_network(format: Option<&str>) -> bool {
    matches!(
        format,
        Some("zeek_json" | "zeek_tsv" | "suricata_eve" | "slips" | "binetflow")
    )
}

fn host_key(m: &EventMeta, unknown: &Arc<str>) -> ActorKey {
    let host = m.host.clone().unwrap_or_else(|| unknown.clone());
    if let Some(u) = m.user.as_ref().filter(|u| meaningful_user(u)) {
        let u: Arc<str> = Arc::from(u.to_lowercase());
        return ActorKey {
            host,
            kind: ActorKind::User,
            actor: u,
        };
    }
    if let Some(p) = &m.process {
        let p: Arc<str> = Arc::from(basename(p).to_lowercase());
        return ActorKey {
            host,
            kind: ActorKind::Process,
            actor: p,
        };
    }
    ActorKey {
        host: host.clone(),
        kind: ActorKind::Host,
        actor: host,
    }
}

/// Addresses that belong to a host, learned from host records that name their own address
/// (Sysmon network connections: `SourceIp` is the local end); the earliest record wins.
fn learn_host_ips(
    events: &[EventMeta],
    in_time_order: &[usize],
    opts: &GroupOptions,
) -> HashMap<String, Arc<str>> {
    let mut map: HashMap<String, Arc<str>> = opts
        .host_ips
        .iter()
        .map(|(ip, h)| (ip.clone(), Arc::from(h.as_str())))
        .collect();
    for m in in_time_order.iter().map(|&i| &events[i]) {
        if is_network(m.format.as_deref()) {
            continue;
        }
        let sysmon_net = m.event_id.as_deref() == Some("3");
        if let (true, Some(host), Some(ip)) = (sysmon_net, &m.host, &m.src_ip) {
            map.entry(ip.to_string()).or_insert_with(|| host.clone());
        }
    }
    map
}

/// Groups `events` into sessions. Returns each session with its member event keys.
///
/// The result depends on the events, not on their order (the index returns them in segment
/// order, which differs between two ingests of the same files), nor on HashMap order: every
/// choice below is made in (time, key) order.
pub fn sessionize(
    events: &[EventMeta],
    hits: &[Hit],
    opts: &GroupOptions,
) -> Vec<(Session, Vec<u64>)> {
    let unknown: Arc<str> = Arc::from(UNKNOWN_HOST);
    let ts = |i: usize| events[i].ts.unwrap_or(i64::MIN);
    let mut in_time_order: Vec<usize> = (0..events.len()).collect();
    in_time_order.sort_by_key(|&i| (ts(i), events[i].key));
    let host_ips = learn_host_ips(events, &in_time_order, opts);
    let gap = opts.gap_micros.max(1);

    // 1. Host activity by actor; network records aside. Undated events sort first (ts None).
    let mut by_actor: HashMap<ActorKey, Vec<usize>> = HashMap::new();
    let mut network: Vec<usize> = Vec::new();
    for &i in &in_time_order {
        let m = &events[i];
        if is_network(m.format.as_deref()) {
            network.push(i);
        } else {
            by_actor.entry(host_key(m, &unknown)).or_default().push(i);
        }
    }
    let mut groups: Vec<(ActorKey, Vec<usize>)> = Vec::new();
    for (key, idx) in by_actor {
        split_at_gaps(&key, idx, gap, &ts, &mut groups); // idx is in time order already
    }
    // HashMap order is random per run: without this, a network record inside the windows of
    // two sessions of its host joined whichever came first, and the same logs gave other
    // sessions (and session ids) on every ingest. Earliest first event first, then its key.
    groups.sort_by_key(|(_, idx)| (ts(idx[0]), events[idx[0]].key));

    // 2. Network records join the host session active at their time, else group by source:
    // one session per originator (a scanner, a beaconing host) rather than one per
    // connection pair, which left thousands of one-connection sessions in a busy capture.
    let mut by_host: HashMap<Arc<str>, Vec<usize>> = HashMap::new();
    for (g, (key, idx)) in groups.iter().enumerate() {
        if !idx.is_empty() {
            by_host.entry(key.host.clone()).or_default().push(g);
        }
    }
    // A host session's window is its own activity: records joined to it do not stretch it.
    let windows: Vec<(i64, i64)> = groups
        .iter()
        .map(|(_, idx)| match (idx.first(), idx.last()) {
            (Some(&a), Some(&b)) => (ts(a), ts(b)),
            _ => (i64::MAX, i64::MIN),
        })
        .collect();
    let mut pairs: HashMap<ActorKey, Vec<usize>> = HashMap::new();
    for i in network {
        let m = &events[i];
        let joined = [&m.src_ip, &m.dst_ip]
            .into_iter()
            .flatten()
            .filter_map(|ip| host_ips.get(ip.as_ref()))
            .find_map(|host| {
                let t = m.ts?;
                by_host.get(host)?.iter().copied().find(|&g| {
                    let (first, last) = windows[g];
                    first.saturating_sub(gap) <= t && t <= last.saturating_add(gap)
                })
            });
        match joined {
            Some(g) => groups[g].1.push(i),
            None => {
                let src = m.src_ip.clone().unwrap_or_else(|| Arc::from("?"));
                let host = m
                    .src_ip
                    .as_ref()
                    .and_then(|ip| host_ips.get(ip.as_ref()).cloned())
                    .or_else(|| m.host.clone())
                    .unwrap_or_else(|| src.clone());
                let actor = src.clone();
                pairs
                    .entry(ActorKey {
                        host,
                        kind: ActorKind::Network,
                        actor,
                    })
                    .or_default()
                    .push(i);
            }
        }
    }
    for (key, mut idx) in pairs {
        idx.sort_by_key(|&i| (ts(i), events[i].key));
        split_at_gaps(&key, idx, gap, &ts, &mut groups);
    }

    // 3. Metadata.
    let mut hits_by_key: HashMap<u64, Vec<&Hit>> = HashMap::new();
    for h in hits {
        hits_by_key
            .entry(crate::event::key_of_id(&h.event_id))
            .or_default()
            .push(h);
    }
    let mut out: Vec<(Session, Vec<u64>)> = groups
        .into_iter()
        .filter(|(_, idx)| !idx.is_empty())
        .map(|(key, mut idx)| {
            idx.sort_by_key(|&i| (ts(i), events[i].key));
            let session = describe(&key, &idx, events, &hits_by_key);
            (session, idx.iter().map(|&i| events[i].key).collect())
        })
        .collect();
    out.sort_by(|a, b| a.0.start.cmp(&b.0.start).then_with(|| a.0.id.cmp(&b.0.id)));
    out
}

fn split_at_gaps(
    key: &ActorKey,
    idx: Vec<usize>,
    gap: i64,
    ts: &impl Fn(usize) -> i64,
    out: &mut Vec<(ActorKey, Vec<usize>)>,
) {
    let mut current: Vec<usize> = Vec::new();
    let mut last = i64::MIN;
    for i in idx {
        let t = ts(i);
        if !current.is_empty() && t.saturating_sub(last) > gap {
            out.push((key.clone(), std::mem::take(&mut current)));
        }
        last = t;
        current.push(i);
    }
    if !current.is_empty() {
        out.push((key.clone(), current));
    }
}

fn time_of(micros: Option<i64>) -> DateTime<Utc> {
    micros
        .and_then(|m| Utc.timestamp_micros(m).single())
        .unwrap_or_default()
}

fn describe(
    key: &ActorKey,
    idx: &[usize],
    events: &[EventMeta],
    hits_by_key: &HashMap<u64, Vec<&Hit>>,
) -> Session {
    let first = &events[idx[0]];
    let start = time_of(idx.iter().find_map(|&i| events[i].ts));
    let end = time_of(idx.iter().rev().find_map(|&i| events[i].ts));
    let mut formats: BTreeMap<String, u64> = BTreeMap::new();
    let mut fallback = 0;
    let mut causes: BTreeMap<Cause, u64> = BTreeMap::new();
    let mut techniques: BTreeSet<String> = BTreeSet::new();
    let mut detections: BTreeMap<String, SessionDetection> = BTreeMap::new();
    let mut digest = xxhash_rust::xxh3::Xxh3::new();
    let mut event_ids: BTreeMap<String, u64> = BTreeMap::new();
    let mut processes: BTreeSet<String> = BTreeSet::new();
    let mut remote_ips: BTreeSet<String> = BTreeSet::new();
    for &i in idx {
        let m = &events[i];
        digest.update(&m.key.to_le_bytes());
        if let Some(e) = &m.event_id {
            *event_ids.entry(e.to_string()).or_default() += 1;
        }
        if let Some(p) = &m.process
            && processes.len() < 10
        {
            processes.insert(basename(p).to_lowercase());
        }
        for ip in [&m.src_ip, &m.dst_ip].into_iter().flatten() {
            // The session's own addresses are not remote: its host's, or a network
            // session's source.
            let own = m.host.as_deref() == Some(ip.as_ref())
                || (key.kind == ActorKind::Network && key.actor.as_ref() == ip.as_ref());
            if remote_ips.len() < 10 && !own {
                remote_ips.insert(ip.to_string());
            }
        }
        let fmt = m.format.as_deref().unwrap_or("unknown");
        *formats.entry(fmt.to_string()).or_default() += 1;
        if fmt == "text" {
            fallback += 1;
        }
        if let Some(label) = m.label.as_deref().and_then(|l| l.parse::<Label>().ok()) {
            *causes.entry(label.cause).or_default() += 1;
            techniques.extend(label.techniques);
        }
        for h in hits_by_key.get(&m.key).into_iter().flatten() {
            let d = detections
                .entry(h.rule_id.to_string())
                .or_insert_with(|| SessionDetection {
                    rule_id: h.rule_id.to_string(),
                    title: h.title.to_string(),
                    level: h.level,
                    techniques: h.techniques.to_vec(),
                    count: 0,
                    event_ids: Vec::new(),
                });
            d.count += 1;
            if d.event_ids.len() < 5 {
                d.event_ids.push(h.event_id.clone());
            }
        }
    }
    let label = causes
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        .map(|(cause, _)| Label {
            cause: *cause,
            techniques: techniques.into_iter().collect(),
            risk: None,
        });
    let mut detections: Vec<SessionDetection> = detections.into_values().collect();
    detections.sort_by(|a, b| b.level.cmp(&a.level).then(b.count.cmp(&a.count)));
    let actor_text = match key.kind {
        ActorKind::User | ActorKind::Network | ActorKind::Host => key.actor.to_string(),
        ActorKind::Process => format!("process {}", key.actor),
    };
    let mut id_hash = xxhash_rust::xxh3::Xxh3::new();
    id_hash.update(key.host.as_bytes());
    id_hash.update(&[key.kind as u8]);
    id_hash.update(key.actor.as_bytes());
    id_hash.update(&first.key.to_le_bytes());
    let events_n = idx.len() as u64;
    Session {
        id: format!("{:016x}", id_hash.digest()),
        host: key.host.to_string(),
        user: (key.kind == ActorKind::User).then(|| key.actor.to_string()),
        actor_kind: key.kind,
        actor: actor_text,
        start,
        end,
        duration_s: (end - start).num_seconds(),
        hour: start.hour(),
        weekend: start.weekday().number_from_monday() >= 6,
        formats,
        events: events_n,
        parsed_events: events_n - fallback,
        fallback_events: fallback,
        detections,
        label,
        content_hash: format!("{:016x}", digest.digest()),
        event_ids: top_counts(event_ids, 20),
        processes: processes.into_iter().collect(),
        remote_ips: remote_ips.into_iter().collect(),
    }
}

/// The `n` largest counts (ties by name), as a map.
fn top_counts(counts: BTreeMap<String, u64>, n: usize) -> BTreeMap<String, u64> {
    if counts.len() <= n {
        return counts;
    }
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter().take(n).collect()
}
