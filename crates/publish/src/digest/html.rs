//! The HTML digest: one self-contained page (inline CSS, no scripts, no
//! external assets, dark mode through `prefers-color-scheme`).
//!
//! The page is rendered by minijinja from `templates/digest.html`, compiled
//! into the crate. The template's `.html` name turns auto-escaping on, so
//! every value (titles, excerpts, names, URLs in attributes) is escaped;
//! nothing is marked safe. Only http(s) URLs become links.

use std::fmt::Write as _;

use minijinja::{AutoEscape, Environment, Error, Output, State, Value};
use serde::Serialize;

use super::{is_web_url, non_empty, one_line, rfc3339, DigestEntry, DigestOptions, Footer};
use crate::PublishError;

const TEMPLATE_NAME: &str = "digest.html";
const TEMPLATE: &str = include_str!("templates/digest.html");

#[derive(Serialize)]
struct Page<'a> {
    title: &'a str,
    link: Option<&'a str>,
    generated_iso: String,
    generated_human: String,
    /// The entries, in sections; one section without a heading when the
    /// digest is not sectioned.
    sections: Vec<PageSection<'a>>,
    /// Entries in all sections (0: "Nothing new.").
    count: usize,
    /// Heading level of an entry's title: 2, or 3 under section headings.
    level: u8,
    /// A closing line (an e-mail digest's "change or stop it" link).
    footer: Option<PageFooter<'a>>,
    /// RFC 5005 paging and the hub, each only when an http(s) URL.
    first: Option<&'a str>,
    previous: Option<&'a str>,
    next: Option<&'a str>,
    hub: Option<&'a str>,
}

#[derive(Serialize)]
struct PageSection<'a> {
    heading: Option<String>,
    entries: Vec<PageEntry<'a>>,
}

#[derive(Serialize)]
struct PageFooter<'a> {
    text: &'a str,
    link: Option<&'a str>,
}

#[derive(Serialize)]
struct PageEntry<'a> {
    title: String,
    url: Option<&'a str>,
    date_iso: String,
    date_human: String,
    sources: Vec<PageSource<'a>>,
    excerpt: &'a str,
}

#[derive(Serialize)]
struct PageSource<'a> {
    name: String,
    url: Option<&'a str>,
}

/// The text between the template's `<style>` and `</style>` (no template
/// syntax in it, so the rendered page carries these bytes verbatim).
pub(super) fn style() -> &'static str {
    let start = TEMPLATE.find("<style>").map_or(0, |i| i + "<style>".len());
    let end = TEMPLATE[start..]
        .find("</style>")
        .map_or(start, |i| start + i);
    &TEMPLATE[start..end]
}

/// The page's own policy, for copies served without headers (a digest
/// written to a file): no script, no plugins, no `<base>`.
#[cfg(test)]
const CSP_META: &str = r#"<meta http-equiv="Content-Security-Policy" content="script-src 'none'; object-src 'none'; base-uri 'none'">"#;

/// Human-readable date shown next to each entry.
const HUMAN_DATE: &str = "%Y-%m-%d %H:%M UTC";

/// Renders entries as an HTML page.
pub(super) fn render(
    entries: &[DigestEntry<'_>],
    opts: &DigestOptions,
) -> Result<String, PublishError> {
    render_sections(&[(None, entries.to_vec())], opts, None)
}

/// Renders sections of entries as an HTML page: each named section under
/// an `<h2 class="category">` heading (entry titles are then `<h3>`).
pub(super) fn render_sections(
    sections: &[(Option<&str>, Vec<DigestEntry<'_>>)],
    opts: &DigestOptions,
    footer: Option<&Footer>,
) -> Result<String, PublishError> {
    let headed = sections.iter().any(|(h, _)| h.is_some());
    let page = Page {
        title: &opts.title,
        link: opts.link.as_deref().filter(|l| is_web_url(l)),
        generated_iso: rfc3339(opts.generated_at),
        generated_human: opts.generated_at.format(HUMAN_DATE).to_string(),
        sections: sections
            .iter()
            .map(|(heading, entries)| PageSection {
                heading: heading.map(one_line),
                entries: entries.iter().map(page_entry).collect(),
            })
            .collect(),
        count: sections.iter().map(|(_, e)| e.len()).sum(),
        level: if headed { 3 } else { 2 },
        footer: footer.map(|f| PageFooter {
            text: &f.text,
            link: non_empty(f.link.as_deref())
                .map(str::trim)
                .filter(|u| is_web_url(u)),
        }),
        first: web_url(&opts.links.first),
        previous: web_url(&opts.links.previous),
        next: web_url(&opts.links.next),
        hub: web_url(&opts.links.hub),
    };
    let mut env = Environment::new();
    env.set_formatter(escape_formatter);
    env.add_template(TEMPLATE_NAME, TEMPLATE)?;
    let mut html = env.get_template(TEMPLATE_NAME)?.render(page)?;
    html.push('\n');
    Ok(html)
}

/// minijinja's HTML escaping also turns `/` into `/`, which is valid but
/// makes every URL in the page unreadable in the source. Escaping `& < > " '`
/// is enough for text and for the double-quoted attributes of the template,
/// so strings get exactly that; everything else goes to the default.
pub(crate) fn escape_formatter(
    out: &mut Output<'_>,
    state: &State<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    match value.as_str() {
        Some(s) if state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            for c in s.chars() {
                match c {
                    '&' => out.write_str("&amp;")?,
                    '<' => out.write_str("&lt;")?,
                    '>' => out.write_str("&gt;")?,
                    '"' => out.write_str("&quot;")?,
                    '\'' => out.write_str("&#39;")?,
                    c => out.write_char(c)?,
                }
            }
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// `url` when it is set and http(s).
fn web_url(url: &Option<String>) -> Option<&str> {
    non_empty(url.as_deref())
        .map(str::trim)
        .filter(|u| is_web_url(u))
}

fn page_entry<'a>(entry: &DigestEntry<'a>) -> PageEntry<'a> {
    let e = &entry.item.entry;
    PageEntry {
        title: one_line(&e.title),
        url: link_of(entry),
        date_iso: rfc3339(e.published),
        date_human: e.published.format(HUMAN_DATE).to_string(),
        sources: entry
            .sources
            .iter()
            .map(|s| PageSource {
                name: one_line(&s.title),
                url: non_empty(s.site_url.as_deref())
                    .filter(|u| is_web_url(u))
                    .or_else(|| Some(s.feed_url.as_str()).filter(|u| is_web_url(u))),
            })
            .collect(),
        excerpt: e.excerpt.trim(),
    }
}

/// The entry's link when it is safe to put in an `href`.
fn link_of<'a>(entry: &DigestEntry<'a>) -> Option<&'a str> {
    let e = &entry.item.entry;
    let s = &entry.item.source;
    // Same fallback order as `DigestEntry::link`, spelled out so the borrow
    // is tied to the item, not to the `DigestEntry`.
    non_empty(e.url.as_deref())
        .or_else(|| non_empty(s.site_url.as_deref()))
        .or_else(|| non_empty(Some(s.feed_url.as_str())))
        .map(str::trim)
        .filter(|u| is_web_url(u))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{item, source};
    use super::super::{render as render_digest, Format};
    use super::*;
    use chrono::{TimeZone, Utc};

    fn opts() -> DigestOptions {
        DigestOptions {
            title: "River <&> \"digest\"".into(),
            link: Some("https://river.example/?a=1&b=2".into()),
            generated_at: Utc.with_ymd_and_hms(2024, 5, 2, 8, 30, 0).unwrap(),
            links: Default::default(),
        }
    }

    #[test]
    fn page_is_self_contained() {
        let a = source(1, "A");
        let html = render_digest(
            &[item(1, &a, "T", Some("https://x.example/"))],
            Format::Html,
            &opts(),
        );
        assert!(html.starts_with("<!doctype html>\n"));
        assert!(html.contains(r#"<meta charset="utf-8">"#));
        assert!(html.contains(r#"name="viewport""#));
        assert!(html.contains("prefers-color-scheme: dark"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("<link"));
        assert!(!html.contains("src="));
        assert!(
            html.contains("<h1>River &lt;&amp;&gt; &quot;digest&quot;</h1>"),
            "{html}"
        );
        assert!(
            html.contains(r#"<time datetime="2024-05-01T11:00:00Z">2024-05-01 11:00 UTC</time>"#),
            "{html}"
        );
    }

    #[test]
    fn the_style_is_carried_verbatim_and_scripts_are_forbidden_by_the_page() {
        let a = source(1, "A");
        let html = render_digest(&[item(1, &a, "T", None)], Format::Html, &opts());
        let style = style();
        assert!(style.contains("prefers-color-scheme") && !style.contains("</style"));
        assert!(html.contains(&format!("<style>{style}</style>")));
        assert!(html.contains(CSP_META), "{html}");
    }

    #[test]
    fn titles_excerpts_and_urls_are_escaped() {
        let a = source(1, "Tom & <Jerry>");
        let mut it = item(1, &a, "a < b & c", Some("https://x.example/?q=1&r=\"2\""));
        it.entry.excerpt = "<script>alert('x')</script> & more".into();
        let html = render_digest(&[it], Format::Html, &opts());
        assert!(html.contains("a &lt; b &amp; c</a></h2>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("Tom &amp; &lt;Jerry&gt;"), "{html}");
        assert!(
            html.contains(r#"href="https://x.example/?q=1&amp;r=&quot;2&quot;""#),
            "{html}"
        );
        assert!(html.contains(">Continue reading</a>"));
    }

    #[test]
    fn unsafe_urls_are_not_links() {
        let mut a = source(1, "A");
        a.site_url = Some("javascript:alert(1)".into());
        a.feed_url = "javascript:alert(2)".into();
        let it = item(1, &a, "T", Some("javascript:alert(3)"));
        let html = render_digest(&[it], Format::Html, &opts());
        assert!(!html.contains("javascript"), "{html}");
        assert!(html.contains("<h2>T</h2>"), "{html}");
        assert!(html.contains("Continue reading at A"), "{html}");
    }

    #[test]
    fn collapsed_sources_each_link_to_their_site() {
        let a = source(1, "Alpha");
        let b = source(2, "Beta");
        let items = [
            item(1, &a, "Shared", Some("https://x.example/1")),
            item(2, &b, "Shared", Some("https://x.example/1")),
        ];
        let html = render_digest(&items, Format::Html, &opts());
        assert_eq!(html.matches("<article>").count(), 1);
        assert!(html.contains(r#"<a href="https://feed1.example/">Alpha</a>, <a href="https://feed2.example/">Beta</a>"#), "{html}");
    }

    #[test]
    fn paging_links_are_in_the_head_and_at_the_bottom() {
        let mut o = opts();
        o.links = super::super::FeedLinks {
            self_url: None,
            first: Some("https://river.example/river".into()),
            previous: Some("https://river.example/river?before=2".into()),
            next: Some("https://river.example/river?after=5-1".into()),
            hub: Some("javascript:alert(1)".into()),
        };
        let html = render_digest(&[], Format::Html, &o);
        assert!(
            html.contains(r#"<link rel="first" href="https://river.example/river">"#),
            "{html}"
        );
        assert!(html.contains(r#"<link rel="prev" href="https://river.example/river?before=2">"#));
        assert!(html.contains(r#"<link rel="next" href="https://river.example/river?after=5-1">"#));
        assert!(
            html.contains(
                r#"<a rel="next" href="https://river.example/river?after=5-1">Older</a>"#
            ),
            "{html}"
        );
        assert!(
            !html.contains("javascript"),
            "a hub that is not http(s) is left out"
        );
    }

    #[test]
    fn empty_river_says_so() {
        let html = render_digest(&[], Format::Html, &opts());
        assert!(html.contains("Nothing new."));
        assert!(!html.contains("<article>"));
    }
}
