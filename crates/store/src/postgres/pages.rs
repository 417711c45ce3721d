//! Pages of one user's entries (keyset paging), one entry as the user sees
//! it, unread counts, and reading state in bulk.
//!
//! Every statement joins the user's subscriptions, so entries of feeds the
//! user does not follow are never seen or changed.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use tributary_model::{CategoryId, EntryId, FeedId, RiverItem, UserId};

use crate::postgres::args::{Arg, Sql};
use crate::postgres::begin_write;
use crate::rows::{PagedRow, RiverRow};
use crate::{time, Cursor, EntryPage, EntryQuery, ReadScope, StoreError, StoreResult, View};

/// What every listing selects: the entry and its source as the user sees it.
macro_rules! item_columns {
    () => {
        concat!(
            $crate::rows::entry_columns!(),
            ", COALESCE(s.title_override, f.title, f.url) AS source_title, \
               f.url AS source_url, f.site_url AS source_site_url, \
               COALESCE(st.read, FALSE) AS read, COALESCE(st.starred, FALSE) AS starred"
        )
    };
}
pub(crate) use item_columns;

/// Entries stored while the user had paused the subscription are not shown.
pub(crate) const VISIBLE: &str = "(s.paused_at IS NULL OR e.created_at <= s.paused_at)";

/// Entries the user's rules hid are left out of every listing (the state
/// `st` joined). Hidden entries are also read, so unread counts need no such test.
pub(crate) const NOT_HIDDEN: &str = "NOT COALESCE(st.hidden, FALSE)";

/// Unread entries of the subscription `s` of the user bound as `$1`. For a
/// subscription that is not paused: the feed's entry count minus the
/// user's read entries of it (`subscriptions.read_count`, kept by triggers);
/// a paused one hides what came after the pause, so its entries are looked
/// at one by one.
///
/// PostgreSQL's planner costs the paused branch for every subscription,
/// whether or not it runs, so statements with this expression cross
/// `jit_above_cost` with a few hundred subscriptions and pay tens of
/// milliseconds of JIT compilation for a sub-millisecond query; so every
/// connection sets `jit = off` (`Db::open`).
macro_rules! unread_of_subscription {
    () => {
        "(CASE WHEN s.paused_at IS NULL THEN \
            (SELECT uf.entry_count FROM feeds uf WHERE uf.id = s.feed_id) - s.read_count \
          ELSE (SELECT count(*) FROM entries ue \
                  LEFT JOIN entry_states us ON us.user_id = $1 AND us.entry_id = ue.id \
                 WHERE ue.feed_id = s.feed_id AND NOT COALESCE(us.read, FALSE) \
                   AND ue.created_at <= s.paused_at) END)"
    };
}
pub(crate) use unread_of_subscription;

/// Largest page.
const MAX_LIMIT: u32 = 1000;
/// Page size when none is asked for.
const DEFAULT_LIMIT: u32 = 50;

/// `NotFound` unless the user follows `feed`.
pub(crate) async fn require_feed_of(
    conn: &mut PgConnection,
    user: UserId,
    feed: FeedId,
) -> StoreResult<()> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1::bigint FROM subscriptions WHERE user_id = $1 AND feed_id = $2",
    )
    .bind(user.0)
    .bind(feed.0)
    .fetch_optional(conn)
    .await?;
    found
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("feed {feed}")))
}

/// `NotFound` unless `category` is the user's.
pub(crate) async fn require_category_of(
    conn: &mut PgConnection,
    user: UserId,
    category: CategoryId,
) -> StoreResult<()> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1::bigint FROM categories WHERE user_id = $1 AND id = $2")
            .bind(user.0)
            .bind(category.0)
            .fetch_optional(conn)
            .await?;
    found
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("category {category}")))
}

/// Append ` AND s.category_id IN (the category and its descendants)`.
pub(crate) fn push_category(sql: &mut Sql, user: &str, category: CategoryId) {
    let c = sql.arg(Arg::Int(category.0));
    sql.push(&format!(
        " AND s.category_id IN (WITH RECURSIVE tree(id) AS ( \
             SELECT id FROM categories WHERE id = {c} AND user_id = {user} \
             UNION ALL SELECT k.id FROM categories k JOIN tree t ON k.parent_id = t.id) \
           SELECT id FROM tree)"
    ));
}

pub(crate) async fn entries(
    pool: &PgPool,
    user: UserId,
    query: &EntryQuery,
) -> StoreResult<EntryPage> {
    let mut conn = pool.acquire().await?;
    if let Some(feed) = query.feed {
        require_feed_of(&mut conn, user, feed).await?;
    }
    if let Some(category) = query.category {
        require_category_of(&mut conn, user, category).await?;
    }
    let limit = match query.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    };
    let sql = page_sql(user, query, limit);
    let mut rows: Vec<PagedRow> = sql.query_as().fetch_all(&mut *conn).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|PagedRow(item, at)| Cursor {
            at: *at,
            id: item.entry.id,
        })
    } else {
        None
    };
    Ok(EntryPage {
        items: rows.into_iter().map(|r| r.0).collect(),
        next,
    })
}

/// The statement of one page (`limit + 1` rows, to know if more follow).
///
/// Plans checked with EXPLAIN ANALYZE (60,000 entries, 100 of 300 feeds
/// followed, 70% read), custom and generic alike: unread/all walk
/// entries_published backwards (entries_feed_published for one feed) in
/// nested loops over the subscription, feed and state primary keys, and
/// stop after the page, with no sort; a category page walks
/// entries_published the same way (a generic plan may instead read the
/// category's feeds' entries and sort the top N); starred reads its
/// partial index (entry_states_starred) and sorts only those rows; history
/// walks entry_states_history (user, read_at, entry id) backwards and stops
/// after the page, also when thousands of entries were read at one moment
/// (20261204000002_search.sql adds the entry id to that index).
fn page_sql(user: UserId, query: &EntryQuery, limit: u32) -> Sql {
    let mut sql = Sql::default();
    let u = sql.arg(Arg::Int(user.0));
    let sort = match query.view {
        View::History => "st.read_at",
        _ => "e.published",
    };
    // Ties are broken by the id of the table walked first, so its index
    // gives the order without a sort.
    let tie = match query.view {
        View::History | View::Starred => "st.entry_id",
        _ => "e.id",
    };
    sql.push(&format!(
        "SELECT {}, {sort} AS sort_at FROM ",
        item_columns!()
    ));
    match query.view {
        View::Unread | View::All => {
            // Entries newest first (a backward walk of entries_published,
            // or of entries_feed_published for one feed, that stops after
            // one page), each checked against the user's subscriptions.
            sql.push(&format!(
                "entries e JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = {u} \
                 JOIN feeds f ON f.id = e.feed_id \
                 LEFT JOIN entry_states st ON st.user_id = {u} AND st.entry_id = e.id \
                 WHERE {VISIBLE} AND {NOT_HIDDEN}"
            ));
            if query.view == View::Unread {
                sql.push(" AND NOT COALESCE(st.read, FALSE)");
            }
        }
        View::Starred | View::History => {
            // The partial indexes entry_states_starred / entry_states_history
            // hold only starred (read) states, so a user who read 100,000
            // entries does not walk them all for a page of starred ones.
            let flag = if query.view == View::Starred {
                "st.starred"
            } else {
                "st.read AND st.read_at IS NOT NULL"
            };
            sql.push(&format!(
                "entry_states st JOIN entries e ON e.id = st.entry_id \
                 JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = {u} \
                 JOIN feeds f ON f.id = e.feed_id \
                 WHERE st.user_id = {u} AND {flag} AND {VISIBLE} AND {NOT_HIDDEN}"
            ));
        }
    }
    if let Some(feed) = query.feed {
        sql.push(" AND e.feed_id = ").bind(Arg::Int(feed.0));
    }
    if let Some(category) = query.category {
        push_category(&mut sql, &u, category);
    }
    if let Some(since) = query.since {
        sql.push(" AND e.published >= ")
            .bind(Arg::Text(time::to_db(since)));
    }
    if let Some(until) = query.until {
        sql.push(" AND e.published < ")
            .bind(Arg::Text(time::to_db(until)));
    }
    if let Some(after) = query.after {
        let at = sql.arg(Arg::Text(time::to_db(after.at)));
        let id = sql.arg(Arg::Int(after.id.0));
        // A row comparison: the index on (sort key, id) seeks to it.
        sql.push(&format!(" AND ({sort}, {tie}) < ({at}, {id})"));
    }
    sql.push(&format!(" ORDER BY {sort} DESC, {tie} DESC LIMIT "))
        .bind(Arg::Int(i64::from(limit) + 1));
    sql
}

pub(crate) async fn entry_for_user(
    pool: &PgPool,
    user: UserId,
    entry: EntryId,
) -> StoreResult<Option<RiverItem>> {
    let row: Option<RiverRow> = sqlx::query_as(concat!(
        "SELECT ",
        item_columns!(),
        " FROM entries e \
          JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = $1 \
          JOIN feeds f ON f.id = e.feed_id \
          LEFT JOIN entry_states st ON st.user_id = $1 AND st.entry_id = e.id \
         WHERE e.id = $2"
    ))
    .bind(user.0)
    .bind(entry.0)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn unread_counts(pool: &PgPool, user: UserId) -> StoreResult<Vec<(FeedId, i64)>> {
    // Filtered here, not in SQL: a `WHERE unread > 0` around the subquery
    // would count everything twice.
    let rows: Vec<(i64, i64)> = sqlx::query_as(concat!(
        "SELECT s.feed_id, ",
        unread_of_subscription!(),
        " FROM subscriptions s WHERE s.user_id = $1 ORDER BY s.feed_id"
    ))
    .bind(user.0)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(f, n)| (FeedId(f), n))
        .collect())
}

pub(crate) async fn unread_total(pool: &PgPool, user: UserId) -> StoreResult<i64> {
    let total: i64 = sqlx::query_scalar(concat!(
        "SELECT COALESCE(sum(",
        unread_of_subscription!(),
        "), 0)::bigint FROM subscriptions s WHERE s.user_id = $1"
    ))
    .bind(user.0)
    .fetch_one(pool)
    .await?;
    Ok(total)
}

/// The upsert that marks the entries selected by `from_where` read or
/// unread: `user`, `read` and `now` are the placeholders (or literals) of
/// the user, the new flag and the time; `from_where` yields `e.id` and
/// `e.feed_id` for rows whose read flag differs from `read`.
///
/// Rows go in (feed, entry) order, so two statements of one user lock
/// their states, and (through the read-count trigger) their subscriptions,
/// in the same order and cannot deadlock. A row a concurrent writer already
/// gave the new flag is left alone and not counted.
fn mark_sql(user: &str, read: &str, now: &str, from_where: &str) -> String {
    format!(
        "INSERT INTO entry_states (user_id, entry_id, feed_id, read, read_at, updated_at) \
         SELECT {user}, e.id, e.feed_id, {read}, CASE WHEN {read} THEN {now} END, {now} \
         {from_where} ORDER BY e.feed_id, e.id \
         ON CONFLICT (user_id, entry_id) DO UPDATE SET read = excluded.read, \
             read_at = excluded.read_at, updated_at = excluded.updated_at \
         WHERE entry_states.read IS DISTINCT FROM excluded.read"
    )
}

pub(crate) async fn set_read_many(
    pool: &PgPool,
    user: UserId,
    entries: &[EntryId],
    read: bool,
) -> StoreResult<u64> {
    let ids: BTreeSet<i64> = entries.iter().map(|e| e.0).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = ids.into_iter().collect();
    let now = time::to_db(Utc::now());
    // One statement, the ids as one bigint[].
    let sql = mark_sql(
        "$1",
        "$2",
        "$3::text",
        "FROM entries e \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = $1 \
           LEFT JOIN entry_states st ON st.user_id = $1 AND st.entry_id = e.id \
          WHERE COALESCE(st.read, FALSE) <> $2 AND NOT COALESCE(st.hidden, FALSE) \
            AND e.id = ANY($4)",
    );
    let changed = sqlx::query(&sql)
        .bind(user.0)
        .bind(read)
        .bind(&now)
        .bind(&ids)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(changed)
}

pub(crate) async fn mark_all_read(
    pool: &PgPool,
    user: UserId,
    scope: ReadScope,
    older_than: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut tx = begin_write(pool).await?;
    let mut sql = Sql::default();
    let u = sql.arg(Arg::Int(user.0));
    let now = sql.arg(Arg::Text(time::to_db(Utc::now())));
    sql.push(&format!(
        "FROM entries e \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = {u} \
           LEFT JOIN entry_states st ON st.user_id = {u} AND st.entry_id = e.id \
          WHERE NOT COALESCE(st.read, FALSE) AND {VISIBLE} AND e.published <= "
    ))
    .bind(Arg::Text(time::to_db(older_than)));
    match scope {
        ReadScope::All => {}
        ReadScope::Feed(feed) => {
            require_feed_of(&mut tx, user, feed).await?;
            sql.push(" AND e.feed_id = ").bind(Arg::Int(feed.0));
        }
        ReadScope::Category(category) => {
            require_category_of(&mut tx, user, category).await?;
            push_category(&mut sql, &u, category);
        }
    }
    sql.text = mark_sql(&u, "TRUE", &format!("{now}::text"), &sql.text);
    let changed = sql.query().execute(&mut *tx).await?.rows_affected();
    tx.commit().await?;
    Ok(changed)
}
