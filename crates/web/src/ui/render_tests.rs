//! Every UI template rendered with sample data: escaping, the stable
//! selectors the browser tests use, messages next to fields, and the
//! assets linked (never inlined: the CSP allows no inline script or style).

use chrono::{TimeZone, Utc};
use minijinja::{context, Value};
use tributary_model::{Enclosure, Entry, EntryId, FeedId, RiverItem, Source};
use tributary_store::{DayFetches, FeedActivity, SnippetPart};

use super::assets::{app_css_url, app_js_url};
use super::forms::FieldErrors;
use super::views::{EntryFull, EntryRow};
use super::Page;
use crate::templates::Templates;

fn page(nav: &'static str) -> Page {
    Page {
        layout: crate::auth::PageContext {
            site_title: "Tributary <test>".into(),
            user: Some(tributary_store::User {
                id: tributary_model::UserId(1),
                username: "ann".into(),
                is_admin: false,
                has_password: true,
                created_at: Utc::now(),
            }),
            csrf: "tok\"en".into(),
            is_admin: false,
        },
        flash: None,
        nav,
        here: "/?after=1-2".into(),
    }
}

fn render(name: &str, page: &Page, extra: Value) -> String {
    let templates = Templates::load(None).expect("templates compile");
    let ctx = minijinja::value::merge_maps([extra, Value::from_serialize(page)]);
    // minijinja writes `/` as `&#x2f;`; browsers read both the same.
    templates
        .render(name, ctx)
        .expect("renders")
        .0
        .replace("&#x2f;", "/")
}

fn item(id: i64, title: &str, read: bool) -> RiverItem {
    RiverItem {
        entry: Entry {
            id: EntryId(id),
            feed_id: FeedId(7),
            key: format!("guid:{id}"),
            guid: None,
            url: Some(format!("https://a.example/{id}")),
            canonical_url: None,
            title: title.into(),
            author: Some("Bo & Co".into()),
            content_html: Some("<p>Hello <b>world</b></p>".into()),
            summary_html: None,
            excerpt: "An <excerpt>".into(),
            published: Utc.with_ymd_and_hms(2024, 3, 31, 12, 0, 0).unwrap(),
            updated: None,
            enclosures: vec![Enclosure {
                url: "https://a.example/ep.mp3".into(),
                mime_type: Some("audio/mpeg".into()),
                length: Some(12_000_000),
                duration_secs: Some(3723),
            }],
            categories: vec!["news".into()],
        },
        source: Source {
            feed_id: FeedId(7),
            title: "Feed <7>".into(),
            feed_url: "https://a.example/feed".into(),
            site_url: None,
        },
        read,
        starred: !read,
    }
}

#[test]
fn the_river_lists_entries_with_the_stable_selectors_and_escapes_text() {
    let now = Utc.with_ymd_and_hms(2024, 4, 1, 12, 0, 0).unwrap();
    let rows = vec![
        EntryRow::new(&item(1, "<script>alert(1)</script>", false), now),
        EntryRow::new(&item(2, "Second", true), now),
    ];
    let html = render(
        "river.html",
        &page("unread"),
        context! {
            title => "Unread", path => "/", entries => rows, older => "/?after=5-6",
            first_page => true, mark_scope => "all", mark_id => 0,
            older_than => "1711886400000000", settings => None::<i64>, note => None::<String>,
            empty => "Nothing", categories => Vec::<String>::new(), unread_total => 1,
        },
    );
    assert!(html.contains(r#"<meta name="csrf-token" content="tok&quot;en">"#));
    assert!(
        html.contains(r#"<article class="entry" data-entry-id="1" data-read="0" data-starred="1""#)
    );
    assert!(html.contains(r#"data-entry-id="2" data-read="1" data-starred="0""#));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains(r#"class="entry-title""#));
    assert!(html.contains(r#"<button type="submit" class="toggle-read">Mark read</button>"#));
    assert!(
        html.contains(r#"<button type="submit" class="star" aria-pressed="true">Unstar</button>"#)
    );
    assert!(html.contains(r#"href="/?after=5-6" rel="next">Older entries</a>"#));
    assert!(html.contains(r#"name="older_than" value="1711886400000000""#));
    assert!(html.contains(r#"aria-current="page">Unread</a>"#));
    assert!(html.contains(r#"id="q""#) && html.contains(r#"id="help""#));
    assert!(html.contains(r#"<form id="logout""#));
    assert!(html.contains("Tributary &lt;test&gt;"));
    assert!(html.contains("Signed in as <strong>ann</strong>"));
}

#[test]
fn the_script_and_style_are_linked_same_origin_never_inlined() {
    let html = render(
        "river.html",
        &page("all"),
        context! {
            title => "All", path => "/all", entries => Vec::<EntryRow>::new(), older => None::<String>,
            first_page => true, mark_scope => None::<String>, mark_id => 0, older_than => None::<String>,
            settings => None::<i64>, note => None::<String>, empty => "Nothing here",
            categories => Vec::<String>::new(), unread_total => 0,
        },
    );
    assert!(
        html.contains(&format!(r#"<script src="{}"></script>"#, app_js_url())),
        "{html}"
    );
    assert!(html.contains(&format!(
        r#"<link rel="stylesheet" href="{}">"#,
        app_css_url()
    )));
    assert!(
        !html.contains("<script>") && !html.contains("<style"),
        "{html}"
    );
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("Nothing here"));
}

#[test]
fn a_page_without_a_user_has_no_navigation_script_or_token() {
    let templates = Templates::load(None).expect("templates compile");
    let html = templates
        .render("base.html", context! { site_title => "T" })
        .expect("renders")
        .0;
    assert!(!html.contains("csrf-token"));
    assert!(!html.contains("<script"));
    assert!(html.contains(r#"<link rel="stylesheet" href="/static/app.css?v="#));
    assert!(html.contains(r#"<main id="main""#));
}

#[test]
fn the_entry_page_shows_content_as_html_the_player_and_the_original_link() {
    let now = Utc.with_ymd_and_hms(2024, 4, 1, 12, 0, 0).unwrap();
    let full = EntryFull::new(&item(3, "A <b>title</b>", true), now);
    let html = render(
        "entry.html",
        &page(""),
        context! { entry => full, marked_now => true, back => "/" },
    );
    assert!(html.contains("<p>Hello <b>world</b></p>"));
    assert!(html.contains("A &lt;b&gt;title&lt;/b&gt;"));
    assert!(
        html.contains(r#"<audio controls preload="none" src="https://a.example/ep.mp3"></audio>"#)
    );
    assert!(html.contains("12.0 MB") && html.contains("1:02:03"));
    assert!(html
        .contains(r#"href="https://a.example/3" rel="noopener noreferrer">Read the original</a>"#));
    assert!(html.contains("Marked as read because you opened it."));
    assert!(html.contains(">Keep unread</button>"));
    assert!(html.contains(r#"name="back" value="/entry/3?keep_unread=1""#));
}

#[test]
fn search_marks_hits_escapes_snippets_and_puts_errors_next_to_fields() {
    let now = Utc.with_ymd_and_hms(2024, 4, 1, 12, 0, 0).unwrap();
    let mut errors = FieldErrors::default();
    errors.add("since", "“x” is not a date");
    let html = render(
        "search.html",
        &page("search"),
        context! {
            q => "rust", feed => "", category => "", since => "x", until => "",
            unread => false, starred => true, errors => errors,
            entries => vec![EntryRow::new(&item(4, "Rust", false), now)],
            snippets => vec![vec![
                SnippetPart { text: "learn <".into(), hit: false },
                SnippetPart { text: "Rust".into(), hit: true },
            ]],
            total => 31, page_no => 1, pages => 2, newer => None::<String>, older => "/search?q=rust&page=2",
            feeds => Vec::<String>::new(), categories => Vec::<String>::new(),
        },
    );
    assert!(html.contains("learn &lt;<mark>Rust</mark>"));
    assert!(html.contains(
        r#"id="f-since" name="since" value="x" aria-invalid="true" aria-describedby="e-since""#
    ));
    assert!(html.contains(r#"<p class="field-error" id="e-since">“x” is not a date</p>"#));
    assert!(html.contains("31 entries match (page 1 of 2)."));
    assert!(html.contains(r#"id="q" name="q" value="rust""#));
    assert_eq!(
        html.matches(r#"id="q""#).count(),
        1,
        "one search box on the search page"
    );
    assert!(html.contains(r#"id="f-starred" name="starred" value="1" checked"#));
}

#[test]
fn subscriptions_show_status_errors_and_the_chart() {
    let chart = super::chart::svg(
        "Feed",
        &FeedActivity {
            weekly_entries: vec![1; 52],
            daily_fetches: vec![
                DayFetches {
                    new: 0,
                    unchanged: 0,
                    failed: 1
                };
                30
            ],
        },
    );
    let html = render(
        "subscriptions.html",
        &page("subscriptions"),
        context! {
            count => 1, has_refresher => false,
            groups => vec![context! {
                name => "Blogs",
                feeds => vec![context! {
                    id => 9, title => "Feed <9>", url => "https://b.example/feed", site_url => None::<String>,
                    status => "error", status_text => "Failing.", last_error => "The server answered 404 Not Found",
                    note => None::<String>, last_fetch => "3 h ago", next_fetch => "due now", next_reason => "backoff after 3 errors",
                    entries => 12, unread => 3, chart => chart,
                }],
            }],
        },
    );
    assert!(html.contains("The server answered 404 Not Found"));
    assert!(html.contains("Feed &lt;9&gt;"));
    assert!(html.contains(r#"<svg class="chart" role="img""#));
    assert!(html.contains("<title>Feed: 52 entries in the last year"));
    assert!(html.contains("due now — backoff after 3 errors"));
    assert!(html.contains("12 stored, 3 unread"));
    assert!(html.contains(r#"<h2 id="g1">Blogs</h2>"#));
}

#[test]
fn the_add_form_and_the_choice_page_have_their_selectors() {
    let mut errors = FieldErrors::default();
    errors.add("url", "No feed here");
    let html = render(
        "add_feed.html",
        &page("subscriptions"),
        context! { url => "x", category => "", categories => Vec::<String>::new(), errors => errors,
        choices => Vec::<String>::new(), has_refresher => true },
    );
    assert!(html.contains(
        r#"<form method="post" action="/subscriptions/add" class="stack" id="add-feed">"#
    ));
    assert!(html.contains(r#"name="url" value="x""#));
    assert!(html.contains(r#"<p class="field-error" id="e-url">No feed here</p>"#));

    let html = render(
        "add_feed.html",
        &page("subscriptions"),
        context! { url => "https://site.example/", category => "", categories => Vec::<String>::new(),
        errors => FieldErrors::default(), has_refresher => true,
        choices => vec![context!{ url => "https://site.example/a.xml", title => "A" },
                        context!{ url => "https://site.example/b.xml", title => None::<String> }] },
    );
    assert_eq!(html.matches(r#"name="feed""#).count(), 2);
    assert!(html.contains(r#"value="https://site.example/a.xml" checked"#));
    assert!(html.contains("offers 2 feeds"));
}

#[test]
fn import_settings_delete_categories_and_confirmation_pages_render() {
    let html = render(
        "import.html",
        &page("subscriptions"),
        context! { error => "The file is too large", result => None::<String>, limit => "1.0 KB" },
    );
    assert!(
        html.contains(r#"id="import""#) && html.contains(r#"type="file" id="f-opml" name="opml""#)
    );
    assert!(html.contains(r#"<p class="field-error" id="e-opml">The file is too large</p>"#));

    let mut errors = FieldErrors::default();
    errors.add(
        "max_interval",
        "The longest wait must be at least the shortest one.",
    );
    let html = render(
        "feed_settings.html",
        &page("subscriptions"),
        context! { id => 5, feed_title => "F", feed_url => "https://f.example/", original_title => "F",
        form => context!{ title => None::<String>, category => "2", min_interval => "60", max_interval => "30", paused => None::<String> },
        paused => false, errors => errors,
        categories => vec![context!{ id => 2, path => "Blogs" }] },
    );
    assert!(html.contains(r#"<option value="2" selected>Blogs</option>"#));
    assert!(html.contains(r#"id="e-max_interval">The longest wait"#));
    assert!(html.contains(r#"name="min_interval" min="1" inputmode="numeric" value="60""#));

    let html = render(
        "feed_delete.html",
        &page("subscriptions"),
        context! { id => 5, feed_title => "F", entries => 3 },
    );
    assert!(html.contains(r#"action="/feed/5/delete""#));

    let mut errors = FieldErrors::default();
    errors.add("rename", "A sibling has that name");
    let html = render(
        "categories.html",
        &page("categories"),
        context! { categories => vec![context!{ id => 2, path => "Net/Vendors", name => "Vendors", feed_count => 1, unread_count => 4 }],
        errors => errors, error_for => 2, typed => "" },
    );
    assert!(html.contains(r#"action="/categories/2/rename""#));
    assert!(html.contains("A sibling has that name"));

    let html = render(
        "mark_all_read.html",
        &page(""),
        context! { what => "all your <unread> entries", scope => "all", id => "", older_than => "17",
        older_than_text => "2024-03-31 12:00 UTC", back => "/" },
    );
    assert!(html.contains("all your &lt;unread&gt; entries"));
    assert!(html.contains(r#"name="confirmed" value="1""#));
}
