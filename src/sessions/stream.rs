//! Sessionization as a stream: events come in (time, key) order a window at a time, and each
//! session leaves as soon as no later event can change it, so memory follows the activity
//! around the events being read, not the size of the case.
//!
//! A decision waits for the events it depends on, as the whole-case version saw them: an
//! event's actor for those up to one gap later (is its source failing then?), a network
//! record's host session for two (that session may begin up to a gap after it), a logon's links
//! for three (the sessions active around it, network records included). A session is
//! described member by member in (time, key) order once its members up to a time are all
//! known, and written once the linker is past its last event by a gap.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

use super::describe::{Describer, id_of, session_id};
use super::group::{ActorKey, GroupOptions, UNKNOWN_HOST, host_key, is_network, meaningful_user};
use super::links::{Endpoint, Later, Logon, Stories};
use super::prepass::Prepared;
use super::remote::{Attempt, AuthWindow, Outcome, account, attempt, short_host};
use crate::index::EventMeta;
use crate::model::{ActorKind, Hit, Session};

pub(super) type GroupNo = u64;

/// An event with its remote authentication, if any.
pub(super) struct Member {
    meta: EventMeta,
    attempt: Option<Attempt>,
}

impl Member {
    /// Its time as the order uses it: undated events first.
    fn t(&self) -> i64 {
        self.meta.ts.unwrap_or(i64::MIN)
    }
}

/// A session being built.
pub(super) struct Group {
    pub key: ActorKey,
    /// (time, key) of its first own event: the order in which network records and the linker
    /// prefer sessions (the whole-case version sorted its sessions so).
    pub order: (i64, u64),
    /// Time of its last own event (host records; a network session's records): the gap splits
    /// at it, and network records join within a gap of it.
    own_last: i64,
    /// First and last dated member, network records joined included: its span for links.
    span: Option<(i64, i64)>,
    /// Its first member in (time, key) order, whose key names the session.
    first: (i64, u64),
    /// For a source's session: the accounts it tried, the first later logon per account it may
    /// link to (decided when the session's accounts are known), and the accounts whose logon
    /// was linked.
    pub tried: BTreeSet<String>,
    pub later: BTreeMap<String, Later>,
    pub fired: BTreeSet<String>,
    /// Ids of the sessions in its story.
    pub linked: BTreeSet<u64>,
    describer: Describer,
    members: Vec<u64>,
}

impl Group {
    pub fn id(&self) -> u64 {
        id_of(&self.key, self.first.1)
    }

    /// First and last member time as the linker compares them (`i64::MIN` when undated).
    pub fn span(&self) -> (i64, i64) {
        self.span.unwrap_or((i64::MIN, i64::MIN))
    }

    /// Active at `t`: within a gap of its span.
    pub fn active_at(&self, t: i64, gap: i64) -> bool {
        let (first, last) = self.span();
        first.saturating_sub(gap) <= t && t <= last.saturating_add(gap)
    }

    /// Once the linker is past this, no member or link can come.
    fn done_after(&self, gap: i64) -> i128 {
        i128::from(self.span().1.max(self.own_last)) + i128::from(gap)
    }
}

/// Sessions from events given in (time, key) order: [`Sessionizer::push`] the events, then
/// [`Sessionizer::foldable`] names the events whose rule hits [`Sessionizer::fold`] needs to
/// describe the members now final and return the sessions complete; [`Sessionizer::finish`]
/// after the last events, and [`Sessionizer::late_links`] at the very end.
pub struct Sessionizer {
    pub(super) gap: i64,
    pub(super) host_ips: HashMap<String, Arc<str>>,
    pub(super) prepared: Prepared,
    unknown: Arc<str>,
    /// Every event up to this time has been seen (`i128::MAX` after the last).
    seen: i128,
    auth: AuthWindow,
    /// Seen, actor not decided yet.
    unassigned: VecDeque<Member>,
    /// Network records waiting for the host sessions around them.
    network: VecDeque<Member>,
    /// Successful remote logons waiting for the sessions around them.
    pub(super) logons: VecDeque<Logon>,
    /// Members not described yet, in (time, key, arrival) order.
    to_fold: BTreeMap<(i64, u64, u64), (GroupNo, Member)>,
    arrivals: u64,
    pub(super) groups: HashMap<GroupNo, Group>,
    next_group: GroupNo,
    /// Per actor, its latest session (the gap decides whether the next event joins it).
    current: HashMap<ActorKey, GroupNo>,
    /// Open host sessions per host, in order, for network records to join.
    by_host: HashMap<Arc<str>, BTreeMap<(i64, u64), GroupNo>>,
    /// Open user sessions per (short host, account), for the linker.
    pub(super) by_user: HashMap<(String, String), BTreeMap<(i64, u64), GroupNo>>,
    /// Source sessions per (short host, source), for the linker.
    pub(super) by_source: HashMap<(String, Arc<str>), Stories>,
    /// Sessions by the time after which they can be written (looked at again if it moved).
    closing: BinaryHeap<Reverse<(i128, GroupNo)>>,
    /// Links to sessions already returned: (id, the id to add to its links).
    pub(super) late: Vec<(u64, u64)>,
}

impl Sessionizer {
    pub fn new(prepared: Prepared, opts: &GroupOptions) -> Sessionizer {
        let gap = opts.gap_micros.max(1);
        Sessionizer {
            gap,
            host_ips: prepared.host_ips(&opts.host_ips),
            prepared,
            unknown: Arc::from(UNKNOWN_HOST),
            seen: i128::MIN,
            auth: AuthWindow::new(gap),
            unassigned: VecDeque::new(),
            network: VecDeque::new(),
            logons: VecDeque::new(),
            to_fold: BTreeMap::new(),
            arrivals: 0,
            groups: HashMap::new(),
            next_group: 0,
            current: HashMap::new(),
            by_host: HashMap::new(),
            by_user: HashMap::new(),
            by_source: HashMap::new(),
            closing: BinaryHeap::new(),
            late: Vec::new(),
        }
    }

    /// Takes the next events: in (time, key) order, after every event pushed before.
    pub fn push(&mut self, events: Vec<EventMeta>) {
        let mut last = None;
        for meta in events {
            let attempt = attempt(&meta, &self.host_ips);
            if let Some(a) = &attempt {
                let host = meta.host.clone().unwrap_or_else(|| self.unknown.clone());
                self.auth.see(&meta, a, &host);
            }
            last = Some(meta.ts.unwrap_or(i64::MIN));
            self.unassigned.push_back(Member { meta, attempt });
        }
        // Events at the last time seen may go on in the next window.
        if let Some(t) = last {
            self.seen = self.seen.max(i128::from(t) - 1);
        }
        self.advance();
    }

    /// No more events: everything left is decided.
    pub fn finish(&mut self) {
        self.seen = i128::MAX;
        self.advance();
    }

    /// Keys of the members now final in order: the events whose hits [`Sessionizer::fold`]
    /// needs (each once).
    pub fn foldable(&self) -> Vec<u64> {
        let until = self.horizon(2);
        let mut keys: Vec<u64> = self
            .to_fold
            .iter()
            .take_while(|((t, _, _), _)| i128::from(*t) <= until)
            .map(|(_, (_, m))| m.meta.key)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Describes the members now final in order, with `hits` (the rule hits on the keys from
    /// [`Sessionizer::foldable`]), and returns the sessions that no later event can change,
    /// each with its member event keys.
    pub fn fold(&mut self, hits: &[Hit]) -> Vec<(Session, Vec<u64>)> {
        let mut by_key: HashMap<u64, Vec<&Hit>> = HashMap::new();
        for h in hits {
            by_key
                .entry(crate::event::key_of_id(&h.event_id))
                .or_default()
                .push(h);
        }
        let until = self.horizon(2);
        while let Some(entry) = self.to_fold.first_entry() {
            if i128::from(entry.key().0) > until {
                break;
            }
            let (g, m) = entry.remove();
            if let Some(group) = self.groups.get_mut(&g) {
                let hits = by_key.get(&m.meta.key).map_or(&[][..], Vec::as_slice);
                group
                    .describer
                    .add(&group.key, &m.meta, m.attempt.as_ref(), hits);
                group.members.push(m.meta.key);
            }
        }
        self.close(self.horizon(3))
    }

    /// Links found after one of their sessions was returned: (session id, id to add to its
    /// links). Call after the last [`Sessionizer::fold`].
    pub fn late_links(&mut self) -> Vec<(String, String)> {
        let mut late = std::mem::take(&mut self.late);
        late.sort_unstable();
        late.dedup();
        late.into_iter()
            .map(|(a, b)| (session_id(a), session_id(b)))
            .collect()
    }

    /// The time up to which decisions that look `gaps` gaps ahead can be made.
    fn horizon(&self, gaps: i128) -> i128 {
        if self.seen == i128::MAX {
            i128::MAX
        } else {
            self.seen.saturating_sub(gaps * i128::from(self.gap))
        }
    }

    fn advance(&mut self) {
        self.assign_own(self.horizon(1));
        self.assign_network(self.horizon(2));
        self.link_logons(self.horizon(3));
    }

    /// Host records up to `until`: their actor (a failing source, else the user, process or
    /// host) and the session of that actor they join.
    fn assign_own(&mut self, until: i128) {
        if let Some(m) = self.unassigned.front() {
            self.auth.forget_before(m.t());
        }
        while self
            .unassigned
            .front()
            .is_some_and(|m| i128::from(m.t()) <= until)
        {
            let Some(m) = self.unassigned.pop_front() else {
                break;
            };
            if is_network(m.meta.format.as_deref()) {
                self.network.push_back(m);
                continue;
            }
            let t = m.t();
            let host = m.meta.host.clone().unwrap_or_else(|| self.unknown.clone());
            let key = match self.auth.source_of(&m.meta, m.attempt.as_ref(), &host) {
                Some(source) => ActorKey {
                    host,
                    kind: ActorKind::Source,
                    actor: source,
                },
                None => host_key(&m.meta, &self.unknown),
            };
            let g = self.session_of(&key, t, m.meta.key, true);
            if let Some(group) = self.groups.get_mut(&g)
                && key.kind == ActorKind::Source
                && m.attempt.is_some()
                && let Some(u) = m.meta.user.as_deref().filter(|u| meaningful_user(u))
            {
                group.tried.insert(account(u));
            }
            if let (Some(a), Some(_), Some(h)) = (&m.attempt, m.meta.ts, &m.meta.host)
                && a.outcome == Outcome::Success
            {
                self.logons.push_back(Logon {
                    t,
                    here: g,
                    host: short_host(h),
                    user: m.meta.user.as_deref().map(account),
                    source: a.source.clone(),
                });
            }
            self.assign(g, m);
        }
    }

    /// Network records up to `until`: the host session active at their time (of a host whose
    /// address they name), else one session per source address, split at gaps.
    fn assign_network(&mut self, until: i128) {
        while self
            .network
            .front()
            .is_some_and(|m| i128::from(m.t()) <= until)
        {
            let Some(m) = self.network.pop_front() else {
                break;
            };
            let joined = m.meta.ts.and_then(|t| {
                [&m.meta.src_ip, &m.meta.dst_ip]
                    .into_iter()
                    .flatten()
                    .filter_map(|ip| self.host_ips.get(ip.as_ref()))
                    .find_map(|host| self.host_session_at(host, t))
            });
            let g = match joined {
                Some(g) => g,
                None => {
                    let src = m.meta.src_ip.clone().unwrap_or_else(|| Arc::from("?"));
                    let host = m
                        .meta
                        .src_ip
                        .as_ref()
                        .and_then(|ip| self.host_ips.get(ip.as_ref()).cloned())
                        .or_else(|| m.meta.host.clone())
                        .unwrap_or_else(|| src.clone());
                    let key = ActorKey {
                        host,
                        kind: ActorKind::Network,
                        actor: src,
                    };
                    self.session_of(&key, m.t(), m.meta.key, false)
                }
            };
            self.assign(g, m);
        }
    }

    /// The first host session of `host` (in order) whose own activity is within a gap of `t`.
    fn host_session_at(&self, host: &Arc<str>, t: i64) -> Option<GroupNo> {
        for (&(first, _), &g) in self.by_host.get(host)? {
            if first.saturating_sub(self.gap) > t {
                break;
            }
            let last = self.groups.get(&g)?.own_last;
            if t <= last.saturating_add(self.gap) {
                return Some(g);
            }
        }
        None
    }

    /// The session of `key` that an own event at `t` (key `event`) joins: its latest, unless
    /// more than a gap has passed; else a new one.
    fn session_of(&mut self, key: &ActorKey, t: i64, event: u64, host_record: bool) -> GroupNo {
        if let Some(&g) = self.current.get(key)
            && let Some(group) = self.groups.get_mut(&g)
            && t.saturating_sub(group.own_last) <= self.gap
        {
            group.own_last = t;
            return g;
        }
        let g = self.next_group;
        self.next_group += 1;
        let order = (t, event);
        self.groups.insert(
            g,
            Group {
                key: key.clone(),
                order,
                own_last: t,
                span: None,
                first: (i64::MAX, u64::MAX),
                tried: BTreeSet::new(),
                later: BTreeMap::new(),
                fired: BTreeSet::new(),
                linked: BTreeSet::new(),
                describer: Describer::default(),
                members: Vec::new(),
            },
        );
        self.current.insert(key.clone(), g);
        self.closing
            .push(Reverse((i128::from(t) + i128::from(self.gap), g)));
        if host_record {
            self.by_host
                .entry(key.host.clone())
                .or_default()
                .insert(order, g);
        }
        match key.kind {
            ActorKind::User => {
                self.by_user
                    .entry((short_host(&key.host), account(&key.actor)))
                    .or_default()
                    .insert(order, g);
            }
            ActorKind::Source => {
                self.by_source
                    .entry((short_host(&key.host), key.actor.clone()))
                    .or_default()
                    .open
                    .push(g);
            }
            _ => {}
        }
        g
    }

    /// Makes `m` a member of session `g`, to be described in order.
    fn assign(&mut self, g: GroupNo, m: Member) {
        let t = m.t();
        if let Some(group) = self.groups.get_mut(&g) {
            group.first = group.first.min((t, m.meta.key));
            if let Some(ts) = m.meta.ts {
                let (a, b) = group.span.unwrap_or((ts, ts));
                group.span = Some((a.min(ts), b.max(ts)));
            }
        }
        self.arrivals += 1;
        self.to_fold.insert((t, m.meta.key, self.arrivals), (g, m));
    }

    /// Returns the sessions that nothing before `until` can change any more.
    fn close(&mut self, until: i128) -> Vec<(Session, Vec<u64>)> {
        let mut out = Vec::new();
        while let Some(&Reverse((at, g))) = self.closing.peek() {
            if at >= until {
                break;
            }
            self.closing.pop();
            let Some(now) = self.groups.get(&g).map(|grp| grp.done_after(self.gap)) else {
                continue;
            };
            if now > at {
                // It grew since: look again then.
                self.closing.push(Reverse((now, g)));
                continue;
            }
            out.extend(self.write_out(g));
        }
        out
    }

    /// Session `g`, done: described, and forgotten but for what later logons may link to.
    fn write_out(&mut self, g: GroupNo) -> Option<(Session, Vec<u64>)> {
        self.settle_later(g);
        let group = self.groups.remove(&g)?;
        let key = &group.key;
        if self.current.get(key) == Some(&g) {
            self.current.remove(key);
        }
        if let Some(open) = self.by_host.get_mut(&key.host) {
            open.remove(&group.order);
            if open.is_empty() {
                self.by_host.remove(&key.host);
            }
        }
        match key.kind {
            ActorKind::User => {
                let at = (short_host(&key.host), account(&key.actor));
                if let Some(open) = self.by_user.get_mut(&at) {
                    open.remove(&group.order);
                    if open.is_empty() {
                        self.by_user.remove(&at);
                    }
                }
            }
            ActorKind::Source => self.remember_story(&group, g),
            _ => {}
        }
        let linked = group.linked.iter().map(|&id| session_id(id)).collect();
        let Group {
            key,
            describer,
            members,
            ..
        } = group;
        Some((describer.finish(&key, &members, linked), members))
    }

    /// Session `g` as a link names it.
    pub(super) fn endpoint(&self, g: GroupNo) -> Option<Endpoint> {
        self.groups.get(&g).map(|grp| Endpoint {
            group: Some(g),
            id: grp.id(),
        })
    }
}
