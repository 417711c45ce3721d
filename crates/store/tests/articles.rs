//! Full article content against a fresh database of the engine under test
//! (an SQLite file, or PostgreSQL with `TRIBUTARY_TEST_POSTGRES`): the
//! per-subscription mode, which entries the worker is handed (default,
//! `on`, `auto`, skipped, failed with backoff, given up), articles stored
//! beside the feed's content and kept through a later failure, site rules,
//! and rows going away with their entry.

mod common;

use chrono::Duration;
use common::{entry, fetch, follow, ids, store, t};
use tributary_store::{ArticleSite, ArticleStatus, CandidateQuery, FullContent, StoreError};

fn query(default: FullContent, now: chrono::DateTime<chrono::Utc>) -> CandidateQuery {
    CandidateQuery {
        default,
        now,
        since: t(1, 0),
        max_attempts: 3,
        limit: 100,
    }
}

#[tokio::test]
async fn modes_candidates_and_stored_articles() {
    let (store, _db) = store().await;
    let me = store.default_user().await.unwrap();
    let other = store.ensure_user("other").await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    fetch(
        &store,
        feed,
        t(2, 0),
        vec![
            entry("a", "A", "<p>a […]</p>", t(2, 0)),
            entry("b", "B", "<p>b</p>", t(2, 1)),
        ],
    )
    .await;
    let entries = ids(&store, me).await;
    let a = entries.iter().find(|(g, _)| g == "a").unwrap().1;
    let b = entries.iter().find(|(g, _)| g == "b").unwrap().1;

    // The mode: none set follows the default; set, read back, cleared.
    assert_eq!(store.full_content(me, feed).await.unwrap(), None);
    assert!(store
        .article_candidates(&query(FullContent::Off, t(3, 0)))
        .await
        .unwrap()
        .is_empty());
    let auto = store
        .article_candidates(&query(FullContent::Auto, t(3, 0)))
        .await
        .unwrap();
    assert_eq!(auto.len(), 2);
    assert!(auto.iter().all(|c| !c.forced));
    assert_eq!(auto[0].entry_id, b, "newest first");
    assert_eq!(auto[1].content_html.as_deref(), Some("<p>a […]</p>"));
    assert_eq!(auto[1].url, "https://x.example/a");

    store
        .set_full_content(me, feed, Some(FullContent::On))
        .await
        .unwrap();
    assert_eq!(
        store.full_content(me, feed).await.unwrap(),
        Some(FullContent::On)
    );
    let on = store
        .article_candidates(&query(FullContent::Off, t(3, 0)))
        .await
        .unwrap();
    assert!(on.len() == 2 && on.iter().all(|c| c.forced));
    // Someone else's subscription: not found, and nothing changed.
    assert!(matches!(
        store
            .set_full_content(other, feed, Some(FullContent::Off))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.full_content(other, feed).await,
        Err(StoreError::NotFound(_))
    ));

    // auto skipped b; a is stored.
    store
        .set_full_content(me, feed, Some(FullContent::Auto))
        .await
        .unwrap();
    store.record_article_skipped(b, t(3, 0)).await.unwrap();
    store
        .record_article(a, "https://x.example/a", "<p>The whole of a.</p>", t(3, 0))
        .await
        .unwrap();
    assert!(store
        .article_candidates(&query(FullContent::Off, t(3, 1)))
        .await
        .unwrap()
        .is_empty());
    let stored = store.entry_article(a).await.unwrap().unwrap();
    assert_eq!(stored.status, ArticleStatus::Ok);
    assert_eq!(
        stored.content_html.as_deref(),
        Some("<p>The whole of a.</p>")
    );
    assert_eq!(stored.fetched_at, Some(t(3, 0)));
    // The feed's own content is untouched beside it.
    assert_eq!(
        store
            .entry(a)
            .await
            .unwrap()
            .unwrap()
            .content_html
            .as_deref(),
        Some("<p>a […]</p>")
    );
    assert_eq!(
        store.entry_article(b).await.unwrap().unwrap().status,
        ArticleStatus::Skipped
    );
    // Switching to on hands the skipped one over again (forced), not the stored one.
    store
        .set_full_content(me, feed, Some(FullContent::On))
        .await
        .unwrap();
    let again = store
        .article_candidates(&query(FullContent::Off, t(3, 1)))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].entry_id == b && again[0].forced);

    // Failures: retried when due, with the count; given up at max_attempts.
    for (i, at) in [t(4, 0), t(4, 1), t(4, 2)].into_iter().enumerate() {
        store
            .record_article_failure(
                b,
                "https://x.example/b",
                "http_not_found",
                "HTTP 404",
                at,
                at + Duration::minutes(30),
            )
            .await
            .unwrap();
        let f = store.entry_article(b).await.unwrap().unwrap();
        assert_eq!(f.status, ArticleStatus::Failed);
        assert_eq!(f.attempts, i as u32 + 1);
        assert_eq!(f.last_error_code.as_deref(), Some("http_not_found"));
        assert_eq!(f.next_attempt_at, Some(at + Duration::minutes(30)));
        let not_yet = store
            .article_candidates(&query(FullContent::Off, at))
            .await
            .unwrap();
        assert!(not_yet.is_empty(), "not due yet");
        let due = store
            .article_candidates(&query(FullContent::Off, at + Duration::hours(1)))
            .await
            .unwrap();
        if i + 1 < 3 {
            assert_eq!(due.len(), 1);
            assert_eq!(due[0].attempts, i as u32 + 1);
        } else {
            assert!(due.is_empty(), "given up after 3 attempts");
        }
    }
    // A later failure keeps a stored article (and says what went wrong).
    store
        .record_article_failure(
            a,
            "https://x.example/a",
            "timeout",
            "timed out",
            t(5, 0),
            t(5, 1),
        )
        .await
        .unwrap();
    let kept = store.entry_article(a).await.unwrap().unwrap();
    assert_eq!(kept.status, ArticleStatus::Ok);
    assert_eq!(kept.content_html.as_deref(), Some("<p>The whole of a.</p>"));
    assert_eq!(kept.last_error.as_deref(), Some("timed out"));
    // A success clears the error and the count.
    store
        .record_article(b, "https://x.example/b", "<p>b!</p>", t(6, 0))
        .await
        .unwrap();
    let b_ok = store.entry_article(b).await.unwrap().unwrap();
    assert_eq!((b_ok.attempts, b_ok.last_error), (0, None));

    // An unknown entry is NotFound; a deleted entry takes its article along.
    assert!(matches!(
        store
            .record_article(tributary_model::EntryId(999_999), "u", "x", t(6, 0))
            .await,
        Err(StoreError::NotFound(_))
    ));
    store.delete_entry(a).await.unwrap();
    assert!(store.entry_article(a).await.unwrap().is_none());
}

#[tokio::test]
async fn site_rules() {
    let (store, _db) = store().await;
    assert!(store.article_sites().await.unwrap().is_empty());
    let rule = ArticleSite {
        host: "blog.example".into(),
        content_selector: "div.post-body".into(),
        remove_selectors: vec![".share".into(), "aside.ad".into()],
        created_at: t(1, 0),
    };
    store.put_article_site(&rule).await.unwrap();
    assert_eq!(
        store.article_site("blog.example").await.unwrap(),
        Some(rule.clone())
    );
    let replaced = ArticleSite {
        content_selector: "article".into(),
        remove_selectors: vec![],
        created_at: t(2, 0),
        ..rule.clone()
    };
    store.put_article_site(&replaced).await.unwrap();
    assert_eq!(store.article_sites().await.unwrap(), vec![replaced]);
    assert!(store.article_site("other.example").await.unwrap().is_none());
    assert!(matches!(
        store
            .put_article_site(&ArticleSite {
                content_selector: " ".into(),
                ..rule.clone()
            })
            .await,
        Err(StoreError::Invalid(_))
    ));
    store.remove_article_site("blog.example").await.unwrap();
    assert!(matches!(
        store.remove_article_site("blog.example").await,
        Err(StoreError::NotFound(_))
    ));
}
