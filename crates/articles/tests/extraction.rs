//! Extraction quality over real HTTP: every generated article page
//! (WordPress, Ghost, Hugo, Blogger shapes with navigation, sidebars,
//! share buttons, comments and related posts) is served on loopback and
//! fetched and extracted through `Articles::extract_url`: the article's
//! paragraphs are kept and the noise is not. The page readability gets
//! wrong is fixed by a site rule stored in the database.

mod common;

use chrono::Utc;
use common::{fetcher, site};
use tributary_articles::{ArticleSettings, Articles};
use tributary_extract::samples::score;
use tributary_store::testing::scratch;
use tributary_store::ArticleSite;
use url::Url;

#[tokio::test]
async fn article_text_is_kept_and_noise_is_not() {
    let site = site().await;
    let db = scratch().await.unwrap();
    let articles = Articles::new(
        db.open().await.unwrap(),
        fetcher(),
        ArticleSettings::default(),
    );
    for page in site.pages.iter().filter(|p| p.content_selector.is_none()) {
        let url = Url::parse(&site.url(&format!("/posts/{}", page.name))).unwrap();
        let a = articles.extract_url(&url, None).await.expect(&page.name);
        let s = score(page, &a.text);
        assert_eq!(s.kept, 1.0, "{}: {}", page.name, a.text);
        // At most the author's bio, which some themes put inside the article.
        assert!(s.leaked <= 1.0 / 24.0, "{}: {s:?}\n{}", page.name, a.text);
        for n in &page.noise {
            if n.starts_with("Comment ")
                || n.starts_with("Related post")
                || n.starts_with("Share on")
            {
                assert!(!a.text.contains(n.as_str()), "{}: {n}", page.name);
            }
        }
        assert_eq!(a.site_rule, None);
        assert!(
            a.title.as_deref().unwrap_or("").contains(&page.title),
            "{:?}",
            a.title
        );
    }
}

#[tokio::test]
async fn a_stored_site_rule_fixes_the_page_readability_gets_wrong() {
    let site = site().await;
    let db = scratch().await.unwrap();
    let store = db.open().await.unwrap();
    let articles = Articles::new(store.clone(), fetcher(), ArticleSettings::default());
    let page = site
        .pages
        .iter()
        .find(|p| p.content_selector.is_some())
        .unwrap();
    let url = Url::parse(&site.url(&format!("/posts/{}", page.name))).unwrap();

    let plain = articles.extract_url(&url, None).await.unwrap();
    let before = score(page, &plain.text);
    assert!(
        before.leaked > 0.1,
        "readability keeps the comments here: {before:?}"
    );

    store
        .put_article_site(&ArticleSite {
            host: "127.0.0.1".into(),
            content_selector: page.content_selector.unwrap().into(),
            remove_selectors: vec![],
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    let ruled = articles.extract_url(&url, None).await.unwrap();
    let after = score(page, &ruled.text);
    assert_eq!((after.kept, after.leaked), (1.0, 0.0), "{}", ruled.text);
    assert_eq!(ruled.site_rule.as_deref(), Some("127.0.0.1"));
}
