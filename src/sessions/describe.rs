//! A session's metadata from its member events: time span, formats, event ids, processes,
//! remote addresses, the rules that fired, the ground truth the events carry, and for a
//! remote source the accounts it tried; gathered member by member.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};

use super::group::{ActorKey, basename, meaningful_user};
use super::remote::{Attempt, Outcome};
use crate::event::{Cause, Label};
use crate::index::EventMeta;
use crate::model::Hit;
use crate::model::{AccountTries, ActorKind, Session, SessionDetection};

fn time_of(micros: Option<i64>) -> DateTime<Utc> {
    micros
        .and_then(|m| Utc.timestamp_micros(m).single())
        .unwrap_or_default()
}

/// A session's metadata gathered one member at a time, in (time, key) order: a long session
/// is described as its events come, without holding them.
#[derive(Default)]
pub(super) struct Describer {
    /// The first member's key: with the actor, the session's id.
    first_key: Option<u64>,
    start: Option<i64>,
    end: Option<i64>,
    events: u64,
    formats: BTreeMap<String, u64>,
    fallback: u64,
    /// Labelled records per cause, with their techniques.
    causes: BTreeMap<Cause, BTreeSet<String>>,
    detections: BTreeMap<String, SessionDetection>,
    event_ids: BTreeMap<String, u64>,
    processes: BTreeSet<String>,
    remote_ips: BTreeSet<String>,
    accounts: BTreeMap<String, AccountTries>,
}

impl Describer {
    /// Adds the next member `m` of the session of `key`, with its remote authentication (if
    /// any) and the rule hits on it.
    pub(super) fn add(
        &mut self,
        key: &ActorKey,
        m: &EventMeta,
        attempt: Option<&Attempt>,
        hits: &[&Hit],
    ) {
        self.first_key.get_or_insert(m.key);
        if let Some(t) = m.ts {
            self.start.get_or_insert(t);
            self.end = Some(t);
        }
        self.events += 1;
        let from_address = matches!(key.kind, ActorKind::Network | ActorKind::Source);
        if key.kind == ActorKind::Source
            && let (Some(a), Some(u)) = (attempt, &m.user)
            && meaningful_user(u)
        {
            let tries = self.accounts.entry(u.to_lowercase()).or_default();
            match a.outcome {
                Outcome::Failure => tries.failed += 1,
                Outcome::Success => tries.accepted += 1,
                Outcome::Other => {}
            }
        }
        if let Some(e) = &m.event_id {
            *self.event_ids.entry(e.to_string()).or_default() += 1;
        }
        if let Some(p) = &m.process
            && self.processes.len() < 10
        {
            self.processes.insert(basename(p).to_lowercase());
        }
        for ip in [&m.src_ip, &m.dst_ip].into_iter().flatten() {
            // The session's own addresses are not remote: its host's, or a network
            // session's source.
            let own = m.host.as_deref() == Some(ip.as_ref())
                || (from_address && key.actor.as_ref() == ip.as_ref());
            if self.remote_ips.len() < 10 && !own {
                self.remote_ips.insert(ip.to_string());
            }
        }
        let fmt = m.format.as_deref().unwrap_or("unknown");
        // get_mut first: the key is allocated once per format, not once per event.
        match self.formats.get_mut(fmt) {
            Some(n) => *n += 1,
            None => {
                self.formats.insert(fmt.to_string(), 1);
            }
        }
        if fmt == "text" {
            self.fallback += 1;
        }
        if let Some(label) = m.label.as_deref().and_then(|l| l.parse::<Label>().ok()) {
            self.causes
                .entry(label.cause)
                .or_default()
                .extend(label.techniques);
        }
        for h in hits {
            let d = self
                .detections
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

    /// The session of `key` from the members added (their keys, in order, are `members`), with
    /// its `linked` session ids (sorted).
    pub(super) fn finish(self, key: &ActorKey, members: &[u64], linked: Vec<String>) -> Session {
        let Describer {
            first_key,
            start,
            end,
            events,
            formats,
            fallback,
            mut causes,
            detections,
            event_ids,
            processes,
            remote_ips,
            accounts,
        } = self;
        let (start, end) = (time_of(start), time_of(end));
        // From the member keys at the end, not member by member: a hasher's state is some
        // 600 bytes, times every session open at once.
        let mut digest = xxhash_rust::xxh3::Xxh3::new();
        for k in members {
            digest.update(&k.to_le_bytes());
        }
        // A session holding an attacker's records is malicious however much ordinary
        // activity surrounds them (an attack embedded in a user's day is still an attack);
        // else a misconfiguration's records make it one; else it is legitimate. The
        // techniques are those of the records of the chosen cause.
        let label = [Cause::Malicious, Cause::Misconfiguration, Cause::Legitimate]
            .into_iter()
            .find_map(|cause| {
                causes.remove(&cause).map(|techniques| Label {
                    cause,
                    techniques: techniques.into_iter().collect(),
                    risk: None,
                })
            });
        let mut detections: Vec<SessionDetection> = detections.into_values().collect();
        detections.sort_by(|a, b| b.level.cmp(&a.level).then(b.count.cmp(&a.count)));
        let actor_text = match key.kind {
            ActorKind::User | ActorKind::Network | ActorKind::Host | ActorKind::Source => {
                key.actor.to_string()
            }
            ActorKind::Process => format!("process {}", key.actor),
        };
        Session {
            id: session_id(id_of(key, first_key.unwrap_or(0))),
            host: key.host.to_string(),
            user: match key.kind {
                ActorKind::User => Some(key.actor.to_string()),
                // A source that tried one account acts as it (a stale password, one user's
                // typo).
                ActorKind::Source if accounts.len() == 1 => accounts.keys().next().cloned(),
                _ => None,
            },
            actor_kind: key.kind,
            actor: actor_text,
            start,
            end,
            duration_s: (end - start).num_seconds(),
            hour: start.hour(),
            weekend: start.weekday().number_from_monday() >= 6,
            formats,
            events,
            parsed_events: events - fallback,
            fallback_events: fallback,
            detections,
            label,
            content_hash: format!("{:016x}", digest.digest()),
            event_ids: top_counts(event_ids, 20),
            processes: processes.into_iter().collect(),
            remote_ips: remote_ips.into_iter().collect(),
            accounts,
            linked,
        }
    }
}

/// The number behind a session's id: its actor and its first event.
pub(super) fn id_of(key: &ActorKey, first_event: u64) -> u64 {
    let mut id_hash = xxhash_rust::xxh3::Xxh3::new();
    id_hash.update(key.host.as_bytes());
    id_hash.update(&[key.kind as u8]);
    id_hash.update(key.actor.as_bytes());
    id_hash.update(&first_event.to_le_bytes());
    id_hash.digest()
}

/// A session's id as text.
pub(super) fn session_id(id: u64) -> String {
    format!("{id:016x}")
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
