//! Entries: `stream/contents/{stream}`, `stream/items/ids`,
//! `stream/items/contents`, the Atom streams `reader/atom/{stream}`, and the
//! writes `edit-tag` and `mark-all-as-read`.
//!
//! Streams list entries in the order they were stored (Google Reader's
//! crawl order), newest first unless `r=o`. The continuation `c` is the
//! decimal id of the last entry of the page: the next page starts right
//! after it, so paging never repeats or skips an entry, even while new
//! ones arrive.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde_json::{json, Value};
use tributary_model::{EntryId, FeedId};
use tributary_store::{ApiEntryQuery, ApiItem, ApiOrder, StoreError, User};

use super::auth::{Call, Params};
use super::ids::{self, State as Tag, Stream};
use super::{bad_request, json, ok, GrError, GrResult};
use crate::{AppState, WebError};

/// Entries per page when `n` is not given.
pub const DEFAULT_N: u32 = 20;
/// Most entries per page of contents.
pub const MAX_CONTENTS: u32 = 1000;
/// Most ids per page of `stream/items/ids`.
pub const MAX_IDS: u32 = 10_000;
/// Most ids of one `stream/items/contents`.
pub const MAX_ITEMS: usize = 1000;
/// Most ids of one `edit-tag` (clients mark thousands read at once).
pub const MAX_EDITS: usize = 10_000;
/// The scheme of Google Reader's Atom categories (newsboat looks for it).
const READER_SCHEME: &str = "http://www.google.com/reader/";

/// What a stream request resolved to.
struct Listing {
    /// The stream id, as the answer names it.
    id: String,
    /// Its title.
    title: String,
    /// The site of a feed stream.
    site: Option<String>,
    /// The store query (filters, order; no paging yet).
    query: ApiEntryQuery,
    /// Page size.
    n: u32,
}

/// The category paths (labels) of the feeds of `items`, by feed.
async fn labels(
    state: &AppState,
    user: &User,
    items: &[ApiItem],
) -> GrResult<HashMap<FeedId, String>> {
    let mut feeds: Vec<FeedId> = items.iter().map(|i| i.item.entry.feed_id).collect();
    feeds.sort_unstable_by_key(|f| f.0);
    feeds.dedup();
    Ok(state
        .store
        .subscription_views_of(user.id, &feeds)
        .await?
        .into_iter()
        .filter_map(|v| {
            let path = v.subscription.category.clone()?;
            Some((v.subscription.feed.id, path))
        })
        .collect())
}

fn not_found(what: String) -> GrError {
    GrError::from(StoreError::NotFound(what))
}

/// Turn a stream id and the paging parameters into a listing.
async fn listing(
    state: &AppState,
    user: &User,
    stream: &str,
    params: &Params,
    max_n: u32,
) -> GrResult<Listing> {
    let parsed = ids::parse_stream(stream, user.id.0).map_err(bad_request)?;
    let mut query = ApiEntryQuery {
        order: ApiOrder::Id,
        descending: true,
        ..Default::default()
    };
    let (title, site) = scope(state, user, &parsed, &mut query).await?;
    for xt in params.all("xt") {
        match ids::parse_stream(xt, user.id.0).map_err(|e| bad_request(format!("xt: {e}")))? {
            Stream::State(Tag::Read) => narrow(&mut query, Flag::Read, false),
            Stream::State(Tag::Starred) => narrow(&mut query, Flag::Starred, false),
            Stream::State(Tag::KeptUnread | Tag::Fresh) => narrow(&mut query, Flag::Read, true),
            Stream::State(Tag::ReadingList) => query.ids = Some(Vec::new()),
            Stream::State(Tag::Other) => {}
            _ => {
                return Err(bad_request(format!(
                    "xt={xt:?}: only states can be excluded"
                )))
            }
        }
    }
    for it in params.all("it") {
        match ids::parse_stream(it, user.id.0).map_err(|e| bad_request(format!("it: {e}")))? {
            Stream::State(Tag::Read) => narrow(&mut query, Flag::Read, true),
            Stream::State(Tag::Starred) => narrow(&mut query, Flag::Starred, true),
            Stream::State(Tag::KeptUnread | Tag::Fresh) => narrow(&mut query, Flag::Read, false),
            Stream::State(Tag::ReadingList) => {}
            Stream::State(Tag::Other) => query.ids = Some(Vec::new()),
            _ => {
                return Err(bad_request(format!(
                    "it={it:?}: only states can be included"
                )))
            }
        }
    }
    query.created_after = seconds(params, "ot")?;
    query.created_before = seconds(params, "nt")?;
    match params.get("r").map(str::trim) {
        None | Some("" | "n" | "d") => {}
        Some("o") => query.descending = false,
        Some(r) => {
            return Err(bad_request(format!(
                "r must be o (oldest first) or n (newest first), not {r:?}"
            )))
        }
    }
    if let Some(c) = params.get("c").map(str::trim).filter(|c| !c.is_empty()) {
        let after: i64 = c.parse().map_err(|_| {
            bad_request(format!(
                "c={c:?} is not a continuation this server gave (they are numbers)"
            ))
        })?;
        if query.descending {
            query.before_id = Some(EntryId(after));
        } else {
            query.after_id = Some(EntryId(after));
        }
    }
    let n = match params.int("n")? {
        None | Some(0) => DEFAULT_N,
        Some(n) if n < 0 => return Err(bad_request(format!("n must be positive, not {n}"))),
        Some(n) => u32::try_from(n).unwrap_or(max_n).min(max_n),
    };
    Ok(Listing {
        id: stream.trim().to_owned(),
        title,
        site,
        query,
        n,
    })
}

/// A reading-state flag of [`ApiEntryQuery`].
#[derive(Clone, Copy)]
enum Flag {
    Read,
    Starred,
}

/// Require `flag == value` on top of what `query` already asks: a
/// contradiction (`s=…/read&xt=…/read`) leaves nothing to list.
fn narrow(query: &mut ApiEntryQuery, flag: Flag, value: bool) {
    let slot = match flag {
        Flag::Read => &mut query.read,
        Flag::Starred => &mut query.starred,
    };
    match *slot {
        Some(v) if v != value => query.ids = Some(Vec::new()),
        _ => *slot = Some(value),
    }
}

/// Narrow `query` to a stream; its title and site.
async fn scope(
    state: &AppState,
    user: &User,
    stream: &Stream,
    query: &mut ApiEntryQuery,
) -> GrResult<(String, Option<String>)> {
    Ok(match stream {
        Stream::State(tag) => {
            match tag {
                Tag::ReadingList => {}
                Tag::Read => query.read = Some(true),
                Tag::Starred => query.starred = Some(true),
                Tag::KeptUnread | Tag::Fresh => query.read = Some(false),
                Tag::Other => query.ids = Some(Vec::new()),
            }
            let title = match tag {
                Tag::Starred => "Starred",
                Tag::Read => "Read",
                Tag::KeptUnread | Tag::Fresh => "Unread",
                _ => "Reading list",
            };
            (format!("{} – {title}", state.config.site_title), None)
        }
        Stream::Feed(url) => {
            let view = ids::followed(&state.store, user.id, url)
                .await?
                .ok_or_else(|| not_found(format!("you do not follow the feed {url}")))?;
            query.feed = Some(view.subscription.feed.id);
            (
                view.subscription.display_title().to_owned(),
                view.subscription.feed.site_url.clone(),
            )
        }
        Stream::Label(name) => {
            let categories = state.store.categories(user.id).await?;
            let c = categories
                .iter()
                .find(|c| c.path == *name)
                .ok_or_else(|| not_found(format!("you have no label {name:?}")))?;
            query.category = Some(c.id);
            (c.path.clone(), None)
        }
    })
}

/// A time parameter in seconds since 1970 (`ot`, `nt`).
fn seconds(params: &Params, name: &str) -> GrResult<Option<DateTime<Utc>>> {
    match params.int(name)? {
        None => Ok(None),
        Some(t) => Utc
            .timestamp_opt(t, 0)
            .single()
            .map(Some)
            .ok_or_else(|| bad_request(format!("{name}={t} is not a time in seconds"))),
    }
}

/// A page of a listing and the continuation to the next, if there is one.
async fn page(
    state: &AppState,
    user: &User,
    listing: &Listing,
) -> GrResult<(Vec<ApiItem>, Option<String>)> {
    let mut query = listing.query.clone();
    query.limit = Some(listing.n + 1);
    let mut items = state.store.api_entries(user.id, &query).await?.items;
    let more = items.len() > listing.n as usize;
    items.truncate(listing.n as usize);
    crate::privacy::serve_api_items(state, user.id, &mut items).await?;
    let continuation = more
        .then(|| items.last().map(|i| i.item.entry.id.0.to_string()))
        .flatten();
    Ok((items, continuation))
}

fn usec(t: DateTime<Utc>) -> String {
    t.timestamp_micros().to_string()
}

/// An entry's state tags (and its label).
fn categories(item: &ApiItem, labels: &HashMap<FeedId, String>, fresh: bool) -> Vec<String> {
    let mut out = vec![ids::READING_LIST.to_owned()];
    if item.item.read {
        out.push(ids::READ.to_owned());
    } else if fresh {
        out.push(ids::FRESH.to_owned());
    }
    if item.item.starred {
        out.push(ids::STARRED.to_owned());
    }
    if let Some(path) = labels.get(&item.item.entry.feed_id) {
        out.push(ids::label_stream(path));
    }
    out
}

/// The entry's HTML: content, else summary, else the escaped excerpt.
fn html(item: &ApiItem) -> String {
    let e = &item.item.entry;
    e.content_html
        .clone()
        .or_else(|| e.summary_html.clone())
        .unwrap_or_else(|| html_escape::encode_text(&e.excerpt).into_owned())
}

/// One entry as JSON.
fn item_json(item: &ApiItem, labels: &HashMap<FeedId, String>) -> Value {
    let e = &item.item.entry;
    let s = &item.item.source;
    let link = e.url.clone().unwrap_or_default();
    let enclosures: Vec<Value> = e
        .enclosures
        .iter()
        .map(|en| {
            json!({
                "href": en.url,
                "type": en.mime_type.clone().unwrap_or_default(),
                "length": en.length.map(|l| l.to_string()).unwrap_or_default(),
            })
        })
        .collect();
    let mut v = json!({
        "id": ids::long_id(e.id),
        "crawlTimeMsec": item.created_at.timestamp_millis().to_string(),
        "timestampUsec": usec(item.created_at),
        "published": e.published.timestamp(),
        "updated": e.updated.unwrap_or(e.published).timestamp(),
        "title": e.title,
        "canonical": [{ "href": link }],
        "alternate": [{ "href": link, "type": "text/html" }],
        "categories": categories(item, labels, false),
        "origin": {
            "streamId": ids::feed_stream(&s.feed_url),
            "title": s.title,
            "htmlUrl": s.site_url.clone().unwrap_or_default(),
        },
        "summary": { "direction": "ltr", "content": html(item) },
        "author": e.author.clone().unwrap_or_default(),
    });
    if !enclosures.is_empty() {
        v["enclosure"] = json!(enclosures);
    }
    v
}

/// The JSON of a stream's page.
fn contents_json(
    id: &str,
    title: &str,
    items: &[ApiItem],
    labels: &HashMap<FeedId, String>,
    continuation: Option<String>,
) -> Value {
    let now = Utc::now();
    let mut v = json!({
        "direction": "ltr",
        "id": id,
        "title": title,
        "description": "",
        "self": [{ "href": format!("{}/reader/api/0/stream/contents/{}", super::BASE, crate::outputs::paging::encode(id)) }],
        "author": "",
        "updated": now.timestamp(),
        "updatedUsec": usec(now),
        "items": items.iter().map(|i| item_json(i, labels)).collect::<Vec<_>>(),
    });
    if let Some(c) = continuation {
        v["continuation"] = json!(c);
    }
    v
}

/// `stream/contents/{stream}`: a page of a stream, JSON.
pub async fn contents(
    State(state): State<AppState>,
    Path(stream): Path<String>,
    call: Call,
) -> GrResult<Response> {
    contents_of(&state, &call, &stream).await
}

/// `stream/contents?s=…` (default: the reading list).
pub async fn contents_param(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    let stream = call.params.get("s").unwrap_or(ids::READING_LIST).to_owned();
    contents_of(&state, &call, &stream).await
}

async fn contents_of(state: &AppState, call: &Call, stream: &str) -> GrResult<Response> {
    check_output(&call.params)?;
    let listing = listing(state, &call.user, stream, &call.params, MAX_CONTENTS).await?;
    let (items, continuation) = page(state, &call.user, &listing).await?;
    let labels = labels(state, &call.user, &items).await?;
    Ok(json(contents_json(
        &listing.id,
        &listing.title,
        &items,
        &labels,
        continuation,
    )))
}

/// Only JSON is written by `/reader/api/0` (Atom is `/reader/atom`).
fn check_output(params: &Params) -> GrResult<()> {
    match params.get("output").map(str::trim) {
        None | Some("" | "json") => Ok(()),
        Some(o) => Err(bad_request(format!(
            "output={o:?} is not supported: use output=json, or reader/atom/… for Atom"
        ))),
    }
}

/// `stream/items/ids?s=…`: ids (decimal) of a stream, up to 10,000 a page.
pub async fn item_ids(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    check_output(&call.params)?;
    let stream = call
        .params
        .get("s")
        .ok_or_else(|| bad_request("stream/items/ids needs s=STREAM"))?
        .to_owned();
    let listing = listing(&state, &call.user, &stream, &call.params, MAX_IDS).await?;
    let mut query = listing.query.clone();
    query.limit = Some(listing.n + 1);
    let mut refs = state.store.api_entry_refs(call.user.id, &query).await?;
    let more = refs.len() > listing.n as usize;
    refs.truncate(listing.n as usize);
    // With includeAllDirectStreamIds=true: each entry's feed and label.
    let mut direct: HashMap<FeedId, Vec<String>> = HashMap::new();
    if call.params.get("includeAllDirectStreamIds") == Some("true") {
        for v in state.store.subscription_views(call.user.id).await? {
            let s = &v.subscription;
            let mut streams = vec![ids::feed_stream(&s.feed.url)];
            streams.extend(s.category.as_deref().map(ids::label_stream));
            direct.insert(s.feed.id, streams);
        }
    }
    let item_refs: Vec<Value> = refs
        .iter()
        .map(|r| {
            json!({
                "id": ids::short_id(r.id),
                "directStreamIds": direct.get(&r.feed_id).cloned().unwrap_or_default(),
                "timestampUsec": usec(r.created_at),
            })
        })
        .collect();
    let mut v = json!({ "itemRefs": item_refs });
    if more {
        if let Some(last) = refs.last() {
            v["continuation"] = json!(last.id.0.to_string());
        }
    }
    Ok(json(v))
}

/// `stream/items/count?s=…`: how many entries the stream has (with its
/// filters), as text; with `a=true` also the newest one's date
/// (`20174#July 16, 2014`).
pub async fn item_count(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    let stream = call
        .params
        .get("s")
        .ok_or_else(|| bad_request("stream/items/count needs s=STREAM"))?
        .to_owned();
    let listing = listing(&state, &call.user, &stream, &call.params, MAX_IDS).await?;
    let mut query = listing.query.clone();
    query.descending = true;
    query.limit = Some(1);
    query.with_total = true;
    let page = state.store.api_entries(call.user.id, &query).await?;
    let mut body = page.total.unwrap_or(0).to_string();
    if call.params.get("a") == Some("true") {
        if let Some(newest) = page.items.first() {
            body.push_str(&newest.created_at.format("#%B %-d, %Y").to_string());
        }
    }
    Ok(super::text(StatusCode::OK, body))
}

/// The `i=` ids of a request (at least one, at most `max`).
fn item_params(params: &Params, max: usize) -> GrResult<Vec<EntryId>> {
    let ids: Vec<EntryId> = params
        .all("i")
        .map(|i| ids::parse_item_id(i).map_err(bad_request))
        .collect::<GrResult<_>>()?;
    if ids.is_empty() {
        return Err(bad_request("give the items as i=ID (repeated)"));
    }
    if ids.len() > max {
        return Err(bad_request(format!(
            "at most {max} items at once, not {}",
            ids.len()
        )));
    }
    Ok(ids)
}

/// `stream/items/contents` (`i=` repeated): those entries, in the order
/// asked (ids of entries the user cannot see are left out).
pub async fn item_contents(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    check_output(&call.params)?;
    let wanted = item_params(&call.params, MAX_ITEMS)?;
    let query = ApiEntryQuery {
        ids: Some(wanted.clone()),
        limit: Some(wanted.len() as u32),
        ..Default::default()
    };
    let found = state.store.api_entries(call.user.id, &query).await?.items;
    let mut by_id: HashMap<EntryId, ApiItem> =
        found.into_iter().map(|i| (i.item.entry.id, i)).collect();
    let mut items: Vec<ApiItem> = wanted.iter().filter_map(|id| by_id.remove(id)).collect();
    crate::privacy::serve_api_items(&state, call.user.id, &mut items).await?;
    let labels = labels(&state, &call.user, &items).await?;
    Ok(json(contents_json(
        ids::READING_LIST,
        &format!("{} – Reading list", state.config.site_title),
        &items,
        &labels,
        None,
    )))
}

/// `edit-tag`: `i=` (repeated) with `a=` / `r=` states to add / remove:
/// `read`, `starred`, `kept-unread` (= unread). Other Google states are
/// accepted and ignored; labels on single items are not kept (Tributary
/// files feeds, not entries) and are ignored too.
pub async fn edit_tag(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    call.require_token()?;
    let items = item_params(&call.params, MAX_EDITS)?;
    let mut read: Option<bool> = None;
    let mut starred: Option<bool> = None;
    for (name, adding) in [("a", true), ("r", false)] {
        for tag in call.params.all(name) {
            let parsed = ids::parse_stream(tag, call.me())
                .map_err(|e| bad_request(format!("{name}: {e}")))?;
            match parsed {
                Stream::State(Tag::Read) => read = Some(adding),
                Stream::State(Tag::KeptUnread) if adding => read = Some(false),
                Stream::State(Tag::Starred) => starred = Some(adding),
                Stream::State(_) | Stream::Label(_) => {}
                Stream::Feed(_) => {
                    return Err(bad_request(format!("{name}={tag:?}: a feed is not a tag")))
                }
            }
        }
    }
    let tags = call.params.all("a").count() + call.params.all("r").count();
    if tags == 0 {
        return Err(bad_request("edit-tag needs a= or r= tags"));
    }
    if let Some(read) = read {
        state
            .store
            .set_read_many(call.user.id, &items, read)
            .await?;
    }
    if let Some(starred) = starred {
        state
            .store
            .set_starred_many(call.user.id, &items, starred)
            .await?;
    }
    Ok(ok())
}

/// `mark-all-as-read`: `s=` stream, `ts=` (microseconds): every unread
/// entry of the stream stored before `ts` (default: now) becomes read.
pub async fn mark_all_as_read(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    call.require_token()?;
    let stream = call
        .params
        .get("s")
        .ok_or_else(|| bad_request("mark-all-as-read needs s=STREAM"))?
        .to_owned();
    let parsed = ids::parse_stream(&stream, call.me()).map_err(bad_request)?;
    let mut query = ApiEntryQuery::default();
    scope(&state, &call.user, &parsed, &mut query).await?;
    query.read = Some(false);
    query.created_before = match call.params.int("ts")? {
        None => None,
        Some(us) => Some(
            Utc.timestamp_micros(us)
                .single()
                .ok_or_else(|| bad_request(format!("ts={us} is not a time in microseconds")))?,
        ),
    };
    let refs = state.store.api_entry_refs(call.user.id, &query).await?;
    let ids: Vec<EntryId> = refs.into_iter().map(|r| r.id).collect();
    for chunk in ids.chunks(5000) {
        state.store.set_read_many(call.user.id, chunk, true).await?;
    }
    Ok(ok())
}

/// `reader/atom`: the reading list as Atom.
pub async fn atom_reading_list(State(state): State<AppState>, call: Call) -> Response {
    atom_of(&state, &call, ids::READING_LIST)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `reader/atom/{stream}`: a stream as Atom 1.0 with Google's `gr:`
/// extensions (what newsboat's `feedhq` source reads).
pub async fn atom(
    State(state): State<AppState>,
    Path(stream): Path<String>,
    call: Call,
) -> Response {
    atom_of(&state, &call, &stream)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn atom_of(state: &AppState, call: &Call, stream: &str) -> GrResult<Response> {
    let listing = listing(state, &call.user, stream, &call.params, MAX_CONTENTS).await?;
    let (items, continuation) = page(state, &call.user, &listing).await?;
    let labels = labels(state, &call.user, &items).await?;
    let body = write_atom(&listing, &items, &labels, continuation.as_deref())
        .map_err(|e| GrError::Web(WebError::Internal(format!("writing Atom: {e}"))))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response())
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

type Xml = Writer<Vec<u8>>;

fn text_element(w: &mut Xml, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn write_atom(
    listing: &Listing,
    items: &[ApiItem],
    labels: &HashMap<FeedId, String>,
    continuation: Option<&str>,
) -> std::io::Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let mut feed = BytesStart::new("feed");
    feed.push_attribute(("xmlns", "http://www.w3.org/2005/Atom"));
    feed.push_attribute(("xmlns:gr", "http://www.google.com/schemas/reader/atom/"));
    feed.push_attribute(("gr:dir", "ltr"));
    w.write_event(Event::Start(feed))?;
    text_element(&mut w, "generator", "Tributary")?;
    let feed_id = match listing.id.strip_prefix(ids::FEED_PREFIX) {
        Some(url) => format!("tag:google.com,2005:reader/feed/{url}"),
        None => format!("tag:google.com,2005:reader/{}", listing.id),
    };
    text_element(&mut w, "id", &feed_id)?;
    text_element(&mut w, "title", &listing.title)?;
    if let Some(c) = continuation {
        text_element(&mut w, "gr:continuation", c)?;
    }
    if let Some(site) = &listing.site {
        w.create_element("link")
            .with_attributes([
                ("rel", "alternate"),
                ("href", site.as_str()),
                ("type", "text/html"),
            ])
            .write_empty()?;
    }
    let updated = items
        .iter()
        .map(|i| i.created_at)
        .max()
        .unwrap_or_else(Utc::now);
    text_element(&mut w, "updated", &rfc3339(updated))?;
    for item in items {
        let e = &item.item.entry;
        let s = &item.item.source;
        let mut entry = BytesStart::new("entry");
        let crawl = item.created_at.timestamp_millis().to_string();
        entry.push_attribute(("gr:crawl-timestamp-msec", crawl.as_str()));
        w.write_event(Event::Start(entry))?;
        let mut id = BytesStart::new("id");
        if let Some(guid) = &e.guid {
            id.push_attribute(("gr:original-id", guid.as_str()));
        }
        w.write_event(Event::Start(id))?;
        w.write_event(Event::Text(BytesText::new(&ids::long_id(e.id))))?;
        w.write_event(Event::End(BytesEnd::new("id")))?;
        for term in categories(item, labels, true) {
            let label = term.rsplit('/').next().unwrap_or("").to_owned();
            let label = match term.strip_prefix(ids::LABEL_PREFIX) {
                Some(path) => path.to_owned(),
                None => label,
            };
            w.create_element("category")
                .with_attributes([
                    ("term", term.as_str()),
                    ("scheme", READER_SCHEME),
                    ("label", label.as_str()),
                ])
                .write_empty()?;
        }
        text_element(&mut w, "title", &e.title)?;
        text_element(&mut w, "published", &rfc3339(e.published))?;
        text_element(
            &mut w,
            "updated",
            &rfc3339(e.updated.unwrap_or(e.published)),
        )?;
        if let Some(url) = &e.url {
            w.create_element("link")
                .with_attributes([
                    ("rel", "alternate"),
                    ("href", url.as_str()),
                    ("type", "text/html"),
                ])
                .write_empty()?;
        }
        for en in &e.enclosures {
            let mut link = BytesStart::new("link");
            link.push_attribute(("rel", "enclosure"));
            link.push_attribute(("href", en.url.as_str()));
            if let Some(t) = &en.mime_type {
                link.push_attribute(("type", t.as_str()));
            }
            w.write_event(Event::Empty(link))?;
        }
        w.create_element("content")
            .with_attribute(("type", "html"))
            .write_text_content(BytesText::new(&html(item)))?;
        if let Some(author) = e.author.as_deref().filter(|a| !a.is_empty()) {
            w.create_element("author")
                .write_inner_content(|w| text_element(w, "name", author))?;
        }
        let stream_id = ids::feed_stream(&s.feed_url);
        w.create_element("source")
            .with_attribute(("gr:stream-id", stream_id.as_str()))
            .write_inner_content(|w| {
                text_element(
                    w,
                    "id",
                    &format!("tag:google.com,2005:reader/feed/{}", s.feed_url),
                )?;
                text_element(w, "title", &s.title)?;
                if let Some(site) = &s.site_url {
                    w.create_element("link")
                        .with_attributes([("rel", "alternate"), ("href", site.as_str())])
                        .write_empty()?;
                }
                Ok(())
            })?;
        w.write_event(Event::End(BytesEnd::new("entry")))?;
    }
    w.write_event(Event::End(BytesEnd::new("feed")))?;
    String::from_utf8(w.into_inner())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
