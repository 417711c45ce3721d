//! Full-text search on the engine under test (an SQLite file, or a
//! PostgreSQL database with `TRIBUTARY_TEST_POSTGRES`): the query language,
//! ranking, snippets, filters, and the index kept in sync with entry
//! inserts, updates and deletions (also of whole feeds) and filled at open
//! for entries stored before it existed.

mod common;

use common::{entry, fetch, follow, store, t};
use sqlx::Connection;
use tributary_model::UserId;
use tributary_store::testing::Scratch;
use tributary_store::{EntryQuery, SearchQuery, SearchResults, Store, StoreError, View};

/// The search index's table: FTS5's on SQLite, `entries_search` on PostgreSQL.
fn index_table(db: &Scratch) -> &'static str {
    match db.engine() {
        "postgres" => "entries_search",
        _ => "entries_fts",
    }
}

/// Run `sql` (one or more statements) on the database beside the store.
async fn exec(db: &Scratch, sql: &str) {
    if db.engine() == "postgres" {
        let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

async fn find(store: &Store, user: UserId, text: &str) -> SearchResults {
    store
        .search(
            user,
            &SearchQuery {
                text: text.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn titles(r: &SearchResults) -> Vec<&str> {
    r.hits.iter().map(|h| h.item.entry.title.as_str()).collect()
}

#[tokio::test]
async fn words_phrases_prefixes_exclusions_and_alternatives() {
    let (store, _dir) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    fetch(
        &store,
        feed,
        t(5, 0),
        vec![
            entry(
                "1",
                "Rust release",
                "<p>The new <b>compiler</b> is faster.</p>",
                t(1, 0),
            ),
            entry(
                "2",
                "Gardening",
                "<p>Compilers of seeds: a new release of tomatoes</p>",
                t(2, 0),
            ),
            entry(
                "3",
                "Café culture",
                "<p>Coffee &amp; espresso in Zürich</p>",
                t(3, 0),
            ),
        ],
    )
    .await;
    assert_eq!(
        titles(&find(&store, me, "compiler faster").await),
        ["Rust release"]
    );
    assert_eq!(find(&store, me, "compil*").await.total, 2);
    assert_eq!(
        titles(&find(&store, me, "\"new release\"").await),
        ["Gardening"]
    );
    assert_eq!(
        titles(&find(&store, me, "release -tomatoes").await),
        ["Rust release"]
    );
    let either = find(&store, me, "espresso OR tomatoes").await;
    assert_eq!(either.total, 2);
    // Diacritics and case do not matter; entities were decoded.
    assert_eq!(
        titles(&find(&store, me, "cafe zurich").await),
        ["Café culture"]
    );
    assert_eq!(titles(&find(&store, me, "COFFEE").await), ["Café culture"]);
    assert_eq!(
        find(&store, me, "&amp;").await.total,
        0,
        "no markup is indexed"
    );
    // The author is searched too.
    assert_eq!(find(&store, me, "author").await.total, 3);
    // FTS5 syntax is just words, never an error.
    for q in [
        "title:rust",
        "NEAR(rust compiler)",
        "rust AND",
        "\"unbalanced",
        "a:b:c",
        "(rust",
    ] {
        store
            .search(
                me,
                &SearchQuery {
                    text: q.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
    for q in ["", "!!!", "  ...  ", "-rust", "*"] {
        match store
            .search(
                me,
                &SearchQuery {
                    text: q.into(),
                    ..Default::default()
                },
            )
            .await
        {
            Err(StoreError::Invalid(reason)) => assert!(!reason.is_empty()),
            other => panic!("{q:?} gave {:?}", other.map(|r| r.total)),
        }
    }
}

#[tokio::test]
async fn titles_rank_above_bodies_and_snippets_mark_hits() {
    let (store, _dir) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    fetch(
        &store,
        feed,
        t(5, 0),
        vec![
            entry(
                "body",
                "Weekly notes",
                "<p>Some words, then zeppelin, then more words.</p>",
                t(3, 0),
            ),
            entry(
                "title",
                "Zeppelin history",
                "<p>Airships were large.</p>",
                t(1, 0),
            ),
        ],
    )
    .await;
    let found = find(&store, me, "zeppelin").await;
    assert_eq!(titles(&found), ["Zeppelin history", "Weekly notes"]);
    assert!(found.hits[0].rank > found.hits[1].rank);
    for hit in &found.hits {
        let hits: Vec<&str> = hit
            .snippet
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(hits.len(), 1, "{:?}", hit.snippet);
        assert!(
            hits[0].eq_ignore_ascii_case("zeppelin"),
            "{:?}",
            hit.snippet
        );
        assert!(hit
            .snippet
            .iter()
            .all(|p| !p.text.contains('\u{1}') && !p.text.contains('<')));
    }
    let body = &found.hits[1].snippet;
    let text: String = body.iter().map(|p| p.text.as_str()).collect();
    assert!(
        text.contains("Some words, then zeppelin, then more words."),
        "{text}"
    );
}

#[tokio::test]
async fn filters_limit_offset_and_total() {
    let (store, _dir) = store().await;
    let me = store.default_user().await.unwrap();
    let a = follow(&store, me, "https://a.example/feed", &["Net"]).await;
    let b = follow(&store, me, "https://b.example/feed", &["Net", "Sub"]).await;
    let c = follow(&store, me, "https://c.example/feed", &[]).await;
    fetch(
        &store,
        a,
        t(9, 0),
        (1..=5)
            .map(|i| entry(&format!("a{i}"), &format!("A{i}"), "walrus", t(i, 0)))
            .collect(),
    )
    .await;
    fetch(
        &store,
        b,
        t(9, 0),
        vec![entry("b1", "B1", "walrus", t(6, 0))],
    )
    .await;
    fetch(
        &store,
        c,
        t(9, 0),
        vec![entry("c1", "C1", "walrus", t(7, 0))],
    )
    .await;
    let q = |f: fn(&mut SearchQuery)| {
        let mut q = SearchQuery {
            text: "walrus".into(),
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let page = store
        .search(
            me,
            &q(|q| {
                q.limit = 3;
                q.offset = 2
            }),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 7);
    assert_eq!(page.hits.len(), 3);
    let all = store.search(me, &q(|q| q.limit = 100)).await.unwrap();
    let page_ids: Vec<_> = page.hits.iter().map(|h| h.item.entry.id).collect();
    let all_ids: Vec<_> = all.hits.iter().map(|h| h.item.entry.id).collect();
    assert_eq!(page_ids, all_ids[2..5]);

    let cats = store.categories(me).await.unwrap();
    let (net, sub) = (cats[0].id, cats[1].id);
    assert_eq!(
        store
            .search(
                me,
                &SearchQuery {
                    feed: Some(b),
                    ..q(|_| ())
                }
            )
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store
            .search(
                me,
                &SearchQuery {
                    category: Some(net),
                    ..q(|_| ())
                }
            )
            .await
            .unwrap()
            .total,
        6
    );
    assert_eq!(
        store
            .search(
                me,
                &SearchQuery {
                    category: Some(sub),
                    ..q(|_| ())
                }
            )
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store
            .search(
                me,
                &SearchQuery {
                    since: Some(t(3, 0)),
                    until: Some(t(6, 0)),
                    ..q(|_| ())
                }
            )
            .await
            .unwrap()
            .total,
        3
    );
    let first = all.hits[0].item.entry.id;
    store.set_read(me, first, true).await.unwrap();
    store.set_starred(me, first, true).await.unwrap();
    assert_eq!(
        store
            .search(me, &q(|q| q.unread_only = true))
            .await
            .unwrap()
            .total,
        6
    );
    let starred = store
        .search(me, &q(|q| q.starred_only = true))
        .await
        .unwrap();
    assert_eq!(starred.total, 1);
    assert_eq!(starred.hits[0].item.entry.id, first);
    assert!(starred.hits[0].item.read && starred.hits[0].item.starred);
}

#[tokio::test]
async fn the_index_follows_updates_and_deletions() {
    let (store, db) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    fetch(
        &store,
        feed,
        t(1, 0),
        vec![
            entry("1", "Old title", "<p>aardvark</p>", t(1, 0)),
            entry("2", "Other", "<p>aardvark too</p>", t(1, 0)),
        ],
    )
    .await;
    assert_eq!(find(&store, me, "aardvark").await.total, 2);
    // Same key, new content: the index has the new words only.
    fetch(
        &store,
        feed,
        t(2, 0),
        vec![
            entry("1", "New title", "<p>badger</p>", t(1, 0)),
            entry("2", "Other", "<p>aardvark too</p>", t(1, 0)),
        ],
    )
    .await;
    assert_eq!(find(&store, me, "aardvark").await.total, 1);
    assert_eq!(titles(&find(&store, me, "badger").await), ["New title"]);
    assert_eq!(find(&store, me, "old").await.total, 0);

    let other = find(&store, me, "aardvark").await.hits[0].item.entry.id;
    store.delete_entry(other).await.unwrap();
    assert_eq!(find(&store, me, "aardvark").await.total, 0);

    // A feed nobody follows any more goes with its index rows.
    store
        .unsubscribe(me, "https://a.example/feed")
        .await
        .unwrap();
    let again = follow(&store, me, "https://a.example/feed", &[]).await;
    // SQLite reuses the freed row ids, so stale index rows would show up
    // here (PostgreSQL's identities never come back).
    if db.engine() == "sqlite" {
        assert_eq!(again, feed);
    }
    fetch(
        &store,
        again,
        t(3, 0),
        vec![entry("9", "Fresh", "<p>nothing here</p>", t(3, 0))],
    )
    .await;
    assert_eq!(find(&store, me, "badger").await.total, 0);
    assert_eq!(find(&store, me, "fresh").await.total, 1);
}

#[tokio::test]
async fn entries_stored_before_the_index_are_indexed_at_open() {
    let (store, db) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    let many: Vec<_> = (0..1200)
        .map(|i| {
            entry(
                &i.to_string(),
                &format!("Item {i}"),
                "<p>ocelot</p>",
                t(1, 0),
            )
        })
        .collect();
    fetch(&store, feed, t(1, 0), many).await;
    store.close().await;
    drop(store);

    // Make the database look like one from before the index existed.
    exec(
        &db,
        &format!(
            "DELETE FROM {}; DELETE FROM settings WHERE key = 'search.backfilled'",
            index_table(&db)
        ),
    )
    .await;
    let store = db.open().await.unwrap();
    assert_eq!(find(&store, me, "ocelot").await.total, 1200);
    assert_eq!(
        store.setting("search.backfilled").await.unwrap().as_deref(),
        Some("yes")
    );
    // The entry pages still work on the reopened file.
    let page = store
        .entries(
            me,
            &EntryQuery {
                view: View::All,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 50);
    assert!(page.next.is_some());
}

/// Store three entries for each of `feeds`, all at once (so the write
/// queue takes them in batches); the result of each.
async fn fetch_all_at_once(
    store: &Store,
    feeds: &[tributary_model::FeedId],
    word: &str,
) -> Vec<Result<tributary_store::UpsertReport, StoreError>> {
    let tasks: Vec<_> = feeds
        .iter()
        .enumerate()
        .map(|(f, &feed)| {
            let store = store.clone();
            let entries = (0..3)
                .map(|i| {
                    entry(
                        &format!("{word}-{f}-{i}"),
                        &format!("Item {i} of {f}"),
                        &format!("<p>{word}</p>"),
                        t(1, 0),
                    )
                })
                .collect();
            tokio::spawn(async move {
                store
                    .record_success(feed, common::success(t(2, 0), entries))
                    .await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// Per feed: stored entry count, entries, fetch log rows.
async fn stored(db: &Scratch) -> Vec<(i64, i64, i64)> {
    const SQL: &str =
        "SELECT f.entry_count, (SELECT count(*) FROM entries e WHERE e.feed_id = f.id), \
                (SELECT count(*) FROM fetch_log l WHERE l.feed_id = f.id) \
           FROM feeds f ORDER BY f.id";
    if db.engine() == "postgres" {
        let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
        let rows = sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        rows
    } else {
        let mut conn = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
        let rows = sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        rows
    }
}

#[tokio::test]
async fn many_fetches_at_once_are_indexed_counted_and_logged_or_not_stored_at_all() {
    let (store, db) = store().await;
    let me = store.default_user().await.unwrap();
    let mut feeds = Vec::new();
    for f in 0..40 {
        feeds.push(follow(&store, me, &format!("https://f{f}.example/feed"), &[]).await);
    }
    // No entry can be indexed, so no fetch may be stored (no entry without
    // its index row, no count or log row without its entries). On SQLite:
    // an index row left behind for the id the first new entry gets; on
    // PostgreSQL (whose index rows go with their entries and whose ids
    // never come back): a trigger that refuses the index rows.
    let (break_index, mend_index) = if db.engine() == "postgres" {
        (
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
               $$ BEGIN RAISE EXCEPTION 'index refused'; END $$; \
             CREATE TRIGGER refuse BEFORE INSERT ON entries_search \
               FOR EACH ROW EXECUTE FUNCTION refuse()",
            "DROP TRIGGER refuse ON entries_search; DROP FUNCTION refuse()",
        )
    } else {
        (
            "INSERT INTO entries_fts (rowid, title, author, body) VALUES (1, 'x', NULL, 'narwhal')",
            "DELETE FROM entries_fts",
        )
    };
    exec(&db, break_index).await;
    for result in fetch_all_at_once(&store, &feeds, "narwhal").await {
        match result {
            Err(StoreError::Entry { .. }) => {}
            other => panic!("expected the entry's failure, got {other:?}"),
        }
    }
    assert!(stored(&db).await.iter().all(|&row| row == (0, 0, 0)));

    exec(&db, mend_index).await;
    for result in fetch_all_at_once(&store, &feeds, "walrus").await {
        assert_eq!(result.unwrap().new, 3);
    }
    assert_eq!(find(&store, me, "walrus").await.total, 40 * 3);
    assert_eq!(find(&store, me, "narwhal").await.total, 0);
    assert!(stored(&db).await.iter().all(|&row| row == (3, 3, 1)));
}

/// A snippet with its hits in brackets.
fn bracketed(hit: &tributary_store::SearchHit) -> String {
    hit.snippet
        .iter()
        .map(|p| {
            if p.hit {
                format!("[{}]", p.text)
            } else {
                p.text.clone()
            }
        })
        .collect()
}

#[tokio::test]
async fn snippets_are_the_passages_fts5_picks() {
    let (store, _db) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    let long: String = (0..80)
        .map(|i| format!("word{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    fetch(
        &store,
        feed,
        t(2, 0),
        vec![
            entry(
                "1",
                "Weekly notes",
                &format!("<p>{long} zeppelin {long}</p>"),
                t(1, 0),
            ),
            entry(
                "2",
                "Café culture",
                "<p>Coffee &amp; espresso in Zürich—Genève, l’été, près de Zürich.</p>",
                t(1, 0),
            ),
            entry(
                "3",
                "Phrases",
                &format!(
                    "<p>{long}. The new release of the compiler is out. \
                     Some new things, a release too. {long}</p>"
                ),
                t(1, 0),
            ),
        ],
    )
    .await;
    let snippet = |q: &'static str| {
        let store = store.clone();
        async move {
            let found = find(&store, me, q).await;
            assert_eq!(found.hits.len(), 1, "{q}");
            bracketed(&found.hits[0])
        }
    };
    let words = |from: usize, to: usize| {
        (from..=to)
            .map(|i| format!("word{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // 24 words around the hit, `…` where text is left out.
    assert_eq!(
        snippet("zeppelin").await,
        format!("…{} [zeppelin] {}…", words(69, 79), words(0, 11))
    );
    // Every match marked; punctuation between words kept; diacritics and
    // case do not matter.
    assert_eq!(
        snippet("zurich").await,
        "Coffee & espresso in [Zürich]—Genève, l’été, près de [Zürich]."
    );
    // A sentence start is preferred; a phrase is one mark.
    let tail = format!("Some new things, a release too. {}…", words(0, 9));
    assert_eq!(
        snippet("\"new release\"").await,
        format!("…The [new release] of the compiler is out. {tail}")
    );
    assert_eq!(
        snippet("compil*").await,
        format!("…The new release of the [compiler] is out. {tail}")
    );
    assert_eq!(
        snippet("release -zeppelin -cafe").await,
        "…The new [release] of the compiler is out. \
         Some new things, a [release] too. word0 word1 word2 word3 word4 word5 word6 \
         word7 word8 word9…"
    );
}
