//! The review queue in PostgreSQL: a hand-out locks the next free row with
//! `FOR UPDATE SKIP LOCKED` and writes its lease in the same statement, so concurrent analysts
//! each get a different session without waiting on each other; leases run on the server's
//! clock and simply expire when their holder stops renewing them (a killed process).

use std::time::Duration;

use postgres::Client;

use crate::store::Result;
use crate::store::types::{Lease, ReviewItem};

/// The server's clock in milliseconds since the epoch (`clock_timestamp`, not the
/// transaction's start).
const NOW_MS: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

pub(super) fn enqueue(client: &mut Client, case: &str, items: &[(String, i64)]) -> Result<usize> {
    let ids: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();
    let priorities: Vec<i64> = items.iter().map(|(_, p)| *p).collect();
    let n = client.execute(
        "INSERT INTO review_queue(case_name, session_id, priority, added)
         SELECT $1, s, p, $4 FROM unnest($2::text[], $3::bigint[]) AS t(s, p)
         ON CONFLICT DO NOTHING",
        &[&case, &ids, &priorities, &crate::store::now_text()],
    )?;
    Ok(n as usize)
}

pub(super) fn lease(
    client: &mut Client,
    case: &str,
    holder: &str,
    ttl: Duration,
) -> Result<Option<Lease>> {
    let row = client.query_opt(
        &format!(
            "WITH next AS (
                 SELECT case_name, session_id FROM review_queue
                 WHERE case_name = $1 AND reviewed_at IS NULL
                   AND (lease_until IS NULL OR lease_until <= {NOW_MS})
                 ORDER BY priority, session_id
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED)
             UPDATE review_queue q SET lease_holder = $2, lease_until = {NOW_MS} + $3
             FROM next WHERE q.case_name = next.case_name AND q.session_id = next.session_id
             RETURNING q.session_id, q.lease_until"
        ),
        &[&case, &holder, &ms(ttl)],
    )?;
    Ok(row.map(|r| Lease {
        case_name: case.to_string(),
        session_id: r.get(0),
        holder: holder.to_string(),
        until_ms: r.get(1),
    }))
}

pub(super) fn renew(client: &mut Client, lease: &Lease, ttl: Duration) -> Result<bool> {
    let n = client.execute(
        &format!(
            "UPDATE review_queue SET lease_until = {NOW_MS} + $4
             WHERE case_name = $1 AND session_id = $2 AND lease_holder = $3
               AND reviewed_at IS NULL"
        ),
        &[&lease.case_name, &lease.session_id, &lease.holder, &ms(ttl)],
    )?;
    Ok(n == 1)
}

pub(super) fn finish(client: &mut Client, case: &str, session: &str, holder: &str) -> Result<bool> {
    let n = client.execute(
        "UPDATE review_queue SET reviewed_by = $3, reviewed_at = $4, lease_holder = NULL,
             lease_until = NULL
         WHERE case_name = $1 AND session_id = $2 AND lease_holder = $3 AND reviewed_at IS NULL",
        &[&case, &session, &holder, &crate::store::now_text()],
    )?;
    Ok(n == 1)
}

pub(super) fn release(
    client: &mut Client,
    case: &str,
    session: &str,
    holder: &str,
) -> Result<bool> {
    let n = client.execute(
        "UPDATE review_queue SET lease_holder = NULL, lease_until = NULL
         WHERE case_name = $1 AND session_id = $2 AND lease_holder = $3",
        &[&case, &session, &holder],
    )?;
    Ok(n == 1)
}

pub(super) fn items(client: &mut Client, case: &str) -> Result<Vec<ReviewItem>> {
    let rows = client.query(
        &format!(
            "SELECT session_id, priority,
                    CASE WHEN lease_until > {NOW_MS} THEN lease_holder END, reviewed_by
             FROM review_queue WHERE case_name = $1 ORDER BY priority, session_id"
        ),
        &[&case],
    )?;
    Ok(rows
        .iter()
        .map(|r| ReviewItem {
            session_id: r.get(0),
            priority: r.get(1),
            leased_by: r.get(2),
            reviewed_by: r.get(3),
        })
        .collect())
}
