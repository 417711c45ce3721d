//! A user's categories: listing with counts, create, rename, delete.

use chrono::Utc;
use sqlx::{PgConnection, PgPool};
use tributary_model::{CategoryId, UserId};

use crate::postgres::pages::{require_category_of, unread_of_subscription};
use crate::postgres::{begin_write, subscriptions};
use crate::rows::CategoryRow;
use crate::{time, Category, StoreError, StoreResult};

/// The listing, for all of the user's categories or (`$2` not NULL) one.
const LIST_SQL: &str = concat!(
    with_category_paths!(),
    "SELECT c.id AS id, c.parent_id AS parent_id, c.name AS name, cp.path AS path, \
       (SELECT count(*) FROM subscriptions s \
         WHERE s.user_id = $1 AND s.category_id = c.id) AS feed_count, \
       (SELECT COALESCE(sum(",
    unread_of_subscription!(),
    "), 0)::bigint FROM subscriptions s WHERE s.user_id = $1 AND s.category_id = c.id) \
       AS unread_count \
     FROM categories c JOIN cat_path cp ON cp.id = c.id \
     WHERE $2::bigint IS NULL OR c.id = $2 \
     ORDER BY cp.path, c.id"
);

pub(crate) async fn list(pool: &PgPool, user: UserId) -> StoreResult<Vec<Category>> {
    let rows: Vec<CategoryRow> = sqlx::query_as(LIST_SQL)
        .bind(user.0)
        .bind(None::<i64>)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

async fn one(conn: &mut PgConnection, user: UserId, id: CategoryId) -> StoreResult<Category> {
    let row: Option<CategoryRow> = sqlx::query_as(LIST_SQL)
        .bind(user.0)
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.0)
        .ok_or_else(|| StoreError::NotFound(format!("category {id}")))
}

/// The segments of a category path, or why it is not one.
fn segments(path: &str) -> StoreResult<Vec<String>> {
    let path = path.trim();
    if path.is_empty() {
        return Err(StoreError::Invalid("the category name is empty".to_owned()));
    }
    no_nul(path)?;
    path.split('/')
        .map(|s| {
            let s = s.trim();
            if s.is_empty() {
                Err(StoreError::Invalid(format!(
                    "the category path {path:?} has an empty part"
                )))
            } else {
                Ok(s.to_owned())
            }
        })
        .collect()
}

/// PostgreSQL text cannot hold NUL: such a name is refused as invalid
/// (not a database error).
fn no_nul(name: &str) -> StoreResult<()> {
    if name.contains('\0') {
        return Err(StoreError::Invalid(
            "a category name cannot contain a NUL character".to_owned(),
        ));
    }
    Ok(())
}

pub(crate) async fn create(pool: &PgPool, user: UserId, path: &str) -> StoreResult<Category> {
    let segments = segments(path)?;
    let mut tx = begin_write(pool).await?;
    let user_exists: Option<i64> = sqlx::query_scalar("SELECT 1::bigint FROM users WHERE id = $1")
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?;
    if user_exists.is_none() {
        return Err(StoreError::NotFound(format!("user {user}")));
    }
    let now = time::to_db(Utc::now());
    let id = subscriptions::ensure_category(&mut tx, user, &segments, &now)
        .await?
        .ok_or_else(|| StoreError::Invalid("the category name is empty".to_owned()))?;
    let category = one(&mut tx, user, id).await?;
    tx.commit().await?;
    Ok(category)
}

pub(crate) async fn rename(
    pool: &PgPool,
    user: UserId,
    id: CategoryId,
    name: &str,
) -> StoreResult<Category> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("the category name is empty".to_owned()));
    }
    no_nul(name)?;
    if name.contains('/') {
        return Err(StoreError::Invalid(
            "a category name cannot contain '/' (it separates the levels of a path)".to_owned(),
        ));
    }
    let mut tx = begin_write(pool).await?;
    require_category_of(&mut tx, user, id).await?;
    let done = sqlx::query("UPDATE categories SET name = $1 WHERE id = $2 AND user_id = $3")
        .bind(name)
        .bind(id.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await;
    match done {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(StoreError::Conflict(format!(
                "a category named {name:?} is already there"
            )))
        }
        Err(e) => return Err(e.into()),
    }
    let category = one(&mut tx, user, id).await?;
    tx.commit().await?;
    Ok(category)
}

pub(crate) async fn delete(pool: &PgPool, user: UserId, id: CategoryId) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    require_category_of(&mut tx, user, id).await?;
    // Sub-categories go too (ON DELETE CASCADE); their feeds become
    // uncategorized (ON DELETE SET NULL).
    sqlx::query("DELETE FROM categories WHERE id = $1 AND user_id = $2")
        .bind(id.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
