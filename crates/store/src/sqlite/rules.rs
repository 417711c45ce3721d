//! SQL of rules and tags (see `crate::rules`). Lists of ids are bound as
//! one JSON array (`json_each`), as in the reader APIs.

use std::collections::HashMap;

use chrono::Utc;
use sqlx::SqlitePool;
use tributary_model::{Entry, EntryId, FeedId, UserId};

use crate::rows::{entry_columns, EntryRow, PagedRow};
use crate::rules::{decode, RuleEffects, RuleRow, RuleScope, StoredRule, MAX_RULES_PER_USER};
use crate::rules::{NewRule, RULE_COLUMNS};
use crate::sqlite::begin_write;
use crate::sqlite::pages::{
    item_columns, require_category_of, require_feed_of, NOT_HIDDEN, VISIBLE,
};
use crate::{time, Cursor, EntryPage, StoreError, StoreResult};

fn id_array(ids: &[EntryId]) -> String {
    let list: Vec<i64> = ids.iter().map(|e| e.0).collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) async fn add(
    pool: &SqlitePool,
    user: UserId,
    rule: &NewRule,
) -> StoreResult<StoredRule> {
    let mut tx = begin_write(pool).await?;
    let (feed, category) = match rule.scope {
        RuleScope::All => (None, None),
        RuleScope::Feed(f) => {
            require_feed_of(&mut tx, user, f).await?;
            (Some(f.0), None)
        }
        RuleScope::Category(c) => {
            require_category_of(&mut tx, user, c).await?;
            (None, Some(c.0))
        }
    };
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM rules WHERE user_id = ?")
        .bind(user.0)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_RULES_PER_USER {
        return Err(StoreError::Invalid(format!(
            "you have {count} rules, the most one user may have; delete one first"
        )));
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO rules (user_id, feed_id, category_id, action, tag, expression, created_at) \
         SELECT id, ?, ?, ?, ?, ?, ? FROM users WHERE id = ? RETURNING id",
    )
    .bind(feed)
    .bind(category)
    .bind(&rule.action)
    .bind(&rule.tag)
    .bind(rule.expression.trim())
    .bind(time::to_db(Utc::now()))
    .bind(user.0)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or_else(|| StoreError::NotFound(format!("user {user}")))?;
    let row: RuleRow = sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM rules r WHERE r.id = ?"
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    decode(row)
}

pub(crate) async fn list(pool: &SqlitePool, user: UserId) -> StoreResult<Vec<StoredRule>> {
    let rows: Vec<RuleRow> = sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM rules r WHERE r.user_id = ? ORDER BY r.id"
    ))
    .bind(user.0)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(decode).collect()
}

pub(crate) async fn set_enabled(
    pool: &SqlitePool,
    user: UserId,
    id: i64,
    enabled: bool,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE rules SET enabled = ? WHERE id = ? AND user_id = ?")
        .bind(enabled)
        .bind(id)
        .bind(user.0)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("rule {id}")));
    }
    Ok(())
}

pub(crate) async fn remove(pool: &SqlitePool, user: UserId, id: i64) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM rules WHERE id = ? AND user_id = ?")
        .bind(id)
        .bind(user.0)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("rule {id}")));
    }
    Ok(())
}

/// Enabled rules of the feed's subscribers that may cover it (every feed,
/// this feed, or any category: narrowed by `crate::rules::covering`), each
/// with the category its owner filed the feed in, and those users'
/// categories' parents.
#[allow(clippy::type_complexity)]
pub(crate) async fn for_feed(
    pool: &SqlitePool,
    feed: FeedId,
) -> StoreResult<(Vec<(StoredRule, Option<i64>)>, HashMap<i64, Option<i64>>)> {
    let mut conn = pool.acquire().await?;
    let rows: Vec<sqlx::sqlite::SqliteRow> = sqlx::query(&format!(
        "SELECT {RULE_COLUMNS}, s.category_id AS filed_in FROM rules r \
           JOIN subscriptions s ON s.user_id = r.user_id AND s.feed_id = ?1 \
          WHERE r.enabled = 1 AND (r.feed_id IS NULL OR r.feed_id = ?1) \
          ORDER BY r.user_id, r.id"
    ))
    .bind(feed.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut rules = Vec::with_capacity(rows.len());
    for row in &rows {
        use sqlx::{FromRow, Row};
        let rule = decode(RuleRow::from_row(row)?)?;
        let filed_in: Option<i64> = row.try_get("filed_in")?;
        rules.push((rule, filed_in));
    }
    let parents: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT c.id, c.parent_id FROM categories c WHERE c.user_id IN \
           (SELECT r.user_id FROM rules r JOIN subscriptions s \
                ON s.user_id = r.user_id AND s.feed_id = ? WHERE r.category_id IS NOT NULL)",
    )
    .bind(feed.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rules, parents.into_iter().collect()))
}

pub(crate) async fn entries_by_ids(pool: &SqlitePool, ids: &[EntryId]) -> StoreResult<Vec<Entry>> {
    let rows: Vec<EntryRow> = sqlx::query_as(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM entries e WHERE e.id IN (SELECT value FROM json_each(?)) ORDER BY e.id"
    ))
    .bind(id_array(ids))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(crate) async fn apply(pool: &SqlitePool, effects: &[RuleEffects]) -> StoreResult<()> {
    let now = time::to_db(Utc::now());
    let mut tx = begin_write(pool).await?;
    for fx in effects {
        // ?1 user, ?2 now, ?3 the ids. Rules mark read without a read
        // time: the user never saw these, so they are not in History.
        let upserts = [
            (
                &fx.hide,
                "read, hidden, updated_at) SELECT ?1, e.id, e.feed_id, 1, 1, ?2",
                "read = 1, hidden = 1",
            ),
            (
                &fx.read,
                "read, updated_at) SELECT ?1, e.id, e.feed_id, 1, ?2",
                "read = 1",
            ),
            (
                &fx.star,
                "starred, updated_at) SELECT ?1, e.id, e.feed_id, 1, ?2",
                "starred = 1",
            ),
        ];
        for (ids, insert, set) in upserts {
            if ids.is_empty() {
                continue;
            }
            sqlx::query(&format!(
                "INSERT INTO entry_states (user_id, entry_id, feed_id, {insert} \
                   FROM entries e WHERE e.id IN (SELECT value FROM json_each(?3)) \
                 ON CONFLICT (user_id, entry_id) DO UPDATE SET {set}, updated_at = ?2"
            ))
            .bind(fx.user.0)
            .bind(&now)
            .bind(id_array(ids))
            .execute(&mut *tx)
            .await?;
        }
        for (entry, tag) in &fx.tags {
            sqlx::query(
                "INSERT INTO entry_tags (user_id, entry_id, tag, created_at) \
                 SELECT ?, id, ?, ? FROM entries WHERE id = ? ON CONFLICT DO NOTHING",
            )
            .bind(fx.user.0)
            .bind(tag)
            .bind(&now)
            .bind(entry.0)
            .execute(&mut *tx)
            .await?;
        }
        for (rule, n) in &fx.acted {
            sqlx::query(
                "UPDATE rules SET match_count = match_count + ?, last_matched_at = ? \
                 WHERE id = ? AND user_id = ?",
            )
            .bind(i64::try_from(*n).unwrap_or(i64::MAX))
            .bind(&now)
            .bind(rule)
            .bind(fx.user.0)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn tags_of(
    pool: &SqlitePool,
    user: UserId,
    ids: &[EntryId],
) -> StoreResult<Vec<(EntryId, String)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT entry_id, tag FROM entry_tags WHERE user_id = ? \
            AND entry_id IN (SELECT value FROM json_each(?)) ORDER BY entry_id, tag",
    )
    .bind(user.0)
    .bind(id_array(ids))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(e, t)| (EntryId(e), t)).collect())
}

pub(crate) async fn tags(pool: &SqlitePool, user: UserId) -> StoreResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT t.tag, count(*) FROM entry_tags t \
           JOIN entries e ON e.id = t.entry_id \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = ?1 \
           LEFT JOIN entry_states st ON st.user_id = ?1 AND st.entry_id = e.id \
          WHERE t.user_id = ?1 AND {VISIBLE} AND {NOT_HIDDEN} \
          GROUP BY t.tag ORDER BY t.tag"
    ))
    .bind(user.0)
    .fetch_all(pool)
    .await?)
}

pub(crate) async fn tagged(
    pool: &SqlitePool,
    user: UserId,
    tag: &str,
    after: Option<Cursor>,
    limit: u32,
) -> StoreResult<EntryPage> {
    let (at, id) = match after {
        Some(c) => (Some(time::to_db(c.at)), c.id.0),
        None => (None, 0),
    };
    let mut rows: Vec<PagedRow> = sqlx::query_as(&format!(
        "SELECT {}, e.published AS sort_at FROM entry_tags t \
           CROSS JOIN entries e ON e.id = t.entry_id \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = ?1 \
           JOIN feeds f ON f.id = e.feed_id \
           LEFT JOIN entry_states st ON st.user_id = ?1 AND st.entry_id = e.id \
          WHERE t.user_id = ?1 AND t.tag = ?2 AND {VISIBLE} AND {NOT_HIDDEN} \
            AND (?3 IS NULL OR e.published < ?3 OR (e.published = ?3 AND e.id < ?4)) \
          ORDER BY e.published DESC, e.id DESC LIMIT ?5",
        item_columns!()
    ))
    .bind(user.0)
    .bind(tag)
    .bind(at)
    .bind(id)
    .bind(i64::from(limit) + 1)
    .fetch_all(pool)
    .await?;
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
