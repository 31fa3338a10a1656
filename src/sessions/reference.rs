//! The whole-case sessionization that the streaming one replaced, kept for tests only: the
//! streaming [`super::sessionize`] must give the very same sessions, links and ids
//! (`stream_tests.rs` compares them on generated cases). Every event is held at once here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::describe::Describer;
use super::group::{ActorKey, GroupOptions, UNKNOWN_HOST, host_key, is_network, meaningful_user};
use super::remote::{Attempt, Outcome, account, attempt, is_sshd, short_host};
use crate::index::EventMeta;
use crate::model::{ActorKind, Hit, Session};

/// sshd connections: (host, pid) -> the sources seen on it, with their first and last time.
type Conns = HashMap<(Arc<str>, u64), Vec<(Arc<str>, i64, i64)>>;

/// Which events belong to a source's session, decided from the whole case at once (not in the
/// order events come), so the result depends on the events alone.
struct Sources {
    /// Per event (index into the case's events): its remote authentication, if any.
    pub attempts: Vec<Option<Attempt>>,
    /// Failure times per (host, source), sorted.
    failures: HashMap<(Arc<str>, Arc<str>), Vec<i64>>,
    conns: Conns,
    gap: i64,
}

impl Sources {
    fn new(
        events: &[EventMeta],
        in_time_order: &[usize],
        host_ips: &HashMap<String, Arc<str>>,
        unknown: &Arc<str>,
        gap: i64,
    ) -> Sources {
        let mut attempts: Vec<Option<Attempt>> = vec![None; events.len()];
        let mut failures: HashMap<(Arc<str>, Arc<str>), Vec<i64>> = HashMap::new();
        let mut conns: Conns = HashMap::new();
        for &i in in_time_order {
            let m = &events[i];
            let Some(a) = attempt(m, host_ips) else {
                continue;
            };
            let host = m.host.clone().unwrap_or_else(|| unknown.clone());
            let t = m.ts.unwrap_or(i64::MIN);
            if a.outcome == Outcome::Failure {
                failures
                    .entry((host.clone(), a.source.clone()))
                    .or_default()
                    .push(t);
            }
            if let Some(pid) = m.pid.filter(|_| is_sshd(m)) {
                let seen = conns.entry((host, pid)).or_default();
                match seen
                    .iter_mut()
                    .find(|(s, _, last)| *s == a.source && t.saturating_sub(*last) <= gap)
                {
                    Some(entry) => entry.2 = t,
                    None => seen.push((a.source.clone(), t, t)),
                }
            }
            attempts[i] = Some(a);
        }
        Sources {
            attempts,
            failures,
            conns,
            gap,
        }
    }

    /// True when `source` failed to authenticate on `host` within the gap of `t`.
    fn failing(&self, host: &Arc<str>, source: &Arc<str>, t: i64) -> bool {
        let Some(times) = self.failures.get(&(host.clone(), source.clone())) else {
            return false;
        };
        let from = t.saturating_sub(self.gap);
        let at = times.partition_point(|&f| f < from);
        times
            .get(at)
            .is_some_and(|&f| f <= t.saturating_add(self.gap))
    }

    /// The source whose session event `i` belongs to: a failure always; a success or another
    /// record of the exchange while the source is failing; and sshd's lines that name neither
    /// address nor user (`check pass; user unknown`) by their connection's process id.
    fn source_of(&self, i: usize, m: &EventMeta, host: &Arc<str>) -> Option<Arc<str>> {
        let t = m.ts.unwrap_or(i64::MIN);
        if let Some(a) = &self.attempts[i] {
            let joins = a.outcome == Outcome::Failure || self.failing(host, &a.source, t);
            return joins.then(|| a.source.clone());
        }
        let named = m.user.as_deref().is_some_and(|u| !u.is_empty() && u != "-");
        if m.src_ip.is_some() || named || !is_sshd(m) {
            return None;
        }
        let (source, _, _) =
            self.conns
                .get(&(host.clone(), m.pid?))?
                .iter()
                .find(|(_, first, last)| {
                    first.saturating_sub(self.gap) <= t && t <= last.saturating_add(self.gap)
                })?;
        self.failing(host, source, t).then(|| source.clone())
    }
}

/// A session as the linker sees it.
struct Span<'a> {
    pub host: &'a str,
    pub source: Option<&'a str>,
    /// The account, for user sessions.
    pub user: Option<&'a str>,
    pub first: i64,
    pub last: i64,
    /// For a source's session: the accounts it tried (lower case, no domain).
    pub tried: BTreeSet<String>,
}

/// Pairs of sessions (indexes into `spans`) in one story, from every successful remote logon:
/// - the source's session on that host (its failures) with the sessions of the logged-on
///   account active then; for a logon after that session, only the first one per account the
///   source tried there, with the session holding it;
/// - where the source address is a known host (lateral movement, a share mount), the
///   session holding the logon with that account's sessions on the source host at that time.
fn links(
    spans: &[Span<'_>],
    session_of: &[Option<usize>],
    events: &[EventMeta],
    sources: &Sources,
    host_ips: &HashMap<String, Arc<str>>,
    gap: i64,
) -> BTreeSet<(usize, usize)> {
    // Sessions by (host, account) and by (host, source), so that each logon looks at a few.
    let mut by_user: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut by_source: HashMap<(String, &str), Vec<usize>> = HashMap::new();
    for (g, s) in spans.iter().enumerate() {
        match (s.source, s.user) {
            (Some(src), _) => by_source
                .entry((short_host(s.host), src))
                .or_default()
                .push(g),
            (None, Some(u)) => by_user
                .entry((short_host(s.host), account(u)))
                .or_default()
                .push(g),
            (None, None) => {}
        }
    }
    // (story session, account) -> its first later logon: (time, event key, session, host).
    let mut later: BTreeMap<(usize, String), (i64, u64, usize, String)> = BTreeMap::new();
    let mut pairs = BTreeSet::new();
    let mut add = |a: usize, b: usize| {
        if a != b {
            pairs.insert((a.min(b), a.max(b)));
        }
    };
    let active = |g: &usize, t: i64| {
        let s = &spans[*g];
        s.first.saturating_sub(gap) <= t && t <= s.last.saturating_add(gap)
    };
    for (i, a) in sources.attempts.iter().enumerate() {
        let (Some(a), Some(here)) = (a, session_of[i]) else {
            continue;
        };
        let m = &events[i];
        let (Some(t), Some(host)) = (m.ts, m.host.as_deref()) else {
            continue;
        };
        if a.outcome != Outcome::Success {
            continue;
        }
        let host = short_host(host);
        let user = m.user.as_deref().map(account);
        let users_at = |h: String| -> Vec<usize> {
            user.clone()
                .and_then(|u| by_user.get(&(h, u)))
                .map(|gs| gs.iter().copied().filter(|g| active(g, t)).collect())
                .unwrap_or_default()
        };
        // The source's latest session on this host that began before the logon.
        let story = by_source.get(&(host.clone(), &*a.source)).and_then(|gs| {
            gs.iter()
                .copied()
                .filter(|&g| spans[g].first <= t)
                .max_by_key(|&g| (spans[g].first, g))
        });
        match story {
            // Inside the source's session: link what the account does now.
            Some(story) if story == here => {
                for g in users_at(host.clone()) {
                    add(story, g);
                }
            }
            // Later: only the first logon per account the source had tried there (the breach,
            // not every routine logon of that account afterwards).
            Some(story)
                if user
                    .as_ref()
                    .is_some_and(|u| spans[story].tried.contains(u)) =>
            {
                let key = (story, user.clone().unwrap_or_default());
                let this = (t, m.key, here, host.clone());
                if later
                    .get(&key)
                    .is_none_or(|best| (this.0, this.1) < (best.0, best.1))
                {
                    later.insert(key, this);
                }
            }
            _ => {}
        }
        if let Some(from) = host_ips.get(a.source.as_ref()) {
            for g in users_at(short_host(from)) {
                add(here, g);
            }
        }
    }
    for ((story, user), (t, _, here, host)) in later {
        add(story, here);
        for g in by_user.get(&(host, user)).into_iter().flatten() {
            if active(g, t) {
                add(story, *g);
            }
        }
    }
    pairs
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
pub(super) fn sessionize(
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
    let mut out: Vec<(Session, Vec<u64>)> = groups
        .iter()
        .map(|(key, idx)| {
            let mut d = Describer::default();
            for &i in idx {
                let hits: Vec<&Hit> = hits_by_key
                    .get(&events[i].key)
                    .into_iter()
                    .flatten()
                    .copied()
                    .collect();
                d.add(key, &events[i], sources.attempts[i].as_ref(), &hits);
            }
            let members: Vec<u64> = idx.iter().map(|&i| events[i].key).collect();
            (d.finish(key, &members, Vec::new()), members)
        })
        .collect();
    let ids: Vec<String> = out.iter().map(|(s, _)| s.id.clone()).collect();
    for ((session, _), others) in out.iter_mut().zip(linked) {
        session.linked = others.into_iter().map(|g| ids[g].clone()).collect();
        session.linked.sort();
    }
    out.sort_by(|a, b| a.0.start.cmp(&b.0.start).then_with(|| a.0.id.cmp(&b.0.id)));
    out
}

/// For each group, the groups in its story ([`links`]).
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
                    .map(account)
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
    for (a, b) in links(&spans, &session_of, events, sources, host_ips, gap) {
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
