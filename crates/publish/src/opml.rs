//! OPML 2.0 export.
//!
//! Subscriptions are nested by category path: `Networking/Vendors` becomes
//! `<outline text="Networking"><outline text="Vendors">…`. Blank segments
//! (`A//B`, a trailing `/`) are skipped, so a category of only slashes or
//! spaces counts as none. Categories and feeds keep the order in which they
//! first appear in the input; uncategorized feeds sit at the top level.
//!
//! Each feed is `<outline type="rss" text=… title=… xmlUrl=… htmlUrl=…/>`
//! with `text` and `title` both the subscription's display title (`htmlUrl`
//! only when the site is known). All values go through quick-xml's escaping.

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use tributary_model::Subscription;

use crate::PublishError;

/// Render subscriptions as OPML 2.0, nested by category path.
///
/// `dateCreated` is the current time; use [`try_export_at`] to choose it.
/// Writing goes to memory and cannot fail in practice; should it ever, this
/// returns an empty string rather than panicking.
pub fn export(subscriptions: &[Subscription], title: &str) -> String {
    try_export_at(subscriptions, title, Utc::now()).unwrap_or_default()
}

/// Render subscriptions as OPML 2.0 with the given `dateCreated`, reporting
/// a writer failure instead of hiding it.
pub fn try_export_at(
    subscriptions: &[Subscription],
    title: &str,
    created: DateTime<Utc>,
) -> Result<String, PublishError> {
    let tree = Tree::build(subscriptions);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(&mut w, &tree, title, created).map_err(PublishError::Opml)?;
    let mut out =
        String::from_utf8(w.into_inner()).map_err(|_| PublishError::NotUtf8 { format: "OPML" })?;
    out.push('\n');
    Ok(out)
}

/// The category tree: folders in an arena, the root at index 0, so that
/// walking down a path needs no borrow juggling.
struct Tree<'a> {
    folders: Vec<Folder<'a>>,
}

/// One category level: its name and its children in first-seen order.
struct Folder<'a> {
    name: String,
    children: Vec<Node<'a>>,
}

enum Node<'a> {
    /// Index of a sub-folder in [`Tree::folders`].
    Folder(usize),
    Feed(&'a Subscription),
}

impl<'a> Tree<'a> {
    const ROOT: usize = 0;

    fn build(subscriptions: &'a [Subscription]) -> Tree<'a> {
        let mut tree = Tree {
            folders: vec![Folder {
                name: String::new(),
                children: Vec::new(),
            }],
        };
        for sub in subscriptions {
            let path = sub
                .category
                .as_deref()
                .unwrap_or("")
                .split('/')
                .map(clean)
                .filter(|s| !s.is_empty());
            let mut folder = Self::ROOT;
            for segment in path {
                folder = tree.child(folder, segment);
            }
            tree.folders[folder].children.push(Node::Feed(sub));
        }
        tree
    }

    /// Index of the sub-folder of `parent` called `name`, created at the end if missing.
    fn child(&mut self, parent: usize, name: String) -> usize {
        let existing = self.folders[parent].children.iter().find_map(|n| match n {
            Node::Folder(i) if self.folders[*i].name == name => Some(*i),
            _ => None,
        });
        existing.unwrap_or_else(|| {
            self.folders.push(Folder {
                name,
                children: Vec::new(),
            });
            let index = self.folders.len() - 1;
            self.folders[parent].children.push(Node::Folder(index));
            index
        })
    }
}

fn write<W: std::io::Write>(
    w: &mut Writer<W>,
    tree: &Tree<'_>,
    title: &str,
    created: DateTime<Utc>,
) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(
        BytesStart::new("opml").with_attributes([("version", "2.0")]),
    ))?;
    w.write_event(Event::Start(BytesStart::new("head")))?;
    w.create_element("title")
        .write_text_content(BytesText::new(&clean(title)))?;
    w.create_element("dateCreated")
        .write_text_content(BytesText::new(&created.to_rfc2822()))?;
    w.write_event(Event::End(BytesEnd::new("head")))?;
    w.write_event(Event::Start(BytesStart::new("body")))?;
    write_children(w, tree, Tree::ROOT)?;
    w.write_event(Event::End(BytesEnd::new("body")))?;
    w.write_event(Event::End(BytesEnd::new("opml")))?;
    Ok(())
}

fn write_children<W: std::io::Write>(
    w: &mut Writer<W>,
    tree: &Tree<'_>,
    folder: usize,
) -> std::io::Result<()> {
    for node in &tree.folders[folder].children {
        match node {
            Node::Folder(index) => {
                let f = &tree.folders[*index];
                w.write_event(Event::Start(BytesStart::new("outline").with_attributes([
                    ("text", f.name.as_str()),
                    ("title", f.name.as_str()),
                ])))?;
                write_children(w, tree, *index)?;
                w.write_event(Event::End(BytesEnd::new("outline")))?;
            }
            Node::Feed(sub) => {
                let title = clean(sub.display_title());
                let xml_url = clean_url(&sub.feed.url);
                let html_url = sub.feed.site_url.as_deref().map(clean_url);
                let mut element = BytesStart::new("outline").with_attributes([
                    ("type", "rss"),
                    ("text", title.as_str()),
                    ("title", title.as_str()),
                    ("xmlUrl", xml_url.as_str()),
                ]);
                if let Some(html_url) = html_url.as_deref().filter(|u| !u.is_empty()) {
                    element.push_attribute(("htmlUrl", html_url));
                }
                w.write_event(Event::Empty(element))?;
            }
        }
    }
    Ok(())
}

/// One line of XML-safe text: whitespace runs (newlines would become spaces
/// in attributes anyway) collapse to one space, and characters XML 1.0 cannot
/// carry are dropped.
fn clean(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A URL with the characters XML 1.0 cannot carry (and stray whitespace
/// around it) removed.
fn clean_url(s: &str) -> String {
    s.chars()
        .filter(|&c| !c.is_control() && c != '\u{FFFE}' && c != '\u{FFFF}')
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use quick_xml::events::Event;
    use quick_xml::Reader;
    use tributary_model::{Feed, FeedId};

    fn sub(id: i64, url: &str, title: Option<&str>, category: Option<&str>) -> Subscription {
        Subscription {
            feed: Feed {
                title: title.map(str::to_string),
                site_url: Some(format!("https://site{id}.example/?a=1&b=2")),
                ..Feed::new(FeedId(id), url)
            },
            title_override: None,
            category: category.map(str::to_string),
            entry_count: 0,
        }
    }

    /// What a reader sees in an OPML document: the title and, per feed,
    /// (category path, xmlUrl, title, htmlUrl).
    struct Parsed {
        title: String,
        feeds: Vec<(String, String, String, Option<String>)>,
    }

    /// Parses OPML with a plain quick-xml reader, tracking the category path.
    fn parse(xml: &str) -> Parsed {
        let mut reader = Reader::from_str(xml);
        let mut path: Vec<String> = Vec::new();
        let mut title = String::new();
        let mut in_title = false;
        let mut feeds = Vec::new();
        loop {
            let event = match reader.read_event() {
                Ok(e) => e,
                Err(e) => panic!("OPML does not parse: {e}\n{xml}"),
            };
            let empty = matches!(event, Event::Empty(_));
            match event {
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"outline" => {
                    let attr = |name: &str| {
                        e.try_get_attribute(name)
                            .expect("attribute")
                            .map(|a| a.unescape_value().expect("escape").into_owned())
                    };
                    if let Some(url) = attr("xmlUrl") {
                        assert_eq!(attr("type").as_deref(), Some("rss"));
                        assert_eq!(attr("text"), attr("title"));
                        feeds.push((
                            path.join("/"),
                            url,
                            attr("title").unwrap_or_default(),
                            attr("htmlUrl"),
                        ));
                    } else if !empty {
                        path.push(attr("text").expect("category text"));
                    }
                }
                Event::End(e) if e.name().as_ref() == b"outline" => {
                    path.pop();
                }
                Event::Start(e) if e.name().as_ref() == b"title" => in_title = true,
                Event::End(e) if e.name().as_ref() == b"title" => in_title = false,
                Event::Text(t) if in_title => title.push_str(&t.unescape().expect("text")),
                Event::Eof => break,
                _ => {}
            }
        }
        Parsed { title, feeds }
    }

    #[test]
    fn round_trips_urls_and_category_paths() {
        let mut renamed = sub(
            3,
            "https://c.example/feed?x=1&y=<2>",
            Some("C"),
            Some("Networking/Vendors"),
        );
        renamed.title_override = Some("Vendor \"C\" & co".into());
        let subs = vec![
            sub(
                1,
                "https://a.example/feed",
                Some("A & B <news>"),
                Some("Networking"),
            ),
            sub(2, "https://b.example/rss", None, None),
            renamed,
            sub(
                4,
                "https://d.example/atom",
                Some("D"),
                Some("Networking/Vendors"),
            ),
            sub(
                5,
                "https://e.example/atom",
                Some("E"),
                Some(" Fun //  Comics/ "),
            ),
            sub(6, "https://f.example/atom", Some("F"), Some("Networking")),
        ];
        let created = Utc.with_ymd_and_hms(2024, 5, 2, 8, 30, 0).unwrap();
        let xml = match try_export_at(&subs, "My <feeds> & more", created) {
            Ok(xml) => xml,
            Err(e) => panic!("export failed: {e}"),
        };
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">"),
            "{xml}"
        );
        assert!(
            xml.contains("<dateCreated>Thu, 2 May 2024 08:30:00 +0000</dateCreated>"),
            "{xml}"
        );

        let parsed = parse(&xml);
        assert_eq!(parsed.title, "My <feeds> & more");
        let mut got: Vec<_> = parsed
            .feeds
            .iter()
            .map(|(p, u, t, _)| (p.as_str(), u.as_str(), t.as_str()))
            .collect();
        got.sort();
        let mut want = vec![
            ("Networking", "https://a.example/feed", "A & B <news>"),
            ("", "https://b.example/rss", "https://b.example/rss"),
            (
                "Networking/Vendors",
                "https://c.example/feed?x=1&y=<2>",
                "Vendor \"C\" & co",
            ),
            ("Networking/Vendors", "https://d.example/atom", "D"),
            ("Fun/Comics", "https://e.example/atom", "E"),
            ("Networking", "https://f.example/atom", "F"),
        ];
        want.sort();
        assert_eq!(got, want);
        assert_eq!(
            parsed.feeds[0].3.as_deref(),
            Some("https://site1.example/?a=1&b=2")
        );
        // One "Networking" folder holding both of its feeds and the sub-folder.
        assert_eq!(xml.matches(r#"text="Networking""#).count(), 1, "{xml}");
    }

    #[test]
    fn empty_export_is_valid() {
        let xml = export(&[], "");
        let parsed = parse(&xml);
        assert!(parsed.feeds.is_empty());
        assert!(
            xml.contains("<body>") || xml.contains("<body/>") || xml.contains("<body></body>"),
            "{xml}"
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        let subs = vec![sub(
            1,
            "https://a.example/\u{1}feed",
            Some("Bell\u{7}\nTitle"),
            Some("X\u{0}Y"),
        )];
        let parsed = parse(&export(&subs, "t"));
        assert_eq!(parsed.feeds[0].0, "X Y");
        assert_eq!(parsed.feeds[0].1, "https://a.example/feed");
        assert_eq!(parsed.feeds[0].2, "Bell Title");
    }
}
