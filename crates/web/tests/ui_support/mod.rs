//! Seeding and reading helpers of the UI tests: feeds with entries stored
//! the way a fetch stores them, and small HTML readers.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use tributary_model::{Enclosure, EntryId, FeedId, FeedMeta, NewEntry, UserId};
use tributary_store::{FeedSelector, FetchSuccess, NewSubscription, Store};

/// An entry published at `published`.
pub fn entry(guid: &str, title: &str, published: DateTime<Utc>) -> NewEntry {
    NewEntry {
        key: format!("guid:{guid}"),
        guid: Some(guid.to_owned()),
        url: Some(format!("https://site.example/{guid}")),
        canonical_url: Some(format!("https://site.example/{guid}")),
        title: title.to_owned(),
        author: Some("Ann".to_owned()),
        content_html: Some(format!("<p>Body of {title}</p>")),
        summary_html: None,
        excerpt: format!("Excerpt of {title}"),
        published,
        published_from_feed: true,
        updated: None,
        enclosures: vec![Enclosure {
            url: format!("https://site.example/{guid}.mp3"),
            mime_type: Some("audio/mpeg".to_owned()),
            length: Some(1234),
            duration_secs: Some(60),
        }],
        categories: vec![],
        content_hash: format!("hash {guid} {title}"),
    }
}

/// Subscribe `user` to `url` (in `category`, if any) and store `entries`
/// as a successful fetch of it. Returns the feed id.
pub async fn feed_with_entries(
    store: &Store,
    user: UserId,
    url: &str,
    title: &str,
    category: &[&str],
    entries: Vec<NewEntry>,
) -> FeedId {
    store
        .subscribe(
            user,
            &[NewSubscription {
                url: url.to_owned(),
                title: Some(title.to_owned()),
                site_url: None,
                category: category.iter().map(|c| (*c).to_owned()).collect(),
            }],
        )
        .await
        .expect("subscribe");
    let feed = store
        .feeds_to_fetch(&FeedSelector::Urls(vec![url.to_owned()]))
        .await
        .expect("feeds")
        .remove(0);
    let now = Utc::now();
    store
        .record_success(
            feed.id,
            FetchSuccess {
                fetched_at: now,
                next_fetch_at: now + Duration::hours(1),
                next_fetch_reason: "default 1 h".to_owned(),
                schedule_hints: Default::default(),
                status_note: None,
                body_hash: None,
                moved_to: None,
                etag: None,
                last_modified: None,
                meta: FeedMeta {
                    title: Some(title.to_owned()),
                    ..FeedMeta::default()
                },
                entries,
            },
        )
        .await
        .expect("record success");
    feed.id
}

/// Ids of the entries of `user`, newest first, with (read, starred).
pub async fn states(store: &Store, user: UserId) -> Vec<(EntryId, bool, bool)> {
    let page = store
        .entries(
            user,
            &tributary_store::EntryQuery {
                view: tributary_store::View::All,
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("entries");
    page.items
        .iter()
        .map(|i| (i.entry.id, i.read, i.starred))
        .collect()
}

/// Undo the HTML escaping of attribute values and text.
pub fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `href` of the first `<a …>` whose text is `text`.
pub fn link_to(html: &str, text: &str) -> Option<String> {
    let end = html.find(&format!(">{text}</a>"))?;
    let start = html[..end].rfind("<a ")?;
    let tag = &html[start..end];
    let h = tag.find("href=\"")? + 6;
    let e = h + tag[h..].find('"')?;
    Some(unescape(&tag[h..e]))
}
