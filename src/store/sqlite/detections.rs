//! Rule hits in SQLite: one small row per (event, rule), written at ingest, read by sessions and
//! `detect`; each rule's title, level and ATT&CK tags once per case beside them.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, params};

use super::Sqlite;
use crate::model::Hit;
use crate::store::Result;
use crate::store::types::hit_of;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rule_hits (
    case_name TEXT NOT NULL,
    event_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    PRIMARY KEY (case_name, event_id, rule_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hit_rules (
    case_name TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (case_name, rule_id)
);
";

/// Schema version 3: hits by event key (the id's last 16 hex digits), for sessions built a
/// window of events at a time. The expression must match [`KEY_QUERY`]'s for SQLite to use it.
pub(super) const KEY_INDEX: &str = "
CREATE INDEX IF NOT EXISTS rule_hits_key ON rule_hits(case_name, substr(event_id, -16));
";

const KEY_QUERY: &str =
    "SELECT event_id, rule_id FROM rule_hits WHERE case_name = ?1 AND substr(event_id, -16) = ?2";

/// Stores before 0.2 kept a JSON copy of the whole hit in every row (`detections`): 300 bytes
/// a hit, and as much memory again when a million of them were read back. Their rows move
/// into the two tables above, once, when such a store is opened (within the migration's
/// transaction).
pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let old: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'detections')",
        [],
        |r| r.get(0),
    )?;
    // Runs inside schema version 1's migration transaction: all of it or none.
    if old {
        conn.execute_batch(
            "INSERT OR IGNORE INTO rule_hits(case_name, event_id, rule_id)
                 SELECT case_name, event_id, rule_id FROM detections;
             INSERT OR IGNORE INTO hit_rules(case_name, rule_id, json)
                 SELECT case_name, rule_id, json FROM detections;
             DROP TABLE detections;",
        )?;
    }
    Ok(())
}

impl Sqlite {
    /// Adds hits (idempotent: the same rule on the same event is stored once).
    pub fn add_hits(&mut self, case: &str, hits: &[Hit]) -> Result<()> {
        let tx = self.conn.transaction()?;
        insert_hits(&tx, case, hits)?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces every stored hit of the case by `hits` (after `detect` re-ran the rules) in
    /// one transaction: a process killed half-way leaves the old hits, never none.
    pub fn replace_hits(&mut self, case: &str, hits: &[Hit]) -> Result<()> {
        let tx = self.conn.transaction()?;
        delete_hits(&tx, case)?;
        insert_hits(&tx, case, hits)?;
        tx.commit()?;
        Ok(())
    }

    /// Drops every stored hit of the case.
    pub fn clear_hits(&mut self, case: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        delete_hits(&tx, case)?;
        tx.commit()?;
        Ok(())
    }

    /// How many hits the case has.
    pub fn hit_count(&self, case: &str) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM rule_hits WHERE case_name = ?1",
            params![case],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// The hits on these events (a session's), through the primary key: a session view must
    /// not read every hit of a large case.
    pub fn hits_on_ids(&self, case: &str, event_ids: &[&str]) -> Result<Vec<Hit>> {
        let rules = self.hit_rules(case)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT rule_id FROM rule_hits WHERE case_name = ?1 AND event_id = ?2",
        )?;
        let mut out = Vec::new();
        for id in event_ids {
            let rows = stmt.query_map(params![case, *id], |r| r.get::<_, String>(0))?;
            for rule_id in rows {
                out.push(hit_of(&rules, &rule_id?, id));
            }
        }
        Ok(out)
    }

    /// The hits on the events with these keys (the low 64 bits of an event id, its last 16
    /// hex digits), through the index on that suffix: sessions are built a window of events
    /// at a time and must not hold every hit of a large case.
    pub fn hits_on_keys(&self, case: &str, keys: &[u64]) -> Result<Vec<Hit>> {
        let rules = self.hit_rules(case)?;
        let mut stmt = self.conn.prepare_cached(KEY_QUERY)?;
        let mut out = Vec::new();
        for key in keys {
            let mut rows = stmt.query(params![case, format!("{key:016x}")])?;
            while let Some(r) = rows.next()? {
                let text = |i| r.get_ref(i).and_then(|v| Ok(v.as_str()?));
                out.push(hit_of(&rules, text(1)?, text(0)?));
            }
        }
        Ok(out)
    }

    /// Every hit of the case, in event id order.
    pub fn hits(&self, case: &str) -> Result<Vec<Hit>> {
        let rules = self.hit_rules(case)?;
        let mut stmt = self
            .conn
            .prepare("SELECT event_id, rule_id FROM rule_hits WHERE case_name = ?1")?;
        let mut rows = stmt.query(params![case])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            // Borrowed from the row: no String per column and hit.
            let text = |i| r.get_ref(i).and_then(|v| Ok(v.as_str()?));
            out.push(hit_of(&rules, text(1)?, text(0)?));
        }
        Ok(out)
    }

    /// The case's rules that have hits, by id, as hits without an event.
    fn hit_rules(&self, case: &str) -> Result<HashMap<String, Hit>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT rule_id, json FROM hit_rules WHERE case_name = ?1")?;
        let rows = stmt.query_map(params![case], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, json) = row?;
            out.insert(id, serde_json::from_str(&json)?);
        }
        Ok(out)
    }
}

fn insert_hits(tx: &rusqlite::Transaction, case: &str, hits: &[Hit]) -> Result<()> {
    let mut row = tx.prepare_cached(
        "INSERT OR IGNORE INTO rule_hits(case_name, event_id, rule_id) VALUES (?1, ?2, ?3)",
    )?;
    let mut rule = tx.prepare_cached(
        "INSERT OR REPLACE INTO hit_rules(case_name, rule_id, json) VALUES (?1, ?2, ?3)",
    )?;
    let mut seen: HashSet<&str> = HashSet::new();
    for h in hits {
        row.execute(params![case, h.event_id, &*h.rule_id])?;
        if seen.insert(&h.rule_id) {
            // The rule's parts; the event id is each row's.
            rule.execute(params![
                case,
                &*h.rule_id,
                serde_json::to_string(&h.on(""))?
            ])?;
        }
    }
    Ok(())
}

fn delete_hits(tx: &rusqlite::Transaction, case: &str) -> Result<()> {
    tx.execute("DELETE FROM rule_hits WHERE case_name = ?1", params![case])?;
    tx.execute("DELETE FROM hit_rules WHERE case_name = ?1", params![case])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Risk;

    fn hit(rule: &str, event: &str, level: Risk) -> Hit {
        Hit {
            rule_id: rule.into(),
            title: format!("title of {rule}").into(),
            level,
            techniques: ["T1110.001".to_string()].into(),
            tactics: ["credential-access".to_string()].into(),
            event_id: event.into(),
            events: Vec::new(),
        }
    }

    #[test]
    fn hits_round_trip_once_each_and_clear_per_case() {
        let mut s = Sqlite::in_memory().unwrap();
        let hits = vec![
            hit("r1", "e1", Risk::Low),
            hit("r2", "e1", Risk::High),
            hit("r1", "e2", Risk::Low),
        ];
        s.add_hits("a", &hits).unwrap();
        s.add_hits("a", &hits[..1]).unwrap();
        s.add_hits("b", &hits[2..]).unwrap();
        assert_eq!(s.hit_count("a").unwrap(), 3);
        let mut back = s.hits("a").unwrap();
        back.sort_by(|x, y| (&x.event_id, &x.rule_id).cmp(&(&y.event_id, &y.rule_id)));
        assert_eq!(back, hits);
        assert_eq!(
            s.hits_on_ids("a", &["e2", "e9"]).unwrap(),
            vec![hits[2].clone()]
        );
        s.clear_hits("a").unwrap();
        assert_eq!(s.hit_count("a").unwrap(), 0);
        assert_eq!(s.hits("b").unwrap(), vec![hits[2].clone()]);
    }

    #[test]
    fn hits_are_found_by_event_key_through_the_index() {
        let mut s = Sqlite::in_memory().unwrap();
        let id = |key: u64| format!("{:016x}{key:016x}", key.rotate_left(7));
        let hits = vec![
            hit("r1", &id(1), Risk::Low),
            hit("r2", &id(1), Risk::High),
            hit("r1", &id(0xdead_beef), Risk::Low),
        ];
        s.add_hits("a", &hits).unwrap();
        s.add_hits("b", &hits[..1]).unwrap();
        let mut back = s.hits_on_keys("a", &[1, 0xdead_beef, 7]).unwrap();
        back.sort_by(|x, y| (&x.event_id, &x.rule_id).cmp(&(&y.event_id, &y.rule_id)));
        let mut want = hits.clone();
        want.sort_by(|x, y| (&x.event_id, &x.rule_id).cmp(&(&y.event_id, &y.rule_id)));
        assert_eq!(back, want);
        // A scan of every hit per key would make sessions quadratic in a large case.
        let plan: Vec<String> = s
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {KEY_QUERY}"))
            .unwrap()
            .query_map(params!["a", "x"], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        assert!(plan.iter().any(|p| p.contains("rule_hits_key")), "{plan:?}");
    }

    #[test]
    fn a_store_with_json_rows_moves_them_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lookout.db");
        let hits = [hit("r1", "e1", Risk::Medium), hit("r1", "e2", Risk::Medium)];
        {
            // The 0.1 layout: the whole hit as JSON in each row.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE detections (case_name TEXT NOT NULL, event_id TEXT NOT NULL,
                 rule_id TEXT NOT NULL, json TEXT NOT NULL,
                 PRIMARY KEY (case_name, event_id, rule_id));",
            )
            .unwrap();
            for h in &hits {
                conn.execute(
                    "INSERT INTO detections VALUES ('old', ?1, ?2, ?3)",
                    params![h.event_id, &*h.rule_id, serde_json::to_string(h).unwrap()],
                )
                .unwrap();
            }
        }
        let s = Sqlite::open(&path).unwrap();
        assert_eq!(s.hits("old").unwrap(), hits);
        let left: i64 = s
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'detections'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0);
        drop(s);
        // Opening again finds nothing more to move.
        assert_eq!(Sqlite::open(&path).unwrap().hit_count("old").unwrap(), 2);
    }
}
