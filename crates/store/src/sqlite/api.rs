//! SQL of the reader APIs: API passwords, their sessions, entries by any
//! filter, and starring in bulk.
//!
//! Lists of ids are bound as one JSON array (`json_each`), so a request
//! with 10,000 ids is one statement with one placeholder.

use chrono::{DateTime, Duration, Utc};
use sqlx::SqlitePool;
use tributary_model::{EntryId, FeedId, UserId};

use crate::rows::{ApiItemRow, ApiTokenRow, EntryRefRow, SessionRow, UserRow};
use crate::sqlite::accounts::is_unique_violation;
use crate::sqlite::args::{Arg, Sql};
use crate::sqlite::begin_write;
use crate::sqlite::pages::{
    item_columns, push_category, require_category_of, require_feed_of, unread_of_subscription,
    NOT_HIDDEN, VISIBLE,
};
use crate::sqlite::search::to_fts;
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
    pool: &SqlitePool,
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
    let done = sqlx::query_scalar::<_, i64>(
        "INSERT INTO api_tokens (user_id, description, secret_hash, fever_key, created_at) \
         SELECT id, ?, ?, ?, ? FROM users WHERE id = ? RETURNING id",
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
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.id = ?"
    ))
    .bind(id)
    .fetch_one(pool)
    .await?;
    Ok(row.0)
}

pub(crate) async fn tokens(pool: &SqlitePool, user: UserId) -> StoreResult<Vec<ApiToken>> {
    let rows: Vec<ApiTokenRow> = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = ? \
         ORDER BY t.created_at DESC, t.id DESC"
    ))
    .bind(user.0)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(crate) async fn revoke_token(pool: &SqlitePool, user: UserId, id: i64) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    // Sessions go first and explicitly: the cascade needs foreign keys on,
    // and a revoked password must never leave a live session behind.
    sqlx::query(
        "DELETE FROM sessions WHERE api_token_id = ? \
           AND api_token_id IN (SELECT id FROM api_tokens WHERE user_id = ?)",
    )
    .bind(id)
    .bind(user.0)
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query("DELETE FROM api_tokens WHERE id = ? AND user_id = ?")
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
    pool: &SqlitePool,
    writer: &SqlitePool,
    column: &str,
    value: &str,
) -> StoreResult<Option<(User, ApiToken)>> {
    let row = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS}, {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.{column} = ?",
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
        sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
            .bind(time::to_db(now))
            .bind(token.id)
            .execute(writer)
            .await?;
        token.last_used_at = Some(now);
    }
    Ok(Some((user, token)))
}

pub(crate) async fn by_secret(
    pool: &SqlitePool,
    writer: &SqlitePool,
    secret_hash: &str,
) -> StoreResult<Option<(User, ApiToken)>> {
    by_column(pool, writer, "secret_hash", secret_hash).await
}

pub(crate) async fn by_fever_key(
    pool: &SqlitePool,
    writer: &SqlitePool,
    fever_key: &str,
) -> StoreResult<Option<(User, ApiToken)>> {
    by_column(pool, writer, "fever_key", &fever_key.to_ascii_lowercase()).await
}

pub(crate) async fn create_session(
    pool: &SqlitePool,
    token: i64,
    token_hash: &str,
    csrf_token: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    let done = sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, api_token_id) \
         SELECT ?, user_id, ?, ?, ?, id FROM api_tokens WHERE id = ?",
    )
    .bind(token_hash)
    .bind(csrf_token)
    .bind(time::to_db(Utc::now()))
    .bind(time::to_db(expires_at))
    .bind(token)
    .execute(&mut *tx)
    .await;
    match done {
        Ok(done) if done.rows_affected() == 0 => {
            return Err(StoreError::NotFound(format!("API password {token}")))
        }
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
        "DELETE FROM sessions WHERE api_token_id = ?1 AND token_hash NOT IN ( \
             SELECT token_hash FROM sessions WHERE api_token_id = ?1 \
              ORDER BY created_at DESC, token_hash DESC LIMIT ?2)",
    )
    .bind(token)
    .bind(SESSIONS_PER_TOKEN)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn session(
    pool: &SqlitePool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Session>> {
    let row: Option<SessionRow> = sqlx::query_as(concat!(
        "SELECT ",
        crate::rows::user_columns!(),
        ", s.csrf_token AS csrf_token, s.expires_at AS expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN api_tokens t ON t.id = s.api_token_id \
         WHERE s.token_hash = ? AND s.expires_at > ?"
    ))
    .bind(token_hash)
    .bind(time::to_db(now))
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

/// Ids as one JSON array (for `json_each`).
fn id_array(ids: &[EntryId]) -> String {
    let list: Vec<i64> = ids.iter().map(|e| e.0).collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned())
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
/// The join order is chosen here rather than left to the planner, which
/// otherwise starts from the user's subscriptions, reads every entry of
/// every feed and sorts them all for one page:
/// - ordered by id or published time, with nothing narrower to start
///   from, the walk goes down the entries' index (`CROSS JOIN` keeps
///   `entries` outermost) and stops after one page, as the UI's pages do;
/// - a filter that needs a stored state (read, starred) joins the states
///   as an inner join, so the partial indexes of read and starred states
///   can lead.
fn push_from_where(
    sql: &mut Sql,
    user: UserId,
    query: &ApiEntryQuery,
    select: Select,
) -> StoreResult<()> {
    let u = sql.arg(Arg::Int(user.0));
    let needs_state = query.read == Some(true) || query.starred == Some(true);
    let walk_entries = !needs_state
        && query.ids.is_none()
        && query.feed.is_none()
        && query.search.is_none()
        && matches!(query.order, ApiOrder::Id | ApiOrder::Published)
        && select != Select::Count;
    let join = if walk_entries { "CROSS JOIN" } else { "JOIN" };
    let states = if needs_state { "JOIN" } else { "LEFT JOIN" };
    let subscriptions = format!("subscriptions s ON s.feed_id = e.feed_id AND s.user_id = {u}");
    let feeds = if select == Select::Items {
        " JOIN feeds f ON f.id = e.feed_id"
    } else {
        ""
    };
    if query.starred == Some(true) {
        // Few starred among many: their partial index leads.
        sql.push(&format!(
            " FROM entry_states st INDEXED BY entry_states_starred \
               CROSS JOIN entries e ON e.id = st.entry_id \
               JOIN {subscriptions}{feeds}"
        ));
    } else {
        sql.push(&format!(
            " FROM entries e {join} {subscriptions}{feeds} \
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
        sql.push(" AND e.id IN (SELECT value FROM json_each(")
            .bind(Arg::Text(id_array(ids)))
            .push("))");
    }
    if let Some(feed) = query.feed {
        sql.push(" AND e.feed_id = ").bind(Arg::Int(feed.0));
    }
    if let Some(category) = query.category {
        push_category(sql, &u, category);
    }
    match query.read {
        Some(true) => {
            sql.push(" AND st.read = 1");
        }
        Some(false) => {
            sql.push(" AND COALESCE(st.read, 0) = 0");
        }
        None => {}
    }
    match query.starred {
        Some(true) => {
            sql.push(" AND st.starred = 1");
        }
        Some(false) => {
            sql.push(" AND COALESCE(st.starred, 0) = 0");
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
        let expr = to_fts(text)?;
        sql.push(" AND e.id IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ")
            .bind(Arg::Text(expr))
            .push(")");
    }
    Ok(())
}

/// ` ORDER BY … LIMIT … OFFSET …`.
fn push_order(sql: &mut Sql, query: &ApiEntryQuery, limit: Option<u32>) {
    let dir = if query.descending { "DESC" } else { "ASC" };
    let keys: &[&str] = match query.order {
        ApiOrder::Id => &[],
        ApiOrder::Published => &["e.published"],
        ApiOrder::Created => &["e.created_at"],
        ApiOrder::Changed => &["COALESCE(st.updated_at, e.created_at)"],
        ApiOrder::Status => &["COALESCE(st.read, 0)", "e.published"],
        ApiOrder::CategoryTitle => &["c.name", "e.published"],
        ApiOrder::CategoryId => &["s.category_id", "e.published"],
    };
    sql.push(" ORDER BY ");
    for key in keys {
        sql.push(&format!("{key} {dir}, "));
    }
    sql.push(&format!("e.id {dir}"));
    match limit {
        Some(limit) => {
            sql.push(" LIMIT ").bind(Arg::Int(i64::from(limit)));
        }
        None => {
            sql.push(" LIMIT -1");
        }
    }
    sql.push(" OFFSET ").bind(Arg::Int(i64::from(query.offset)));
}

/// `NotFound` for a feed or category filter that is not the user's.
async fn check_scope(pool: &SqlitePool, user: UserId, query: &ApiEntryQuery) -> StoreResult<()> {
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
    pool: &SqlitePool,
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
async fn count(pool: &SqlitePool, user: UserId, query: &ApiEntryQuery) -> StoreResult<i64> {
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
        // ?1 is the user, as unread_of_subscription! expects.
        let u = sql.arg(Arg::Int(user.0));
        let unread = unread_of_subscription!();
        let visible = "(CASE WHEN s.paused_at IS NULL \
             THEN (SELECT vf.entry_count FROM feeds vf WHERE vf.id = s.feed_id) \
             ELSE (SELECT count(*) FROM entries ve \
                    WHERE ve.feed_id = s.feed_id AND ve.created_at <= s.paused_at) END)";
        // Entries the user's rules hid: few, from their partial index;
        // they are read, so they are in neither count of unread ones.
        let hidden = "(SELECT count(*) FROM entry_states h JOIN entries he ON he.id = h.entry_id \
             WHERE h.user_id = s.user_id AND h.feed_id = s.feed_id AND h.hidden = 1 \
               AND (s.paused_at IS NULL OR he.created_at <= s.paused_at))";
        let per_subscription = match query.read {
            Some(false) => unread.to_owned(),
            Some(true) => format!("({visible} - {unread} - {hidden})"),
            None => format!("({visible} - {hidden})"),
        };
        sql.push(&format!(
            "SELECT COALESCE(sum({per_subscription}), 0) FROM subscriptions s WHERE s.user_id = {u}"
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
    pool: &SqlitePool,
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
    pool: &SqlitePool,
    user: UserId,
    entries: &[EntryId],
    starred: bool,
) -> StoreResult<u64> {
    if entries.is_empty() {
        return Ok(0);
    }
    let done = sqlx::query(&format!(
        "INSERT INTO entry_states (user_id, entry_id, feed_id, starred, updated_at) \
         SELECT ?1, e.id, e.feed_id, ?2, ?3 FROM entries e \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = ?1 \
           LEFT JOIN entry_states st ON st.user_id = ?1 AND st.entry_id = e.id \
          WHERE COALESCE(st.starred, 0) <> ?2 AND {VISIBLE} \
            AND e.id IN (SELECT value FROM json_each(?4)) \
         ON CONFLICT (user_id, entry_id) DO UPDATE SET starred = excluded.starred, \
             updated_at = excluded.updated_at"
    ))
    .bind(user.0)
    .bind(starred)
    .bind(time::to_db(Utc::now()))
    .bind(id_array(entries))
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Ids from a statement answering one JSON array.
async fn id_array_of(pool: &SqlitePool, sql: &str, user: UserId) -> StoreResult<Vec<EntryId>> {
    let text: Option<String> = sqlx::query_scalar(sql).bind(user.0).fetch_one(pool).await?;
    let ids: Vec<i64> = serde_json::from_str(text.as_deref().unwrap_or("[]")).map_err(|e| {
        StoreError::Invalid(format!(
            "the database answered ids that are not a JSON array: {e}"
        ))
    })?;
    Ok(ids.into_iter().map(EntryId).collect())
}

pub(crate) async fn unread_ids(pool: &SqlitePool, user: UserId) -> StoreResult<Vec<EntryId>> {
    // Unpaused subscriptions: every entry of the feed (from the covering
    // index on feed_id) that has no read state. Paused ones also need the
    // entry's stored time, so they read rows; they are few.
    const NOT_READ: &str = "NOT EXISTS (SELECT 1 FROM entry_states st \
         WHERE st.user_id = ?1 AND st.entry_id = x.id AND st.read = 1)";
    let sql = format!(
        "SELECT json_group_array(id) FROM ( \
           SELECT x.id AS id FROM subscriptions s \
             JOIN entries x INDEXED BY entries_feed_published ON x.feed_id = s.feed_id \
            WHERE s.user_id = ?1 AND s.paused_at IS NULL AND {NOT_READ} \
           UNION ALL \
           SELECT x.id FROM subscriptions s JOIN entries x ON x.feed_id = s.feed_id \
            WHERE s.user_id = ?1 AND s.paused_at IS NOT NULL \
              AND x.created_at <= s.paused_at AND {NOT_READ} \
           ORDER BY 1)"
    );
    id_array_of(pool, &sql, user).await
}

pub(crate) async fn starred_ids(pool: &SqlitePool, user: UserId) -> StoreResult<Vec<EntryId>> {
    let sql = format!(
        "SELECT json_group_array(id) FROM ( \
           SELECT e.id AS id FROM entry_states st INDEXED BY entry_states_starred \
             CROSS JOIN entries e ON e.id = st.entry_id \
             JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = ?1 \
            WHERE st.user_id = ?1 AND st.starred = 1 AND {VISIBLE} AND {NOT_HIDDEN} ORDER BY e.id)"
    );
    id_array_of(pool, &sql, user).await
}

pub(crate) async fn newest_stored(
    pool: &SqlitePool,
    user: UserId,
) -> StoreResult<Vec<(FeedId, DateTime<Utc>)>> {
    // The newest entry's id comes from the covering index on feed_id; only
    // that one row is read for its time.
    let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT s.feed_id, (SELECT x.created_at FROM entries x WHERE x.id = \
            CASE WHEN s.paused_at IS NULL \
                 THEN (SELECT max(y.id) FROM entries y WHERE y.feed_id = s.feed_id) \
                 ELSE (SELECT max(y.id) FROM entries y \
                        WHERE y.feed_id = s.feed_id AND y.created_at <= s.paused_at) END) \
         FROM subscriptions s WHERE s.user_id = ? ORDER BY s.feed_id",
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
    pool: &SqlitePool,
    user: UserId,
) -> StoreResult<Option<DateTime<Utc>>> {
    let at: Option<String> = sqlx::query_scalar(
        "SELECT max(f.last_fetched_at) FROM subscriptions s JOIN feeds f ON f.id = s.feed_id \
         WHERE s.user_id = ?",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite;

    async fn plan(pool: &SqlitePool, sql: &Sql) -> String {
        let text = format!("EXPLAIN QUERY PLAN {}", sql.text);
        let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(&text);
        for a in sql.args() {
            q = match a {
                Arg::Int(i) => q.bind(*i),
                Arg::Text(s) => q.bind(s.as_str()),
            };
        }
        let rows = q.fetch_all(pool).await.unwrap();
        rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
    }

    fn page_sql(query: &ApiEntryQuery) -> Sql {
        let mut sql = Sql::default();
        sql.push(&format!("SELECT {}", item_columns!()));
        push_from_where(&mut sql, UserId(1), query, Select::Items).unwrap();
        push_order(&mut sql, query, Some(100));
        sql
    }

    /// The pages every API asks for most (newest first, by id up or down,
    /// unread or all, a category) walk an index and stop after one page:
    /// no sort of all of the user's entries.
    #[tokio::test]
    async fn the_common_pages_walk_an_index_in_order() {
        let (pool, _) = sqlite::open("sqlite::memory:").await.unwrap();
        let cases = [
            (
                "miniflux: unread, newest published first",
                ApiEntryQuery {
                    read: Some(false),
                    order: ApiOrder::Published,
                    descending: true,
                    ..Default::default()
                },
                "entries_published",
            ),
            (
                "greader: reading list, newest first",
                ApiEntryQuery {
                    order: ApiOrder::Id,
                    descending: true,
                    ..Default::default()
                },
                "PRIMARY KEY",
            ),
            (
                "fever: unread above since_id",
                ApiEntryQuery {
                    read: Some(false),
                    after_id: Some(EntryId(10)),
                    ..Default::default()
                },
                "PRIMARY KEY",
            ),
            (
                "a category, newest first",
                ApiEntryQuery {
                    category: Some(tributary_model::CategoryId(2)),
                    order: ApiOrder::Published,
                    descending: true,
                    ..Default::default()
                },
                "entries_published",
            ),
        ];
        for (name, query, index) in cases {
            let p = plan(&pool, &page_sql(&query)).await;
            assert!(p.contains(index), "{name}: expected {index} in\n{p}");
            assert!(
                !p.contains("TEMP B-TREE FOR ORDER BY"),
                "{name}: sorts\n{p}"
            );
        }
        // Starred entries are found from their partial index, not by
        // walking every entry.
        let starred = ApiEntryQuery {
            starred: Some(true),
            ..Default::default()
        };
        let p = plan(&pool, &page_sql(&starred)).await;
        assert!(p.contains("entry_states_starred"), "{p}");
    }
}
