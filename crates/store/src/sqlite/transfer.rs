//! `migrate-db` on SQLite: a table's rows read in key order and written in
//! batches (see `crate::transfer`).
//!
//! SQLite types values, not columns: a row's values are read by their
//! storage class, and flags (INTEGER 0/1) become booleans where the table
//! says the column is one.

use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite, SqlitePool, TypeInfo, ValueRef};

use crate::sqlite::{begin_write, fts};
use crate::transfer::{Kind, Range, Record, SchemaColumn, Table, Value};
use crate::{StoreError, StoreResult};

/// The setting with which `fts::backfill` records that the index is filled.
const SEARCH_FILLED: &str = "search.backfilled";

/// Bound values per statement (SQLite allows 32,766).
const MAX_PARAMS: usize = 30_000;

/// Every column of every table: table, column, declared type.
pub(crate) async fn columns(pool: &SqlitePool) -> StoreResult<Vec<SchemaColumn>> {
    Ok(sqlx::query_as(
        "SELECT m.name, p.name, upper(p.type) FROM sqlite_schema m, pragma_table_info(m.name) p \
          WHERE m.type = 'table' ORDER BY m.name, p.cid",
    )
    .fetch_all(pool)
    .await?)
}

/// Whether a column declared `declared` holds values of `kind`.
pub(crate) fn accepts(kind: Kind, declared: &str) -> bool {
    match kind {
        Kind::Int | Kind::Bool => declared == "INTEGER",
        Kind::Text => declared == "TEXT",
    }
}

fn filter(table: &Table, and: bool) -> String {
    match table.filter {
        Some(f) if and => format!(" AND ({f})"),
        Some(f) => format!(" WHERE ({f})"),
        None => String::new(),
    }
}

/// Rows of `table` that are copied.
pub(crate) async fn count(pool: &SqlitePool, table: &Table) -> StoreResult<u64> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {}{}",
        table.name,
        filter(table, false)
    ))
    .fetch_one(pool)
    .await?;
    Ok(n.max(0) as u64)
}

/// The highest key of `table`'s copied rows.
pub(crate) async fn last_key(pool: &SqlitePool, table: &Table) -> StoreResult<Option<Vec<Value>>> {
    let keys = table.key_columns();
    let order = keys
        .iter()
        .map(|c| format!("{} DESC", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let row = sqlx::query(&format!(
        "SELECT {} FROM {}{} ORDER BY {order} LIMIT 1",
        table.key_list(),
        table.name,
        filter(table, false)
    ))
    .fetch_optional(pool)
    .await?;
    row.map(|r| decode(&r, table, keys.len())).transpose()
}

/// Rows of `table` in key order: up to `n` after a key (from the first
/// without one), or every row with one key (of a table whose rows may share
/// a key).
pub(crate) async fn read_batch(
    pool: &SqlitePool,
    table: &Table,
    range: Range<'_>,
) -> StoreResult<Vec<Record>> {
    let keys = table.key_columns();
    let params = (1..=keys.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut conditions = Vec::new();
    let (key_values, limit) = match range {
        Range::After(None, n) => (&[][..], Some(n)),
        Range::After(Some(after), n) => {
            conditions.push(format!("({}) > ({params})", table.key_list()));
            (after, Some(n))
        }
        Range::Key(key) => {
            conditions.push(format!("({}) = ({params})", table.key_list()));
            (key, None)
        }
    };
    if let Some(f) = table.filter {
        conditions.push(format!("({f})"));
    }
    let mut sql = format!("SELECT {} FROM {}", table.column_list(), table.name);
    if !conditions.is_empty() {
        sql.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
    }
    sql.push_str(&format!(" ORDER BY {}", table.key_list()));
    if let Some(n) = limit {
        sql.push_str(&format!(" LIMIT {}", n.max(1)));
    }
    let mut q = sqlx::query(&sql);
    for v in key_values {
        q = bind(q, v);
    }
    let rows = q.fetch_all(pool).await?;
    rows.iter()
        .map(|r| decode(r, table, table.columns.len()))
        .collect()
}

/// The first `n` columns of `row` as values of `table`'s columns.
fn decode(row: &SqliteRow, table: &Table, n: usize) -> StoreResult<Vec<Value>> {
    let mut values = Vec::with_capacity(n);
    for (i, column) in table.columns[..n].iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let value = if raw.is_null() {
            Value::Null
        } else {
            let class = raw.type_info().name().to_owned();
            match class.as_str() {
                "INTEGER" => {
                    let v: i64 = row.try_get(i)?;
                    match (column.kind, v) {
                        (Kind::Bool, 0) => Value::Bool(false),
                        (Kind::Bool, 1) => Value::Bool(true),
                        (Kind::Bool, other) => {
                            return Err(StoreError::Invalid(format!(
                                "{}.{} is a flag but holds {other}",
                                table.name, column.name
                            )))
                        }
                        _ => Value::Int(v),
                    }
                }
                "REAL" => Value::Real(row.try_get(i)?),
                "TEXT" => Value::Text(row.try_get(i)?),
                _ => Value::Blob(row.try_get(i)?),
            }
        };
        values.push(value);
    }
    Ok(values)
}

fn bind<'q>(
    q: Query<'q, Sqlite, SqliteArguments<'q>>,
    v: &'q Value,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    match v {
        Value::Null => q.bind(None::<i64>),
        Value::Int(i) => q.bind(*i),
        Value::Real(r) => q.bind(*r),
        Value::Text(s) => q.bind(s.as_str()),
        Value::Bool(b) => q.bind(*b),
        Value::Blob(b) => q.bind(b.as_slice()),
    }
}

/// Insert `rows` into `table`, in one transaction (all or none).
pub(crate) async fn insert_batch(
    writer: &SqlitePool,
    table: &Table,
    rows: &[Record],
) -> StoreResult<()> {
    let width = table.columns.len();
    let per_statement = (MAX_PARAMS / width).max(1);
    let zero = Value::Int(0);
    let mut tx = begin_write(writer).await?;
    for chunk in rows.chunks(per_statement) {
        let tuples = (0..chunk.len())
            .map(|r| {
                let params = (1..=width)
                    .map(|c| format!("?{}", r * width + c))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("({params})")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {tuples}",
            table.name,
            table.column_list()
        );
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for (column, v) in table.columns.iter().zip(row) {
                q = bind(q, if column.counted { &zero } else { v });
            }
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Delete every row of the copied tables (children first), the fetch
/// tokens and the search index.
pub(crate) async fn empty(writer: &SqlitePool, tables: &[Table]) -> StoreResult<()> {
    let mut tx = begin_write(writer).await?;
    sqlx::query("DELETE FROM host_slots")
        .execute(&mut *tx)
        .await?;
    for table in tables.iter().rev() {
        sqlx::query(&format!("DELETE FROM {}", table.name))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM entries_fts")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Nothing to do: a rowid follows the highest one in its table.
pub(crate) async fn advance_sequence(_writer: &SqlitePool, _table: &Table) -> StoreResult<()> {
    Ok(())
}

/// Forget that the search index is filled, so it is filled again from the
/// entries (by [`rebuild_search`], or by the next open).
pub(crate) async fn forget_search(writer: &SqlitePool) -> StoreResult<()> {
    sqlx::query("DELETE FROM settings WHERE key = ?")
        .bind(SEARCH_FILLED)
        .execute(writer)
        .await?;
    Ok(())
}

/// Index every entry the search index lacks; returns how many.
pub(crate) async fn rebuild_search(writer: &SqlitePool) -> StoreResult<u64> {
    forget_search(writer).await?;
    fts::backfill(writer).await
}
