//! Sessionization: events grouped by host and actor (user, else process, else host; remote
//! authentication by its source address, see [`super::remote`]; network records by source
//! address unless they join a host session by IP and time), split at an inactivity gap, with
//! the metadata an analyst triages by and the links between sessions of one story. A large
//! case streams through [`Sessionizer`]; [`sessionize`] does the same for events in memory.

use std::collections::HashMap;
use std::sync::Arc;

use crate::index::EventMeta;
use crate::model::Hit;
use crate::model::{ActorKind, Session};

use super::prepass::Prepared;
use super::stream::Sessionizer;

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

pub(super) const UNKNOWN_HOST: &str = "unknown-host";

pub(super) fn is_network(format: Option<&str>) -> bool {
    matches!(
        format,
        Some("zeek_json" | "zeek_tsv" | "suricata_eve" | "slips" | "binetflow")
    )
}

pub(super) fn host_key(m: &EventMeta, unknown: &Arc<str>) -> ActorKey {
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

/// Groups `events` into sessions. Returns each session with its member event keys, in
/// (start, id) order.
///
/// The result depends on the events, not on their order (the index returns them in segment
/// order, which differs between two ingests of the same files), nor on HashMap order: every
/// choice is made in (time, key) order.
pub fn sessionize(
    events: &[EventMeta],
    hits: &[Hit],
    opts: &GroupOptions,
) -> Vec<(Session, Vec<u64>)> {
    sessionize_in_windows(events, hits, opts, 4096)
}

/// [`sessionize`], pushing the events to the stream `window` at a time.
pub(super) fn sessionize_in_windows(
    events: &[EventMeta],
    hits: &[Hit],
    opts: &GroupOptions,
    window: usize,
) -> Vec<(Session, Vec<u64>)> {
    let mut prepared = Prepared::default();
    for m in events {
        prepared.observe(m);
    }
    let mut in_order: Vec<&EventMeta> = events.iter().collect();
    in_order.sort_by_key(|m| m.order());
    let mut hits_by_key: HashMap<u64, Vec<&Hit>> = HashMap::new();
    for h in hits {
        hits_by_key
            .entry(crate::event::key_of_id(&h.event_id))
            .or_default()
            .push(h);
    }
    let fold = |stream: &mut Sessionizer, out: &mut Vec<(Session, Vec<u64>)>| {
        let hits: Vec<Hit> = stream
            .foldable()
            .iter()
            .flat_map(|k| hits_by_key.get(k).into_iter().flatten())
            .map(|&h| h.clone())
            .collect();
        out.extend(stream.fold(&hits));
    };
    let mut stream = Sessionizer::new(prepared, opts);
    let mut out = Vec::new();
    for part in in_order.chunks(window.max(1)) {
        stream.push(part.iter().map(|&m| m.clone()).collect());
        fold(&mut stream, &mut out);
    }
    stream.finish();
    fold(&mut stream, &mut out);
    let at: HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.id.clone(), i))
        .collect();
    for (id, other) in stream.late_links() {
        if let Some(&i) = at.get(&id) {
            let linked = &mut out[i].0.linked;
            if let Err(p) = linked.binary_search(&other) {
                linked.insert(p, other);
            }
        }
    }
    out.sort_by(|a, b| a.0.start.cmp(&b.0.start).then_with(|| a.0.id.cmp(&b.0.id)));
    out
}
