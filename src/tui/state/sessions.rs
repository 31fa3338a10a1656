//! The sessions list: the verdict each session shows, filters, sort keys, and the visible view
//! (indices into the loaded sessions) that the virtualised table draws from.

use std::collections::HashMap;

use super::assess::AssessEntry;
use super::nav::ListNav;
use crate::event::{Cause, Risk};
use crate::sessions::Session;
use crate::store::{Correction, CorrectionKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewMark {
    Unreviewed,
    Confirmed,
    Corrected,
}

/// What the table shows for one session: the analyst's latest word, else the assessment's
/// verdict, else what the rules alone say (risk only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub cause: Option<Cause>,
    pub risk: Option<Risk>,
    pub priority: Option<u8>,
    pub review: ReviewMark,
}

/// The priority a risk implies (the assessor's own mapping).
pub use crate::assess::combine::priority_for as priority_of;

pub fn shown(s: &Session, a: Option<&AssessEntry>, c: Option<&Correction>) -> Shown {
    let review = match c.map(|c| c.kind) {
        None => ReviewMark::Unreviewed,
        Some(CorrectionKind::Confirmation) => ReviewMark::Confirmed,
        Some(CorrectionKind::Correction) => ReviewMark::Corrected,
    };
    if let Some(c) = c {
        return Shown {
            cause: Some(c.cause),
            risk: Some(c.risk),
            priority: c.priority,
            review,
        };
    }
    if let Some(v) = a.and_then(|a| a.assessment.as_ref()).map(|a| &a.verdict) {
        return Shown {
            cause: Some(v.cause),
            risk: Some(v.risk_level),
            priority: Some(v.investigation_priority),
            review,
        };
    }
    let risk = s.max_rule_level();
    Shown {
        cause: None,
        risk,
        priority: risk.map(priority_of),
        review,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Risk,
    Priority,
    Time,
    Events,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Risk => SortKey::Priority,
            SortKey::Priority => SortKey::Time,
            SortKey::Time => SortKey::Events,
            SortKey::Events => SortKey::Risk,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Risk => "risk",
            SortKey::Priority => "priority",
            SortKey::Time => "time",
            SortKey::Events => "events",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Free text with `host:`, `user:`, `cause:`, `risk:` terms.
    pub text: String,
    pub min_risk: Option<Risk>,
    pub cause: Option<Cause>,
    pub detected_only: bool,
    pub unreviewed_only: bool,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// The filter text, parsed. Unknown `risk:`/`cause:` values are kept as plain words so a typo
/// filters everything out visibly rather than being ignored.
#[derive(Debug, Default)]
struct Terms {
    words: Vec<String>,
    hosts: Vec<String>,
    users: Vec<String>,
    cause: Option<Cause>,
    risk: Option<(Risk, bool)>,
}

fn parse(text: &str) -> Terms {
    let mut t = Terms::default();
    for tok in text.split_whitespace() {
        let lower = tok.to_lowercase();
        match lower.split_once(':') {
            Some(("host", v)) if !v.is_empty() => t.hosts.push(v.to_string()),
            Some(("user", v)) if !v.is_empty() => t.users.push(v.to_string()),
            Some(("cause", v)) if v.parse::<Cause>().is_ok() => t.cause = v.parse().ok(),
            Some(("risk", v)) => {
                let (v, at_least) = v.strip_suffix('+').map(|v| (v, true)).unwrap_or((v, false));
                match v.parse::<Risk>() {
                    Ok(r) => t.risk = Some((r, at_least)),
                    Err(_) => t.words.push(lower.clone()),
                }
            }
            _ => t.words.push(lower),
        }
    }
    t
}

fn haystack(s: &Session) -> String {
    let mut h = format!(
        "{} {} {} {}",
        s.id,
        s.host,
        s.actor,
        s.user.as_deref().unwrap_or("")
    );
    for f in s
        .formats
        .keys()
        .chain(s.processes.iter())
        .chain(s.remote_ips.iter())
        .chain(s.event_ids.keys())
    {
        h.push(' ');
        h.push_str(f);
    }
    for d in &s.detections {
        h.push(' ');
        h.push_str(&d.title);
        for t in &d.techniques {
            h.push(' ');
            h.push_str(t);
        }
    }
    h.to_lowercase()
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Index = risk rank; sessions with no risk at all are not counted.
    pub risk: [usize; 4],
    pub cause: [usize; 3],
    pub unassessed: usize,
    pub reviewed: usize,
}

/// What filtering and sorting need of one session, computed once when the sessions load so
/// that a key press does not lowercase, format or scan 100,000 sessions again.
#[derive(Debug, Default)]
struct RowKeys {
    host: String,
    /// User and actor, lowercased.
    user: String,
    /// Everything the free-text filter searches, lowercased; built on first use.
    haystack: Option<String>,
    /// Rank of the highest rule level plus one (0 = no rule hit).
    rule_rank: i32,
}

#[derive(Debug, Default)]
pub struct SessionsState {
    /// Ordered by start time, then id.
    pub all: Vec<Session>,
    keys: Vec<RowKeys>,
    pub loaded: bool,
    pub load_error: Option<String>,
    /// Indices into `all`, filtered and sorted.
    pub view: Vec<usize>,
    pub by_id: HashMap<String, usize>,
    pub filter: Filter,
    /// While the filter bar is edited: the filter text from before (restored by `esc`).
    pub editing: Option<String>,
    pub sort: SortKey,
    pub reverse: bool,
    pub nav: ListNav,
    pub counts: Counts,
    /// The session selected before `all` was replaced, selected again by the next rebuild.
    reselect: Option<String>,
}

fn risk_rank(r: Option<Risk>) -> i32 {
    r.map(|r| r.rank() as i32 + 1).unwrap_or(0)
}

impl SessionsState {
    pub fn set_sessions(&mut self, mut sessions: Vec<Session>) {
        self.reselect = self.selected().map(|s| s.id.clone());
        self.view.clear();
        sessions.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        self.by_id = sessions
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        self.keys = sessions
            .iter()
            .map(|s| RowKeys {
                host: s.host.to_lowercase(),
                user: format!("{} {}", s.user.as_deref().unwrap_or(""), s.actor).to_lowercase(),
                haystack: None,
                rule_rank: risk_rank(s.max_rule_level()),
            })
            .collect();
        self.all = sessions;
        self.loaded = true;
    }

    pub fn selected(&self) -> Option<&Session> {
        self.view
            .get(self.nav.selected)
            .and_then(|&i| self.all.get(i))
    }

    pub fn get(&self, id: &str) -> Option<&Session> {
        self.by_id.get(id).and_then(|&i| self.all.get(i))
    }

    /// Recomputes the view, keeping the selected session selected when it is still visible.
    /// One pass over the sessions with their precomputed keys, then a sort of integer keys
    /// (ties by start time and id, the order of `all`, so the index breaks them).
    pub fn rebuild(&mut self, shown_of: &dyn Fn(&Session) -> Shown, height: usize) {
        let keep = match self.reselect.take() {
            // `all` was replaced since the view was built: find the session again by id.
            Some(id) => self.by_id.get(&id).copied(),
            None => self.view.get(self.nav.selected).copied(),
        };
        let terms = parse(&self.filter.text);
        if !terms.words.is_empty() {
            for (k, s) in self.keys.iter_mut().zip(&self.all) {
                if k.haystack.is_none() {
                    k.haystack = Some(haystack(s));
                }
            }
        }
        let f = &self.filter;
        let mut counts = Counts::default();
        let mut rows: Vec<((i64, i64), usize)> = Vec::with_capacity(self.all.len());
        for (i, (s, k)) in self.all.iter().zip(&self.keys).enumerate() {
            let sh = shown_of(s);
            if let Some(r) = sh.risk {
                counts.risk[r.rank() as usize] += 1;
            }
            match sh.cause {
                Some(c) => counts.cause[Cause::ALL.iter().position(|x| *x == c).unwrap_or(0)] += 1,
                None => counts.unassessed += 1,
            }
            if sh.review != ReviewMark::Unreviewed {
                counts.reviewed += 1;
            }
            if keeps(s, k, &sh, f, &terms) {
                let key = match self.sort {
                    SortKey::Risk => (-i64::from(risk_rank(sh.risk)), -i64::from(k.rule_rank)),
                    SortKey::Priority => (i64::from(sh.priority.unwrap_or(9)), 0),
                    SortKey::Time => (s.start.timestamp(), 0),
                    SortKey::Events => (-(s.events.min(i64::MAX as u64) as i64), 0),
                };
                rows.push((key, i));
            }
        }
        rows.sort_unstable();
        if self.reverse {
            rows.reverse();
        }
        self.view = rows.into_iter().map(|(_, i)| i).collect();
        self.counts = counts;
        if let Some(i) = keep
            && let Some(pos) = self.view.iter().position(|&v| v == i)
        {
            self.nav.selected = pos;
        }
        self.nav.follow(self.view.len(), height);
    }
}

fn keeps(s: &Session, k: &RowKeys, sh: &Shown, f: &Filter, t: &Terms) -> bool {
    if f.detected_only && s.detections.is_empty() {
        return false;
    }
    if f.unreviewed_only && sh.review != ReviewMark::Unreviewed {
        return false;
    }
    if let Some(min) = f.min_risk
        && sh.risk.is_none_or(|r| r < min)
    {
        return false;
    }
    if f.cause.is_some() && sh.cause != f.cause {
        return false;
    }
    if t.cause.is_some() && sh.cause != t.cause {
        return false;
    }
    if let Some((r, at_least)) = t.risk {
        let ok = match sh.risk {
            Some(x) if at_least => x >= r,
            Some(x) => x == r,
            None => false,
        };
        if !ok {
            return false;
        }
    }
    if !t.hosts.iter().all(|h| k.host.contains(h.as_str())) {
        return false;
    }
    if !t.users.iter().all(|u| k.user.contains(u.as_str())) {
        return false;
    }
    match &k.haystack {
        Some(h) => t.words.iter().all(|w| h.contains(w.as_str())),
        None => t.words.is_empty(),
    }
}
