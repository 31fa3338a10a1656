//! The workbench's background assessment queue: the sessions waiting for the model, served the
//! most severe first (the highest rule level, then the instant verdict's risk) with the session
//! the analyst has selected ahead of them all.
//!
//! The workbench, not the backend, holds the waiting sessions and hands the backend at most
//! `limit` at a time: the order is then this module's, decided at each pick, so a verdict that
//! arrives later (the instant verdicts are loaded after the queue may have been filled) or a new
//! selection counts from the next pick on.

use crate::event::Risk;

/// How pressing a waiting session is; the greater goes first. Field order is the order of the
/// criteria: rule level, then the instant verdict's risk (absent sorts below any level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Severity {
    pub rule_level: Option<Risk>,
    pub instant_risk: Option<Risk>,
}

/// A session waiting for the model, with the request id it will be sent under (given when it
/// was queued, so the row shows it as queued under the same request its updates will carry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub session_id: String,
    pub request: u64,
}

/// How many background assessments the workbench keeps at the backend at once. One: the
/// embedded model works on one session at a time, and a second one queued at the backend
/// would be served in the backend's order, not this queue's.
pub const DEFAULT_IN_FLIGHT: usize = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundQueue {
    /// In the order queued (ties in severity are served in this order).
    waiting: Vec<Waiting>,
    /// Sent to the backend, not yet finished: `(session, request)`.
    in_flight: Vec<Waiting>,
    limit: usize,
}

impl Default for BackgroundQueue {
    fn default() -> Self {
        BackgroundQueue::new(DEFAULT_IN_FLIGHT)
    }
}

impl BackgroundQueue {
    /// A queue that keeps at most `limit` (at least one) assessments at the backend.
    pub fn new(limit: usize) -> BackgroundQueue {
        BackgroundQueue {
            waiting: Vec::new(),
            in_flight: Vec::new(),
            limit: limit.max(1),
        }
    }

    /// Queues a session under `request`; false when it is already waiting or in flight.
    pub fn push(&mut self, session_id: &str, request: u64) -> bool {
        if self.contains(session_id) {
            return false;
        }
        self.waiting.push(Waiting {
            session_id: session_id.to_string(),
            request,
        });
        true
    }

    /// Whether the session waits or is in flight.
    pub fn contains(&self, session_id: &str) -> bool {
        self.waiting
            .iter()
            .chain(&self.in_flight)
            .any(|w| w.session_id == session_id)
    }

    /// Takes the session out of the waiting list (it was asked for directly, or cancelled);
    /// false when it was not waiting. An assessment in flight stays until it finishes.
    pub fn remove(&mut self, session_id: &str) -> bool {
        let before = self.waiting.len();
        self.waiting.retain(|w| w.session_id != session_id);
        self.waiting.len() != before
    }

    /// Empties the waiting list (those in flight stay), returning what waited.
    pub fn take_waiting(&mut self) -> Vec<Waiting> {
        std::mem::take(&mut self.waiting)
    }

    /// Sessions waiting (not counting those in flight).
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    pub fn in_flight(&self) -> &[Waiting] {
        &self.in_flight
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty() && self.in_flight.is_empty()
    }

    /// The next session to send, moved to in flight, when fewer than `limit` are: the selected
    /// session if it waits, else the most severe waiting one (the first queued among equals).
    pub fn pick(
        &mut self,
        selected: Option<&str>,
        severity: impl Fn(&str) -> Severity,
    ) -> Option<Waiting> {
        if self.in_flight.len() >= self.limit || self.waiting.is_empty() {
            return None;
        }
        let chosen = selected
            .and_then(|s| self.waiting.iter().position(|w| w.session_id == s))
            .or_else(|| most_severe(&self.waiting, severity))?;
        let w = self.waiting.remove(chosen);
        self.in_flight.push(w.clone());
        Some(w)
    }

    /// An update about `session_id` under `request` that ends an assessment: frees its slot.
    /// Returns whether it was one of ours (then the caller picks the next).
    pub fn finished(&mut self, session_id: &str, request: u64) -> bool {
        let before = self.in_flight.len();
        self.in_flight
            .retain(|w| !(w.session_id == session_id && w.request == request));
        self.in_flight.len() != before
    }

    /// The waiting sessions in the order they would be picked now (for the header and tests).
    pub fn order(&self, selected: Option<&str>, severity: impl Fn(&str) -> Severity) -> Vec<&str> {
        let mut rest: Vec<(usize, Severity)> = self
            .waiting
            .iter()
            .enumerate()
            .map(|(i, w)| (i, severity(&w.session_id)))
            .collect();
        // Stable: equals keep their queued order.
        rest.sort_by_key(|r| std::cmp::Reverse(r.1));
        let first = selected.and_then(|s| self.waiting.iter().position(|w| w.session_id == s));
        first
            .into_iter()
            .chain(
                rest.into_iter()
                    .map(|(i, _)| i)
                    .filter(|i| Some(*i) != first),
            )
            .map(|i| self.waiting[i].session_id.as_str())
            .collect()
    }
}

/// The index of the most severe entry; the first among equals (one pass, no sort: a pick happens
/// once per finished assessment over up to every session of the case).
fn most_severe(waiting: &[Waiting], severity: impl Fn(&str) -> Severity) -> Option<usize> {
    let mut best: Option<(usize, Severity)> = None;
    for (i, w) in waiting.iter().enumerate() {
        let s = severity(&w.session_id);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn sev(rule: Option<Risk>, instant: Option<Risk>) -> Severity {
        Severity {
            rule_level: rule,
            instant_risk: instant,
        }
    }

    /// Sessions `a`..`e`: rule level first, the instant verdict's risk breaking ties, absent
    /// evidence last; `d` and `e` are equal, so queued order decides.
    fn case() -> (BackgroundQueue, HashMap<&'static str, Severity>) {
        let severity = HashMap::from([
            ("a", sev(None, None)),
            ("b", sev(Some(Risk::Medium), Some(Risk::Low))),
            ("c", sev(Some(Risk::High), None)),
            ("d", sev(Some(Risk::Medium), Some(Risk::High))),
            ("e", sev(None, Some(Risk::Critical))),
        ]);
        let mut q = BackgroundQueue::new(1);
        for (i, id) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            assert!(q.push(id, i as u64 + 1));
        }
        (q, severity)
    }

    fn drain(q: &mut BackgroundQueue, s: &HashMap<&str, Severity>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(w) = q.pick(None, |id| s[id]) {
            assert!(q.finished(&w.session_id, w.request));
            out.push(w.session_id);
        }
        out
    }

    #[test]
    fn most_severe_first_rule_level_then_instant_risk() {
        let (mut q, s) = case();
        assert_eq!(q.order(None, |id| s[id]), ["c", "d", "b", "e", "a"]);
        assert_eq!(drain(&mut q, &s), ["c", "d", "b", "e", "a"]);
        assert!(q.is_empty());
    }

    #[test]
    fn equal_severity_keeps_queued_order() {
        let s = HashMap::from([
            ("x", sev(Some(Risk::High), None)),
            ("y", sev(Some(Risk::High), None)),
        ]);
        let mut q = BackgroundQueue::new(1);
        q.push("y", 1);
        q.push("x", 2);
        assert_eq!(drain(&mut q, &s), ["y", "x"]);
    }

    #[test]
    fn the_selected_session_jumps_the_queue() {
        let (mut q, s) = case();
        assert_eq!(q.order(Some("a"), |id| s[id]), ["a", "c", "d", "b", "e"]);
        let first = q.pick(Some("a"), |id| s[id]).map(|w| w.session_id);
        assert_eq!(
            first.as_deref(),
            Some("a"),
            "the least severe, but selected"
        );
        assert!(q.finished("a", 1));
        // A selection that is not waiting (already served, or never queued) changes nothing.
        let next = q.pick(Some("a"), |id| s[id]).map(|w| w.session_id);
        assert_eq!(next.as_deref(), Some("c"));
    }

    #[test]
    fn one_in_flight_until_it_finishes() {
        let (mut q, s) = case();
        let w = q.pick(None, |id| s[id]).expect("one picked");
        assert!(q.pick(None, |id| s[id]).is_none(), "the slot is taken");
        assert!(
            !q.finished(&w.session_id, w.request + 100),
            "another request"
        );
        assert!(!q.finished("b", w.request), "another session");
        assert!(q.finished(&w.session_id, w.request));
        assert!(q.pick(None, |id| s[id]).is_some());
    }

    #[test]
    fn a_limit_of_two_sends_two() {
        let (_, s) = case();
        let mut q = BackgroundQueue::new(2);
        for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
            q.push(id, i as u64);
        }
        let picked: Vec<_> = std::iter::from_fn(|| q.pick(None, |id| s[id]))
            .map(|w| w.session_id)
            .collect();
        assert_eq!(picked, ["c", "b"]);
        assert_eq!(q.waiting(), 1);
    }

    #[test]
    fn push_and_remove() {
        let (mut q, s) = case();
        assert!(!q.push("a", 9), "already waiting");
        assert!(q.remove("c"));
        assert!(!q.remove("c"));
        let w = q.pick(None, |id| s[id]).expect("picked");
        assert_eq!(w.session_id, "d");
        assert!(!q.push("d", 10), "in flight");
        assert!(!q.remove("d"), "in flight stays until it finishes");
        assert_eq!(q.waiting(), 3);
    }
}
