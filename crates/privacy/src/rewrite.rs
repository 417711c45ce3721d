//! The serve-time pass over an entry's (already sanitized) HTML.
//!
//! One streaming rewrite with `lol_html` (no tree is built; about the cost
//! of a copy, see docs/PERFORMANCE.md), with only the handlers the options
//! need:
//!
//! | element / attribute | tracker removal | media proxy |
//! |---|---|---|
//! | `img` tracker pixel or tracking host | removed | — |
//! | `a[href]`, `area[href]` | tracking parameters dropped, `ping` removed | — |
//! | `img[src]`, `img[srcset]`, `picture source[srcset]`, `video[poster]`, `[background]`, SVG `image[href]` | — | image proxy URL |
//! | `img[lowsrc]`, `img[dynsrc]` | — | removed (old fetch attributes) |
//! | `audio[src]`, `video[src]`, `audio source[src]`, `video source[src]` | — | proxied with [`MediaScope::All`] |
//!
//! Only absolute http(s) URLs are proxied (the sanitizer allows nothing else
//! for fetched attributes).

use std::borrow::Cow;

use lol_html::html_content::Element;
use lol_html::{element, rewrite_str, RewriteStrSettings};

use crate::signing::{Signer, PROXY_PREFIX};
use crate::trackers::{clean_link, is_pixel, is_tracker_image};

/// What the proxy carries besides images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaScope {
    /// Images only; audio and video load from their hosts.
    Images,
    /// Images, audio and video (enclosures included).
    All,
}

/// Which kind of resource a URL is, for the proxy's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// An image (`img`, `srcset`, `poster`, `background`).
    Image,
    /// Audio or video (`audio`/`video`/`source` `src`, enclosures).
    Media,
}

/// How to point media at the proxy.
#[derive(Debug, Clone, Copy)]
pub struct ProxyOptions<'a> {
    /// The server's signer.
    pub signer: &'a Signer,
    /// Put before the proxy path: `""` for pages of this server, the
    /// server's origin (`https://news.example.org`) for API clients.
    pub base: &'a str,
    /// Images only, or audio and video too.
    pub scope: MediaScope,
    /// Expiry of the URLs made (see [`crate::signing::expiry`]).
    pub expires: u64,
}

/// What to do to served content.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rewrite<'a> {
    /// Remove tracker pixels and tracking query parameters.
    pub strip_trackers: bool,
    /// Point media at the proxy (`None`: leave them).
    pub proxy: Option<ProxyOptions<'a>>,
}

/// Attribute `name` of `el`, entities decoded (`lol_html` gives the
/// value as written in the source).
fn attr(el: &Element, name: &str) -> Option<String> {
    el.get_attribute(name)
        .map(|v| html_escape::decode_html_entities(&v).into_owned())
}

/// Set attribute `name` to the text `value` (escaped here: `lol_html`
/// writes the value as given, escaping only `"`).
fn set_attr(el: &mut Element, name: &str, value: &str) -> HandlerResult {
    el.set_attribute(name, &html_escape::encode_double_quoted_attribute(value))?;
    Ok(())
}

/// Type of the handlers' errors (they never fail; `lol_html` wants one).
type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

impl<'a> Rewrite<'a> {
    /// Whether this rewrite changes nothing.
    pub fn is_noop(&self) -> bool {
        !self.strip_trackers && self.proxy.is_none()
    }

    /// The proxy URL of `url` when it is proxied for `kind`, else `url`.
    pub fn media_url<'u>(&self, url: &'u str, kind: MediaKind) -> Cow<'u, str> {
        let Some(p) = &self.proxy else {
            return Cow::Borrowed(url);
        };
        if kind == MediaKind::Media && p.scope == MediaScope::Images {
            return Cow::Borrowed(url);
        }
        let trimmed = url.trim();
        let lower = trimmed.get(..8).unwrap_or(trimmed).to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Cow::Borrowed(url);
        }
        if let Some(rest) = trimmed.strip_prefix(p.base) {
            if !p.base.is_empty() && rest.starts_with(PROXY_PREFIX) {
                // Already one of ours.
                return Cow::Borrowed(url);
            }
        }
        Cow::Owned(format!("{}{}", p.base, p.signer.path(trimmed, p.expires)))
    }

    /// A link as shown (`a[href]`, the entry's own link): without its
    /// tracking parameters when trackers are stripped.
    pub fn link<'u>(&self, url: &'u str) -> Cow<'u, str> {
        if self.strip_trackers {
            clean_link(url)
        } else {
            Cow::Borrowed(url)
        }
    }

    /// `srcset` with each candidate's URL proxied (descriptors kept).
    fn srcset(&self, value: &str) -> String {
        value
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|candidate| {
                let (url, descriptor) = candidate
                    .split_once(|c: char| c.is_ascii_whitespace())
                    .map_or((candidate, ""), |(u, d)| (u, d.trim()));
                let url = self.media_url(url, MediaKind::Image);
                if descriptor.is_empty() {
                    url.into_owned()
                } else {
                    format!("{url} {descriptor}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Proxy attribute `name` of `el` as `kind`, when it is set.
    fn proxy_attr(&self, el: &mut Element, name: &str, kind: MediaKind) -> HandlerResult {
        if let Some(value) = attr(el, name) {
            let new = self.media_url(&value, kind);
            if new != value {
                set_attr(el, name, &new)?;
            }
        }
        Ok(())
    }

    /// The rewritten HTML of `html`. A rewrite that fails (never expected on
    /// sanitized content) gives a short notice instead of the content, so
    /// unproxied media never slip through.
    pub fn html(&self, html: &str) -> String {
        if self.is_noop() || html.is_empty() {
            return html.to_owned();
        }
        let mut handlers = Vec::new();
        if self.strip_trackers {
            handlers.push(element!("img", |el| {
                let src = attr(el, "src").unwrap_or_default();
                if is_tracker_image(&src)
                    || is_pixel(
                        attr(el, "width").as_deref(),
                        attr(el, "height").as_deref(),
                        attr(el, "style").as_deref(),
                    )
                {
                    el.remove();
                }
                Ok(())
            }));
            handlers.push(element!("a[href], area[href]", |el| {
                // Most links have no query: nothing to decode or clean.
                if el
                    .get_attribute("href")
                    .is_some_and(|raw| raw.contains('?'))
                {
                    if let Some(href) = attr(el, "href") {
                        if let Cow::Owned(clean) = clean_link(&href) {
                            set_attr(el, "href", &clean)?;
                        }
                    }
                }
                if el.has_attribute("ping") {
                    el.remove_attribute("ping");
                }
                Ok(())
            }));
        }
        if self.proxy.is_some() {
            handlers.push(element!("img", |el| {
                if el.removed() {
                    return Ok(());
                }
                self.proxy_attr(el, "src", MediaKind::Image)?;
                if let Some(set) = attr(el, "srcset") {
                    set_attr(el, "srcset", &self.srcset(&set))?;
                }
                for old in ["lowsrc", "dynsrc"] {
                    if el.has_attribute(old) {
                        el.remove_attribute(old);
                    }
                }
                Ok(())
            }));
            handlers.push(element!("source", |el| {
                if let Some(set) = attr(el, "srcset") {
                    set_attr(el, "srcset", &self.srcset(&set))?;
                }
                self.proxy_attr(el, "src", MediaKind::Media)
            }));
            handlers.push(element!("video", |el| {
                self.proxy_attr(el, "poster", MediaKind::Image)?;
                self.proxy_attr(el, "src", MediaKind::Media)
            }));
            handlers.push(element!("audio[src]", |el| {
                self.proxy_attr(el, "src", MediaKind::Media)
            }));
            handlers.push(element!("[background]", |el| {
                self.proxy_attr(el, "background", MediaKind::Image)
            }));
            handlers.push(element!("image", |el| {
                self.proxy_attr(el, "href", MediaKind::Image)?;
                self.proxy_attr(el, "xlink:href", MediaKind::Image)
            }));
        }
        let settings = RewriteStrSettings {
            element_content_handlers: handlers,
            ..RewriteStrSettings::new()
        };
        rewrite_str(html, settings).unwrap_or_else(|_| {
            "<p><em>This content could not be prepared for private reading; open the original.</em></p>"
                .to_owned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::split_path;

    const NOW: u64 = 1_800_000_000;

    fn signer() -> Signer {
        Signer::new("0123456789abcdef0123456789abcdef").unwrap()
    }

    fn target(s: &Signer, proxied: &str) -> String {
        s.verify_path(proxied, NOW).unwrap().to_string()
    }

    #[test]
    fn trackers_table() {
        let r = Rewrite {
            strip_trackers: true,
            proxy: None,
        };
        let cases: &[(&str, &str)] = &[
            (
                r#"<p>Hi<img src="http://feeds.feedburner.com/~r/Blog/~4/x" height="1" width="1" alt=""></p>"#,
                "<p>Hi</p>",
            ),
            (
                r#"<img src="https://example.com/p.gif" width="1" height="1">"#,
                "",
            ),
            (
                r#"<img src="https://example.com/p.gif" style="width:1px;height:1px">"#,
                "",
            ),
            (r#"<img src="https://pixel.wp.com/b.gif?blog=1">"#, ""),
            (
                r#"<img src="https://example.com/photo.jpg" width="600" height="400">"#,
                r#"<img src="https://example.com/photo.jpg" width="600" height="400">"#,
            ),
            (
                r#"<a href="https://example.com/a?utm_source=rss&amp;id=3" ping="https://t.example/">x</a>"#,
                r#"<a href="https://example.com/a?id=3">x</a>"#,
            ),
            (
                r#"<a href="https://example.com/a?q=a&amp;b&amp;gclid=z&amp;x=&quot;">x</a>"#,
                r#"<a href="https://example.com/a?q=a&amp;b&amp;x=&quot;">x</a>"#,
            ),
            (
                r#"<a href="https://example.com/?fbclid=1">x</a>"#,
                r#"<a href="https://example.com/">x</a>"#,
            ),
            (
                r#"<a href="https://github.com/x?ref=main">x</a>"#,
                r#"<a href="https://github.com/x?ref=main">x</a>"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(r.html(input), *want, "{input}");
        }
    }

    #[test]
    fn images_are_proxied_and_media_only_in_scope_all() {
        let s = signer();
        let images = Rewrite {
            strip_trackers: false,
            proxy: Some(ProxyOptions {
                signer: &s,
                base: "",
                scope: MediaScope::Images,
                expires: NOW + 60,
            }),
        };
        let html = r#"<img src="https://img.example.com/a.png" srcset="https://img.example.com/a.png 1x, https://img.example.com/b.png 2x"><picture><source srcset="https://img.example.com/c.webp" type="image/webp"></picture><video src="https://v.example.com/v.mp4" poster="https://img.example.com/p.jpg"><source src="https://v.example.com/v.webm"></video><audio src="https://a.example.com/a.mp3"></audio><table background="https://img.example.com/bg.png"></table><img src="data:image/png;base64,AAAA"><a href="https://example.com/?utm_source=x">l</a>"#;
        let out = images.html(html);
        let doc = out.clone();
        assert!(!doc.contains("src=\"https://img.example.com"), "{doc}");
        assert!(!doc.contains("poster=\"https://"), "{doc}");
        assert!(!doc.contains("background=\"https://"), "{doc}");
        // Media stay direct in the images scope.
        assert!(
            doc.contains(r#"src="https://v.example.com/v.mp4""#),
            "{doc}"
        );
        assert!(
            doc.contains(r#"src="https://a.example.com/a.mp3""#),
            "{doc}"
        );
        // Not http: untouched. Links untouched without strip_trackers.
        assert!(doc.contains("data:image/png;base64,AAAA"), "{doc}");
        assert!(doc.contains("utm_source=x"), "{doc}");
        // Every proxy URL verifies to its original.
        let proxied: Vec<&str> = doc
            .split(['"', ' ', ','])
            .filter(|t| t.starts_with("/proxy/"))
            .collect();
        let targets: Vec<String> = proxied.iter().map(|p| target(&s, p)).collect();
        for want in [
            "https://img.example.com/a.png",
            "https://img.example.com/b.png",
            "https://img.example.com/c.webp",
            "https://img.example.com/p.jpg",
            "https://img.example.com/bg.png",
        ] {
            assert!(
                targets.iter().any(|t| t == want),
                "{want} not in {targets:?}"
            );
        }
        assert!(doc.contains(" 2x"), "descriptors kept: {doc}");

        let all = Rewrite {
            strip_trackers: true,
            proxy: Some(ProxyOptions {
                signer: &s,
                base: "https://news.example.org",
                scope: MediaScope::All,
                expires: NOW + 60,
            }),
        };
        let doc = all.html(html);
        assert!(!doc.contains("src=\"https://v.example.com"), "{doc}");
        assert!(!doc.contains("src=\"https://a.example.com"), "{doc}");
        assert!(
            doc.contains("src=\"https://news.example.org/proxy/"),
            "{doc}"
        );
        assert!(!doc.contains("utm_source"), "{doc}");
        let p = all.media_url("https://v.example.com/v.mp4", MediaKind::Media);
        let (_, exp, _) = split_path(&p).unwrap();
        assert_eq!(exp, (NOW + 60).to_string());
        // Our own proxy URLs are not wrapped twice.
        assert_eq!(all.media_url(&p, MediaKind::Image), p);
    }

    #[test]
    fn a_tracker_is_removed_before_it_could_be_proxied() {
        let s = signer();
        let r = Rewrite {
            strip_trackers: true,
            proxy: Some(ProxyOptions {
                signer: &s,
                base: "",
                scope: MediaScope::Images,
                expires: NOW + 60,
            }),
        };
        let out = r.html(r#"<p>a<img src="https://stats.wordpress.com/b.gif" width="1" height="1">b<img src="https://img.example.com/x.png"></p>"#);
        assert!(!out.contains("wordpress"), "{out}");
        assert_eq!(out.matches("/proxy/").count(), 1, "{out}");
    }

    #[test]
    fn a_noop_rewrite_returns_the_input() {
        let html = r#"<img src="https://img.example.com/a.png" width="1" height="1">"#;
        assert_eq!(Rewrite::default().html(html), html);
        assert!(Rewrite::default().is_noop());
        assert_eq!(
            Rewrite::default().link("https://e.com/?utm_x=1"),
            "https://e.com/?utm_x=1"
        );
    }
}
