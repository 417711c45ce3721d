//! Discovery (WebSub §4, "Discovery"): the hubs and the topic a feed
//! advertises, from its HTTP `Link` headers and the links in the document.
//!
//! The spec has subscribers look at the `Link` headers first and at the
//! document's links only in their absence; this is done per relation: the
//! hubs are the header's `rel=hub` links if there are any, else the
//! document's, and the topic is the header's `rel=self`, else the
//! document's. Only absolute http(s) URLs count; hubs are deduplicated and at
//! most [`MAX_HUBS`] are kept.

use url::Url;

/// At most this many hubs are taken from one advert (outside input).
pub const MAX_HUBS: usize = 8;

/// What a feed advertises for WebSub: where to subscribe, and to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    /// Hubs in the publisher's order (never empty when made by [`discover`]).
    pub hubs: Vec<Url>,
    /// The topic: the `rel=self` URL, which the subscription must name.
    pub topic: Url,
}

/// The advert in a feed's links, or `None` when it names no hub or no self.
///
/// `document_links` are the feed document's links as `(rel, href)` (the
/// parse crate's `ParsedFeed.links`: Atom `link`, RSS `atom:link`),
/// `header_links` the response's `Link` headers as `(rel, href)` (see
/// [`parse_link_header`]). A `rel` may hold several space-separated
/// relations; they are compared without regard to ASCII case.
pub fn discover(document_links: &[(&str, &str)], header_links: &[(&str, &str)]) -> Option<Advert> {
    let hubs = {
        let from_headers = urls_with_rel(header_links, "hub");
        if from_headers.is_empty() {
            urls_with_rel(document_links, "hub")
        } else {
            from_headers
        }
    };
    if hubs.is_empty() {
        return None;
    }
    let topic = urls_with_rel(header_links, "self")
        .into_iter()
        .next()
        .or_else(|| urls_with_rel(document_links, "self").into_iter().next())?;
    Some(Advert { hubs, topic })
}

fn urls_with_rel(links: &[(&str, &str)], wanted: &str) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    for (rel, href) in links {
        if !rel
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case(wanted))
        {
            continue;
        }
        let Ok(url) = Url::parse(href.trim()) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            continue;
        }
        if !out.contains(&url) {
            out.push(url);
        }
        if out.len() == MAX_HUBS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn document_links_give_hubs_and_topic() {
        let doc = [
            ("alternate", "https://blog.example/"),
            ("hub", "https://hub-a.example/"),
            ("self", "https://blog.example/feed.xml"),
            ("HUB", "https://hub-b.example/"),
            ("hub", "https://hub-a.example/"),
        ];
        let advert = discover(&doc, &[]).unwrap();
        assert_eq!(
            advert.hubs,
            vec![u("https://hub-a.example/"), u("https://hub-b.example/")]
        );
        assert_eq!(advert.topic, u("https://blog.example/feed.xml"));
    }

    #[test]
    fn headers_come_first_relation_by_relation() {
        let doc = [
            ("hub", "https://doc-hub.example/"),
            ("self", "https://blog.example/doc-self"),
        ];
        let headers = [("hub", "https://header-hub.example/")];
        let advert = discover(&doc, &headers).unwrap();
        assert_eq!(advert.hubs, vec![u("https://header-hub.example/")]);
        assert_eq!(advert.topic, u("https://blog.example/doc-self"));

        let headers = [
            ("self", "https://blog.example/header-self"),
            ("hub", "https://header-hub.example/"),
        ];
        let advert = discover(&doc, &headers).unwrap();
        assert_eq!(advert.topic, u("https://blog.example/header-self"));
    }

    #[test]
    fn no_hub_or_no_self_is_no_advert() {
        assert_eq!(discover(&[("self", "https://b.example/f")], &[]), None);
        assert_eq!(discover(&[("hub", "https://h.example/")], &[]), None);
        assert_eq!(discover(&[], &[]), None);
    }

    #[test]
    fn unusable_urls_are_skipped() {
        let doc = [
            ("hub", "/relative-hub"),
            ("hub", "javascript:alert(1)"),
            ("hub", "ftp://hub.example/"),
            ("hub", "not a url"),
            ("hub self", "https://both.example/"),
        ];
        let advert = discover(&doc, &[]).unwrap();
        assert_eq!(advert.hubs, vec![u("https://both.example/")]);
        assert_eq!(advert.topic, u("https://both.example/"));
    }

    #[test]
    fn hubs_are_bounded() {
        let hrefs: Vec<String> = (0..100)
            .map(|i| format!("https://hub{i}.example/"))
            .collect();
        let mut doc: Vec<(&str, &str)> = hrefs.iter().map(|h| ("hub", h.as_str())).collect();
        doc.push(("self", "https://b.example/f"));
        assert_eq!(discover(&doc, &[]).unwrap().hubs.len(), MAX_HUBS);
    }
}
