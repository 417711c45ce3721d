//! The article worker end to end: a feed of excerpts served on loopback is
//! refreshed through the real pipeline into a real database, then one
//! worker round fetches the linked pages: the articles are stored beside
//! the feed's content (sanitized, article text kept, noise gone), the
//! complete entry is skipped by `auto`, and the bad links fail each with
//! its own clear stored error — a private address refused by the SSRF
//! guard, an oversize page refused at the body limit, an image, a 404 —
//! without stopping the others, and are not retried before their backoff.

mod common;

use chrono::Utc;
use common::{fetcher, site, LIMIT};
use tributary_articles::{ArticleSettings, Articles};
use tributary_refresh::{RefreshConfig, Refresher};
use tributary_store::testing::scratch;
use tributary_store::{ArticleStatus, FeedSelector, FullContent, NewSubscription};

#[tokio::test]
async fn a_worker_round_stores_articles_and_each_failure() {
    let site = site().await;
    let db = scratch().await.unwrap();
    let store = db.open().await.unwrap();
    let me = store.default_user().await.unwrap();
    store
        .subscribe(
            me,
            &[NewSubscription {
                url: site.url("/feed.xml"),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
    let feed = store.feeds_to_fetch(&FeedSelector::All).await.unwrap()[0].clone();
    let refresher = Refresher::new(store.clone(), fetcher(), RefreshConfig::default());
    let outcome = refresher.refresh_feed(&feed).await;
    assert!(
        matches!(
            outcome,
            tributary_refresh::FeedOutcome::Fetched { new: 17, .. }
        ),
        "{outcome:?}"
    );

    // The default mode is off: nothing to do.
    let off = Articles::new(
        store.clone(),
        fetcher(),
        ArticleSettings {
            default: FullContent::Off,
            ..Default::default()
        },
    );
    assert_eq!(off.run_once(Utc::now()).await.unwrap().candidates, 0);

    let articles = Articles::new(store.clone(), fetcher(), ArticleSettings::default());
    let report = articles.run_once(Utc::now()).await.unwrap();
    assert_eq!(report.candidates, 17, "{report:?}");
    assert_eq!(report.skipped, 1, "{report:?}");
    assert_eq!(report.fetched, 12, "{report:?}");
    assert_eq!(report.failed, 4, "{report:?}");

    let river = store.river(me, &Default::default()).await.unwrap();
    let by_guid = |g: &str| {
        river
            .iter()
            .find(|i| i.entry.guid.as_deref() == Some(g))
            .unwrap_or_else(|| panic!("entry {g}"))
            .entry
            .clone()
    };
    for page in site.pages.iter().filter(|p| p.content_selector.is_none()) {
        let entry = by_guid(&page.name);
        let a = store
            .entry_article(entry.id)
            .await
            .unwrap()
            .expect("article");
        assert_eq!(
            a.status,
            ArticleStatus::Ok,
            "{}: {:?}",
            page.name,
            a.last_error
        );
        let html = a.content_html.unwrap();
        let text = tributary_normalize::text::html_to_text(&html);
        let score = tributary_extract::samples::score(page, &text);
        assert_eq!(score.kept, 1.0, "{}", page.name);
        assert!(score.leaked <= 1.0 / 24.0, "{}: {score:?}", page.name);
        // Sanitized like feed content, URLs absolute against the page.
        assert!(
            !html.contains("<script") && !html.contains("<form"),
            "{html}"
        );
        if html.contains("see the notes") {
            assert!(
                html.contains(&format!("href=\"http://{}/notes/2/\"", site.addr)),
                "{html}"
            );
        }
        assert!(a.fetched_at.is_some());
        // The feed's own content is still the excerpt.
        assert!(entry
            .content_html
            .or(entry.summary_html)
            .unwrap()
            .contains("[…]"));
    }
    let skipped = store
        .entry_article(by_guid("complete").id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(skipped.status, ArticleStatus::Skipped);

    let failed = |g: &'static str| {
        let store = store.clone();
        let id = by_guid(g).id;
        async move {
            let a = store.entry_article(id).await.unwrap().expect(g);
            assert_eq!(a.status, ArticleStatus::Failed, "{g}");
            assert_eq!(a.attempts, 1, "{g}");
            assert!(a.next_attempt_at.unwrap() > Utc::now(), "{g} backs off");
            (a.last_error_code.unwrap(), a.last_error.unwrap())
        }
    };
    let (code, message) = failed("private").await;
    assert_eq!(code, "address_blocked", "{message}");
    assert!(message.contains("127.0.0.2"), "{message}");
    let (code, message) = failed("big").await;
    assert_eq!(code, "body_too_large");
    assert!(
        message.contains(&format!("larger than the {LIMIT}-byte limit")),
        "{message}"
    );
    let (code, message) = failed("image").await;
    assert_eq!(code, "not_html");
    assert!(message.contains("image/png"), "{message}");
    let (code, _) = failed("missing").await;
    assert_eq!(code, "http_not_found");

    // Nothing is due again yet.
    let again = articles.run_once(Utc::now()).await.unwrap();
    assert_eq!(again, Default::default(), "{again:?}");
    // Later, the failures are retried (and fail again, counted).
    let later = Utc::now() + chrono::Duration::hours(1);
    let retry = articles.run_once(later).await.unwrap();
    assert_eq!((retry.candidates, retry.failed), (4, 4), "{retry:?}");
    assert_eq!(
        store
            .entry_article(by_guid("missing").id)
            .await
            .unwrap()
            .unwrap()
            .attempts,
        2
    );

    // Switching the feed to on fetches the entry auto skipped.
    store
        .set_full_content(me, feed.id, Some(FullContent::On))
        .await
        .unwrap();
    let on = articles.run_once(Utc::now()).await.unwrap();
    assert_eq!((on.candidates, on.failed), (1, 1), "{on:?}");
    let (code, _) = failed("complete").await;
    assert_eq!(code, "http_not_found");
}
