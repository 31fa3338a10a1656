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

use std::collections::{BTreeMap, BTreeSet, HashMap};
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

/// Which events belong to a source's session, decided from the whole case at once (not in the
/// order events come), so the result depends on the events alone.
pub(super) struct Sources {
    /// Per event (index into the case's events): its remote authentication, if any.
    pub attempts: Vec<Option<Attempt>>,
    /// Failure times per (host, source), sorted.
    failures: HashMap<(Arc<str>, Arc<str>), Vec<i64>>,
    conns: Conns,
    gap: i64,
}

impl Sources {
    pub fn new(
        events: &[EventMeta],
        in_time_order: &[usize],
        host_ips: &HashMap<String, Arc<str>>,
        unknown: &Arc<str>,
        gap: i64,
    ) -> Sources {
        let mut attempts: Vec<Option<Attempt>> = vec![None; events.len()];
        let mut failures: HashMap<(Arc<str>, Arc<str>), Vec<i64>> = HashMap::new();
        let mut conns: Conns = HashMap::new();
        for &i in in_time_order {
            let m = &events[i];
            let Some(a) = attempt(m, host_ips) else {
                continue;
            };
            let host = m.host.clone().unwrap_or_else(|| unknown.clone());
            let t = m.ts.unwrap_or(i64::MIN);
            if a.outcome == Outcome::Failure {
                failures
                    .entry((host.clone(), a.source.clone()))
                    .or_default()
                    .push(t);
            }
            if let Some(pid) = m.pid.filter(|_| is_sshd(m)) {
                let seen = conns.entry((host, pid)).or_default();
                match seen
                    .iter_mut()
                    .find(|(s, _, last)| *s == a.source && t - *last <= gap)
                {
                    Some(entry) => entry.2 = t,
                    None => seen.push((a.source.clone(), t, t)),
                }
            }
            attempts[i] = Some(a);
        }
        Sources {
            attempts,
            failures,
            conns,
            gap,
        }
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

    /// The source whose session event `i` belongs to: a failure always; a success or another
    /// record of the exchange while the source is failing; and sshd's lines that name neither
    /// address nor user (`check pass; user unknown`) by their connection's process id.
    pub fn source_of(&self, i: usize, m: &EventMeta, host: &Arc<str>) -> Option<Arc<str>> {
        let t = m.ts.unwrap_or(i64::MIN);
        if let Some(a) = &self.attempts[i] {
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

fn is_sshd(m: &EventMeta) -> bool {
    m.event_id
        .as_deref()
        .is_some_and(|e| e == "sshd" || e.starts_with("sshd:"))
        || m.process
            .as_deref()
            .is_some_and(|p| p.rsplit(['/', '\\']).next() == Some("sshd"))
}

/// A session as the linker sees it.
pub(super) struct Span<'a> {
    pub host: &'a str,
    pub source: Option<&'a str>,
    /// The account, for user sessions.
    pub user: Option<&'a str>,
    pub first: i64,
    pub last: i64,
    /// For a source's session: the accounts it tried (lower case, no domain).
    pub tried: BTreeSet<String>,
}

/// `CORP\alice`, `alice@corp.local` and `Alice` are one account.
pub(super) fn account(u: &str) -> String {
    let u = u.rsplit('\\').next().unwrap_or(u);
    u.split('@').next().unwrap_or(u).to_lowercase()
}

/// The short, lower-case name of a host: the key `same_host` compares.
fn short_host(h: &str) -> String {
    h.split('.').next().unwrap_or(h).to_ascii_lowercase()
}

/// Pairs of sessions (indexes into `spans`) in one story, from every successful remote logon:
/// - the source's session on that host (its failures) with the sessions of the logged-on
///   account active then; for a logon after that session, only the first one per account the
///   source tried there, with the session holding it;
/// - where the source address is a known host (lateral movement, a share mount), the
///   session holding the logon with that account's sessions on the source host at that time.
pub(super) fn links(
    spans: &[Span<'_>],
    session_of: &[Option<usize>],
    events: &[EventMeta],
    sources: &Sources,
    host_ips: &HashMap<String, Arc<str>>,
    gap: i64,
) -> BTreeSet<(usize, usize)> {
    // Sessions by (host, account) and by (host, source), so that each logon looks at a few.
    let mut by_user: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut by_source: HashMap<(String, &str), Vec<usize>> = HashMap::new();
    for (g, s) in spans.iter().enumerate() {
        match (s.source, s.user) {
            (Some(src), _) => by_source
                .entry((short_host(s.host), src))
                .or_default()
                .push(g),
            (None, Some(u)) => by_user
                .entry((short_host(s.host), account(u)))
                .or_default()
                .push(g),
            (None, None) => {}
        }
    }
    // (story session, account) -> its first later logon: (time, event key, session, host).
    let mut later: BTreeMap<(usize, String), (i64, u64, usize, String)> = BTreeMap::new();
    let mut pairs = BTreeSet::new();
    let mut add = |a: usize, b: usize| {
        if a != b {
            pairs.insert((a.min(b), a.max(b)));
        }
    };
    let active = |g: &usize, t: i64| {
        let s = &spans[*g];
        s.first.saturating_sub(gap) <= t && t <= s.last.saturating_add(gap)
    };
    for (i, a) in sources.attempts.iter().enumerate() {
        let (Some(a), Some(here)) = (a, session_of[i]) else {
            continue;
        };
        let m = &events[i];
        let (Some(t), Some(host)) = (m.ts, m.host.as_deref()) else {
            continue;
        };
        if a.outcome != Outcome::Success {
            continue;
        }
        let host = short_host(host);
        let user = m.user.as_deref().map(account);
        let users_at = |h: String| -> Vec<usize> {
            user.clone()
                .and_then(|u| by_user.get(&(h, u)))
                .map(|gs| gs.iter().copied().filter(|g| active(g, t)).collect())
                .unwrap_or_default()
        };
        // The source's latest session on this host that began before the logon.
        let story = by_source.get(&(host.clone(), &*a.source)).and_then(|gs| {
            gs.iter()
                .copied()
                .filter(|&g| spans[g].first <= t)
                .max_by_key(|&g| (spans[g].first, g))
        });
        match story {
            // Inside the source's session: link what the account does now.
            Some(story) if story == here => {
                for g in users_at(host.clone()) {
                    add(story, g);
                }
            }
            // Later: only the first logon per account the source had tried there (the breach,
            // not every routine logon of that account afterwards).
            Some(story)
                if user
                    .as_ref()
                    .is_some_and(|u| spans[story].tried.contains(u)) =>
            {
                let key = (story, user.clone().unwrap_or_default());
                let this = (t, m.key, here, host.clone());
                if later
                    .get(&key)
                    .is_none_or(|best| (this.0, this.1) < (best.0, best.1))
                {
                    later.insert(key, this);
                }
            }
            _ => {}
        }
        if let Some(from) = host_ips.get(a.source.as_ref()) {
            for g in users_at(short_host(from)) {
                add(here, g);
            }
        }
    }
    for ((story, user), (t, _, here, host)) in later {
        add(story, here);
        for g in by_user.get(&(host, user)).into_iter().flatten() {
            if active(g, t) {
                add(story, *g);
            }
        }
    }
    pairs
}
