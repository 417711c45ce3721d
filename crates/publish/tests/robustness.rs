//! Every format renders any river without panicking, and the machine formats
//! stay well-formed whatever the strings hold (markup, entities, control
//! characters, `]]>`, non-ASCII).

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use tributary_model::{Enclosure, Entry, EntryId, FeedId, RiverItem, Source};
use tributary_publish::digest::{render, try_render, DigestOptions, Format};

/// Strings mixing the characters that break naive writers.
fn nasty() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "([a-zé漢 <>&\"'/;:#%?=\\]\\[\\x00-\\x1f\\u{FFFE}\\u{FFFF}]|]]>|&amp;|javascript:){0,12}",
    )
    .expect("valid regex")
}

prop_compose! {
    fn river_item()(
        feed in 0i64..4,
        id in 0i64..1000,
        title in nasty(),
        excerpt in nasty(),
        url in proptest::option::of(nasty()),
        canonical in proptest::option::of("https://x\\.example/[ab]"),
        guid in proptest::option::of(nasty()),
        author in proptest::option::of(nasty()),
        html in proptest::option::of(nasty()),
        category in nasty(),
        enclosure_url in nasty(),
        mime in proptest::option::of(nasty()),
        source_title in nasty(),
        site in proptest::option::of(nasty()),
        secs in 0i64..4_000_000_000,
    ) -> RiverItem {
        let published = Utc.timestamp_opt(secs, 0).single().unwrap_or_default();
        RiverItem {
            entry: Entry {
                id: EntryId(id),
                feed_id: FeedId(feed),
                key: format!("guid:{}", guid.clone().unwrap_or_default()),
                guid,
                url,
                canonical_url: canonical,
                title,
                author,
                content_html: html.clone(),
                summary_html: html,
                excerpt,
                published,
                updated: None,
                enclosures: vec![Enclosure { url: enclosure_url, mime_type: mime, length: Some(1), duration_secs: None }],
                categories: vec![category],
            },
            source: Source { feed_id: FeedId(feed), title: source_title.clone(), feed_url: source_title, site_url: site },
            read: false,
            starred: false,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_river_renders_well_formed(items in proptest::collection::vec(river_item(), 0..6), title in nasty(), link in proptest::option::of(nasty())) {
        let opts = DigestOptions { title, link, generated_at: Utc.timestamp_opt(1_700_000_000, 0).single().unwrap_or_default() ,
            links: Default::default(),};
        for format in Format::ALL {
            let out = try_render(&items, format, &opts);
            prop_assert!(out.is_ok(), "{format}: {:?}", out.err());
        }
        let atom = render(&items, Format::Atom, &opts);
        let feed = atom.parse::<atom_syndication::Feed>();
        prop_assert!(feed.is_ok(), "Atom: {:?}\n{atom}", feed.err());
        let rss_doc = render(&items, Format::Rss, &opts);
        let channel = rss::Channel::read_from(rss_doc.as_bytes());
        prop_assert!(channel.is_ok(), "RSS: {:?}\n{rss_doc}", channel.err());
        let json = render(&items, Format::Json, &opts);
        let value: Result<serde_json::Value, _> = serde_json::from_str(&json);
        prop_assert!(value.is_ok(), "JSON: {:?}", value.err());

        // Entry ids are unique within each document.
        if let Ok(feed) = feed {
            let mut ids: Vec<_> = feed.entries.iter().map(|e| e.id.clone()).collect();
            let n = ids.len();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), n);
        }
        let html = render(&items, Format::Html, &opts);
        prop_assert!(!html.contains("<script"));
        prop_assert!(!html.contains("href=\"javascript"));
    }
}
