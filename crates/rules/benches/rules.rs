//! The cost of rules at ingest: 20 rules (words, phrases, regular
//! expressions, boolean combinations, every field) over 1,000 entries with
//! realistic text (a title, ~2 KB of HTML content, categories, an
//! enclosure). Run: `cargo bench -p tributary-rules --bench rules`.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use tributary_model::{Enclosure, Entry, EntryId, FeedId};
use tributary_rules::{evaluate, Action, Condition, EntryText, Rule, Scope};

const RULES: [&str; 20] = [
    "title:sponsored",
    "\"sponsored post\" OR \"paid partnership\"",
    "category:podcast AND NOT enclosure:audio/mpeg",
    "author:/^(bot|admin)$/i",
    "url:/\\/ads?\\//",
    "content:giveaway AND NOT title:review",
    "title:/\\b(deal|sale|discount)s?\\b/i",
    "crypto OR blockchain OR nft",
    "category:networking AND (bgp OR ospf OR \"segment routing\")",
    "enclosure:video",
    "NOT category:rust",
    "title:\"breaking news\"",
    "content:/[0-9]{3}-[0-9]{4}/",
    "(webinar OR whitepaper) AND NOT author:ivan",
    "url:example.org",
    "title:weekly AND title:links",
    "content:\"affiliate link\"",
    "category:/^off[- ]topic$/i",
    "NOT (title:rust OR title:linux)",
    "kubernetes k8s",
];

fn entries() -> Vec<EntryText> {
    let words = "the quick network engineer configured bgp sessions on a leaf spine \
                 fabric while reviewing the routing table and the linux kernel ";
    (0..1000)
        .map(|i| {
            let content = format!("<p>{}</p><p>Item {i}.</p>", words.repeat(12));
            let entry = Entry {
                id: EntryId(i),
                feed_id: FeedId(1),
                key: format!("k{i}"),
                guid: None,
                url: Some(format!("https://blog.example.net/{i}/a-post-about-things")),
                canonical_url: None,
                title: format!("Post number {i} about routing"),
                author: Some("Jane Doe".into()),
                content_html: Some(content),
                summary_html: None,
                excerpt: String::new(),
                published: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                updated: None,
                enclosures: vec![Enclosure {
                    url: "https://cdn.example.net/a.mp3".into(),
                    mime_type: Some("audio/mpeg".into()),
                    length: None,
                    duration_secs: None,
                }],
                categories: vec!["Networking".into(), "BGP".into()],
            };
            EntryText::of(&entry)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rules: Vec<Rule> = RULES
        .iter()
        .enumerate()
        .map(|(i, src)| Rule {
            id: i as i64,
            scope: Scope::All,
            action: Action::Tag("t".into()),
            condition: Condition::parse(src).expect("bench rules parse"),
        })
        .collect();
    let texts = entries();
    c.bench_function("20 rules x 1000 entries", |b| {
        b.iter(|| evaluate(&rules, &texts, Duration::from_secs(60)))
    });
    c.bench_function("EntryText::of x 1000 entries", |b| b.iter(entries));
}

criterion_group!(benches, bench);
criterion_main!(benches);
