//! The main content of an article page, for feeds that ship only an excerpt.
//!
//! [`Extractor::extract`] takes a page's HTML and URL and gives its article
//! ([`Article`]): with a [`SiteRule`] for the page's host, what the rule's
//! CSS selector picks (after removing what its remove-selectors pick);
//! without one, what readability picks. Readability is `legible`, a port
//! of Mozilla's Readability.js, chosen over `dom_smoothie`, `readability`
//! (kumabook, a port of the older arc90 script) and `readabilityrs` by the
//! comparison in `benches/readability.rs` (table and command in
//! docs/ARTICLES.md): it keeps every article paragraph of the engine
//! pages with `dom_smoothie`'s noise (the author bio some themes put
//! inside the article), is the fastest, and — unlike kumabook's port of the
//! older arc90 script, which leaks a little less on the easy pages — does
//! not lose the whole article on the hard one.
//!
//! The HTML given back is *not* safe to show: callers sanitize it like feed
//! content (`tributary_normalize::sanitize`, with the page's URL as base).
//!
//! [`truncated`] decides whether a feed entry is only an excerpt (the
//! `auto` full-content mode), and [`samples`] generates the article pages
//! the tests and the comparison run on. Nothing here does I/O.

#![warn(missing_docs)]

pub mod samples;
pub mod truncated;

use scraper::{Html, Selector};
use tributary_normalize::text::html_to_text;
use url::Url;

pub use truncated::{truncation, Truncation};

/// Elements a page may have before readability refuses it (a page of
/// several megabytes of markup; the fetch's size limit comes first).
pub const MAX_ELEMENTS: usize = 100_000;

/// An article's text must have at least this many characters to count as found.
pub const MIN_TEXT_CHARS: usize = 40;

/// Longest CSS selector a site rule may hold.
pub const MAX_SELECTOR_CHARS: usize = 500;

/// An extracted article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// The page's title as readability saw it (`None` with a site rule or when there is none).
    pub title: Option<String>,
    /// The article's HTML, *unsanitized* (see the module docs).
    pub html: String,
    /// Its plain text (blocks as line breaks, white space folded).
    pub text: String,
}

/// Where extraction fails for a host, what to take instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRule {
    /// The host the rule is for, lower case (`blog.example.org`).
    pub host: String,
    /// CSS selector of the article's element(s); every match is kept, in document order.
    pub content_selector: String,
    /// CSS selectors of elements to drop first (share bars, ads inside the article).
    pub remove_selectors: Vec<String>,
}

impl SiteRule {
    /// Check the rule: a host without scheme or path, and selectors that
    /// parse (each error names the selector and what is wrong).
    pub fn validate(&self) -> Result<(), ExtractError> {
        let host = self.host.trim();
        if host.is_empty()
            || host.contains(['/', ':', ' ', '@', '?', '#'])
            || !host.is_ascii()
            || host != host.to_ascii_lowercase()
        {
            return Err(ExtractError::BadHost {
                host: self.host.clone(),
            });
        }
        selector(&self.content_selector)?;
        for s in &self.remove_selectors {
            selector(s)?;
        }
        Ok(())
    }
}

/// Why no article came out of a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Readability found no article in the page.
    #[error("no article found in the page ({reason})")]
    NoArticle {
        /// What readability said, or that the text found was too short.
        reason: String,
    },
    /// A site rule's selector matched nothing on the page.
    #[error("the site rule's selector {selector:?} matched nothing on the page")]
    NothingSelected {
        /// The selector.
        selector: String,
    },
    /// A CSS selector that does not parse.
    #[error("CSS selector {selector:?} is not valid: {reason}")]
    BadSelector {
        /// The selector as given.
        selector: String,
        /// The parser's complaint.
        reason: String,
    },
    /// A site rule's host that is not a bare lower-case host name.
    #[error("site rule host {host:?} is not a lower-case host name (no scheme, port or path)")]
    BadHost {
        /// The host as given.
        host: String,
    },
}

impl ExtractError {
    /// A stable code for the error, stored beside the message.
    pub fn code(&self) -> &'static str {
        match self {
            ExtractError::NoArticle { .. } => "no_article",
            ExtractError::NothingSelected { .. } => "selector_matched_nothing",
            ExtractError::BadSelector { .. } => "bad_selector",
            ExtractError::BadHost { .. } => "bad_host",
        }
    }
}

fn selector(s: &str) -> Result<Selector, ExtractError> {
    if s.trim().is_empty() || s.len() > MAX_SELECTOR_CHARS {
        return Err(ExtractError::BadSelector {
            selector: s.to_owned(),
            reason: format!("empty or longer than {MAX_SELECTOR_CHARS} characters"),
        });
    }
    Selector::parse(s).map_err(|e| ExtractError::BadSelector {
        selector: s.to_owned(),
        reason: e.to_string(),
    })
}

/// The extraction policy (cheap; one per process is plenty).
#[derive(Debug, Clone)]
pub struct Extractor {
    /// See [`MAX_ELEMENTS`].
    pub max_elements: usize,
}

impl Default for Extractor {
    fn default() -> Self {
        Extractor {
            max_elements: MAX_ELEMENTS,
        }
    }
}

impl Extractor {
    /// The article of the page `html` found at `base_url`, by `site_rule`
    /// when given (its host is not checked against the URL: the caller
    /// picked it), else by readability. Relative URLs in the result are
    /// made absolute against `base_url` by readability; with a site rule
    /// the sanitizer does it. Never panics.
    pub fn extract(
        &self,
        html: &str,
        base_url: &Url,
        site_rule: Option<&SiteRule>,
    ) -> Result<Article, ExtractError> {
        let article = match site_rule {
            Some(rule) => by_rule(html, rule)?,
            None => self.by_readability(html, base_url)?,
        };
        if article.text.chars().filter(|c| !c.is_whitespace()).count() < MIN_TEXT_CHARS {
            return Err(ExtractError::NoArticle {
                reason: format!("the text found is shorter than {MIN_TEXT_CHARS} characters"),
            });
        }
        Ok(article)
    }

    fn by_readability(&self, html: &str, base_url: &Url) -> Result<Article, ExtractError> {
        let options = legible::Options {
            max_elems_to_parse: self.max_elements,
            ..Default::default()
        };
        let article =
            legible::parse(html, Some(base_url.as_str()), Some(options)).map_err(|e| {
                ExtractError::NoArticle {
                    reason: e.to_string(),
                }
            })?;
        let title = Some(article.title.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(Article {
            title,
            text: html_to_text(&article.content),
            html: article.content,
        })
    }
}

fn by_rule(html: &str, rule: &SiteRule) -> Result<Article, ExtractError> {
    let content = selector(&rule.content_selector)?;
    let removes = rule
        .remove_selectors
        .iter()
        .map(|s| selector(s))
        .collect::<Result<Vec<_>, _>>()?;
    let mut doc = Html::parse_document(html);
    for remove in &removes {
        let ids: Vec<_> = doc.select(remove).map(|e| e.id()).collect();
        for id in ids {
            if let Some(mut node) = doc.tree.get_mut(id) {
                node.detach();
            }
        }
    }
    let parts: Vec<String> = doc.select(&content).map(|e| e.html()).collect();
    if parts.is_empty() {
        return Err(ExtractError::NothingSelected {
            selector: rule.content_selector.clone(),
        });
    }
    let html = parts.join("\n");
    Ok(Article {
        title: None,
        text: html_to_text(&html),
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://blog.example/posts/1/").expect("url")
    }

    #[test]
    fn readability_keeps_the_article_of_every_engine_page() {
        let x = Extractor::default();
        for page in samples::pages()
            .iter()
            .filter(|p| p.content_selector.is_none())
        {
            let a = x.extract(&page.html, &url(), None).expect(&page.name);
            let s = samples::score(page, &a.text);
            assert_eq!(s.kept, 1.0, "{}: {}", page.name, a.text);
            // Of the noise at most the author's bio (one string in 24),
            // which Ghost and Hugo themes put inside the article.
            assert!(s.leaked <= 1.0 / 24.0, "{}: {:?} {}", page.name, s, a.text);
            assert!(!a.text.contains("Comment 0 by reader"), "{}", page.name);
            assert!(!a.text.contains("Related post"), "{}", page.name);
        }
    }

    #[test]
    fn a_site_rule_picks_what_readability_misses() {
        let page = samples::pages()
            .into_iter()
            .find(|p| p.engine == "hard")
            .expect("hard page");
        let rule = SiteRule {
            host: "blog.example".into(),
            content_selector: page.content_selector.expect("selector").into(),
            remove_selectors: vec![],
        };
        let a = Extractor::default()
            .extract(&page.html, &url(), Some(&rule))
            .expect("rule");
        let s = samples::score(&page, &a.text);
        assert_eq!((s.kept, s.leaked), (1.0, 0.0), "{}", a.text);
    }

    #[test]
    fn remove_selectors_drop_elements_inside_the_content() {
        let html =
            "<html><body><div class=a><p>The article text that is long enough to be kept here.</p>\
                    <div class=share>Share on Mastodon</div></div></body></html>";
        let rule = SiteRule {
            host: "blog.example".into(),
            content_selector: "div.a".into(),
            remove_selectors: vec![".share".into()],
        };
        let a = Extractor::default()
            .extract(html, &url(), Some(&rule))
            .expect("rule");
        assert!(a.text.contains("article text"));
        assert!(!a.text.contains("Mastodon"), "{}", a.text);
    }

    #[test]
    fn bad_rules_and_empty_pages_are_clear_errors() {
        let bad = SiteRule {
            host: "blog.example".into(),
            content_selector: "div[".into(),
            remove_selectors: vec![],
        };
        let e = bad.validate().expect_err("bad selector");
        assert_eq!(e.code(), "bad_selector");
        assert!(e.to_string().contains("div["), "{e}");
        for host in ["https://x.org", "x.org/path", "", "X.org", "x.org:80"] {
            let r = SiteRule {
                host: host.into(),
                content_selector: "p".into(),
                remove_selectors: vec![],
            };
            assert_eq!(r.validate().expect_err(host).code(), "bad_host", "{host}");
        }
        let none = SiteRule {
            host: "blog.example".into(),
            content_selector: "article.nope".into(),
            remove_selectors: vec![],
        };
        let e = Extractor::default()
            .extract("<p>x</p>", &url(), Some(&none))
            .expect_err("nothing");
        assert_eq!(e.code(), "selector_matched_nothing");
        for html in ["", "<html></html>", "<p>short</p>", "\u{0}\u{0}<<<>>>"] {
            let e = Extractor::default()
                .extract(html, &url(), None)
                .expect_err(html);
            assert_eq!(e.code(), "no_article", "{html:?}");
        }
    }
}
