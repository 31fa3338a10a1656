//! The links between sessions of one story, found from every successful remote logon as the
//! stream passes it (three gaps after it, when every session active around it is known):
//! - the source's session on that host (its failures) with the sessions of the logged-on
//!   account active then; for a logon after that session, only the first one per account the
//!   source tried there, with the session holding it;
//! - where the source address is a known host (lateral movement, a share mount), the session
//!   holding the logon with that account's sessions on the source host at that time.
//!
//! A source's session is remembered after it is written only if that source ever logs on to
//! that host ([`super::prepass`]); a link to a session already written is handed back
//! as a late link.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::remote::short_host;
use super::stream::{Group, GroupNo, Sessionizer};

/// A session as a link names it: still being built (its number), or written already.
#[derive(Debug, Clone, Copy)]
pub(super) struct Endpoint {
    pub group: Option<GroupNo>,
    pub id: u64,
}

/// A logon after a source's session, by an account the session may yet turn out to have
/// tried: the session holding it and the account's sessions active then.
pub(super) struct Later {
    here: Endpoint,
    users: Vec<Endpoint>,
}

/// A successful remote logon waiting for the sessions around it.
pub(super) struct Logon {
    pub t: i64,
    /// The session holding it.
    pub here: GroupNo,
    /// Its host, short.
    pub host: String,
    /// Its account (domain and case removed).
    pub user: Option<String>,
    pub source: Arc<str>,
}

/// A source's session once written, for logons that come after it.
pub(super) struct Story {
    id: u64,
    first: i64,
    order: (i64, u64),
    tried: BTreeSet<String>,
    fired: BTreeSet<String>,
}

/// The sessions of one source on one (short) host: those being built, and the latest written
/// one worth remembering.
#[derive(Default)]
pub(super) struct Stories {
    pub open: Vec<GroupNo>,
    closed: Option<Story>,
}

/// Which session a logon's source story is.
#[derive(Clone, Copy, PartialEq)]
enum StoryRef {
    Open(GroupNo),
    Written,
}

impl Sessionizer {
    /// Links the logons up to `until`.
    pub(super) fn link_logons(&mut self, until: i128) {
        while self
            .logons
            .front()
            .is_some_and(|l| i128::from(l.t) <= until)
        {
            let Some(l) = self.logons.pop_front() else {
                break;
            };
            // Always there: the session holding a logon is written only once the linker is
            // past it.
            let Some(here) = self.endpoint(l.here) else {
                continue;
            };
            let at = (l.host.clone(), l.source.clone());
            match (self.story_at(&at, l.t), &l.user) {
                // Inside the source's session: link what the account does now.
                (Some(StoryRef::Open(g)), _) if g == l.here => {
                    for u in self.users_at(&l.host, l.user.as_deref(), l.t) {
                        self.link(here, u);
                    }
                }
                // Later: the first logon per account the source tried there.
                (Some(story), Some(user)) => self.later_logon(story, &at, user, here, &l),
                _ => {}
            }
            if let Some(from) = self.host_ips.get(l.source.as_ref()).cloned() {
                for u in self.users_at(&short_host(&from), l.user.as_deref(), l.t) {
                    self.link(here, u);
                }
            }
        }
    }

    /// The source's latest session on the host that began by `t`.
    fn story_at(&self, at: &(String, Arc<str>), t: i64) -> Option<StoryRef> {
        let stories = self.by_source.get(at)?;
        let mut best = stories
            .closed
            .as_ref()
            .filter(|s| s.first <= t)
            .map(|s| ((s.first, s.order), StoryRef::Written));
        for &g in &stories.open {
            let Some(group) = self.groups.get(&g) else {
                continue;
            };
            let rank = (group.span().0, group.order);
            if rank.0 <= t && best.is_none_or(|(b, _)| rank > b) {
                best = Some((rank, StoryRef::Open(g)));
            }
        }
        best.map(|(_, s)| s)
    }

    /// The sessions of `user` on `host` active at `t`.
    fn users_at(&self, host: &str, user: Option<&str>, t: i64) -> Vec<Endpoint> {
        let Some(user) = user else {
            return Vec::new();
        };
        let Some(open) = self.by_user.get(&(host.to_string(), user.to_string())) else {
            return Vec::new();
        };
        open.values()
            .filter(|&&g| {
                self.groups
                    .get(&g)
                    .is_some_and(|grp| grp.active_at(t, self.gap))
            })
            .filter_map(|&g| self.endpoint(g))
            .collect()
    }

    /// A logon of `user` after the source's session `story`: linked if it is the first of
    /// that account and the session tried the account (known once it is written).
    fn later_logon(
        &mut self,
        story: StoryRef,
        at: &(String, Arc<str>),
        user: &str,
        here: Endpoint,
        l: &Logon,
    ) {
        match story {
            StoryRef::Open(g) => {
                let users = self.users_at(&l.host, Some(user), l.t);
                let Some(group) = self.groups.get_mut(&g) else {
                    return;
                };
                if group.fired.contains(user) {
                    return;
                }
                group
                    .later
                    .entry(user.to_string())
                    .or_insert(Later { here, users });
                if group.tried.contains(user) {
                    self.fire(g, user);
                }
            }
            StoryRef::Written => {
                let users = self.users_at(&l.host, Some(user), l.t);
                let Some(story) = self.by_source.get_mut(at).and_then(|s| s.closed.as_mut()) else {
                    return;
                };
                if !story.tried.contains(user) || !story.fired.insert(user.to_string()) {
                    return;
                }
                let story = Endpoint {
                    group: None,
                    id: story.id,
                };
                self.link(story, here);
                for u in users {
                    self.link(story, u);
                }
            }
        }
    }

    /// Links source session `g` with its first later logon of `user`.
    fn fire(&mut self, g: GroupNo, user: &str) {
        let Some(group) = self.groups.get_mut(&g) else {
            return;
        };
        let Some(later) = group.later.remove(user) else {
            return;
        };
        group.fired.insert(user.to_string());
        let story = Endpoint {
            group: Some(g),
            id: group.id(),
        };
        self.link(story, later.here);
        for u in later.users {
            self.link(story, u);
        }
    }

    /// Before session `g` is written: its waiting later logons of accounts it did try.
    pub(super) fn settle_later(&mut self, g: GroupNo) {
        let Some(group) = self.groups.get(&g) else {
            return;
        };
        let tried: Vec<String> = group
            .later
            .keys()
            .filter(|u| group.tried.contains(*u))
            .cloned()
            .collect();
        for user in tried {
            self.fire(g, &user);
        }
    }

    /// After source session `g` is written: kept for later logons if its source ever logs on
    /// to its host, in place of an earlier one.
    pub(super) fn remember_story(&mut self, group: &Group, g: GroupNo) {
        let at = (short_host(&group.key.host), group.key.actor.clone());
        let keep = self.prepared.may_log_on(&at.0, &at.1);
        let Some(stories) = self.by_source.get_mut(&at) else {
            return;
        };
        stories.open.retain(|&o| o != g);
        let story = Story {
            id: group.id(),
            first: group.span().0,
            order: group.order,
            tried: group.tried.clone(),
            fired: group.fired.clone(),
        };
        let newer = stories
            .closed
            .as_ref()
            .is_none_or(|c| (story.first, story.order) > (c.first, c.order));
        if keep && newer {
            stories.closed = Some(story);
        }
        if stories.open.is_empty() && stories.closed.is_none() {
            self.by_source.remove(&at);
        }
    }

    /// Records that sessions `a` and `b` are in one story.
    fn link(&mut self, a: Endpoint, b: Endpoint) {
        if a.id == b.id {
            return;
        }
        self.link_one(a, b.id);
        self.link_one(b, a.id);
    }

    fn link_one(&mut self, a: Endpoint, other: u64) {
        match a.group.and_then(|g| self.groups.get_mut(&g)) {
            Some(group) => {
                group.linked.insert(other);
            }
            None => self.late.push((a.id, other)),
        }
    }
}
