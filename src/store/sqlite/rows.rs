//! Whole tables of a case in SQLite, for `store copy` and deleting a case.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, params};

use crate::store::Result;
use crate::store::copy::{Kind, TABLES, Table, Value, case_filter};

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

pub(super) fn read(conn: &Connection, t: &Table, case: &str) -> Result<Vec<Vec<Value>>> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} ORDER BY {}",
        t.column_list(),
        t.name,
        case_filter(t, "?1"),
        t.key.join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params![case])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Vec::with_capacity(t.columns.len());
        for (i, (_, kind)) in t.columns.iter().enumerate() {
            row.push(match (r.get_ref(i)?, kind) {
                (ValueRef::Null, _) => Value::Null,
                (ValueRef::Integer(n), _) => Value::Int(n),
                (ValueRef::Text(s), Kind::Bytes) | (ValueRef::Blob(s), _) => {
                    Value::Bytes(s.to_vec())
                }
                (ValueRef::Text(s), _) => Value::Text(String::from_utf8_lossy(s).into_owned()),
                (ValueRef::Real(f), _) => Value::Text(f.to_string()),
            });
        }
        out.push(row);
    }
    Ok(out)
}

pub(super) fn write(
    conn: &mut Connection,
    batches: &[(&Table, &[Vec<Value>])],
) -> Result<Vec<bool>> {
    let tx = conn.transaction()?;
    let mut renumbered = Vec::new();
    for (t, rows) in batches {
        let taken = match t.serial {
            Some(col) => {
                let mut check = tx.prepare(&format!(
                    "SELECT EXISTS(SELECT 1 FROM {} WHERE {col} = ?1)",
                    t.name
                ))?;
                let pos = t.columns.iter().position(|(c, _)| *c == col);
                let mut any = false;
                for row in rows.iter() {
                    if let Some(v) = pos.and_then(|p| row.get(p))
                        && check.query_row([v], |r| r.get::<_, bool>(0))?
                    {
                        any = true;
                        break;
                    }
                }
                any
            }
            None => false,
        };
        let cols: Vec<(usize, &str)> = t
            .columns
            .iter()
            .enumerate()
            .filter(|(_, (c, _))| !(taken && Some(*c) == t.serial))
            .map(|(i, (c, _))| (i, *c))
            .collect();
        let names: Vec<&str> = cols.iter().map(|(_, c)| *c).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let or_ignore = if t.name == "assessments" {
            " OR IGNORE"
        } else {
            ""
        };
        let mut insert = tx.prepare(&format!(
            "INSERT{or_ignore} INTO {} ({}) VALUES ({})",
            t.name,
            names.join(", "),
            marks.join(", ")
        ))?;
        for row in rows.iter() {
            let values: Vec<&Value> = cols.iter().filter_map(|(i, _)| row.get(*i)).collect();
            insert.execute(rusqlite::params_from_iter(values))?;
        }
        renumbered.push(taken);
    }
    tx.commit()?;
    Ok(renumbered)
}

/// Deletes a case's rows from every table (children first).
pub(super) fn delete_case(conn: &mut Connection, case: &str) -> Result<()> {
    let tx = conn.transaction()?;
    for t in TABLES.iter().rev() {
        tx.execute(
            &format!("DELETE FROM {} WHERE {}", t.name, case_filter(t, "?1")),
            params![case],
        )?;
    }
    tx.commit()?;
    Ok(())
}
