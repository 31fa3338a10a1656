//! Remote authentication drawn around its actor: for sshd failures and accepts and Windows
//! network logons (4625, 4771, 4624, 4776 from a remote address) the actor is the source
//! address, not the account it tries, so one source guessing sixty user names on a host is one
//! session. A logon that works while the source is failing joins that session too; what the
//! account does afterwards stays the account's session, linked to the source's (see
//! [`links`]).
//!
//! The index keeps no logon type: a Windows logon counts as remote when it names an address
//! that is not loopback and not the host's own, which is what types 3, 8 and 10 carry (the
//! local types write `127.0.0.1` or `-`).
//!
//! Events are decided in time order with a look-ahead of one gap: whether a source is failing
//! at `t` depends on its failures up to `t + gap`. [`AuthWindow`] keeps what that needs for
//! the events near the ones being decided, and forgets the rest.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

use crate::index::EventMeta;

/// What an authentication record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Failure,
    Success,
    /// Part of the exchange without a verdict (`Connection closed … [preauth]`, 4776).
    Other,
}

/// A remote authentication record: from where, with what outcome.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    pub source: Arc<str>,
    pub outcome: Outcome,
}

fn is_local(ip: &str) -> bool {
    ip.parse::<IpAddr>()
        .is_ok_and(|a| a.is_loopback() || a.is_unspecified())
}

/// The remote authentication `m` is, if any.
pub(super) fn attempt(m: &EventMeta, host_ips: &HashMap<String, Arc<str>>) -> Option<Attempt> {
    let source = m.src_ip.as_ref()?;
    if is_local(source) {
        return None;
    }
    let id = m.event_id.as_deref()?;
    let outcome = match m.format.as_deref()? {
        // The auth.log parser's event ids: `sshd:failed_password`, `sshd:accepted_publickey`…
        "auth_log" | "syslog" => match id.split_once(':')? {
            ("sshd", what) if what.starts_with("failed_") => Outcome::Failure,
            ("sshd", "invalid_user" | "auth_failure" | "max_auth_exceeded") => Outcome::Failure,
            ("sshd", what) if what.starts_with("accepted_") => Outcome::Success,
            ("sshd", _) => Outcome::Other,
            _ => return None,
        },
        "evtx" | "win_json" => match id {
            "4625" | "4771" => Outcome::Failure,
            "4624" => Outcome::Success,
            // NTLM validation: success or failure is in its status, which the index lacks.
            "4776" => Outcome::Other,
            _ => return None,
        },
        _ => return None,
    };
    let own = host_ips
        .get(source.as_ref())
        .zip(m.host.as_ref())
        .is_some_and(|(h, host)| same_host(h, host));
    (!own).then(|| Attempt {
        source: source.clone(),
        outcome,
    })
}

/// `WS01` and `ws01.corp.local` are one host.
pub(super) fn same_host(a: &str, b: &str) -> bool {
    let short = |s: &str| s.split('.').next().unwrap_or(s).to_ascii_lowercase();
    a.eq_ignore_ascii_case(b) || short(a) == short(b)
}

/// sshd connections: (host, pid) -> the sources seen on it, with their first and last time.
type Conns = HashMap<(Arc<str>, u64), Vec<(Arc<str>, i64, i64)>>;

/// Remote authentication around the events being decided: failure times per (host, source)
/// and sshd connections, from the events seen so far (in time order), less what no event
/// still to be decided can use.
pub(super) struct AuthWindow {
    failures: HashMap<(Arc<str>, Arc<str>), VecDeque<i64>>,
    conns: Conns,
    gap: i64,
}

impl AuthWindow {
    pub fn new(gap: i64) -> AuthWindow {
        AuthWindow {
            failures: HashMap::new(),
            conns: HashMap::new(),
            gap,
        }
    }

    /// Records the next event seen (in time order) that is the remote authentication `a`.
    pub fn see(&mut self, m: &EventMeta, a: &Attempt, host: &Arc<str>) {
        let t = m.ts.unwrap_or(i64::MIN);
        if a.outcome == Outcome::Failure {
            self.failures
                .entry((host.clone(), a.source.clone()))
                .or_default()
                .push_back(t);
        }
        if let Some(pid) = m.pid.filter(|_| is_sshd(m)) {
            let gap = self.gap;
            let seen = self.conns.entry((host.clone(), pid)).or_default();
            // Saturating: an undated record (i64::MIN) before a dated one on the same pid
            // overflowed `t - last` (a panic in debug builds, a wrong join in release).
            match seen
                .iter_mut()
                .find(|(s, _, last)| *s == a.source && t.saturating_sub(*last) <= gap)
            {
                Some(entry) => entry.2 = t,
                None => seen.push((a.source.clone(), t, t)),
            }
        }
    }

    /// Forgets what no event at `t` or later can use: failures before `t - gap` and
    /// connections last seen before that.
    pub fn forget_before(&mut self, t: i64) {
        let from = t.saturating_sub(self.gap);
        self.failures.retain(|_, times| {
            while times.front().is_some_and(|&f| f < from) {
                times.pop_front();
            }
            !times.is_empty()
        });
        self.conns.retain(|_, seen| {
            seen.retain(|(_, _, last)| *last >= from);
            !seen.is_empty()
        });
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

    /// The source whose session `m` (whose remote authentication is `attempt`) belongs to: a
    /// failure always; a success or another record of the exchange while the source is
    /// failing; and sshd's lines that name neither address nor user (`check pass; user
    /// unknown`) by their connection's process id. Every event up to `t + gap` must have been
    /// seen.
    pub fn source_of(
        &self,
        m: &EventMeta,
        attempt: Option<&Attempt>,
        host: &Arc<str>,
    ) -> Option<Arc<str>> {
        let t = m.ts.unwrap_or(i64::MIN);
        if let Some(a) = attempt {
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

pub(super) fn is_sshd(m: &EventMeta) -> bool {
    m.event_id
        .as_deref()
        .is_some_and(|e| e == "sshd" || e.starts_with("sshd:"))
        || m.process
            .as_deref()
            .is_some_and(|p| p.rsplit(['/', '\\']).next() == Some("sshd"))
}

/// `CORP\alice`, `alice@corp.local` and `Alice` are one account.
pub(super) fn account(u: &str) -> String {
    let u = u.rsplit('\\').next().unwrap_or(u);
    u.split('@').next().unwrap_or(u).to_lowercase()
}

/// The short, lower-case name of a host: the key `same_host` compares.
pub(super) fn short_host(h: &str) -> String {
    h.split('.').next().unwrap_or(h).to_ascii_lowercase()
}
