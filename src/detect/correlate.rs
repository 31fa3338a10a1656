//! Running correlation rules: the events that base rules matched are recorded as they pass
//! (only those of rules some correlation references), then, once all are in, put in time
//! order, grouped by the correlation's `group-by` values and scanned with a window of its
//! `timespan` starting at each event. Overlapping windows that satisfy the condition make one
//! hit, which names every event of them (so a burst of 500 failures is one hit, not 496).

use std::collections::{BTreeMap, HashMap};

use super::correlation::{Correlation, Kind};
use super::fields::field_text;
use super::ruleset::RuleSet;
use crate::event::Event;
use crate::model::Hit;

/// One event of a rule a correlation references.
struct Seen {
    time_ms: i64,
    /// Arrival order: ties in time keep it.
    seq: u64,
    /// Position of the matched rule in the correlation's `rules`.
    rule: usize,
    event_id: String,
    group: Vec<Option<String>>,
    /// `value_count`: the counted field's value.
    value: Option<String>,
}

/// Collects what correlations need from each event, then evaluates them ([`finish`]).
///
/// [`finish`]: Correlator::finish
pub struct Correlator<'r> {
    set: &'r RuleSet,
    /// Per correlation (the rule set's order), the events seen.
    seen: Vec<Vec<Seen>>,
    seq: u64,
    /// Events of referenced rules without a time: they cannot be placed in a window.
    untimed: u64,
}

impl<'r> Correlator<'r> {
    pub(crate) fn new(set: &'r RuleSet) -> Self {
        Correlator {
            set,
            seen: set.correlations().iter().map(|_| Vec::new()).collect(),
            seq: 0,
            untimed: 0,
        }
    }

    /// Records `ev` for the correlations referencing `rule` (an index of the rule set),
    /// which matched it.
    pub(crate) fn observe(&mut self, ev: &Event, rule: usize) {
        let refs = self.set.references(rule);
        if refs.is_empty() {
            return;
        }
        let Some(time) = ev.timestamp else {
            self.untimed += 1;
            return;
        };
        self.seq += 1;
        for &(ci, pos) in refs {
            let c = &self.set.correlations()[ci];
            self.seen[ci].push(Seen {
                time_ms: time.timestamp_millis(),
                seq: self.seq,
                rule: pos,
                event_id: ev.id.clone(),
                group: c.group_by.iter().map(|f| field_text(ev, &f[pos])).collect(),
                value: c.value_field.as_ref().and_then(|f| field_text(ev, &f[pos])),
            });
        }
    }

    /// Events of referenced rules skipped for want of a timestamp.
    pub fn untimed(&self) -> u64 {
        self.untimed
    }

    /// The correlations' hits: one per run of overlapping windows that satisfy a
    /// correlation, on its last event, naming all its events (`Hit::events`).
    pub fn finish(self) -> Vec<Hit> {
        let mut out = Vec::new();
        for (c, mut seen) in self.set.correlations().iter().zip(self.seen) {
            seen.sort_by_key(|s| (s.time_ms, s.seq));
            let mut groups: BTreeMap<&[Option<String>], Vec<&Seen>> = BTreeMap::new();
            for s in &seen {
                groups.entry(&s.group).or_default().push(s);
            }
            // Each correlation's hits in time order (of their first events).
            let mut hits: Vec<(i64, Hit)> = Vec::new();
            for events in groups.values() {
                let fires = match c.kind {
                    Kind::TemporalOrdered => ordered_fires(c, events),
                    _ => window_fires(c, events),
                };
                for members in fires {
                    let (Some(&first), Some(&last)) = (members.first(), members.last()) else {
                        continue;
                    };
                    let mut hit = self.set.hit_template(c.index).on(&events[last].event_id);
                    hit.events = members
                        .iter()
                        .map(|&i| events[i].event_id.clone())
                        .collect();
                    hits.push((events[first].time_ms, hit));
                }
            }
            hits.sort_by_key(|(t, _)| *t);
            out.extend(hits.into_iter().map(|(_, h)| h));
        }
        out
    }
}

/// `event_count`, `value_count`, `temporal`: a window of `timespan` from each event; the
/// windows that satisfy the condition, overlapping ones merged, as indexes into `events`.
fn window_fires(c: &Correlation, events: &[&Seen]) -> Vec<Vec<usize>> {
    let mut fires: Vec<(usize, usize)> = Vec::new();
    let mut tally = Tally::new(c);
    let mut end = 0;
    for start in 0..events.len() {
        while end < events.len() && events[end].time_ms - events[start].time_ms <= c.timespan_ms {
            tally.add(events[end]);
            end += 1;
        }
        if c.holds(tally.measure(end - start)) {
            match fires.last_mut() {
                Some(last) if start < last.1 => last.1 = end,
                _ => fires.push((start, end)),
            }
        }
        tally.remove(events[start]);
    }
    fires.into_iter().map(|(s, e)| (s..e).collect()).collect()
}

/// What a window counts besides events: distinct values or distinct rules.
struct Tally<'a> {
    kind: Kind,
    values: HashMap<&'a str, usize>,
    rules: Vec<usize>,
    distinct_rules: usize,
}

impl<'a> Tally<'a> {
    fn new(c: &Correlation) -> Self {
        Tally {
            kind: c.kind,
            values: HashMap::new(),
            rules: vec![0; c.rules.len()],
            distinct_rules: 0,
        }
    }

    fn add(&mut self, s: &'a Seen) {
        match self.kind {
            Kind::ValueCount => {
                if let Some(v) = &s.value {
                    *self.values.entry(v.as_str()).or_default() += 1;
                }
            }
            Kind::Temporal => {
                self.rules[s.rule] += 1;
                if self.rules[s.rule] == 1 {
                    self.distinct_rules += 1;
                }
            }
            _ => {}
        }
    }

    fn remove(&mut self, s: &'a Seen) {
        match self.kind {
            Kind::ValueCount => {
                if let Some(v) = &s.value
                    && let Some(n) = self.values.get_mut(v.as_str())
                {
                    *n -= 1;
                    if *n == 0 {
                        self.values.remove(v.as_str());
                    }
                }
            }
            Kind::Temporal => {
                self.rules[s.rule] -= 1;
                if self.rules[s.rule] == 0 {
                    self.distinct_rules -= 1;
                }
            }
            _ => {}
        }
    }

    /// The number the condition is about, for a window of `events` events.
    fn measure(&self, events: usize) -> usize {
        match self.kind {
            Kind::ValueCount => self.values.len(),
            Kind::Temporal | Kind::TemporalOrdered => self.distinct_rules,
            Kind::EventCount => events,
        }
    }
}

/// `temporal_ordered`: from each event of the first rule, the earliest events of the next
/// rules, each after the one before, all within `timespan` of the first. Chains that share
/// events' span are merged.
fn ordered_fires(c: &Correlation, events: &[&Seen]) -> Vec<Vec<usize>> {
    let want = c.rules.len();
    let mut fires: Vec<Vec<usize>> = Vec::new();
    for start in 0..events.len() {
        if events[start].rule != 0 {
            continue;
        }
        let mut chain = vec![start];
        for (k, s) in events.iter().enumerate().skip(start + 1) {
            if chain.len() == want || s.time_ms - events[start].time_ms > c.timespan_ms {
                break;
            }
            if s.rule == chain.len() {
                chain.push(k);
            }
        }
        if chain.len() < want {
            continue;
        }
        match fires.last_mut() {
            Some(last) if last.last().is_some_and(|&end| start < end) => {
                last.extend(chain);
                last.sort_unstable();
                last.dedup();
            }
            _ => fires.push(chain),
        }
    }
    fires
}
