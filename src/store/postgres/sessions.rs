//! Sessions in PostgreSQL, as the SQLite backend keeps them: written in batches of rows
//! through arrays as they are made, read back a page at a time through a cursor.

use postgres::{Client, Transaction};

use crate::model::Session;
use crate::store::sessions::with_link;
use crate::store::{Result, SessionSink};

/// Sessions sent to the server in one statement, unless their bytes reach [`BATCH_BYTES`]
/// first (one session of a busy host holds megabytes of member keys).
const BATCH_ROWS: usize = 1000;
const BATCH_BYTES: usize = 8 << 20;

/// The advisory lock class of session rebuilds (the second key is the case's name).
const SESSIONS_LOCK: i32 = 0x4c4b_5331;

/// Sessions read per round trip of a scan.
const PAGE_ROWS: i32 = 500;

pub(super) fn write_sessions(
    c: &mut Client,
    case: &str,
    fill: &mut dyn FnMut(&mut dyn SessionSink) -> Result<()>,
) -> Result<()> {
    // Dropped without a commit (an error of `fill`), the transaction rolls back.
    let mut tx = c.transaction()?;
    // One rebuild of a case's sessions at a time. Without it, two analysts' ingests ending
    // together each deleted the rows they saw and inserted their own: the second found the
    // first's new rows (not in its snapshot) in the way of its own, and failed on the key.
    // Taken before the DELETE, whose snapshot then includes the first rebuild's rows.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&SESSIONS_LOCK, &case],
    )?;
    tx.execute("DELETE FROM sessions WHERE case_name = $1", &[&case])?;
    let mut sink = Sink {
        tx,
        case,
        rows: Rows::default(),
    };
    fill(&mut sink)?;
    sink.flush()?;
    sink.tx.commit()?;
    Ok(())
}

/// The columns of the sessions not sent yet.
#[derive(Default)]
struct Rows {
    id: Vec<String>,
    start: Vec<String>,
    host: Vec<String>,
    events: Vec<i64>,
    json: Vec<String>,
    members: Vec<Vec<u8>>,
    bytes: usize,
}

struct Sink<'a> {
    tx: Transaction<'a>,
    case: &'a str,
    rows: Rows,
}

impl Sink<'_> {
    /// One round trip for the batch (`unnest` of one array per column), not one per session.
    fn flush(&mut self) -> Result<()> {
        if self.rows.id.is_empty() {
            return Ok(());
        }
        let r = std::mem::take(&mut self.rows);
        self.tx.execute(
            "INSERT INTO sessions(case_name, id, start, host, events, json, members)
             SELECT $1, i, s, h, e, j, m
             FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bytea[])
                 AS t(i, s, h, e, j, m)",
            &[
                &self.case, &r.id, &r.start, &r.host, &r.events, &r.json, &r.members,
            ],
        )?;
        Ok(())
    }
}

impl SessionSink for Sink<'_> {
    fn put(&mut self, s: &Session, members: &[u64]) -> Result<()> {
        let json = serde_json::to_string(s)?;
        let r = &mut self.rows;
        r.bytes += json.len() + members.len() * 8;
        r.id.push(s.id.clone());
        r.start.push(s.start.to_rfc3339());
        r.host.push(s.host.clone());
        r.events.push(s.events as i64);
        r.json.push(json);
        r.members
            .push(members.iter().flat_map(|k| k.to_le_bytes()).collect());
        if r.id.len() >= BATCH_ROWS || r.bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn link(&mut self, id: &str, other: &str) -> Result<()> {
        // The session may still be in the batch.
        self.flush()?;
        let row = self.tx.query_opt(
            "SELECT json FROM sessions WHERE case_name = $1 AND id = $2",
            &[&self.case, &id],
        )?;
        if let Some(json) = row
            .map(|r| with_link(r.get(0), other))
            .transpose()?
            .flatten()
        {
            self.tx.execute(
                "UPDATE sessions SET json = $3 WHERE case_name = $1 AND id = $2",
                &[&self.case, &id, &json],
            )?;
        }
        Ok(())
    }
}

/// Through a cursor (a portal, inside a transaction): the client holds one page, not the case.
pub(super) fn scan_sessions(
    c: &mut Client,
    case: &str,
    each: &mut dyn FnMut(Session) -> Result<()>,
) -> Result<()> {
    let mut tx = c.transaction()?;
    let portal = tx.bind(
        "SELECT json FROM sessions WHERE case_name = $1 ORDER BY start, id",
        &[&case],
    )?;
    loop {
        let page = tx.query_portal(&portal, PAGE_ROWS)?;
        for r in &page {
            each(serde_json::from_str(r.get(0))?)?;
        }
        if page.len() < PAGE_ROWS as usize {
            break;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn session(c: &mut Client, case: &str, id: &str) -> Result<Option<Session>> {
    // Prefix match like SQLite's LIKE (ASCII case-insensitive), `%`/`_` escaped.
    let pattern = format!(
        "{}%",
        id.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = c.query(
        "SELECT json FROM sessions WHERE case_name = $1 AND id ILIKE $2 LIMIT 2",
        &[&case, &pattern],
    )?;
    match rows.as_slice() {
        [one] => Ok(Some(serde_json::from_str(one.get(0))?)),
        _ => Ok(None),
    }
}

pub(super) fn session_members(c: &mut Client, case: &str, id: &str) -> Result<Vec<u64>> {
    let row = c.query_opt(
        "SELECT members FROM sessions WHERE case_name = $1 AND id = $2",
        &[&case, &id],
    )?;
    let blob: Vec<u8> = row.map(|r| r.get(0)).unwrap_or_default();
    Ok(blob
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            u64::from_le_bytes(b)
        })
        .collect())
}
