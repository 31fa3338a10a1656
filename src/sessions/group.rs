//! Sessionization: events grouped by host and actor (user, else process, else host; remote
//! authentication by its source address, see [`super::remote`]; network records by source
//! address unless they join a host session by IP and time), split at an inactivity gap, with
//! the metadata an analyst triages by and the links between sessions of one story.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::index::EventMeta;
use crate::model::Hit;
use crate::model::{ActorKind, Session};

use super::describe::{describe, id_of, session_id};
use super::remote::{self, Sources, Span};

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
pub(super) struct ActorKey {
    pub host: Arc<str>,
    pub kind: ActorKind,
    pub actor: Arc<str>,
}

/// Accounts that say nothing about who acted (Windows uses `-` for "none").
pub(super) fn meaningful_user(u: &str) -> bool {
    !matches!(u, "" | "-" | "N/A" | "n/a" | "null")
}

pub(super) fn basename(path: &str) -> &str {
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

/// Groups `events` into sessions. Returns each session with its member event keys, in
/// (start, id) order.
///
/// The result depends on the events, not on their order (the index returns them in segment
/// order, which differs between two ingests of the same files), nor on HashMap order: every
/// choice below is made in (time, key) order.
pub fn sessionize(
    events: &[EventMeta],
    hits: &[Hit],
    opts: &GroupOptions,
) -> Vec<(Session, Vec<u64>)> {
    let mut out = Vec::new();
    let done: Result<(), std::convert::Infallible> = sessionize_each(events, hits, opts, |s, m| {
        out.push((s, m));
        Ok(())
    });
    let Ok(()) = done;
    out.sort_by(|a, b| a.0.start.cmp(&b.0.start).then_with(|| a.0.id.cmp(&b.0.id)));
    out
}

/// [`sessionize`], handing each session and its member keys to `each` as it is described
/// instead of holding them all (a large case has millions of sessions): the same sessions, in
/// no particular order. The first error of `each` stops it and is returned.
pub fn sessionize_each<E>(
    events: &[EventMeta],
    hits: &[Hit],
    opts: &GroupOptions,
    mut each: impl FnMut(Session, Vec<u64>) -> Result<(), E>,
) -> Result<(), E> {
    let unknown: Arc<str> = Arc::from(UNKNOWN_HOST);
    let ts = |i: usize| events[i].ts.unwrap_or(i64::MIN);
    let mut in_time_order: Vec<usize> = (0..events.len()).collect();
    in_time_order.sort_by_key(|&i| (ts(i), events[i].key));
    let host_ips = learn_host_ips(events, &in_time_order, opts);
    let gap = opts.gap_micros.max(1);
    let sources = Sources::new(events, &in_time_order, &host_ips, &unknown, gap);

    // 1. Host activity by actor; network records aside. Undated events sort first (ts None).
    let mut by_actor: HashMap<ActorKey, Vec<usize>> = HashMap::new();
    let mut network: Vec<usize> = Vec::new();
    for &i in &in_time_order {
        let m = &events[i];
        if is_network(m.format.as_deref()) {
            network.push(i);
            continue;
        }
        let host = m.host.clone().unwrap_or_else(|| unknown.clone());
        let key = match sources.source_of(i, m, &host) {
            Some(source) => ActorKey {
                host,
                kind: ActorKind::Source,
                actor: source,
            },
            None => host_key(m, &unknown),
        };
        by_actor.entry(key).or_default().push(i);
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
    groups.retain(|(_, idx)| !idx.is_empty());
    for (_, idx) in &mut groups {
        idx.sort_by_key(|&i| (ts(i), events[i].key));
    }
    let linked = link_groups(&groups, events, &sources, &host_ips, gap);
    // Ids as numbers: a linked session names others before they are described.
    let ids: Vec<u64> = groups
        .iter()
        .map(|(key, idx)| id_of(key, events[idx[0]].key))
        .collect();
    // By value: each group's indices are freed once it is handed on.
    for ((key, idx), others) in groups.into_iter().zip(linked) {
        let mut session = describe(&key, &idx, events, &hits_by_key, &sources);
        session.linked = others.into_iter().map(|g| session_id(ids[g])).collect();
        session.linked.sort();
        each(session, idx.iter().map(|&i| events[i].key).collect())?;
    }
    Ok(())
}

/// For each group, the groups in its story ([`remote::links`]).
fn link_groups(
    groups: &[(ActorKey, Vec<usize>)],
    events: &[EventMeta],
    sources: &Sources,
    host_ips: &HashMap<String, Arc<str>>,
    gap: i64,
) -> Vec<BTreeSet<usize>> {
    let mut session_of: Vec<Option<usize>> = vec![None; events.len()];
    let spans: Vec<Span<'_>> = groups
        .iter()
        .enumerate()
        .map(|(g, (key, idx))| {
            for &i in idx {
                session_of[i] = Some(g);
            }
            let times = || idx.iter().filter_map(|&i| events[i].ts);
            let tried = match key.kind {
                ActorKind::Source => idx
                    .iter()
                    .filter(|&&i| sources.attempts[i].is_some())
                    .filter_map(|&i| events[i].user.as_deref())
                    .filter(|u| meaningful_user(u))
                    .map(remote::account)
                    .collect(),
                _ => BTreeSet::new(),
            };
            Span {
                tried,
                host: &key.host,
                source: (key.kind == ActorKind::Source).then_some(&*key.actor),
                user: (key.kind == ActorKind::User).then_some(&*key.actor),
                first: times().min().unwrap_or(i64::MIN),
                last: times().max().unwrap_or(i64::MIN),
            }
        })
        .collect();
    let mut linked = vec![BTreeSet::new(); groups.len()];
    for (a, b) in remote::links(&spans, &session_of, events, sources, host_ips, gap) {
        linked[a].insert(b);
        linked[b].insert(a);
    }
    linked
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
