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
use super::group::{ActorKey, GroupOptions, UNKNOWN_HOST};
use super::links::{Endpoint, Later, Logon, Stories};
use super::prepass::Prepared;
use super::remote::{Attempt, AuthWindow, account, attempt, short_host};
use crate::index::EventMeta;
use crate::model::{ActorKind, Hit, Session};

mod assign;

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
