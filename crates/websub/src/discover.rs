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

/// Parse one `Link` header value (RFC 8288) into `(rel, href)` pairs, one per
/// relation, with the target resolved against `base` (the URL that answered).
///
/// `<https://hub.example/>; rel="hub", </feed>; rel=self` gives
/// `("hub", "https://hub.example/")` and `("self", "https://site/feed")`.
/// Links without `rel`, targets that do not resolve, and malformed parts are
/// skipped; the rest of the header is still read.
pub fn parse_link_header(value: &str, base: &Url) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        let Some(after_open) = rest.strip_prefix('<') else {
            // Not a link: skip to the next top-level comma.
            rest = skip_params(rest).1;
            continue;
        };
        let Some(close) = after_open.find('>') else {
            break;
        };
        let target = &after_open[..close];
        let (params, next) = skip_params(&after_open[close + 1..]);
        rest = next;
        let Some(rel) = rel_param(params) else {
            continue;
        };
        let Ok(url) = base.join(target.trim()) else {
            continue;
        };
        for r in rel.split_ascii_whitespace() {
            out.push((r.to_ascii_lowercase(), url.to_string()));
        }
    }
    out
}

/// Split `s` at the first comma outside a quoted string: (params, rest after the comma).
fn skip_params(s: &str) -> (&str, &str) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => return (&s[..i], &s[i + 1..]),
            _ => {}
        }
    }
    (s, "")
}

/// The value of the first `rel` parameter in `;`-separated `params`.
fn rel_param(params: &str) -> Option<String> {
    let mut rest = params;
    while let Some(semi) = rest.find(';') {
        rest = &rest[semi + 1..];
        let part = rest.trim_start();
        let Some(eq) = part.find('=') else {
            continue;
        };
        if !part[..eq].trim().eq_ignore_ascii_case("rel") {
            continue;
        }
        let value = part[eq + 1..].trim_start();
        if let Some(quoted) = value.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => return Some(out),
                    c => out.push(c),
                }
            }
            return None;
        }
        let end = value.find(';').unwrap_or(value.len());
        return Some(value[..end].trim().to_owned());
    }
    None
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

    #[test]
    fn link_headers_parse_with_quotes_relative_targets_and_junk() {
        let base = u("https://blog.example/feeds/main.xml");
        let links = parse_link_header(
            r#"<https://hub.example/>; rel="hub", </feeds/main.xml>; rel=self; type="application/atom+xml""#,
            &base,
        );
        assert_eq!(
            links,
            vec![
                ("hub".to_owned(), "https://hub.example/".to_owned()),
                (
                    "self".to_owned(),
                    "https://blog.example/feeds/main.xml".to_owned()
                ),
            ]
        );

        // Commas inside the target and inside quoted parameters do not split links;
        // several relations in one rel; parts without rel or `<…>` are skipped.
        let links = parse_link_header(
            r#"<https://a.example/x,y>; title="a, \"b\""; rel="HUB self", junk, <https://n.example/>; title=x, <https://c.example/>;rel=hub"#,
            &base,
        );
        assert_eq!(
            links,
            vec![
                ("hub".to_owned(), "https://a.example/x,y".to_owned()),
                ("self".to_owned(), "https://a.example/x,y".to_owned()),
                ("hub".to_owned(), "https://c.example/".to_owned()),
            ]
        );

        assert!(parse_link_header("", &base).is_empty());
        assert!(parse_link_header("<https://unclosed.example/; rel=hub", &base).is_empty());
        assert!(parse_link_header(r#"<https://q.example/>; rel="hub"#, &base).is_empty());
    }

    #[test]
    fn header_pairs_feed_discover() {
        let base = u("https://blog.example/feed");
        let parsed = parse_link_header(
            r#"<https://hub.example/>; rel="hub", <>; rel="self""#,
            &base,
        );
        let pairs: Vec<(&str, &str)> = parsed
            .iter()
            .map(|(r, h)| (r.as_str(), h.as_str()))
            .collect();
        let advert = discover(&[], &pairs).unwrap();
        assert_eq!(advert.hubs, vec![u("https://hub.example/")]);
        assert_eq!(advert.topic, base);
    }
}
