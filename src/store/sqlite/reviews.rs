//! The review queue in SQLite: each hand-out is one `UPDATE … RETURNING`, which SQLite runs
//! under its single writer lock, so two processes never take the same session.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::Result;
use crate::store::types::{Lease, ReviewItem};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS review_queue (
    case_name TEXT NOT NULL,
    session_id TEXT NOT NULL,
    priority INTEGER NOT NULL,
    added TEXT NOT NULL,
    lease_holder TEXT,
    lease_until INTEGER,
    reviewed_by TEXT,
    reviewed_at TEXT,
    PRIMARY KEY (case_name, session_id)
);
CREATE INDEX IF NOT EXISTS review_queue_next ON review_queue(case_name, priority, session_id)
    WHERE reviewed_at IS NULL;
";

/// This machine's clock in milliseconds since the epoch: one file, one machine, one clock.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

pub(super) fn enqueue(conn: &Connection, case: &str, items: &[(String, i64)]) -> Result<usize> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO review_queue(case_name, session_id, priority, added) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
    )?;
    let now = crate::store::now_text();
    let mut added = 0;
    conn.execute_batch("BEGIN IMMEDIATE")?;
    for (id, priority) in items {
        match stmt.execute(params![case, id, priority, now]) {
            Ok(n) => added += n,
            Err(e) => {
                conn.execute_batch("ROLLBACK")?;
                return Err(e.into());
            }
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(added)
}

pub(super) fn lease(
    conn: &Connection,
    case: &str,
    holder: &str,
    ttl: Duration,
) -> Result<Option<Lease>> {
    let now = now_ms();
    let until = now + ms(ttl);
    let id: Option<String> = conn
        .query_row(
            "UPDATE review_queue SET lease_holder = ?2, lease_until = ?3
             WHERE case_name = ?1 AND session_id = (
                 SELECT session_id FROM review_queue
                 WHERE case_name = ?1 AND reviewed_at IS NULL
                   AND (lease_until IS NULL OR lease_until <= ?4)
                 ORDER BY priority, session_id LIMIT 1)
             RETURNING session_id",
            params![case, holder, until, now],
            |r| r.get(0),
        )
        .optional()?;
    Ok(id.map(|session_id| Lease {
        case_name: case.to_string(),
        session_id,
        holder: holder.to_string(),
        until_ms: until,
    }))
}

pub(super) fn renew(conn: &Connection, lease: &Lease, ttl: Duration) -> Result<bool> {
    let n = conn.execute(
        "UPDATE review_queue SET lease_until = ?4
         WHERE case_name = ?1 AND session_id = ?2 AND lease_holder = ?3 AND reviewed_at IS NULL",
        params![
            lease.case_name,
            lease.session_id,
            lease.holder,
            now_ms() + ms(ttl)
        ],
    )?;
    Ok(n == 1)
}

pub(super) fn finish(conn: &Connection, case: &str, session: &str, holder: &str) -> Result<bool> {
    let n = conn.execute(
        "UPDATE review_queue SET reviewed_by = ?3, reviewed_at = ?4, lease_holder = NULL,
             lease_until = NULL
         WHERE case_name = ?1 AND session_id = ?2 AND lease_holder = ?3 AND reviewed_at IS NULL",
        params![case, session, holder, crate::store::now_text()],
    )?;
    Ok(n == 1)
}

pub(super) fn release(conn: &Connection, case: &str, session: &str, holder: &str) -> Result<bool> {
    let n = conn.execute(
        "UPDATE review_queue SET lease_holder = NULL, lease_until = NULL
         WHERE case_name = ?1 AND session_id = ?2 AND lease_holder = ?3",
        params![case, session, holder],
    )?;
    Ok(n == 1)
}

pub(super) fn items(conn: &Connection, case: &str) -> Result<Vec<ReviewItem>> {
    let mut stmt = conn.prepare(
        "SELECT session_id, priority,
                CASE WHEN lease_until > ?2 THEN lease_holder END, reviewed_by
         FROM review_queue WHERE case_name = ?1 ORDER BY priority, session_id",
    )?;
    let rows = stmt.query_map(params![case, now_ms()], |r| {
        Ok(ReviewItem {
            session_id: r.get(0)?,
            priority: r.get(1)?,
            leased_by: r.get(2)?,
            reviewed_by: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::super::Sqlite;
    use crate::store::Backend;
    use std::time::Duration;

    #[test]
    fn leases_hand_out_each_session_once_and_expire() {
        let s = Sqlite::in_memory().unwrap();
        let items = [
            ("b".to_string(), 1),
            ("a".to_string(), 0),
            ("c".to_string(), 1),
        ];
        assert_eq!(s.enqueue_reviews("k", &items).unwrap(), 3);
        assert_eq!(s.enqueue_reviews("k", &items[..1]).unwrap(), 0);
        let long = Duration::from_secs(60);
        let one = s.lease_review("k", "ana", long).unwrap().unwrap();
        assert_eq!(one.session_id, "a", "lowest priority first");
        let two = s.lease_review("k", "bo", long).unwrap().unwrap();
        assert_eq!(two.session_id, "b");
        assert!(!s.finish_review("k", "a", "bo").unwrap(), "not bo's");
        assert!(s.finish_review("k", "a", "ana").unwrap());
        // An expired lease is handed out again.
        let short = s.lease_review("k", "cy", Duration::ZERO).unwrap().unwrap();
        assert_eq!(short.session_id, "c");
        let again = s.lease_review("k", "dee", long).unwrap().unwrap();
        assert_eq!(again.session_id, "c");
        assert!(
            !s.renew_lease(&short, long).unwrap(),
            "cy's lease was taken"
        );
        assert_eq!(s.lease_review("k", "eve", long).unwrap(), None);
        let items = s.review_items("k").unwrap();
        assert_eq!(items[0].reviewed_by.as_deref(), Some("ana"));
        assert_eq!(items[1].leased_by.as_deref(), Some("bo"));
        assert!(s.release_lease("k", "b", "bo").unwrap());
        assert_eq!(
            s.lease_review("k", "eve", long)
                .unwrap()
                .unwrap()
                .session_id,
            "b"
        );
    }
}
