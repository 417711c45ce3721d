use tributary_model::{Feed, FeedId, Subscription};

use super::*;
use crate::digest::testutil::{item, source};

fn subscription(id: i64, title: &str, category: Option<&str>) -> Subscription {
    let mut feed = Feed::new(FeedId(id), format!("https://feed{id}.example/feed.xml"));
    feed.title = Some(title.to_owned());
    feed.site_url = Some(format!("https://feed{id}.example/"));
    Subscription {
        feed,
        title_override: None,
        category: category.map(str::to_owned),
        entry_count: 1,
    }
}

struct Data {
    river: Vec<RiverItem>,
    categories: Vec<CategoryRiver>,
    subscriptions: Vec<Subscription>,
}

fn data() -> Data {
    let a = source(1, "Alpha");
    let b = source(2, "Beta <b>");
    let first = item(1, &a, "First & best", Some("https://x.example/1"));
    let second = item(2, &b, "Second", Some("https://x.example/2"));
    Data {
        river: vec![first.clone(), second.clone()],
        categories: vec![
            CategoryRiver {
                path: "Net/Vendors".into(),
                items: vec![first],
            },
            CategoryRiver {
                path: "Net vendors".into(),
                items: vec![second],
            },
        ],
        subscriptions: vec![
            subscription(1, "Alpha", Some("Net/Vendors")),
            subscription(2, "Beta <b>", Some("Net vendors")),
        ],
    }
}

fn site(d: &Data, templates: &SiteTemplates, link: Option<&str>) -> Vec<SiteFile> {
    render(
        templates,
        &SiteInput {
            river: &d.river,
            categories: &d.categories,
            subscriptions: &d.subscriptions,
        },
        &SiteOptions {
            title: "Planet & co".into(),
            link: link.map(str::to_owned),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn text<'a>(files: &'a [SiteFile], path: &str) -> &'a str {
    let file = files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path} in {:?}", paths(files)));
    std::str::from_utf8(&file.bytes).expect("utf-8")
}

fn paths(files: &[SiteFile]) -> Vec<&str> {
    files.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn every_file_of_the_site_is_there() {
    let d = data();
    let files = site(&d, &SiteTemplates::default(), None);
    assert_eq!(
        paths(&files),
        [
            "index.html",
            "atom.xml",
            "rss.xml",
            "feed.json",
            "opml.xml",
            "category/net-vendors/index.html",
            "category/net-vendors/atom.xml",
            "category/net-vendors-2/index.html",
            "category/net-vendors-2/atom.xml",
        ]
    );
}

#[test]
fn the_river_page_lists_entries_categories_and_sources_escaped() {
    let d = data();
    let files = site(&d, &SiteTemplates::default(), None);
    let index = text(&files, "index.html");
    assert!(index.starts_with("<!doctype html>"), "{index}");
    assert!(index.contains("<title>Planet &amp; co</title>"), "{index}");
    assert!(
        index.contains(r#"<a href="https://x.example/1">First &amp; best</a>"#),
        "{index}"
    );
    assert!(index.contains("Beta &lt;b&gt;"), "{index}");
    assert!(!index.contains("<b>"), "{index}");
    assert!(
        index.contains(r#"<a href="category/net-vendors/index.html">Net/Vendors</a>"#),
        "{index}"
    );
    assert!(index.contains(r#"href="atom.xml""#));
    assert!(index.contains(r#"href="opml.xml""#));
    assert!(!index.contains("<script"));
    let page = text(&files, "category/net-vendors/index.html");
    assert!(page.contains("First &amp; best"), "{page}");
    assert!(!page.contains("Second"), "{page}");
    assert!(page.contains(r#"href="../../index.html""#), "{page}");
    assert!(page.contains(r#"href="atom.xml""#), "{page}");
}

#[test]
fn feeds_parse_and_carry_absolute_self_links_when_the_site_has_a_url() {
    let d = data();
    let files = site(
        &d,
        &SiteTemplates::default(),
        Some("https://planet.example/news"),
    );
    let atom: atom_syndication::Feed = text(&files, "atom.xml").parse().expect("atom");
    assert_eq!(atom.entries.len(), 2);
    let links: Vec<_> = atom
        .links
        .iter()
        .map(|l| (l.rel.as_str(), l.href.as_str()))
        .collect();
    assert_eq!(
        links,
        [
            ("alternate", "https://planet.example/news/"),
            ("self", "https://planet.example/news/atom.xml")
        ]
    );
    let rss = rss::Channel::read_from(text(&files, "rss.xml").as_bytes()).expect("rss");
    assert_eq!(rss.items.len(), 2);
    let json: serde_json::Value = serde_json::from_str(text(&files, "feed.json")).expect("json");
    assert_eq!(json["feed_url"], "https://planet.example/news/feed.json");
    let cat: atom_syndication::Feed = text(&files, "category/net-vendors/atom.xml")
        .parse()
        .expect("category atom");
    assert_eq!(cat.entries.len(), 1);
    assert_eq!(cat.title.value, "Planet & co: Net/Vendors");
    assert!(cat.links.iter().any(|l| l.rel == "self"
        && l.href == "https://planet.example/news/category/net-vendors/atom.xml"));
    let opml = text(&files, "opml.xml");
    assert!(opml.contains("https://feed1.example/feed.xml"), "{opml}");
}

#[test]
fn the_same_data_gives_the_same_bytes_and_a_new_entry_changes_the_feeds() {
    let d = data();
    let t = SiteTemplates::default();
    let one = site(&d, &t, None);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(one, site(&d, &t, None), "no clock in the output");
    let mut d2 = data();
    let c = source(3, "Gamma");
    let mut newer = item(0, &c, "Newest", Some("https://x.example/0"));
    newer.entry.published += chrono::Duration::days(1);
    d2.river.insert(0, newer);
    let two = site(&d2, &t, None);
    assert_ne!(text(&one, "index.html"), text(&two, "index.html"));
    assert_ne!(text(&one, "atom.xml"), text(&two, "atom.xml"));
    // The new entry is in no category: the category files stay as they were.
    for path in [
        "category/net-vendors/index.html",
        "category/net-vendors/atom.xml",
    ] {
        assert_eq!(text(&one, path), text(&two, path), "{path}");
    }
}

#[test]
fn overrides_replace_built_in_templates() {
    let d = data();
    let t = SiteTemplates::new(vec![(
        "index.html".into(),
        "<h1>{{ site.title }}</h1>{% for e in entries %}<p>{{ e.title }}</p>{% endfor %}".into(),
    )])
    .unwrap();
    let files = site(&d, &t, None);
    assert_eq!(
        text(&files, "index.html"),
        "<h1>Planet &amp; co</h1><p>First &amp; best</p><p>Second</p>\n"
    );
    // The category page still uses the built-in layout.
    assert!(text(&files, "category/net-vendors/index.html").contains("<!doctype html>"));
}

#[test]
fn broken_overrides_are_errors_with_the_name_and_line() {
    let e = SiteTemplates::new(vec![(
        "category.html".into(),
        "{% extends \"layout.html\" %}\n{% block content %}\n{% for e in entries %}\n{% endblock %}"
            .into(),
    )])
    .unwrap_err();
    match &e {
        SiteError::Template { name, line, .. } => {
            assert_eq!(name, "category.html");
            assert!(line.is_some_and(|l| l >= 3), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("category.html, line"), "{e}");

    // A misspelt variable is found before anything is rendered for real.
    let e = SiteTemplates::new(vec![(
        "index.html".into(),
        "line one\n{{ site.titel }}".into(),
    )])
    .unwrap_err();
    assert!(e.to_string().contains("index.html, line 2"), "{e}");

    let e = SiteTemplates::new(vec![("indx.html".into(), String::new())]).unwrap_err();
    assert!(matches!(e, SiteError::UnknownTemplate { .. }), "{e}");
    assert!(e.to_string().contains("indx.html"), "{e}");
}

#[test]
fn slugs_are_unique_and_readable() {
    assert_eq!(
        slugs(["Net/Vendors", "net vendors", "  ", "Ünïcode Näme", "!!"].into_iter()),
        [
            "net-vendors",
            "net-vendors-2",
            "category",
            "ünïcode-näme",
            "category-2"
        ]
    );
}

#[test]
fn an_empty_site_is_still_complete() {
    let files = render(
        &SiteTemplates::default(),
        &SiteInput {
            river: &[],
            categories: &[],
            subscriptions: &[],
        },
        &SiteOptions::default(),
    )
    .unwrap();
    assert_eq!(files.len(), 5);
    assert!(text(&files, "index.html").contains("Nothing here yet."));
}
