//! `migrate-db` on PostgreSQL: a table's rows read in key order and written
//! in batches (see `crate::transfer`); the same functions as
//! `sqlite::transfer`.
//!
//! Columns are typed: values are read as their column's kind.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgPool, Postgres, Row};

use crate::postgres::{begin_write, fts};
use crate::transfer::{Kind, Range, Record, SchemaColumn, Table, Value};
use crate::StoreResult;

/// The setting with which `fts::backfill` records that the index is filled.
const SEARCH_FILLED: &str = "search.backfilled";

/// Bound values per statement (PostgreSQL allows 65,535).
const MAX_PARAMS: usize = 60_000;

/// Every column of every table of the current schema: table, column, type.
pub(crate) async fn columns(pool: &PgPool) -> StoreResult<Vec<SchemaColumn>> {
    Ok(sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text \
           FROM information_schema.columns \
          WHERE table_schema = current_schema() \
          ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await?)
}

/// Whether a column of type `declared` holds values of `kind`.
pub(crate) fn accepts(kind: Kind, declared: &str) -> bool {
    match kind {
        Kind::Int => declared == "bigint",
        Kind::Bool => declared == "boolean",
        Kind::Text => declared == "text",
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
pub(crate) async fn count(pool: &PgPool, table: &Table) -> StoreResult<u64> {
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
pub(crate) async fn last_key(pool: &PgPool, table: &Table) -> StoreResult<Option<Vec<Value>>> {
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
    pool: &PgPool,
    table: &Table,
    range: Range<'_>,
) -> StoreResult<Vec<Record>> {
    let keys = table.key_columns();
    let params = (1..=keys.len())
        .map(|i| format!("${i}"))
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
    for (column, v) in keys.iter().zip(key_values) {
        q = bind(q, column.kind, v);
    }
    let rows = q.fetch_all(pool).await?;
    rows.iter()
        .map(|r| decode(r, table, table.columns.len()))
        .collect()
}

/// The first `n` columns of `row` as values of `table`'s columns.
fn decode(row: &PgRow, table: &Table, n: usize) -> StoreResult<Vec<Value>> {
    let mut values = Vec::with_capacity(n);
    for (i, column) in table.columns[..n].iter().enumerate() {
        let value = match column.kind {
            Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
            Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
            Kind::Bool => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(values)
}

/// Bind `v` as a value of a column of `kind` (a NULL is typed as its column).
fn bind<'q>(
    q: Query<'q, Postgres, PgArguments>,
    kind: Kind,
    v: &'q Value,
) -> Query<'q, Postgres, PgArguments> {
    match v {
        Value::Null => match kind {
            Kind::Int => q.bind(None::<i64>),
            Kind::Text => q.bind(None::<String>),
            Kind::Bool => q.bind(None::<bool>),
        },
        Value::Int(i) => q.bind(*i),
        Value::Real(r) => q.bind(*r),
        Value::Text(s) => q.bind(s.as_str()),
        Value::Bool(b) => q.bind(*b),
        Value::Blob(b) => q.bind(b.as_slice()),
    }
}

/// Insert `rows` into `table`, in one transaction (all or none).
pub(crate) async fn insert_batch(
    writer: &PgPool,
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
                    .map(|c| format!("${}", r * width + c))
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
                q = bind(q, column.kind, if column.counted { &zero } else { v });
            }
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Delete every row of the copied tables and of the fetch tokens, and
/// whatever refers to them (the search table), and restart the sequences.
pub(crate) async fn empty(writer: &PgPool, tables: &[Table]) -> StoreResult<()> {
    let names = tables.iter().map(|t| t.name).collect::<Vec<_>>().join(", ");
    sqlx::query(&format!(
        "TRUNCATE {names}, host_slots RESTART IDENTITY CASCADE"
    ))
    .execute(writer)
    .await?;
    Ok(())
}

/// Move the sequence of `table`'s ids past the highest one, so the next
/// row inserted without an id gets a new one.
pub(crate) async fn advance_sequence(writer: &PgPool, table: &Table) -> StoreResult<()> {
    sqlx::query(&format!(
        "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE(max(id), 0) + 1, false) \
           FROM {0}",
        table.name
    ))
    .execute(writer)
    .await?;
    Ok(())
}

/// Forget that the search index is filled, so it is filled again from the
/// entries (by [`rebuild_search`], or by the next open).
pub(crate) async fn forget_search(writer: &PgPool) -> StoreResult<()> {
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(SEARCH_FILLED)
        .execute(writer)
        .await?;
    Ok(())
}

/// Index every entry the search index lacks; returns how many.
pub(crate) async fn rebuild_search(writer: &PgPool) -> StoreResult<u64> {
    forget_search(writer).await?;
    fts::backfill(writer).await
}
