//! SQL of the reader APIs: API passwords, their sessions, entries by any
//! filter, and starring in bulk.
//!
//! Lists of ids are bound as one array (`= ANY($n)`), so a request with
//! 10,000 ids is one statement with one placeholder.
//!
//! The SQLite twin steers SQLite's planner (`CROSS JOIN` order, `INDEXED
//! BY`); PostgreSQL's planner finds those plans itself from the indexes and
//! statistics, so the statements here are written plainly.
//!
//! Plans checked with `EXPLAIN ANALYZE` (PostgreSQL 15, 10,000 entries in
//! 200 feeds, a user following 150 of them with 90% read, after ANALYZE):
//! - a page of unread entries newest published first: backward scan of
//!   `entries_published`, nested loops into the state and the subscription
//!   (primary key); stops after the page (7.7 ms: it skips the read ones);
//! - a page by id (Google Reader's reading list, Fever's `since_id`):
//!   `entries_pkey` in order, the same nested loops (1.4 / 3.0 ms);
//! - a category newest first: `entries_published` backwards with the
//!   category tree as a semi-join (2.3 ms);
//! - starred: `entry_states_starred` leads (index-only), then entries;
//!   a sort of the starred few (4.5 ms);
//! - ids (`= ANY`): `entries_pkey` look-ups (0.4 ms);
//! - search: a bitmap scan of `entries_search_doc` (GIN), joined to the
//!   entries (4.6 ms);
//! - `newest_stored`: one backward probe of `entries_feed_id` per
//!   subscription (1.5 ms for 150). Without that index (migration
//!   20261204000004) the planner walked `entries_pkey` backwards until it
//!   met the feed's entries (14.7 ms here) — through nearly all of them
//!   for a quiet feed;
//! - `unread_ids`: one hash anti-join over the user's entries and read
//!   states (12 ms for 7,500; Fever asks for the whole list);
//! - the category-title order and counts of other filters read every
//!   match (hash joins, a top-N sort: 32 ms for the category title), as
//!   on SQLite.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use tributary_model::{EntryId, FeedId, UserId};

use crate::postgres::accounts::{is_unique_violation, require_storable, storable};
use crate::postgres::args::{Arg, Sql};
use crate::postgres::begin_write;
use crate::postgres::pages::{
    item_columns, push_category, require_category_of, require_feed_of, unread_of_subscription,
    NOT_HIDDEN, VISIBLE,
};
use crate::postgres::search::push_match;
use crate::rows::{ApiItemRow, ApiTokenRow, EntryRefRow, SessionRow, UserRow};
use crate::{
    time, ApiEntryPage, ApiEntryQuery, ApiOrder, ApiToken, EntryRef, Session, StoreError,
    StoreResult, User,
};

/// Longest description of an API password, in characters.
const MAX_DESCRIPTION: usize = 200;
/// Live sessions kept per API password (the oldest go first).
pub(crate) const SESSIONS_PER_TOKEN: i64 = 20;
/// `last_used_at` is written at most this often per password.
const TOUCH_EVERY: Duration = Duration::minutes(1);
/// Entries of [`entries`] when no limit is given.
const DEFAULT_LIMIT: u32 = 100;
/// Largest page of [`entries`] (and of [`entry_refs`] when a limit is given).
const MAX_LIMIT: u32 = 10_000;

const TOKEN_COLUMNS: &str = "t.id AS token_id, t.user_id AS token_user_id, \
     t.description AS token_description, t.created_at AS token_created_at, \
     t.last_used_at AS token_last_used_at";

pub(crate) async fn create_token(
    pool: &PgPool,
    user: UserId,
    description: &str,
    secret_hash: &str,
    fever_key: &str,
) -> StoreResult<ApiToken> {
    let description = description.trim();
    if description.is_empty() {
        return Err(StoreError::Invalid(
            "an API password needs a description (which app or device it is for)".to_owned(),
        ));
    }
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(StoreError::Invalid(format!(
            "the description is longer than {MAX_DESCRIPTION} characters"
        )));
    }
    require_storable("description", description)?;
    let done = sqlx::query_scalar::<_, i64>(
        "INSERT INTO api_tokens (user_id, description, secret_hash, fever_key, created_at) \
         SELECT id, $1, $2, $3, $4 FROM users WHERE id = $5 RETURNING id",
    )
    .bind(description)
    .bind(secret_hash)
    .bind(fever_key.to_ascii_lowercase())
    .bind(time::to_db(Utc::now()))
    .bind(user.0)
    .fetch_optional(pool)
    .await;
    let id = match done {
        Ok(Some(id)) => id,
        Ok(None) => return Err(StoreError::NotFound(format!("user {user}"))),
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::Conflict(
                "an API password with this secret already exists".to_owned(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let row: ApiTokenRow = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.id = $1"
    ))
    .bind(id)
    .fetch_one(pool)
    .await?;
    Ok(row.0)
}

pub(crate) async fn tokens(pool: &PgPool, user: UserId) -> StoreResult<Vec<ApiToken>> {
    let rows: Vec<ApiTokenRow> = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = $1 \
         ORDER BY t.created_at DESC, t.id DESC"
    ))
    .bind(user.0)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(crate) async fn revoke_token(pool: &PgPool, user: UserId, id: i64) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    // Sessions go first and explicitly, as on SQLite (the cascade would
    // take them too): a revoked password never leaves a live session.
    sqlx::query(
        "DELETE FROM sessions WHERE api_token_id = $1 \
           AND api_token_id IN (SELECT id FROM api_tokens WHERE user_id = $2)",
    )
    .bind(id)
    .bind(user.0)
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("API password {id}")));
    }
    tx.commit().await?;
    Ok(())
}

/// The token whose `column` is `value`, with its user; records the use.
async fn by_column(
    pool: &PgPool,
    writer: &PgPool,
    column: &str,
    value: &str,
) -> StoreResult<Option<(User, ApiToken)>> {
    if !storable(value) {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS}, {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.{column} = $1",
        crate::rows::user_columns!()
    ))
    .bind(value)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let UserRow(user) = sqlx::FromRow::from_row(&row)?;
    let ApiTokenRow(mut token) = sqlx::FromRow::from_row(&row)?;
    let now = Utc::now();
    if token.last_used_at.is_none_or(|t| now - t >= TOUCH_EVERY) {
        // Several processes may record the same use: only the first writes.
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(time::to_db(now))
        .bind(token.id)
        .bind(time::to_db(now - TOUCH_EVERY))
        .execute(writer)
        .await?;
        token.last_used_at = Some(now);
    }
    Ok(Some((user, token)))
}

pub(crate) async fn by_secret(
    pool: &PgPool,
    writer: &PgPool,
    secret_hash: &str,
) -> StoreResult<Option<(User, ApiToken)>> {
    by_column(pool, writer, "secret_hash", secret_hash).await
}

pub(crate) async fn by_fever_key(
    pool: &PgPool,
    writer: &PgPool,
    fever_key: &str,
) -> StoreResult<Option<(User, ApiToken)>> {
    by_column(pool, writer, "fever_key", &fever_key.to_ascii_lowercase()).await
}

pub(crate) async fn create_session(
    pool: &PgPool,
    token: i64,
    token_hash: &str,
    csrf_token: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    // Sign-ins with one password take turns (the lock conflicts with itself,
    // not with the key-share lock of inserting sessions), so the newest
    // sessions kept below are counted right when a client signs in twice
    // at once; a revoke waits for the commit.
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT user_id FROM api_tokens WHERE id = $1 FOR NO KEY UPDATE")
            .bind(token)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(owner) = owner else {
        return Err(StoreError::NotFound(format!("API password {token}")));
    };
    let done = sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, api_token_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(owner)
    .bind(csrf_token)
    .bind(time::to_db(Utc::now()))
    .bind(time::to_db(expires_at))
    .bind(token)
    .execute(&mut *tx)
    .await;
    match done {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::Conflict(
                "a session with this token already exists".to_owned(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    // Clients that sign in at every start (newsboat) would pile up a
    // session each time: keep the newest few of each API password.
    sqlx::query(
        "DELETE FROM sessions WHERE api_token_id = $1 AND token_hash NOT IN ( \
             SELECT token_hash FROM sessions WHERE api_token_id = $1 \
              ORDER BY created_at DESC, token_hash DESC LIMIT $2)",
    )
    .bind(token)
    .bind(SESSIONS_PER_TOKEN)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn session(
    pool: &PgPool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Session>> {
    if !storable(token_hash) {
        return Ok(None);
    }
    let row: Option<SessionRow> = sqlx::query_as(concat!(
        "SELECT ",
        crate::rows::user_columns!(),
        ", s.csrf_token AS csrf_token, s.expires_at AS expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN api_tokens t ON t.id = s.api_token_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2"
    ))
    .bind(token_hash)
    .bind(time::to_db(now))
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

/// Ids as one array literal (`{1,2,3}`), bound as text and cast with
/// `::bigint[]` where [`Sql`] assembles the statement.
fn id_array(ids: &[EntryId]) -> String {
    let list: Vec<String> = ids.iter().map(|e| e.0.to_string()).collect();
    format!("{{{}}}", list.join(","))
}

/// What a statement selects, so it joins only the tables it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    /// Entries with their source (feeds) and, for the category orders,
    /// the category.
    Items,
    /// Ids and times only.
    Refs,
    /// A count.
    Count,
}

/// `FROM … WHERE …` of an API query (no order, no limit).
///
/// Only the tables the statement needs are joined; a filter that needs a
/// stored state (read, starred) joins the states as an inner join, and
/// the starred ones start from the states (their partial index).
fn push_from_where(
    sql: &mut Sql,
    user: UserId,
    query: &ApiEntryQuery,
    select: Select,
) -> StoreResult<()> {
    let u = sql.arg(Arg::Int(user.0));
    let needs_state = query.read == Some(true) || query.starred == Some(true);
    let states = if needs_state { "JOIN" } else { "LEFT JOIN" };
    let subscriptions = format!("subscriptions s ON s.feed_id = e.feed_id AND s.user_id = {u}");
    let feeds = if select == Select::Items {
        " JOIN feeds f ON f.id = e.feed_id"
    } else {
        ""
    };
    if query.starred == Some(true) {
        sql.push(&format!(
            " FROM entry_states st JOIN entries e ON e.id = st.entry_id \
               JOIN {subscriptions}{feeds}"
        ));
    } else {
        sql.push(&format!(
            " FROM entries e JOIN {subscriptions}{feeds} \
               {states} entry_states st ON st.user_id = {u} AND st.entry_id = e.id"
        ));
    }
    if select != Select::Count && query.order == ApiOrder::CategoryTitle {
        sql.push(" LEFT JOIN categories c ON c.id = s.category_id");
    }
    sql.push(&format!(" WHERE {VISIBLE} AND {NOT_HIDDEN}"));
    if query.starred == Some(true) {
        sql.push(&format!(" AND st.user_id = {u}"));
    }
    if let Some(ids) = &query.ids {
        sql.push(" AND e.id = ANY(")
            .bind(Arg::Text(id_array(ids)))
            .push("::bigint[])");
    }
    if let Some(feed) = query.feed {
        sql.push(" AND e.feed_id = ").bind(Arg::Int(feed.0));
    }
    if let Some(category) = query.category {
        push_category(sql, &u, category);
    }
    match query.read {
        Some(true) => {
            sql.push(" AND st.read");
        }
        Some(false) => {
            sql.push(" AND NOT COALESCE(st.read, FALSE)");
        }
        None => {}
    }
    match query.starred {
        Some(true) => {
            sql.push(" AND st.starred");
        }
        Some(false) => {
            sql.push(" AND NOT COALESCE(st.starred, FALSE)");
        }
        None => {}
    }
    let bounds = [
        ("e.published", ">", query.published_after),
        ("e.published", "<", query.published_before),
        ("e.created_at", ">", query.created_after),
        ("e.created_at", "<", query.created_before),
        (
            "COALESCE(st.updated_at, e.created_at)",
            ">",
            query.changed_after,
        ),
        (
            "COALESCE(st.updated_at, e.created_at)",
            "<",
            query.changed_before,
        ),
    ];
    for (column, op, at) in bounds {
        if let Some(at) = at {
            sql.push(&format!(" AND {column} {op} "))
                .bind(Arg::Text(time::to_db(at)));
        }
    }
    if let Some(id) = query.after_id {
        sql.push(" AND e.id > ").bind(Arg::Int(id.0));
    }
    if let Some(id) = query.before_id {
        sql.push(" AND e.id < ").bind(Arg::Int(id.0));
    }
    if let Some(text) = &query.search {
        sql.push(" AND e.id IN (SELECT x.entry_id FROM entries_search x WHERE");
        push_match(sql, "x", text)?;
        sql.push(")");
    }
    Ok(())
}

/// ` ORDER BY … LIMIT … OFFSET …`.
fn push_order(sql: &mut Sql, query: &ApiEntryQuery, limit: Option<u32>) {
    let dir = if query.descending { "DESC" } else { "ASC" };
    // SQLite sorts NULLs (no category) first going up and last going
    // down, PostgreSQL the other way: nullable keys say where they go.
    // The others name no NULLS, so an index can give their order.
    let nulls = if query.descending {
        " NULLS LAST"
    } else {
        " NULLS FIRST"
    };
    let keys: &[(&str, bool)] = match query.order {
        ApiOrder::Id => &[],
        ApiOrder::Published => &[("e.published", false)],
        ApiOrder::Created => &[("e.created_at", false)],
        ApiOrder::Changed => &[("COALESCE(st.updated_at, e.created_at)", false)],
        ApiOrder::Status => &[("COALESCE(st.read, FALSE)", false), ("e.published", false)],
        ApiOrder::CategoryTitle => &[("c.name", true), ("e.published", false)],
        ApiOrder::CategoryId => &[("s.category_id", true), ("e.published", false)],
    };
    sql.push(" ORDER BY ");
    for (key, nullable) in keys {
        let nulls = if *nullable { nulls } else { "" };
        sql.push(&format!("{key} {dir}{nulls}, "));
    }
    sql.push(&format!("e.id {dir}"));
    match limit {
        Some(limit) => {
            sql.push(" LIMIT ").bind(Arg::Int(i64::from(limit)));
        }
        None => {
            sql.push(" LIMIT ALL");
        }
    }
    sql.push(" OFFSET ").bind(Arg::Int(i64::from(query.offset)));
}

/// `NotFound` for a feed or category filter that is not the user's.
async fn check_scope(pool: &PgPool, user: UserId, query: &ApiEntryQuery) -> StoreResult<()> {
    if query.feed.is_none() && query.category.is_none() {
        return Ok(());
    }
    let mut conn = pool.acquire().await?;
    if let Some(feed) = query.feed {
        require_feed_of(&mut conn, user, feed).await?;
    }
    if let Some(category) = query.category {
        require_category_of(&mut conn, user, category).await?;
    }
    Ok(())
}

pub(crate) async fn entries(
    pool: &PgPool,
    user: UserId,
    query: &ApiEntryQuery,
) -> StoreResult<ApiEntryPage> {
    check_scope(pool, user, query).await?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT {}, e.created_at AS api_created_at, \
                COALESCE(st.updated_at, e.created_at) AS api_changed_at",
        item_columns!()
    ));
    push_from_where(&mut sql, user, query, Select::Items)?;
    push_order(&mut sql, query, Some(limit));
    let rows: Vec<ApiItemRow> = if limit == 0 {
        Vec::new()
    } else {
        sql.query_as().fetch_all(pool).await?
    };
    let total = if query.with_total {
        Some(count(pool, user, query).await?)
    } else {
        None
    };
    Ok(ApiEntryPage {
        items: rows.into_iter().map(|r| r.0).collect(),
        total,
    })
}

/// How many entries match `query`. Filtered only by read state, feed and
/// category (Miniflux's usual `status=unread`, Fever's `total_items`), the
/// count comes from the kept counters (`feeds.entry_count`,
/// `subscriptions.read_count`), one row per subscription; otherwise the
/// matches are counted.
async fn count(pool: &PgPool, user: UserId, query: &ApiEntryQuery) -> StoreResult<i64> {
    let by_counters = query.ids.is_none()
        && query.starred.is_none()
        && query.search.is_none()
        && query.after_id.is_none()
        && query.before_id.is_none()
        && [
            query.published_after,
            query.published_before,
            query.created_after,
            query.created_before,
            query.changed_after,
            query.changed_before,
        ]
        .iter()
        .all(Option::is_none);
    let mut sql = Sql::default();
    if by_counters {
        // $1 is the user, as unread_of_subscription! expects.
        let u = sql.arg(Arg::Int(user.0));
        let unread = unread_of_subscription!();
        let visible = "(CASE WHEN s.paused_at IS NULL \
             THEN (SELECT vf.entry_count FROM feeds vf WHERE vf.id = s.feed_id) \
             ELSE (SELECT count(*) FROM entries ve \
                    WHERE ve.feed_id = s.feed_id AND ve.created_at <= s.paused_at) END)";
        // Entries the user's rules hid: few, from their partial index;
        // they are read, so they are in neither count of unread ones.
        let hidden = "(SELECT count(*) FROM entry_states h JOIN entries he ON he.id = h.entry_id \
             WHERE h.user_id = s.user_id AND h.feed_id = s.feed_id AND h.hidden \
               AND (s.paused_at IS NULL OR he.created_at <= s.paused_at))";
        let per_subscription = match query.read {
            Some(false) => unread.to_owned(),
            Some(true) => format!("({visible} - {unread} - {hidden})"),
            None => format!("({visible} - {hidden})"),
        };
        sql.push(&format!(
            "SELECT COALESCE(sum({per_subscription}), 0)::bigint \
               FROM subscriptions s WHERE s.user_id = {u}"
        ));
        if let Some(feed) = query.feed {
            sql.push(" AND s.feed_id = ").bind(Arg::Int(feed.0));
        }
        if let Some(category) = query.category {
            push_category(&mut sql, &u, category);
        }
    } else {
        sql.push("SELECT count(*)");
        push_from_where(&mut sql, user, query, Select::Count)?;
    }
    let n: (i64,) = sql.query_as().fetch_one(pool).await?;
    Ok(n.0)
}

pub(crate) async fn entry_refs(
    pool: &PgPool,
    user: UserId,
    query: &ApiEntryQuery,
) -> StoreResult<Vec<EntryRef>> {
    check_scope(pool, user, query).await?;
    let mut sql = Sql::default();
    sql.push(
        "SELECT e.id AS ref_id, e.feed_id AS ref_feed_id, e.published AS ref_published, \
                e.created_at AS ref_created_at",
    );
    push_from_where(&mut sql, user, query, Select::Refs)?;
    push_order(&mut sql, query, query.limit.map(|l| l.min(MAX_LIMIT)));
    let rows: Vec<EntryRefRow> = sql.query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(crate) async fn set_starred_many(
    pool: &PgPool,
    user: UserId,
    entries: &[EntryId],
    starred: bool,
) -> StoreResult<u64> {
    if entries.is_empty() {
        return Ok(0);
    }
    // Rows go in (feed, entry) order, as marking read does, so two
    // statements of one user lock their states in the same order and cannot
    // deadlock. The conflict's WHERE: a state another request changed the
    // same way since this statement's snapshot is neither written nor
    // counted again.
    let done = sqlx::query(&format!(
        "INSERT INTO entry_states (user_id, entry_id, feed_id, starred, updated_at) \
         SELECT $1, e.id, e.feed_id, $2, $3 FROM entries e \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = $1 \
           LEFT JOIN entry_states st ON st.user_id = $1 AND st.entry_id = e.id \
          WHERE COALESCE(st.starred, FALSE) <> $2 AND {VISIBLE} \
            AND e.id = ANY($4) \
          ORDER BY e.feed_id, e.id \
         ON CONFLICT (user_id, entry_id) DO UPDATE SET starred = excluded.starred, \
             updated_at = excluded.updated_at \
          WHERE entry_states.starred <> excluded.starred"
    ))
    .bind(user.0)
    .bind(starred)
    .bind(time::to_db(Utc::now()))
    .bind(entries.iter().map(|e| e.0).collect::<Vec<i64>>())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// The ids a statement of one `bigint` column answers, the user bound as `$1`.
async fn ids_of(pool: &PgPool, sql: &str, user: UserId) -> StoreResult<Vec<EntryId>> {
    let ids: Vec<i64> = sqlx::query_scalar(sql).bind(user.0).fetch_all(pool).await?;
    Ok(ids.into_iter().map(EntryId).collect())
}

pub(crate) async fn unread_ids(pool: &PgPool, user: UserId) -> StoreResult<Vec<EntryId>> {
    let sql = format!(
        "SELECT e.id FROM subscriptions s JOIN entries e ON e.feed_id = s.feed_id \
          WHERE s.user_id = $1 AND {VISIBLE} \
            AND NOT EXISTS (SELECT 1 FROM entry_states st \
                             WHERE st.user_id = $1 AND st.entry_id = e.id AND st.read) \
          ORDER BY e.id"
    );
    ids_of(pool, &sql, user).await
}

pub(crate) async fn starred_ids(pool: &PgPool, user: UserId) -> StoreResult<Vec<EntryId>> {
    let sql = format!(
        "SELECT e.id FROM entry_states st JOIN entries e ON e.id = st.entry_id \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = $1 \
          WHERE st.user_id = $1 AND st.starred AND {VISIBLE} AND {NOT_HIDDEN} ORDER BY e.id"
    );
    ids_of(pool, &sql, user).await
}

pub(crate) async fn newest_stored(
    pool: &PgPool,
    user: UserId,
) -> StoreResult<Vec<(FeedId, DateTime<Utc>)>> {
    // The time the newest stored entry (highest id) of each feed was
    // stored; for a paused subscription, the newest stored before the pause.
    let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT s.feed_id, (SELECT x.created_at FROM entries x \
                             WHERE x.feed_id = s.feed_id \
                               AND (s.paused_at IS NULL OR x.created_at <= s.paused_at) \
                             ORDER BY x.id DESC LIMIT 1) \
         FROM subscriptions s WHERE s.user_id = $1 ORDER BY s.feed_id",
    )
    .bind(user.0)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .filter_map(|(feed, at)| at.map(|at| (feed, at)))
        .map(|(feed, at)| {
            time::from_db(&at)
                .map(|t| (FeedId(feed), t))
                .map_err(|e| StoreError::Invalid(format!("entries.created_at {at:?}: {e}")))
        })
        .collect()
}

pub(crate) async fn last_refreshed(
    pool: &PgPool,
    user: UserId,
) -> StoreResult<Option<DateTime<Utc>>> {
    let at: Option<String> = sqlx::query_scalar(
        "SELECT max(f.last_fetched_at) FROM subscriptions s JOIN feeds f ON f.id = s.feed_id \
         WHERE s.user_id = $1",
    )
    .bind(user.0)
    .fetch_one(pool)
    .await?;
    at.as_deref()
        .map(|at| {
            time::from_db(at).map_err(|e| {
                StoreError::Invalid(format!("feeds.last_fetched_at {at:?} is not a time: {e}"))
            })
        })
        .transpose()
}
