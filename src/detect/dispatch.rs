//! Which matchers an event meets, remembered per kind of event.
//!
//! Routing an event walks every logsource group (about 60 with SigmaHQ) and compares channel
//! names and programs ignoring case, then looks its event id up in the group's table: the same
//! answer for every event of one kind (a Sysmon 1, a Security 4624). The answer depends only on
//! the routing facts and the id rules read ([`RouteKey`]), so it is computed once per kind and
//! kept; a corpus has tens to hundreds of kinds. The list keeps the walk's order, so hits come
//! out in the same order as without the memo.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};

use super::logsource::{Facts, Source};

/// Kinds remembered at most; beyond it (formats whose event ids are open-ended) events are
/// routed by the walk, which gives the same answer.
const MAX_KINDS: usize = 4096;

/// What routing reads of an event, borrowed: the facts the routes test, and the event id the
/// per-id tables are keyed by (read as rules read it, which may differ from the facts').
#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteKey<'a> {
    pub source: Source,
    pub channel: Option<&'a str>,
    pub event_id: Option<&'a str>,
    pub eid: Option<u32>,
    pub program: Option<&'a str>,
    pub rule_id: Option<u32>,
}

impl<'a> RouteKey<'a> {
    pub fn new(f: &Facts<'a>, rule_id: Option<u32>) -> RouteKey<'a> {
        RouteKey {
            source: f.source,
            channel: f.channel,
            event_id: f.event_id,
            eid: f.eid,
            program: f.program,
            rule_id,
        }
    }

    fn hash64(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut h);
        h.finish()
    }

    fn owned(&self) -> OwnedKey {
        let own = |s: Option<&str>| s.map(Box::<str>::from);
        OwnedKey {
            source: self.source,
            channel: own(self.channel),
            event_id: own(self.event_id),
            eid: self.eid,
            program: own(self.program),
            rule_id: self.rule_id,
        }
    }
}

impl Hash for RouteKey<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.source.hash(h);
        self.channel.hash(h);
        self.event_id.hash(h);
        self.eid.hash(h);
        self.program.hash(h);
        self.rule_id.hash(h);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct OwnedKey {
    source: Source,
    channel: Option<Box<str>>,
    event_id: Option<Box<str>>,
    eid: Option<u32>,
    program: Option<Box<str>>,
    rule_id: Option<u32>,
}

impl OwnedKey {
    fn is(&self, k: &RouteKey<'_>) -> bool {
        self.source == k.source
            && self.channel.as_deref() == k.channel
            && self.event_id.as_deref() == k.event_id
            && self.eid == k.eid
            && self.program.as_deref() == k.program
            && self.rule_id == k.rule_id
    }
}

/// Matcher indexes per kind of event. Shared by the threads matching with one rule set: reads
/// take a shared lock, and a kind is written once.
/// Per hash of a key: the kinds with that hash and their matcher indexes.
type Kinds = HashMap<u64, Vec<(OwnedKey, Arc<[u32]>)>>;

#[derive(Debug, Default)]
pub(crate) struct Dispatch {
    kinds: RwLock<Kinds>,
}

impl Dispatch {
    /// The matchers for `key`, computed by `route` the first time a kind is seen.
    pub fn matchers(&self, key: &RouteKey<'_>, route: impl FnOnce() -> Vec<u32>) -> Arc<[u32]> {
        let h = key.hash64();
        // A poisoned lock only means a panic elsewhere while it was held; the map is still
        // whole (each change is one insert).
        if let Some(found) = self
            .kinds
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&h)
            .and_then(|bucket| bucket.iter().find(|(k, _)| k.is(key)))
        {
            return found.1.clone();
        }
        let list: Arc<[u32]> = route().into();
        let mut kinds = self.kinds.write().unwrap_or_else(|e| e.into_inner());
        if kinds.len() < MAX_KINDS {
            let bucket = kinds.entry(h).or_default();
            if !bucket.iter().any(|(k, _)| k.is(key)) {
                bucket.push((key.owned(), list.clone()));
            }
        }
        list
    }

    /// Kinds remembered so far.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.kinds
            .read()
            .map(|k| k.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}
