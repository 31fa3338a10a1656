//! Sessions through the [`Store`] handle: the backends write and read them one at a time
//! through `dyn` callbacks; here the same with the caller's own error type, and the
//! whole-list forms that tests and small callers use.

use super::backend::SessionSink;
use super::{Result, Store, StoreError};
use crate::model::Session;

/// Runs a backend call that takes a callback returning the store's error, with a callback
/// that returns the caller's: the caller's error is kept aside (the backend sees
/// [`StoreError::Stopped`] and rolls back or stops) and returned as it was.
fn with_caller_error<E: From<StoreError>>(
    call: impl FnOnce(&mut dyn FnMut(std::result::Result<(), E>) -> Result<()>) -> Result<()>,
) -> std::result::Result<(), E> {
    let mut kept = None;
    let done = call(&mut |r| {
        r.map_err(|e| {
            kept = Some(e);
            StoreError::Stopped
        })
    });
    match kept {
        Some(e) => Err(e),
        None => done.map_err(E::from),
    }
}

impl Store {
    /// Replaces the case's sessions with those `fill` puts into the sink, in one transaction:
    /// sessions are written as they are made instead of all held first. An error of `fill`
    /// rolls the replacement back and is returned.
    pub fn replace_sessions_with<E: From<StoreError>>(
        &mut self,
        case: &str,
        fill: impl FnOnce(&mut dyn SessionSink) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut fill = Some(fill);
        let backend = &mut *self.backend;
        with_caller_error(|stop| {
            backend.write_sessions(case, &mut |sink| match fill.take() {
                Some(f) => stop(f(sink)),
                None => Ok(()),
            })
        })
    }

    /// Replaces the case's sessions (each with its member event keys) in one transaction, so
    /// readers see either the old or the new set.
    pub fn replace_sessions(&mut self, case: &str, sessions: &[(Session, Vec<u64>)]) -> Result<()> {
        self.replace_sessions_with(case, |sink| {
            sessions
                .iter()
                .try_for_each(|(s, members)| sink.put(s, members))
        })
    }

    /// Each session of a case in start order, read one at a time (a large case has millions).
    /// The first error of `each` stops the scan and is returned. Inside `each`, use another
    /// `Store` for the store (see [`super::Backend::scan_sessions`]).
    pub fn for_each_session<E: From<StoreError>>(
        &self,
        case: &str,
        mut each: impl FnMut(Session) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        with_caller_error(|stop| self.backend.scan_sessions(case, &mut |s| stop(each(s))))
    }

    /// All sessions of a case in start order.
    pub fn sessions(&self, case: &str) -> Result<Vec<Session>> {
        let mut out = Vec::new();
        self.for_each_session(case, |s| {
            out.push(s);
            Ok::<_, StoreError>(())
        })?;
        Ok(out)
    }
}

/// A stored session's JSON with `other` added to its links (kept sorted, once each); None
/// when it is there already.
pub(super) fn with_link(json: &str, other: &str) -> Result<Option<String>> {
    let mut s: Session = serde_json::from_str(json)?;
    match s.linked.binary_search_by(|l| l.as_str().cmp(other)) {
        Ok(_) => Ok(None),
        Err(at) => {
            s.linked.insert(at, other.to_string());
            Ok(Some(serde_json::to_string(&s)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use crate::model::{ActorKind, Session};
    use crate::store::{Store, StoreError};

    fn session(i: usize, start: DateTime<Utc>) -> Session {
        Session {
            id: format!("{:016x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            host: "WS01".into(),
            user: Some("alice".into()),
            actor_kind: ActorKind::User,
            actor: "alice".into(),
            start,
            end: start,
            duration_s: 0,
            hour: 9,
            weekend: false,
            formats: Default::default(),
            events: 1,
            parsed_events: 1,
            fallback_events: 0,
            detections: Vec::new(),
            label: None,
            content_hash: String::new(),
            event_ids: Default::default(),
            processes: Vec::new(),
            remote_ips: Vec::new(),
            accounts: Default::default(),
            linked: Vec::new(),
        }
    }

    #[test]
    fn a_scan_reads_pages_in_start_order_and_an_error_of_the_sink_rolls_back() {
        let base = chrono::DateTime::from_timestamp(1_772_442_000, 0).unwrap_or_default();
        // Three pages and a bit, starts in reverse of ids, some starts shared.
        let sessions: Vec<_> = (0..3100)
            .map(|i| {
                let start = base + chrono::Duration::seconds(((3100 - i) / 3) as i64);
                (session(i, start), vec![i as u64])
            })
            .collect();
        let mut store = Store::in_memory().unwrap();
        store.replace_sessions("c", &sessions).unwrap();
        store.replace_sessions("d", &sessions[..5]).unwrap();
        let mut got = Vec::new();
        store
            .for_each_session("c", |s| {
                got.push((s.start, s.id));
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let mut want: Vec<_> = sessions
            .iter()
            .map(|(s, _)| (s.start, s.id.clone()))
            .collect();
        want.sort();
        assert_eq!(got, want);
        let failed = store.replace_sessions_with("c", |sink| {
            sink.put(&sessions[0].0, &[])?;
            Err(StoreError::Copy("stop".into()))
        });
        assert!(matches!(failed, Err(StoreError::Copy(_))));
        assert_eq!(store.sessions("c").unwrap().len(), 3100);
        assert_eq!(store.sessions("d").unwrap().len(), 5);
    }
}
