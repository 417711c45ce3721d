//! The static planet: a river page, its feeds, the OPML of its sources and
//! one page (with its Atom feed) per category, as files in memory.
//!
//! Pure like the rest of the crate: [`render`] takes the river, the
//! category rivers and the subscriptions and returns `(path, bytes)` pairs;
//! the caller writes them (`tributary publish` writes only those that
//! changed). The output depends on the data only — its dates come from the
//! newest entry, not the clock — so the same data gives the same bytes, and
//! a category page changes only when its own entries do.
//!
//! Files (paths relative to the site's root, `/`-separated):
//! - `index.html` (the river), `atom.xml`, `rss.xml`, `feed.json`, `opml.xml`;
//! - `category/<slug>/index.html` and `category/<slug>/atom.xml` per
//!   category, where the slug is the category path in lower case with
//!   every run of other characters than letters and digits made one `-`.
//!
//! Pages link to each other relatively (they work from any directory and
//! from `file://`); feeds carry absolute links when [`SiteOptions::link`]
//! gives the site's public URL. The page templates are [`SiteTemplates`];
//! docs/PUBLISH.md lists the variables each one gets.

mod templates;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tributary_model::{RiverItem, Subscription};

use crate::digest::{
    self, collapse, is_web_url, non_empty, one_line, rfc3339, DigestEntry, DigestOptions,
    FeedLinks, Format,
};
use crate::PublishError;

pub use templates::{SiteTemplates, BUILT_IN as BUILT_IN_TEMPLATES};

/// Site-wide values.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    /// Title of the planet.
    pub title: String,
    /// Public URL of the site's root (`https://planet.example/`), for the
    /// absolute links feeds need; `None`: feeds carry no self links.
    pub link: Option<String>,
}

/// The entries of one category (and its sub-categories), newest first.
#[derive(Debug, Clone)]
pub struct CategoryRiver {
    /// Category path (`Networking/Vendors`).
    pub path: String,
    /// Its entries, newest first.
    pub items: Vec<RiverItem>,
}

/// What a site is made of.
#[derive(Debug, Clone, Copy)]
pub struct SiteInput<'a> {
    /// The river of the whole planet, newest first.
    pub river: &'a [RiverItem],
    /// One river per category page.
    pub categories: &'a [CategoryRiver],
    /// The planet's sources (for the OPML file and the list of sources).
    pub subscriptions: &'a [Subscription],
}

/// One file of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    /// Path relative to the site's root, `/`-separated (`category/news/index.html`).
    pub path: String,
    /// Its contents.
    pub bytes: Vec<u8>,
}

/// Why a site could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SiteError {
    /// A template (built-in or override) failed to compile or render.
    #[error("template {name}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Template {
        /// Template name (`index.html`).
        name: String,
        /// Line of the error, when known.
        line: Option<usize>,
        /// What went wrong.
        message: String,
    },
    /// An override that replaces no built-in template.
    #[error(
        "{name} is not one of the site's templates ({})",
        templates::BUILT_IN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    )]
    UnknownTemplate {
        /// The file name given.
        name: String,
    },
    /// A feed or the OPML file could not be written.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Render the whole site.
pub fn render(
    templates: &SiteTemplates,
    input: &SiteInput<'_>,
    opts: &SiteOptions,
) -> Result<Vec<SiteFile>, SiteError> {
    let generated_at = newest(input);
    let title = non_empty(Some(opts.title.as_str()))
        .map(one_line)
        .unwrap_or_else(|| "Tributary".to_owned());
    let base = opts
        .link
        .as_deref()
        .map(str::trim)
        .filter(|l| is_web_url(l))
        .map(|l| {
            if l.ends_with('/') {
                l.to_owned()
            } else {
                format!("{l}/")
            }
        });
    let absolute = |path: &str| base.as_ref().map(|b| format!("{b}{path}"));
    let slugs = slugs(input.categories.iter().map(|c| c.path.as_str()));
    let site = SiteContext {
        title: title.clone(),
        link: base.clone(),
        generated_iso: rfc3339(generated_at),
        generated_human: generated_at.format(HUMAN_DATE).to_string(),
        atom: "atom.xml",
        rss: "rss.xml",
        json: "feed.json",
        opml: "opml.xml",
    };
    let categories: Vec<CategoryContext> = input
        .categories
        .iter()
        .zip(&slugs)
        .map(|(c, slug)| CategoryContext {
            name: c.path.rsplit('/').next().unwrap_or(&c.path).to_owned(),
            path: c.path.clone(),
            slug: slug.clone(),
            url: format!("category/{slug}/index.html"),
            atom: format!("category/{slug}/atom.xml"),
            count: c.items.len(),
        })
        .collect();
    let sources: Vec<SourceContext> = input.subscriptions.iter().map(source_context).collect();

    let mut files = Vec::new();
    let river = collapse(input.river);
    let page = PageContext {
        site: &site,
        root: "",
        entries: river.iter().map(entry_context).collect(),
        categories: &categories,
        sources: &sources,
        category: None,
    };
    files.push(file("index.html", templates.render("index.html", &page)?));
    let feed = |path: &str| DigestOptions {
        title: title.clone(),
        link: base.clone(),
        generated_at,
        links: FeedLinks {
            self_url: absolute(path),
            ..Default::default()
        },
    };
    files.push(file(
        "atom.xml",
        digest::try_render(input.river, Format::Atom, &feed("atom.xml"))?,
    ));
    files.push(file(
        "rss.xml",
        digest::try_render(input.river, Format::Rss, &feed("rss.xml"))?,
    ));
    files.push(file(
        "feed.json",
        digest::try_render(input.river, Format::Json, &feed("feed.json"))?,
    ));
    files.push(file(
        "opml.xml",
        crate::opml::try_export_at(input.subscriptions, &title, generated_at)?,
    ));

    for (river, category) in input.categories.iter().zip(&categories) {
        let dir = format!("category/{}", category.slug);
        let entries = collapse(&river.items);
        // A category's page and feed date from its own newest entry, so a
        // new entry elsewhere leaves them as they are.
        let generated_at = newest_of(&river.items);
        let site = SiteContext {
            generated_iso: rfc3339(generated_at),
            generated_human: generated_at.format(HUMAN_DATE).to_string(),
            ..site.clone()
        };
        let page = PageContext {
            site: &site,
            root: "../../",
            entries: entries.iter().map(entry_context).collect(),
            categories: &categories,
            sources: &sources,
            category: Some(CategoryPage {
                name: &category.name,
                path: &category.path,
                atom: "atom.xml",
            }),
        };
        files.push(file(
            &format!("{dir}/index.html"),
            templates.render("category.html", &page)?,
        ));
        let opts = DigestOptions {
            title: format!("{title}: {}", category.path),
            link: absolute(&format!("{dir}/index.html")),
            generated_at,
            links: FeedLinks {
                self_url: absolute(&format!("{dir}/atom.xml")),
                ..Default::default()
            },
        };
        files.push(file(
            &format!("{dir}/atom.xml"),
            digest::try_render(&river.items, Format::Atom, &opts)?,
        ));
    }
    Ok(files)
}

/// Human-readable dates of the pages.
const HUMAN_DATE: &str = "%Y-%m-%d %H:%M UTC";

fn file(path: &str, text: String) -> SiteFile {
    SiteFile {
        path: path.to_owned(),
        bytes: text.into_bytes(),
    }
}

/// The newest publication or update time of any entry (the epoch for an
/// empty site): the site's "updated" date, so that unchanged data gives
/// unchanged files.
fn newest(input: &SiteInput<'_>) -> DateTime<Utc> {
    newest_of(input.river).max(
        input
            .categories
            .iter()
            .map(|c| newest_of(&c.items))
            .max()
            .unwrap_or(DateTime::UNIX_EPOCH),
    )
}

/// The newest publication or update time of `items` (the epoch if none).
fn newest_of(items: &[RiverItem]) -> DateTime<Utc> {
    items
        .iter()
        .map(|i| i.entry.updated.unwrap_or(i.entry.published))
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// A directory name for each category path, unique among them:
/// `Networking/Vendors` → `networking-vendors`, a second `networking-vendors-2`.
pub fn slugs<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for path in paths {
        let mut slug = String::new();
        for c in path.chars().flat_map(char::to_lowercase) {
            if c.is_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        while slug.ends_with('-') {
            slug.pop();
        }
        if slug.is_empty() {
            slug = "category".to_owned();
        }
        let base = slug.clone();
        let mut n = 1;
        while seen.contains(&slug) {
            n += 1;
            slug = format!("{base}-{n}");
        }
        seen.insert(slug.clone());
        out.push(slug);
    }
    out
}

/// `site`: the same on every page but for the dates.
#[derive(Clone, Serialize)]
struct SiteContext {
    title: String,
    link: Option<String>,
    generated_iso: String,
    generated_human: String,
    atom: &'static str,
    rss: &'static str,
    json: &'static str,
    opml: &'static str,
}

/// One entry of `categories`.
#[derive(Serialize)]
struct CategoryContext {
    name: String,
    path: String,
    slug: String,
    url: String,
    atom: String,
    count: usize,
}

/// One entry of `sources`.
#[derive(Serialize)]
struct SourceContext {
    title: String,
    site_url: Option<String>,
    feed_url: Option<String>,
    category: Option<String>,
}

/// `category` on a category page.
#[derive(Serialize)]
struct CategoryPage<'a> {
    name: &'a str,
    path: &'a str,
    atom: &'static str,
}

/// Everything a page template gets.
#[derive(Serialize)]
struct PageContext<'a> {
    site: &'a SiteContext,
    /// Prefix from this page to the site's root (`""`, `"../../"`).
    root: &'static str,
    entries: Vec<EntryContext>,
    categories: &'a [CategoryContext],
    sources: &'a [SourceContext],
    category: Option<CategoryPage<'a>>,
}

/// One entry of `entries`.
#[derive(Serialize)]
struct EntryContext {
    title: String,
    url: Option<String>,
    date_iso: String,
    date_human: String,
    author: Option<String>,
    excerpt: String,
    /// The sanitized HTML of the entry (content, else summary); templates
    /// that show it use `{{ entry.content_html|safe }}`.
    content_html: Option<String>,
    sources: Vec<EntrySource>,
}

#[derive(Serialize)]
struct EntrySource {
    name: String,
    url: Option<String>,
}

fn entry_context(entry: &DigestEntry<'_>) -> EntryContext {
    let e = &entry.item.entry;
    EntryContext {
        title: one_line(&e.title),
        url: entry
            .link()
            .map(str::trim)
            .filter(|u| is_web_url(u))
            .map(str::to_owned),
        date_iso: rfc3339(e.published),
        date_human: e.published.format(HUMAN_DATE).to_string(),
        author: non_empty(e.author.as_deref()).map(one_line),
        excerpt: e.excerpt.trim().to_owned(),
        content_html: non_empty(e.content_html.as_deref())
            .or_else(|| non_empty(e.summary_html.as_deref()))
            .map(str::to_owned),
        sources: entry
            .sources
            .iter()
            .map(|s| EntrySource {
                name: one_line(&s.title),
                url: web(s.site_url.as_deref()).or_else(|| web(Some(s.feed_url.as_str()))),
            })
            .collect(),
    }
}

fn source_context(s: &Subscription) -> SourceContext {
    SourceContext {
        title: one_line(s.display_title()),
        site_url: web(s.feed.site_url.as_deref()),
        feed_url: web(Some(s.feed.url.as_str())),
        category: s.category.clone(),
    }
}

/// `url` when it is set and http(s).
fn web(url: Option<&str>) -> Option<String> {
    non_empty(url)
        .map(str::trim)
        .filter(|u| is_web_url(u))
        .map(str::to_owned)
}

/// Sample contexts (index, category page) the templates are checked with.
fn sample_contexts() -> (serde_json::Value, serde_json::Value) {
    let site = SiteContext {
        title: "Sample".into(),
        link: Some("https://planet.example/".into()),
        generated_iso: "2024-05-01T12:00:00Z".into(),
        generated_human: "2024-05-01 12:00 UTC".into(),
        atom: "atom.xml",
        rss: "rss.xml",
        json: "feed.json",
        opml: "opml.xml",
    };
    let categories = [CategoryContext {
        name: "News".into(),
        path: "News".into(),
        slug: "news".into(),
        url: "category/news/index.html".into(),
        atom: "category/news/atom.xml".into(),
        count: 1,
    }];
    let sources = [SourceContext {
        title: "A source".into(),
        site_url: Some("https://a.example/".into()),
        feed_url: Some("https://a.example/feed.xml".into()),
        category: Some("News".into()),
    }];
    let entries = || {
        vec![EntryContext {
            title: "An entry".into(),
            url: Some("https://a.example/1".into()),
            date_iso: "2024-05-01T12:00:00Z".into(),
            date_human: "2024-05-01 12:00 UTC".into(),
            author: Some("Ann".into()),
            excerpt: "Its first words.".into(),
            content_html: Some("<p>Its first words.</p>".into()),
            sources: vec![EntrySource {
                name: "A source".into(),
                url: Some("https://a.example/".into()),
            }],
        }]
    };
    let index = PageContext {
        site: &site,
        root: "",
        entries: entries(),
        categories: &categories,
        sources: &sources,
        category: None,
    };
    let category = PageContext {
        site: &site,
        root: "../../",
        entries: entries(),
        categories: &categories,
        sources: &sources,
        category: Some(CategoryPage {
            name: "News",
            path: "News",
            atom: "atom.xml",
        }),
    };
    (
        serde_json::to_value(&index).unwrap_or_default(),
        serde_json::to_value(&category).unwrap_or_default(),
    )
}

/// For callers that key files by path.
pub fn by_path(files: &[SiteFile]) -> HashMap<&str, &[u8]> {
    files
        .iter()
        .map(|f| (f.path.as_str(), f.bytes.as_slice()))
        .collect()
}

#[cfg(test)]
mod tests;
