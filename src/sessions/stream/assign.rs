//! Which session each event joins: host records go to their actor's session (a failing source,
//! else the user, process or host), network records to the host session around them.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::super::describe::Describer;
use super::super::group::{ActorKey, host_key, is_network, meaningful_user};
use super::super::links::Logon;
use super::super::remote::{Outcome, account, short_host};
use super::{Group, GroupNo, Member, Sessionizer};
use crate::model::ActorKind;

impl Sessionizer {
    /// Host records up to `until`: their actor (a failing source, else the user, process or
    /// host) and the session of that actor they join.
    pub(super) fn assign_own(&mut self, until: i128) {
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
    pub(super) fn assign_network(&mut self, until: i128) {
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
}
