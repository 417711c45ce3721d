//! SQL of full article content: `subscriptions.full_content`,
//! `entry_articles` and `article_sites` (see `crate::articles`).
//! The same statements as `sqlite/articles.rs`, with `$n` placeholders.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use tributary_model::{EntryId, FeedId, UserId};

use crate::articles::{
    split_selectors, ArticleCandidate, ArticleSite, ArticleStatus, CandidateQuery, EntryArticle,
    FullContent,
};
use crate::{time, StoreError, StoreResult};

/// Longest error message kept (page errors are outside input).
const MAX_ERROR_CHARS: usize = 1000;

fn decode_error(column: &str, message: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: message.into(),
    }
}

fn time_col(row: &PgRow, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let s: Option<String> = row.try_get(column)?;
    s.map(|s| time::from_db(&s).map_err(|e| decode_error(column, e.to_string())))
        .transpose()
}

fn count(row: &PgRow, column: &str) -> Result<u32, sqlx::Error> {
    let n: i64 = row.try_get(column)?;
    u32::try_from(n).map_err(|_| decode_error(column, format!("{n}")))
}

pub(crate) async fn set_mode(
    pool: &PgPool,
    user: UserId,
    feed: FeedId,
    mode: Option<FullContent>,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE subscriptions SET full_content = $1 WHERE user_id = $2 AND feed_id = $3",
    )
    .bind(mode.map(FullContent::as_str))
    .bind(user.0)
    .bind(feed.0)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!(
            "no subscription to feed {}",
            feed.0
        )));
    }
    Ok(())
}

pub(crate) async fn mode(
    pool: &PgPool,
    user: UserId,
    feed: FeedId,
) -> StoreResult<Option<FullContent>> {
    let row =
        sqlx::query("SELECT full_content FROM subscriptions WHERE user_id = $1 AND feed_id = $2")
            .bind(user.0)
            .bind(feed.0)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no subscription to feed {}", feed.0)))?;
    let mode: Option<String> = row.try_get("full_content").map_err(StoreError::from)?;
    Ok(mode.as_deref().and_then(FullContent::parse))
}

pub(crate) async fn candidates(
    pool: &PgPool,
    q: &CandidateQuery,
) -> StoreResult<Vec<ArticleCandidate>> {
    // want: 2 when some subscriber's mode is 'on', 1 when only 'auto'.
    let sql = "SELECT e.id, e.url, e.content_html, e.summary_html, a.status, \
                      COALESCE(a.attempts, 0) AS attempts, \
                      CAST(MAX(CASE COALESCE(s.full_content, $1) WHEN 'on' THEN 2 WHEN 'auto' THEN 1 ELSE 0 END) AS BIGINT) AS want \
                 FROM entries e \
                 JOIN subscriptions s ON s.feed_id = e.feed_id \
                 LEFT JOIN entry_articles a ON a.entry_id = e.id \
                WHERE e.url IS NOT NULL AND e.url <> '' AND e.created_at >= $2 \
                  AND (a.entry_id IS NULL \
                       OR (a.status = 'failed' AND a.next_attempt_at <= $3 AND a.attempts < $4) \
                       OR a.status = 'skipped') \
                GROUP BY e.id, e.url, e.content_html, e.summary_html, a.status, a.attempts \
               HAVING MAX(CASE COALESCE(s.full_content, $1) WHEN 'on' THEN 2 WHEN 'auto' THEN 1 ELSE 0 END) \
                      >= CASE WHEN a.status = 'skipped' THEN 2 ELSE 1 END \
                ORDER BY e.id DESC LIMIT $5";
    let rows = sqlx::query(sql)
        .bind(q.default.as_str())
        .bind(time::to_db(q.since))
        .bind(time::to_db(q.now))
        .bind(i64::from(q.max_attempts))
        .bind(i64::from(q.limit))
        .fetch_all(pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let want: i64 = row.try_get("want")?;
        out.push(ArticleCandidate {
            entry_id: EntryId(row.try_get("id")?),
            url: row.try_get("url")?,
            content_html: row.try_get("content_html")?,
            summary_html: row.try_get("summary_html")?,
            forced: want >= 2,
            attempts: count(row, "attempts")?,
        });
    }
    Ok(out)
}

const COLUMNS: &str = "entry_id, status, url, content_html, fetched_at, attempted_at, attempts, \
                       next_attempt_at, last_error, last_error_code";

fn decode(row: &PgRow) -> Result<EntryArticle, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(EntryArticle {
        entry_id: EntryId(row.try_get("entry_id")?),
        status: ArticleStatus::parse(&status)
            .ok_or_else(|| decode_error("status", format!("unknown status {status:?}")))?,
        url: row.try_get("url")?,
        content_html: row.try_get("content_html")?,
        fetched_at: time_col(row, "fetched_at")?,
        attempted_at: time_col(row, "attempted_at")?
            .ok_or_else(|| decode_error("attempted_at", "NULL".to_owned()))?,
        attempts: count(row, "attempts")?,
        next_attempt_at: time_col(row, "next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        last_error_code: row.try_get("last_error_code")?,
    })
}

pub(crate) async fn get(pool: &PgPool, entry: EntryId) -> StoreResult<Option<EntryArticle>> {
    let sql = format!("SELECT {COLUMNS} FROM entry_articles WHERE entry_id = $1");
    let row = sqlx::query(&sql).bind(entry.0).fetch_optional(pool).await?;
    Ok(row.as_ref().map(decode).transpose()?)
}

fn no_entry(entry: EntryId, e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::NotFound(format!("entry {}", entry.0))
        }
        _ => StoreError::from(e),
    }
}

pub(crate) async fn record_ok(
    pool: &PgPool,
    entry: EntryId,
    url: &str,
    html: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO entry_articles (entry_id, status, url, content_html, fetched_at, attempted_at, attempts) \
         VALUES ($1, 'ok', $2, $3, $4, $4, 0) \
         ON CONFLICT (entry_id) DO UPDATE SET status = 'ok', url = excluded.url, \
           content_html = excluded.content_html, fetched_at = excluded.fetched_at, \
           attempted_at = excluded.attempted_at, attempts = 0, next_attempt_at = NULL, \
           last_error = NULL, last_error_code = NULL",
    )
    .bind(entry.0)
    .bind(url)
    .bind(html)
    .bind(time::to_db(now))
    .execute(pool)
    .await
    .map_err(|e| no_entry(entry, e))?;
    Ok(())
}

pub(crate) async fn record_failed(
    pool: &PgPool,
    entry: EntryId,
    url: &str,
    code: &str,
    message: &str,
    now: DateTime<Utc>,
    next: DateTime<Utc>,
) -> StoreResult<()> {
    let message: String = message.chars().take(MAX_ERROR_CHARS).collect();
    // A stored article stays (status 'ok') through a later failure of "Fetch original".
    sqlx::query(
        "INSERT INTO entry_articles (entry_id, status, url, attempted_at, attempts, next_attempt_at, last_error, last_error_code) \
         VALUES ($1, 'failed', $2, $3, 1, $4, $5, $6) \
         ON CONFLICT (entry_id) DO UPDATE SET \
           status = CASE WHEN entry_articles.content_html IS NULL THEN 'failed' ELSE 'ok' END, \
           url = excluded.url, attempted_at = excluded.attempted_at, \
           attempts = entry_articles.attempts + 1, next_attempt_at = excluded.next_attempt_at, \
           last_error = excluded.last_error, last_error_code = excluded.last_error_code",
    )
    .bind(entry.0)
    .bind(url)
    .bind(time::to_db(now))
    .bind(time::to_db(next))
    .bind(message)
    .bind(code)
    .execute(pool)
    .await
    .map_err(|e| no_entry(entry, e))?;
    Ok(())
}

pub(crate) async fn record_skipped(
    pool: &PgPool,
    entry: EntryId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO entry_articles (entry_id, status, attempted_at) VALUES ($1, 'skipped', $2) \
         ON CONFLICT (entry_id) DO UPDATE SET attempted_at = excluded.attempted_at \
         WHERE entry_articles.status = 'skipped'",
    )
    .bind(entry.0)
    .bind(time::to_db(now))
    .execute(pool)
    .await
    .map_err(|e| no_entry(entry, e))?;
    Ok(())
}

fn decode_site(row: &PgRow) -> Result<ArticleSite, sqlx::Error> {
    let removes: String = row.try_get("remove_selectors")?;
    Ok(ArticleSite {
        host: row.try_get("host")?,
        content_selector: row.try_get("content_selector")?,
        remove_selectors: split_selectors(&removes),
        created_at: time_col(row, "created_at")?
            .ok_or_else(|| decode_error("created_at", "NULL".to_owned()))?,
    })
}

pub(crate) async fn put_site(pool: &PgPool, site: &ArticleSite) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO article_sites (host, content_selector, remove_selectors, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (host) DO UPDATE SET \
         content_selector = excluded.content_selector, remove_selectors = excluded.remove_selectors, \
         created_at = excluded.created_at",
    )
    .bind(&site.host)
    .bind(&site.content_selector)
    .bind(site.remove_selectors.join("\n"))
    .bind(time::to_db(site.created_at))
    .execute(pool)
    .await?;
    Ok(())
}

pub(crate) async fn sites(pool: &PgPool) -> StoreResult<Vec<ArticleSite>> {
    let rows = sqlx::query("SELECT host, content_selector, remove_selectors, created_at FROM article_sites ORDER BY host")
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(decode_site).collect::<Result<_, _>>()?)
}

pub(crate) async fn site(pool: &PgPool, host: &str) -> StoreResult<Option<ArticleSite>> {
    let row = sqlx::query("SELECT host, content_selector, remove_selectors, created_at FROM article_sites WHERE host = $1")
        .bind(host)
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(decode_site).transpose()?)
}

pub(crate) async fn remove_site(pool: &PgPool, host: &str) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM article_sites WHERE host = $1")
        .bind(host)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("no site rule for {host}")));
    }
    Ok(())
}

pub(crate) async fn shown(
    pool: &PgPool,
    user: UserId,
    entries: &[EntryId],
    default: FullContent,
) -> StoreResult<std::collections::HashMap<EntryId, String>> {
    let mut out = std::collections::HashMap::new();
    // In chunks, far below either engine's limit of bound values.
    for chunk in entries.chunks(500) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT a.entry_id, a.content_html FROM entry_articles a \
               JOIN entries e ON e.id = a.entry_id \
               JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = $1 \
              WHERE a.status = 'ok' AND a.content_html IS NOT NULL \
                AND COALESCE(s.full_content, $2) <> 'off' AND a.entry_id IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(user.0).bind(default.as_str());
        for id in chunk {
            q = q.bind(id.0);
        }
        for row in q.fetch_all(pool).await? {
            out.insert(
                EntryId(row.try_get("entry_id")?),
                row.try_get("content_html")?,
            );
        }
    }
    Ok(out)
}
