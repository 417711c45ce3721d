//! Row wrappers: decode SQLite and PostgreSQL rows into `tributary-model` types, so the
//! model crate never depends on sqlx.
//!
//! Queries select columns under fixed aliases (`feed_*`, `entry_*`), given
//! by the `feed_columns!`/`entry_columns!` macros, and the wrappers read
//! those aliases. Anything the database holds that does not decode (a bad
//! timestamp, bad JSON, an unknown status) is a `ColumnDecode` error naming
//! the column, never a panic.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use tributary_model::{
    CategoryId, Entry, EntryId, Feed, FeedId, FeedStatus, RiverItem, Source, Subscription, UserId,
};

use crate::time;
use crate::{
    ApiItem, ApiToken, Category, EntryRef, Session, SubscriptionSettings, SubscriptionView, User,
};

/// The feed columns every feed query selects, from `feeds f`.
macro_rules! feed_columns {
    () => {
        "f.id AS feed_id, f.url AS feed_url, \
         (SELECT json_group_array(p.url ORDER BY p.moved_at, p.id) \
            FROM feed_previous_urls p WHERE p.feed_id = f.id) AS feed_previous_urls, \
         f.title AS feed_title, f.site_url AS feed_site_url, \
         f.description AS feed_description, f.status AS feed_status, \
         f.last_error AS feed_last_error, f.last_error_code AS feed_last_error_code, \
         f.error_count AS feed_error_count, f.etag AS feed_etag, \
         f.last_modified AS feed_last_modified, f.last_fetched_at AS feed_last_fetched_at, \
         f.next_fetch_at AS feed_next_fetch_at, f.next_fetch_reason AS feed_next_fetch_reason, \
         f.failing_since AS feed_failing_since, f.last_success_at AS feed_last_success_at, \
         f.disabled_at AS feed_disabled_at, f.status_note AS feed_status_note, \
         f.schedule_hints AS feed_schedule_hints, f.body_hash AS feed_body_hash, \
         (SELECT min(b.min_interval_secs) FROM subscriptions b WHERE b.feed_id = f.id) \
            AS feed_min_interval_secs, \
         (SELECT min(b.max_interval_secs) FROM subscriptions b WHERE b.feed_id = f.id) \
            AS feed_max_interval_secs"
    };
}
pub(crate) use feed_columns;

/// The entry columns every entry query selects, from `entries e`.
macro_rules! entry_columns {
    () => {
        "e.id AS entry_id, e.feed_id AS entry_feed_id, e.key AS entry_key, \
         e.guid AS entry_guid, e.url AS entry_url, e.canonical_url AS entry_canonical_url, \
         e.title AS entry_title, e.author AS entry_author, \
         e.content_html AS entry_content_html, e.summary_html AS entry_summary_html, \
         e.excerpt AS entry_excerpt, e.published AS entry_published, \
         e.updated AS entry_updated, e.enclosures AS entry_enclosures, \
         e.categories AS entry_categories"
    };
}
pub(crate) use entry_columns;

fn decode_error(
    column: &str,
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: source.into(),
    }
}

/// The user columns every user query selects, from `users u`.
macro_rules! user_columns {
    () => {
        "u.id AS user_id, u.username AS user_username, u.is_admin AS user_is_admin, \
         u.password_hash IS NOT NULL AS user_has_password, u.created_at AS user_created_at"
    };
}
pub(crate) use user_columns;

/// A feed, from [`feed_columns!`].
pub(crate) struct FeedRow(pub Feed);

/// An entry, from [`entry_columns!`].
pub(crate) struct EntryRow(pub Entry);

/// A subscription: [`feed_columns!`] plus `title_override`,
/// `category_path` and `entry_count`.
pub(crate) struct SubscriptionRow(pub Subscription);

/// A river item: [`entry_columns!`] plus `source_title`, `source_url`,
/// `source_site_url`, `read` and `starred`.
pub(crate) struct RiverRow(pub RiverItem);

/// A user, from [`user_columns!`].
pub(crate) struct UserRow(pub User);

/// A session: [`user_columns!`] plus `csrf_token` and `expires_at`.
pub(crate) struct SessionRow(pub Session);

/// A subscription as the UI shows it: [`SubscriptionRow`]'s columns plus
/// `category_id`, `min_interval_secs`, `max_interval_secs`, `paused`,
/// `unread_count` and `newest_entry_at`.
pub(crate) struct SubscriptionViewRow(pub SubscriptionView);

/// A category: `id`, `parent_id`, `name`, `path`, `feed_count`, `unread_count`.
pub(crate) struct CategoryRow(pub Category);

/// A river item with its sort key `sort_at` (published, or read time in history).
pub(crate) struct PagedRow(pub RiverItem, pub DateTime<Utc>);

/// A search hit: [`RiverRow`]'s columns plus `score` and `snippet` (hits
/// marked with the control characters of `text::HIT_START`/`HIT_END`).
pub(crate) struct SearchRow(pub RiverItem, pub f64, pub String);

/// An API password: `token_id`, `token_user_id`, `token_description`,
/// `token_created_at`, `token_last_used_at`.
pub(crate) struct ApiTokenRow(pub ApiToken);

/// An entry as the APIs show it: [`RiverRow`]'s columns plus
/// `api_created_at` and `api_changed_at`.
pub(crate) struct ApiItemRow(pub ApiItem);

/// An entry reference: `ref_id`, `ref_feed_id`, `ref_published`, `ref_created_at`.
pub(crate) struct EntryRefRow(pub EntryRef);

/// The decoders and `FromRow` impls, written once and instantiated for the
/// row type of each backend: the backends' schemas give every column the
/// same Rust type (i64, bool, String, f64), so one body decodes both.
macro_rules! decoders {
    ($row:ty) => {
        fn time_col(row: &$row, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
            let s: String = row.try_get(column)?;
            time::from_db(&s).map_err(|e| decode_error(column, e))
        }

        fn opt_time_col(row: &$row, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
            let s: Option<String> = row.try_get(column)?;
            s.map(|s| time::from_db(&s).map_err(|e| decode_error(column, e)))
                .transpose()
        }

        fn json_col<T: serde::de::DeserializeOwned>(
            row: &$row,
            column: &str,
        ) -> Result<T, sqlx::Error> {
            let s: String = row.try_get(column)?;
            serde_json::from_str(&s).map_err(|e| decode_error(column, e))
        }

        fn decode_feed(row: &$row) -> Result<Feed, sqlx::Error> {
            let status: String = row.try_get("feed_status")?;
            Ok(Feed {
                id: FeedId(row.try_get("feed_id")?),
                url: row.try_get("feed_url")?,
                previous_urls: json_col(row, "feed_previous_urls")?,
                title: row.try_get("feed_title")?,
                site_url: row.try_get("feed_site_url")?,
                description: row.try_get("feed_description")?,
                status: FeedStatus::from_str(&status)
                    .map_err(|e| decode_error("feed_status", e))?,
                last_error: row.try_get("feed_last_error")?,
                last_error_code: row.try_get("feed_last_error_code")?,
                error_count: row.try_get("feed_error_count")?,
                etag: row.try_get("feed_etag")?,
                last_modified: row.try_get("feed_last_modified")?,
                last_fetched_at: opt_time_col(row, "feed_last_fetched_at")?,
                next_fetch_at: opt_time_col(row, "feed_next_fetch_at")?,
                next_fetch_reason: row.try_get("feed_next_fetch_reason")?,
                failing_since: opt_time_col(row, "feed_failing_since")?,
                last_success_at: opt_time_col(row, "feed_last_success_at")?,
                disabled_at: opt_time_col(row, "feed_disabled_at")?,
                status_note: row.try_get("feed_status_note")?,
                schedule_hints: json_col(row, "feed_schedule_hints")?,
                body_hash: row.try_get("feed_body_hash")?,
                min_interval_secs: row.try_get("feed_min_interval_secs")?,
                max_interval_secs: row.try_get("feed_max_interval_secs")?,
            })
        }

        fn decode_entry(row: &$row) -> Result<Entry, sqlx::Error> {
            Ok(Entry {
                id: EntryId(row.try_get("entry_id")?),
                feed_id: FeedId(row.try_get("entry_feed_id")?),
                key: row.try_get("entry_key")?,
                guid: row.try_get("entry_guid")?,
                url: row.try_get("entry_url")?,
                canonical_url: row.try_get("entry_canonical_url")?,
                title: row.try_get("entry_title")?,
                author: row.try_get("entry_author")?,
                content_html: row.try_get("entry_content_html")?,
                summary_html: row.try_get("entry_summary_html")?,
                excerpt: row.try_get("entry_excerpt")?,
                published: time_col(row, "entry_published")?,
                updated: opt_time_col(row, "entry_updated")?,
                enclosures: json_col(row, "entry_enclosures")?,
                categories: json_col(row, "entry_categories")?,
            })
        }

        impl<'r> FromRow<'r, $row> for FeedRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                decode_feed(row).map(FeedRow)
            }
        }

        impl<'r> FromRow<'r, $row> for EntryRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                decode_entry(row).map(EntryRow)
            }
        }

        impl<'r> FromRow<'r, $row> for SubscriptionRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(SubscriptionRow(Subscription {
                    feed: decode_feed(row)?,
                    title_override: row.try_get("title_override")?,
                    category: row.try_get("category_path")?,
                    entry_count: row.try_get("entry_count")?,
                }))
            }
        }

        impl<'r> FromRow<'r, $row> for RiverRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                let entry = decode_entry(row)?;
                let source = Source {
                    feed_id: entry.feed_id,
                    title: row.try_get("source_title")?,
                    feed_url: row.try_get("source_url")?,
                    site_url: row.try_get("source_site_url")?,
                };
                Ok(RiverRow(RiverItem {
                    entry,
                    source,
                    read: row.try_get("read")?,
                    starred: row.try_get("starred")?,
                }))
            }
        }

        fn decode_user(row: &$row) -> Result<User, sqlx::Error> {
            Ok(User {
                id: UserId(row.try_get("user_id")?),
                username: row.try_get("user_username")?,
                is_admin: row.try_get("user_is_admin")?,
                has_password: row.try_get("user_has_password")?,
                created_at: time_col(row, "user_created_at")?,
            })
        }

        impl<'r> FromRow<'r, $row> for UserRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                decode_user(row).map(UserRow)
            }
        }

        impl<'r> FromRow<'r, $row> for SessionRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(SessionRow(Session {
                    user: decode_user(row)?,
                    csrf_token: row.try_get("csrf_token")?,
                    expires_at: time_col(row, "expires_at")?,
                }))
            }
        }

        impl<'r> FromRow<'r, $row> for SubscriptionViewRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                let SubscriptionRow(subscription) = SubscriptionRow::from_row(row)?;
                let category_id: Option<i64> = row.try_get("category_id")?;
                let category_id = category_id.map(CategoryId);
                Ok(SubscriptionViewRow(SubscriptionView {
                    settings: SubscriptionSettings {
                        title_override: subscription.title_override.clone(),
                        category: category_id,
                        min_interval_secs: row.try_get("min_interval_secs")?,
                        max_interval_secs: row.try_get("max_interval_secs")?,
                        paused: row.try_get("paused")?,
                    },
                    subscription,
                    category_id,
                    unread_count: row.try_get("unread_count")?,
                    newest_entry_at: opt_time_col(row, "newest_entry_at")?,
                }))
            }
        }

        impl<'r> FromRow<'r, $row> for CategoryRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                let parent: Option<i64> = row.try_get("parent_id")?;
                Ok(CategoryRow(Category {
                    id: CategoryId(row.try_get("id")?),
                    parent: parent.map(CategoryId),
                    name: row.try_get("name")?,
                    path: row.try_get("path")?,
                    feed_count: row.try_get("feed_count")?,
                    unread_count: row.try_get("unread_count")?,
                }))
            }
        }

        impl<'r> FromRow<'r, $row> for PagedRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                let RiverRow(item) = RiverRow::from_row(row)?;
                Ok(PagedRow(item, time_col(row, "sort_at")?))
            }
        }

        impl<'r> FromRow<'r, $row> for SearchRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                let RiverRow(item) = RiverRow::from_row(row)?;
                let snippet: Option<String> = row.try_get("snippet")?;
                Ok(SearchRow(
                    item,
                    row.try_get("score")?,
                    snippet.unwrap_or_default(),
                ))
            }
        }

        impl<'r> FromRow<'r, $row> for ApiTokenRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(ApiTokenRow(ApiToken {
                    id: row.try_get("token_id")?,
                    user_id: UserId(row.try_get("token_user_id")?),
                    description: row.try_get("token_description")?,
                    created_at: time_col(row, "token_created_at")?,
                    last_used_at: opt_time_col(row, "token_last_used_at")?,
                }))
            }
        }

        impl<'r> FromRow<'r, $row> for ApiItemRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                let RiverRow(item) = RiverRow::from_row(row)?;
                Ok(ApiItemRow(ApiItem {
                    item,
                    created_at: time_col(row, "api_created_at")?,
                    changed_at: time_col(row, "api_changed_at")?,
                }))
            }
        }

        impl<'r> FromRow<'r, $row> for EntryRefRow {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(EntryRefRow(EntryRef {
                    id: EntryId(row.try_get("ref_id")?),
                    feed_id: FeedId(row.try_get("ref_feed_id")?),
                    published: time_col(row, "ref_published")?,
                    created_at: time_col(row, "ref_created_at")?,
                }))
            }
        }
    };
}

mod sqlite_rows {
    use super::*;
    use sqlx::{FromRow, Row};
    decoders!(SqliteRow);
}

mod postgres_rows {
    use super::*;
    use sqlx::{FromRow, Row};
    decoders!(PgRow);
}
