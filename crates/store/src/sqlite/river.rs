//! The river: entries of a user's subscriptions, newest first.

use sqlx::SqlitePool;
use tributary_model::{RiverItem, UserId};

use crate::rows::{entry_columns, RiverRow};
use crate::{time, RiverQuery, StoreResult};

pub(crate) async fn river(
    pool: &SqlitePool,
    user: UserId,
    query: &RiverQuery,
) -> StoreResult<Vec<RiverItem>> {
    // "Net" and "Net/" both name the category Net.
    let category = query
        .category
        .as_deref()
        .map(|c| c.trim().trim_matches('/'))
        .filter(|c| !c.is_empty());
    // The sub-path test uses substr, not LIKE, so `_` and `%` in category
    // names are not wildcards; the trailing '/' keeps `Net` from matching `Network`.
    // SQLite reads a negative LIMIT as "no limit".
    let limit = query.limit.map_or(-1, i64::from);
    let rows: Vec<RiverRow> = sqlx::query_as(concat!(
        with_category_paths!(),
        "SELECT ",
        entry_columns!(),
        ", COALESCE(s.title_override, f.title, f.url) AS source_title, \
           f.url AS source_url, f.site_url AS source_site_url, \
           COALESCE(st.read, 0) AS read, COALESCE(st.starred, 0) AS starred \
         FROM subscriptions s \
         JOIN feeds f ON f.id = s.feed_id \
         JOIN entries e ON e.feed_id = s.feed_id \
         LEFT JOIN entry_states st ON st.user_id = s.user_id AND st.entry_id = e.id \
         WHERE s.user_id = ?1 \
           AND (?2 IS NULL OR e.published >= ?2) \
           AND (?3 IS NULL OR s.category_id IN ( \
                SELECT id FROM cat_path \
                 WHERE path = ?3 OR substr(path, 1, length(?3) + 1) = ?3 || '/')) \
           AND (NOT ?4 OR COALESCE(st.read, 0) = 0) \
           AND COALESCE(st.hidden, 0) = 0 \
         ORDER BY e.published DESC, e.id DESC \
         LIMIT ?5"
    ))
    .bind(user.0)
    .bind(time::opt_to_db(query.since))
    .bind(category)
    .bind(query.unread_only)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
