//! JSON Feed 1.0 and 1.1 (<https://www.jsonfeed.org/version/1.1/>).
//!
//! Read directly with serde_json rather than through a feed library, whose model
//! cannot tell `home_page_url` from `feed_url`, `content_html` from
//! `content_text`, or keep `duration_in_seconds`. Fields of the wrong JSON
//! type are ignored rather than failing the feed.

use serde_json::{Map, Value};
use url::Url;

use crate::resolve;
use crate::{
    date, FeedFormat, ParseError, ParsedEnclosure, ParsedEntry, ParsedFeed, Person, Text, TextKind,
};

/// Parse a JSON document that should be a JSON Feed.
pub(crate) fn parse(text: &str, doc_url: Option<&Url>) -> Result<ParsedFeed, ParseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ParseError::Json(e.to_string()))?;
    let Some(obj) = value.as_object() else {
        return Err(ParseError::NotAFeed(
            "a JSON document that is not a JSON Feed (not an object)".into(),
        ));
    };
    let version = str_field(obj, "version").unwrap_or_default();
    if !version.starts_with("https://jsonfeed.org/version/")
        && !version.starts_with("http://jsonfeed.org/version/")
    {
        return Err(ParseError::NotAFeed(
            "a JSON document that is not a JSON Feed (no jsonfeed.org version)".into(),
        ));
    }
    let url = |key: &str| str_field(obj, key).map(|u| resolve(doc_url, &u));
    let authors = people(obj);
    let entries = obj
        .get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_object)
                .map(|item| map_item(item, doc_url, &authors))
                .collect()
        })
        .unwrap_or_default();

    Ok(ParsedFeed {
        format: FeedFormat::JsonFeed,
        title: str_field(obj, "title").map(plain),
        site_url: url("home_page_url"),
        self_url: url("feed_url"),
        description: str_field(obj, "description").map(plain),
        language: str_field(obj, "language"),
        image_url: url("icon").or_else(|| url("favicon")),
        new_feed_url: None,
        ttl_minutes: None,
        updated: None,
        authors,
        entries,
        ..Default::default()
    })
}

fn map_item(
    item: &Map<String, Value>,
    doc_url: Option<&Url>,
    feed_authors: &[Person],
) -> ParsedEntry {
    let url = |key: &str| str_field(item, key).map(|u| resolve(doc_url, &u));
    // The spec allows numbers for ids in 1.0 feeds found in the wild.
    let id = match item.get("id") {
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty());

    let content = str_field(item, "content_html")
        .map(|v| Text {
            value: v,
            kind: TextKind::Html,
            ..Default::default()
        })
        .or_else(|| str_field(item, "content_text").map(plain));

    let attachments = item
        .get("attachments")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_object)
                .filter_map(|a| {
                    Some(ParsedEnclosure {
                        url: resolve(doc_url, &str_field(a, "url")?),
                        mime_type: str_field(a, "mime_type"),
                        length: a.get("size_in_bytes").and_then(as_u64),
                        duration_secs: a.get("duration_in_seconds").and_then(as_u64),
                    })
                })
                .collect()
        })
        .unwrap_or_default();

    let mut authors = people(item);
    if authors.is_empty() {
        // JSON Feed 1.1: items without authors inherit the feed's.
        authors = feed_authors.to_vec();
    }

    let categories = item
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(Value::as_str)
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();

    ParsedEntry {
        id,
        title: str_field(item, "title").map(plain),
        link: url("url").or_else(|| url("external_url")),
        authors,
        content,
        summary: str_field(item, "summary").map(plain),
        published: str_field(item, "date_published").and_then(|d| date::parse_date(&d)),
        updated: str_field(item, "date_modified").and_then(|d| date::parse_date(&d)),
        categories,
        enclosures: attachments,
        image_url: url("image").or_else(|| url("banner_image")),
        base_url: doc_url.map(|u| u.to_string()),
        ..Default::default()
    }
}

/// `authors` (1.1) or `author` (1.0) of a feed or item.
fn people(obj: &Map<String, Value>) -> Vec<Person> {
    let one = |v: &Value| -> Option<Person> {
        let a = v.as_object()?;
        let person = Person {
            name: str_field(a, "name"),
            email: None,
            uri: str_field(a, "url"),
        };
        (person.name.is_some() || person.uri.is_some()).then_some(person)
    };
    match obj.get("authors").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => list.iter().filter_map(one).collect(),
        _ => obj.get("author").and_then(one).into_iter().collect(),
    }
}

/// A non-empty string field, trimmed.
fn str_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A non-negative integer, also when written as a float or a numeric string.
fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn plain(value: String) -> Text {
    Text {
        value,
        kind: TextKind::Plain,
        ..Default::default()
    }
}
