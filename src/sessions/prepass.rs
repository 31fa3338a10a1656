//! What sessionization must know of the whole case before it streams through the events in
//! time order: the addresses hosts name as their own, and which (host, source) pairs ever log
//! on successfully (only their story sessions are remembered once closed).

use std::collections::HashMap;
use std::sync::Arc;

use super::group::is_network;
use super::remote::{Outcome, attempt, short_host};
use crate::index::EventMeta;

/// Gathered over every event of the case, in any order ([`Prepared::observe`]).
pub struct Prepared {
    /// Per address, the earliest (time, key) host record naming it as its own, and the host.
    learned: HashMap<String, (i64, u64, Arc<str>)>,
    successes: Bloom,
    /// Passed to `attempt` while learning: every success counts, whoever's address it is.
    none: HashMap<String, Arc<str>>,
}

impl Default for Prepared {
    fn default() -> Self {
        Prepared {
            learned: HashMap::new(),
            successes: Bloom::new(),
            none: HashMap::new(),
        }
    }
}

impl Prepared {
    pub fn observe(&mut self, m: &EventMeta) {
        if is_network(m.format.as_deref()) {
            return;
        }
        // Sysmon network connections name their own address (`SourceIp` is the local end).
        let sysmon_net = m.event_id.as_deref() == Some("3");
        if let (true, Some(host), Some(ip)) = (sysmon_net, &m.host, &m.src_ip) {
            let at = (m.ts.unwrap_or(i64::MIN), m.key);
            let entry = self
                .learned
                .entry(ip.to_string())
                .or_insert_with(|| (at.0, at.1, host.clone()));
            if at < (entry.0, entry.1) {
                *entry = (at.0, at.1, host.clone());
            }
        }
        if let (Some(host), Some(_)) = (&m.host, m.ts)
            && let Some(a) = attempt(m, &self.none)
            && a.outcome == Outcome::Success
        {
            self.successes.insert(&short_host(host), &a.source);
        }
    }

    /// Addresses that belong to a host: `known` (the configuration's), then those learned
    /// (the earliest record wins).
    pub(super) fn host_ips(&self, known: &HashMap<String, String>) -> HashMap<String, Arc<str>> {
        let mut map: HashMap<String, Arc<str>> = known
            .iter()
            .map(|(ip, h)| (ip.clone(), Arc::from(h.as_str())))
            .collect();
        for (ip, (_, _, host)) in &self.learned {
            map.entry(ip.clone()).or_insert_with(|| host.clone());
        }
        map
    }

    /// False when `source` never logged on successfully to `host` (a short host name);
    /// true when it did, and rarely when it did not.
    pub(super) fn may_log_on(&self, host: &str, source: &str) -> bool {
        self.successes.may_contain(host, source)
    }
}

/// A Bloom filter of (host, source) pairs, of fixed size: its false positives only keep a
/// closed session remembered that is never asked for. 8 MiB and 4 hashes: under 0.2 % false
/// positives at 4 million pairs.
struct Bloom {
    bits: Vec<u64>,
}

const BLOOM_WORDS: usize = 1 << 20;

impl Bloom {
    fn new() -> Bloom {
        Bloom {
            bits: vec![0; BLOOM_WORDS],
        }
    }

    fn positions(host: &str, source: &str) -> [usize; 4] {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(host.as_bytes());
        h.update(&[0xff]);
        h.update(source.as_bytes());
        let v = h.digest128();
        let n = (BLOOM_WORDS * 64) as u128;
        std::array::from_fn(|i| (((v >> (32 * i)) as u32 as u128 * n) >> 32) as usize)
    }

    fn insert(&mut self, host: &str, source: &str) {
        for p in Bloom::positions(host, source) {
            self.bits[p / 64] |= 1 << (p % 64);
        }
    }

    fn may_contain(&self, host: &str, source: &str) -> bool {
        Bloom::positions(host, source)
            .iter()
            .all(|&p| self.bits[p / 64] & (1 << (p % 64)) != 0)
    }
}
