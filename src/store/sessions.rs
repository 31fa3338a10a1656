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
