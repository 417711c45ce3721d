//! The JSON objects of the API, in Miniflux's shapes: users, categories,
//! feeds and entries. Fields Tributary has no concept for carry Miniflux's
//! neutral value (empty string, `false`, `0`, Go's zero time for a time
//! that never happened); Tributary's own fields are named `tributary_…`.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use tributary_model::{CategoryId, FeedId, FeedStatus, UserId};
use tributary_store::{ApiItem, Category, SubscriptionView, User};

use super::error::ApiResult;
use crate::AppState;

/// What Miniflux writes for a time that never happened (Go's zero time).
pub(crate) const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Reading speed Miniflux assumes (words a minute).
const WORDS_PER_MINUTE: usize = 265;

/// A time as RFC 3339 (UTC, `Z`, microseconds when there are any).
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A time that may never have happened.
fn time_or_zero(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| ZERO_TIME.to_owned(), time)
}

/// A user, with Miniflux's settings at their defaults (Tributary keeps
/// none of them).
pub(crate) fn user(u: &User) -> Value {
    json!({
        "id": u.id.0,
        "username": u.username,
        "is_admin": u.is_admin,
        "theme": "light_serif",
        "language": "en_US",
        "timezone": "UTC",
        "entry_sorting_direction": "asc",
        "entry_sorting_order": "published_at",
        "stylesheet": "",
        "custom_js": "",
        "external_font_hosts": "",
        "google_id": "",
        "openid_connect_id": "",
        "entries_per_page": 100,
        "keyboard_shortcuts": true,
        "show_reading_time": true,
        "entry_swipe": true,
        "gesture_nav": "tap",
        "last_login_at": null,
        "display_mode": "standalone",
        "default_reading_speed": WORDS_PER_MINUTE,
        "cjk_reading_speed": 500,
        "default_home_page": "unread",
        "categories_sorting_order": "unread_count",
        "mark_read_on_view": true,
        "mark_read_on_media_player_completion": false,
        "media_playback_rate": 1.0,
        "block_filter_entry_rules": "",
        "keep_filter_entry_rules": "",
        "always_open_external_links": false,
        "tributary_created_at": time(u.created_at),
    })
}

/// A category; `counts` adds Miniflux's `feed_count` and `total_unread`.
pub(crate) fn category(user: UserId, c: &Category, counts: bool) -> Value {
    let mut v = json!({
        "id": c.id.0,
        "title": c.name,
        "user_id": user.0,
        "hide_globally": false,
        "tributary_path": c.path,
        "tributary_parent_id": c.parent.map(|p| p.0),
    });
    if counts {
        v["feed_count"] = json!(c.feed_count);
        v["total_unread"] = json!(c.unread_count);
    }
    v
}

/// The category of an uncategorized feed (Miniflux files every feed in a
/// category; Tributary lets a feed have none). Id 0, never listed.
fn no_category(user: UserId) -> Value {
    json!({
        "id": 0,
        "title": "Uncategorized",
        "user_id": user.0,
        "hide_globally": false,
        "tributary_path": "",
        "tributary_parent_id": null,
    })
}

/// The user's categories by id.
pub(crate) type Categories = HashMap<CategoryId, Category>;

/// Categories by id.
pub(crate) fn by_id(categories: Vec<Category>) -> Categories {
    categories.into_iter().map(|c| (c.id, c)).collect()
}

/// A feed as the user follows it.
pub(crate) fn feed(user: UserId, view: &SubscriptionView, categories: &Categories) -> Value {
    let sub = &view.subscription;
    let f = &sub.feed;
    let category = view
        .category_id
        .and_then(|id| categories.get(&id))
        .map_or_else(|| no_category(user), |c| category(user, c, false));
    let disabled = view.settings.paused || f.status == FeedStatus::Disabled;
    json!({
        "id": f.id.0,
        "user_id": user.0,
        "feed_url": f.url,
        "site_url": f.site_url.as_deref().unwrap_or(""),
        "title": sub.display_title(),
        "checked_at": time_or_zero(f.last_fetched_at),
        "next_check_at": time_or_zero(f.next_fetch_at),
        "etag_header": f.etag.as_deref().unwrap_or(""),
        "last_modified_header": f.last_modified.as_deref().unwrap_or(""),
        "parsing_error_message": f.last_error.as_deref().unwrap_or(""),
        "parsing_error_count": f.error_count,
        "scraper_rules": "",
        "rewrite_rules": "",
        "crawler": false,
        "blocklist_rules": "",
        "keeplist_rules": "",
        "urlrewrite_rules": "",
        "user_agent": "",
        "cookie": "",
        "username": "",
        "password": "",
        "disabled": disabled,
        "no_media_player": false,
        "ignore_http_cache": false,
        "allow_self_signed_certificates": false,
        "fetch_via_proxy": false,
        "hide_globally": false,
        "apprise_service_urls": "",
        "category": category,
        "icon": null,
        "tributary_status": f.status.to_string(),
        "tributary_paused": view.settings.paused,
        "tributary_next_check_reason": f.next_fetch_reason,
        "tributary_unread_count": view.unread_count,
        "tributary_entry_count": sub.entry_count,
    })
}

/// The user's subscriptions and categories, to show entries with.
pub(crate) struct Lookup {
    /// Whose.
    user: UserId,
    /// Subscriptions by feed id.
    views: HashMap<FeedId, SubscriptionView>,
    /// Categories by id.
    categories: Categories,
    /// Full articles shown in place of the feed's content (docs/ARTICLES.md).
    articles: HashMap<tributary_model::EntryId, String>,
}

impl Lookup {
    /// Read the subscriptions of the feeds of `items`, and the user's
    /// categories, once.
    pub(crate) async fn load(
        state: &AppState,
        user: UserId,
        items: &[ApiItem],
    ) -> ApiResult<Lookup> {
        let categories = by_id(state.store.categories(user).await?);
        let mut feeds: Vec<FeedId> = items.iter().map(|i| i.item.entry.feed_id).collect();
        feeds.sort_unstable_by_key(|f| f.0);
        feeds.dedup();
        let views = state
            .store
            .subscription_views_of(user, &feeds)
            .await?
            .into_iter()
            .map(|v| (v.subscription.feed.id, v))
            .collect();
        let ids: Vec<_> = items.iter().map(|i| i.item.entry.id).collect();
        let articles = state
            .store
            .articles_shown(user, &ids, state.config.articles.default)
            .await?;
        // Articles are served like the feed's content: trackers out, media
        // through the proxy where this user has it.
        let view = crate::privacy::ServeView::for_api(state, user).await?;
        let rewrite = view.rewrite();
        let articles = if rewrite.is_noop() {
            articles
        } else {
            articles
                .into_iter()
                .map(|(id, html)| (id, rewrite.html(&html)))
                .collect()
        };
        Ok(Lookup {
            user,
            views,
            categories,
            articles,
        })
    }

    /// Entries with their feeds; each feed's JSON is made once.
    pub(crate) fn entries(&self, items: &[ApiItem]) -> Vec<Value> {
        let mut feeds: HashMap<FeedId, Value> = HashMap::new();
        items
            .iter()
            .map(|item| {
                let id = item.item.entry.feed_id;
                let feed = feeds
                    .entry(id)
                    .or_insert_with(|| self.feed_json(id))
                    .clone();
                self.entry(item, feed)
            })
            .collect()
    }

    /// The JSON of one of the user's feeds (`null` if it is not followed any more).
    fn feed_json(&self, id: FeedId) -> Value {
        self.views
            .get(&id)
            .map_or(Value::Null, |v| feed(self.user, v, &self.categories))
    }

    /// An entry with its feed's JSON.
    fn entry(&self, item: &ApiItem, feed: Value) -> Value {
        let e = &item.item.entry;
        let content = self
            .articles
            .get(&e.id)
            .map(String::as_str)
            .or(e.content_html.as_deref())
            .or(e.summary_html.as_deref())
            .unwrap_or("");
        let enclosures: Vec<Value> = e
            .enclosures
            .iter()
            .map(|x| {
                json!({
                    "id": 0,
                    "user_id": self.user.0,
                    "entry_id": e.id.0,
                    "url": x.url,
                    "mime_type": x.mime_type.as_deref().unwrap_or("application/octet-stream"),
                    "size": x.length.unwrap_or(0),
                    "media_progression": 0,
                })
            })
            .collect();
        json!({
            "id": e.id.0,
            "user_id": self.user.0,
            "feed_id": e.feed_id.0,
            "status": if item.item.read { "read" } else { "unread" },
            "hash": hex::encode(Sha256::digest(e.key.as_bytes())),
            "title": e.title,
            "url": e.url.as_deref().unwrap_or(""),
            "comments_url": "",
            "published_at": time(e.published),
            "created_at": time(item.created_at),
            "changed_at": time(item.changed_at),
            "content": content,
            "author": e.author.as_deref().unwrap_or(""),
            "share_code": "",
            "starred": item.item.starred,
            "reading_time": reading_time(content),
            "enclosures": enclosures,
            "tags": e.categories,
            "feed": feed,
            "tributary_excerpt": e.excerpt,
        })
    }
}

/// Minutes to read an HTML text at Miniflux's default speed (rounded up).
pub(crate) fn reading_time(html: &str) -> usize {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().count().div_ceil(WORDS_PER_MINUTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_time_counts_words_outside_tags_rounded_up() {
        assert_eq!(reading_time(""), 0);
        assert_eq!(reading_time("<p>one two</p>"), 1);
        let long = "word ".repeat(WORDS_PER_MINUTE + 1);
        assert_eq!(
            reading_time(&format!("<div class=\"a b c\">{long}</div>")),
            2
        );
    }

    #[test]
    fn times_are_rfc3339_utc() {
        let t = DateTime::parse_from_rfc3339("2024-05-06T07:08:09Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time(t), "2024-05-06T07:08:09Z");
        assert_eq!(time_or_zero(None), ZERO_TIME);
    }
}
