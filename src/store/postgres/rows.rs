//! Whole tables of a case in PostgreSQL, for `store copy` and deleting a case.

use postgres::Client;
use postgres::types::ToSql;

use crate::store::Result;
use crate::store::copy::{Kind, TABLES, Table, Value, case_filter};

/// The text of a key column sorts byte-wise (the schema's `COLLATE "C"`), as in SQLite.
pub(super) fn read(client: &mut Client, t: &Table, case: &str) -> Result<Vec<Vec<Value>>> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} ORDER BY {}",
        t.column_list(),
        t.name,
        case_filter(t, "$1"),
        t.key.join(", ")
    );
    let mut out = Vec::new();
    for r in client.query(&sql, &[&case])? {
        let mut row = Vec::with_capacity(t.columns.len());
        for (i, (_, kind)) in t.columns.iter().enumerate() {
            row.push(match kind {
                Kind::Int => r.get::<_, Option<i64>>(i).map_or(Value::Null, Value::Int),
                Kind::Text => r
                    .get::<_, Option<String>>(i)
                    .map_or(Value::Null, Value::Text),
                Kind::Bytes => r
                    .get::<_, Option<Vec<u8>>>(i)
                    .map_or(Value::Null, Value::Bytes),
            });
        }
        out.push(row);
    }
    Ok(out)
}

/// A value as a parameter of the column's type (a NULL needs one too).
fn param(v: &Value, kind: Kind) -> Box<dyn ToSql + Sync + '_> {
    match (v, kind) {
        (Value::Int(n), _) => Box::new(*n),
        (Value::Text(s), _) => Box::new(s.as_str()),
        (Value::Bytes(b), _) => Box::new(b.as_slice()),
        (Value::Null, Kind::Int) => Box::new(None::<i64>),
        (Value::Null, Kind::Text) => Box::new(None::<String>),
        (Value::Null, Kind::Bytes) => Box::new(None::<Vec<u8>>),
    }
}

pub(super) fn write(client: &mut Client, batches: &[(&Table, &[Vec<Value>])]) -> Result<Vec<bool>> {
    let mut tx = client.transaction()?;
    let mut renumbered = Vec::new();
    for (t, rows) in batches {
        let pos = t
            .serial
            .and_then(|s| t.columns.iter().position(|(c, _)| *c == s));
        let taken = match (t.serial, pos) {
            (Some(col), Some(p)) => {
                let ids: Vec<i64> = rows
                    .iter()
                    .filter_map(|r| match r.get(p) {
                        Some(Value::Int(n)) => Some(*n),
                        _ => None,
                    })
                    .collect();
                tx.query_one(
                    &format!(
                        "SELECT EXISTS(SELECT 1 FROM {} WHERE {col} = ANY($1))",
                        t.name
                    ),
                    &[&ids],
                )?
                .get::<_, bool>(0)
            }
            _ => false,
        };
        let cols: Vec<(usize, &str, Kind)> = t
            .columns
            .iter()
            .enumerate()
            .filter(|(i, _)| !(taken && Some(*i) == pos))
            .map(|(i, (c, k))| (i, *c, *k))
            .collect();
        let names: Vec<&str> = cols.iter().map(|(_, c, _)| *c).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let conflict = if t.name == "assessments" {
            " ON CONFLICT DO NOTHING"
        } else {
            ""
        };
        let stmt = tx.prepare(&format!(
            "INSERT INTO {} ({}) VALUES ({}){conflict}",
            t.name,
            names.join(", "),
            marks.join(", ")
        ))?;
        for row in rows.iter() {
            let params: Vec<Box<dyn ToSql + Sync + '_>> = cols
                .iter()
                .map(|(i, _, k)| param(row.get(*i).unwrap_or(&Value::Null), *k))
                .collect();
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| &**b).collect();
            tx.execute(&stmt, &refs)?;
        }
        if let (Some(col), false) = (t.serial, taken) {
            // Ids were given: move the identity past them, or the next insert collides.
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', '{col}'),
                         GREATEST((SELECT MAX({col}) FROM {0}), 1))",
                    t.name
                ),
                &[],
            )?;
        }
        renumbered.push(taken);
    }
    tx.commit()?;
    Ok(renumbered)
}

/// Deletes a case's rows from every table (children first).
pub(super) fn delete_case(client: &mut Client, case: &str) -> Result<()> {
    let mut tx = client.transaction()?;
    for t in TABLES.iter().rev() {
        tx.execute(
            &format!("DELETE FROM {} WHERE {}", t.name, case_filter(t, "$1")),
            &[&case],
        )?;
    }
    tx.commit()?;
    Ok(())
}
