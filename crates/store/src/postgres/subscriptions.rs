//! Users, categories and subscriptions.

use chrono::Utc;
use sqlx::{PgConnection, PgPool};
use tributary_model::{CategoryId, FeedId, Subscription, UserId};

use crate::postgres::columns::feed_columns;
use crate::postgres::{begin_write, feeds};
use crate::rows::SubscriptionRow;
use crate::{time, NewSubscription, StoreError, StoreResult, SubscribeReport};

/// Name of the user created on first use.
pub(crate) const DEFAULT_USERNAME: &str = "default";

pub(crate) async fn ensure_user(pool: &PgPool, username: &str) -> StoreResult<UserId> {
    // A no-op update makes RETURNING give the id of an existing user too,
    // in one statement (no race between two first uses).
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, created_at) VALUES ($1, $2) \
         ON CONFLICT (username) DO UPDATE SET username = excluded.username RETURNING id",
    )
    .bind(username)
    .bind(time::to_db(Utc::now()))
    .fetch_one(pool)
    .await?;
    Ok(UserId(id))
}

/// `NotFound` unless `user` exists; its row stays locked until the
/// transaction ends, so one user's imports run one after the other (two at
/// once, in different orders, would wait for each other's subscriptions and
/// categories in a cycle). Reading and marking go on: they only take KEY
/// SHARE locks on the user.
async fn lock_user(conn: &mut PgConnection, user: UserId) -> StoreResult<()> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
            .bind(user.0)
            .fetch_optional(conn)
            .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("user {user}"))),
    }
}

pub(crate) async fn subscribe(
    pool: &PgPool,
    user: UserId,
    subs: &[NewSubscription],
) -> StoreResult<SubscribeReport> {
    let mut tx = begin_write(pool).await?;
    lock_user(&mut tx, user).await?;
    let now = time::to_db(Utc::now());
    create_missing_feeds(&mut tx, subs, &now).await?;
    let mut report = SubscribeReport::default();
    for sub in subs {
        let feed = find_or_create_feed(&mut tx, sub, &now).await?;
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM subscriptions WHERE user_id = $1 AND feed_id = $2")
                .bind(user.0)
                .bind(feed.0)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            // Also covers the same URL (or an old and a new URL of one feed)
            // twice in one batch.
            report.skipped.push(sub.url.clone());
            continue;
        }
        let category = ensure_category(&mut tx, user, &sub.category, &now).await?;
        // Another process may have subscribed the user to it meanwhile.
        let added = sqlx::query(
            "INSERT INTO subscriptions (user_id, feed_id, category_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, feed_id) DO NOTHING",
        )
        .bind(user.0)
        .bind(feed.0)
        .bind(category.map(|c| c.0))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if added.rows_affected() == 0 {
            report.skipped.push(sub.url.clone());
            continue;
        }
        report.added.push(sub.url.clone());
    }
    tx.commit().await?;
    Ok(report)
}

/// Create the feeds of `subs` that no feed answers to yet, in URL order:
/// two imports creating the same feeds at once then wait for each other in
/// one order, never in a cycle (which would be a deadlock). Each gets the
/// title and site of its first subscription; later ones only fill gaps.
async fn create_missing_feeds(
    conn: &mut PgConnection,
    subs: &[NewSubscription],
    now: &str,
) -> StoreResult<()> {
    let mut missing: Vec<&NewSubscription> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for sub in subs {
        if seen.insert(sub.url.as_str()) && feeds::find_id(&mut *conn, &sub.url).await?.is_none() {
            missing.push(sub);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort_by(|a, b| a.url.cmp(&b.url));
    let urls: Vec<&str> = missing.iter().map(|s| s.url.as_str()).collect();
    let titles: Vec<Option<&str>> = missing.iter().map(|s| s.title.as_deref()).collect();
    let sites: Vec<Option<&str>> = missing.iter().map(|s| s.site_url.as_deref()).collect();
    // next_fetch_at NULL: due at once.
    sqlx::query(
        "INSERT INTO feeds (url, title, site_url, status, created_at) \
         SELECT n.url, n.title, n.site_url, 'ok', $4 \
           FROM unnest($1::text[], $2::text[], $3::text[]) AS n(url, title, site_url) \
          ORDER BY n.url COLLATE \"C\" \
         ON CONFLICT (url) DO NOTHING",
    )
    .bind(urls)
    .bind(titles)
    .bind(sites)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The feed `sub` names (by its current or a previous URL), its missing
/// title and site filled from `sub`; created (due for fetching at once) if
/// there is none. The feed row stays locked (KEY SHARE) until the
/// transaction ends, so an unsubscribe elsewhere cannot delete it under the
/// new subscription.
async fn find_or_create_feed(
    conn: &mut PgConnection,
    sub: &NewSubscription,
    now: &str,
) -> StoreResult<FeedId> {
    if let Some(id) = feeds::find_id(&mut *conn, &sub.url).await? {
        // KEY SHARE: an unsubscribe cannot delete the feed before this
        // transaction ends, while other subscribers and fetches go on.
        let found: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT title, site_url FROM feeds WHERE id = $1 FOR KEY SHARE")
                .bind(id.0)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some((title, site_url)) = found {
            // Fill what the feed has not told us yet; never overwrite.
            let fills = (title.is_none() && sub.title.is_some())
                || (site_url.is_none() && sub.site_url.is_some());
            if fills {
                sqlx::query(
                    "UPDATE feeds SET title = COALESCE(title, $1), \
                            site_url = COALESCE(site_url, $2) WHERE id = $3",
                )
                .bind(&sub.title)
                .bind(&sub.site_url)
                .bind(id.0)
                .execute(&mut *conn)
                .await?;
            }
            return Ok(id);
        }
        // Deleted since the look-up (its last subscriber left): create it anew.
    }
    // Only when the feed went away since `create_missing_feeds`. next_fetch_at
    // NULL: due at once. A feed created meanwhile by another process is the
    // same feed: filled like a found one.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO feeds (url, title, site_url, status, created_at) \
         VALUES ($1, $2, $3, 'ok', $4) \
         ON CONFLICT (url) DO UPDATE SET title = COALESCE(feeds.title, excluded.title), \
                site_url = COALESCE(feeds.site_url, excluded.site_url) \
         RETURNING id",
    )
    .bind(&sub.url)
    .bind(&sub.title)
    .bind(&sub.site_url)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(FeedId(id))
}

/// The category at `path` (outermost first), creating missing levels.
/// Blank segments are ignored; an empty path is no category.
pub(crate) async fn ensure_category(
    conn: &mut PgConnection,
    user: UserId,
    path: &[String],
    now: &str,
) -> StoreResult<Option<CategoryId>> {
    let mut parent: Option<i64> = None;
    for name in path.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let id = match find_category(&mut *conn, user, parent, name).await? {
            Some(id) => id,
            None => {
                // ON CONFLICT: another process may create it at the same time.
                let created: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO categories (user_id, parent_id, name, created_at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id, COALESCE(parent_id, 0), name) DO NOTHING \
                     RETURNING id",
                )
                .bind(user.0)
                .bind(parent)
                .bind(name)
                .bind(now)
                .fetch_optional(&mut *conn)
                .await?;
                match created {
                    Some(id) => id,
                    None => find_category(&mut *conn, user, parent, name)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("category {name}")))?,
                }
            }
        };
        parent = Some(id);
    }
    Ok(parent.map(CategoryId))
}

/// The user's category `name` under `parent` (`None`: at the top).
async fn find_category(
    conn: &mut PgConnection,
    user: UserId,
    parent: Option<i64>,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    // The unique index's own expression, so the look-up is an index probe.
    sqlx::query_scalar(
        "SELECT id FROM categories \
          WHERE user_id = $1 AND COALESCE(parent_id, 0) = COALESCE($2::bigint, 0) AND name = $3",
    )
    .bind(user.0)
    .bind(parent)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await
}

pub(crate) async fn unsubscribe(
    pool: &PgPool,
    user: UserId,
    url_or_id: &str,
) -> StoreResult<String> {
    let not_found = || StoreError::NotFound(format!("no subscription to {url_or_id}"));
    let mut tx = begin_write(pool).await?;
    // A URL always has a scheme, so an all-digits argument is an id.
    let feed = match url_or_id.trim().parse::<i64>() {
        Ok(id) => Some(FeedId(id)),
        Err(_) => feeds::find_id(&mut *tx, url_or_id).await?,
    }
    .ok_or_else(not_found)?;
    // Lock the feed first: whether anybody still follows it is decided by
    // one unsubscribe (or subscribe) at a time.
    let url: Option<String> = sqlx::query_scalar("SELECT url FROM feeds WHERE id = $1 FOR UPDATE")
        .bind(feed.0)
        .fetch_optional(&mut *tx)
        .await?;
    let url = url.ok_or_else(not_found)?;
    let removed = sqlx::query("DELETE FROM subscriptions WHERE user_id = $1 AND feed_id = $2")
        .bind(user.0)
        .bind(feed.0)
        .execute(&mut *tx)
        .await?;
    if removed.rows_affected() == 0 {
        return Err(not_found());
    }
    let subscribers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM subscriptions WHERE feed_id = $1")
            .bind(feed.0)
            .fetch_one(&mut *tx)
            .await?;
    if subscribers == 0 {
        // Entries, states, tombstones and previous URLs go with it (ON DELETE CASCADE).
        sqlx::query("DELETE FROM feeds WHERE id = $1")
            .bind(feed.0)
            .execute(&mut *tx)
            .await?;
        tracing::info!(feed.id = %feed, feed.url = %url, "feed deleted: no subscriber left");
    } else {
        // Others still read the feed; only this user's reading state goes.
        sqlx::query(
            "DELETE FROM entry_states WHERE user_id = $1 \
               AND entry_id IN (SELECT id FROM entries WHERE feed_id = $2)",
        )
        .bind(user.0)
        .bind(feed.0)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(url)
}

pub(crate) async fn list(pool: &PgPool, user: UserId) -> StoreResult<Vec<Subscription>> {
    let rows: Vec<SubscriptionRow> = sqlx::query_as(concat!(
        with_category_paths!(),
        "SELECT ",
        feed_columns!(),
        ", s.title_override AS title_override, cp.path AS category_path, \
           f.entry_count AS entry_count \
         FROM subscriptions s \
         JOIN feeds f ON f.id = s.feed_id \
         LEFT JOIN cat_path cp ON cp.id = s.category_id \
         WHERE s.user_id = $1 \
         ORDER BY COALESCE(cp.path, ''), lower(COALESCE(s.title_override, f.title, f.url)), f.id"
    ))
    .bind(user.0)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
