//! Feed discovery and OPML over the real pages and subscription lists in
//! the shared corpus (rsparser/html and rsparser/opml).

use std::path::{Path, PathBuf};

use tributary_parse::discover::{discover, looks_like_html};
use tributary_parse::opml::parse_opml;
use url::Url;

const RSPARSER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/realworld/rsparser"
);

fn path(rel: &str) -> PathBuf {
    Path::new(RSPARSER).join(rel)
}

fn discovered(page: &str, page_url: &str) -> Vec<String> {
    let html = std::fs::read(path(&format!("html/{page}"))).expect("corpus page");
    assert!(looks_like_html(&html), "{page} should look like HTML");
    let html = String::from_utf8_lossy(&html);
    let url = Url::parse(page_url).expect("static URL");
    discover(&html, &url)
        .into_iter()
        .map(|l| l.url.to_string())
        .collect()
}

#[test]
fn daring_fireball_relative_atom() {
    assert_eq!(
        discovered("DaringFireball.html", "https://daringfireball.net/"),
        ["https://daringfireball.net/feeds/main"]
    );
}

#[test]
fn youtube_ignores_alternates_without_feed_type() {
    assert_eq!(
        discovered(
            "YouTubeTheVolvoRocks.html",
            "https://www.youtube.com/user/TheVolvorocks"
        ),
        ["https://www.youtube.com/feeds/videos.xml?channel_id=UCct7QF2jcWRY6dhXWMSq9LQ"]
    );
}

#[test]
fn atlantic_two_feeds_in_order() {
    assert_eq!(
        discovered("coco.html", "https://www.theatlantic.com/some/article/"),
        [
            "https://www.theatlantic.com/feed/all/",
            "https://www.theatlantic.com/feed/best-of/"
        ]
    );
}

#[test]
fn single_feed_pages() {
    assert_eq!(
        discovered("furbo.html", "http://furbo.org/"),
        ["http://furbo.org/feed/"]
    );
    assert_eq!(
        discovered("inessential.html", "http://inessential.com/"),
        ["http://inessential.com/xml/rss.xml"]
    );
    assert_eq!(
        discovered("sixcolors.html", "https://sixcolors.com/"),
        ["http://feedpress.me/sixcolors"]
    );
}

#[test]
fn opml_subscription_lists() {
    for file in ["Subs.opml", "SubsNoTitleAttributes.opml"] {
        let bytes = std::fs::read(path(&format!("opml/{file}"))).expect("corpus OPML");
        let feeds = parse_opml(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(feeds.len(), 207, "{file}");
        assert_eq!(
            feeds[0].xml_url, "http://daringfireball.net/feeds/main",
            "{file}"
        );
        assert!(
            feeds.iter().all(|f| f.title.is_some()),
            "{file}: title falls back to text"
        );
        assert!(
            feeds.iter().any(|f| f.category == ["Programming"]),
            "{file}: nested category"
        );
        assert!(feeds.iter().all(|f| f.category.len() <= 1), "{file}");
    }
}
