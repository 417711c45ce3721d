//! The [`Handler`] that builds a [`ParsedFeed`] from the element stream:
//! RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 core elements, with the extension
//! namespaces delegated to [`ext`](super::ext).
//!
//! Like feedparser, the state is "where am I" flags rather than a grammar:
//! an `item`/`entry` anywhere opens an entry, text elements go to the entry
//! when one is open and to the feed otherwise.

use url::Url;

use crate::{Category, FeedFormat, Link, ParsedEnclosure, ParsedEntry, ParsedFeed, Person, Text};

use super::entities::{Declared, Decoder};
use super::ext;
use super::ns::Ns;
use super::reader::{Action, Bindings, Captured, Element, Handler};
use super::text::{self, Place, TextParams};

/// What a captured element's text is for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    Title,
    Subtitle,
    Summary,
    Content,
    Link {
        rel: Option<String>,
        media_type: Option<String>,
    },
    Id {
        permalink: bool,
    },
    Language,
    Published,
    Updated,
    Ttl,
    /// An `<hour>` of `<skipHours>`.
    SkipHour,
    /// A `<day>` of `<skipDays>`.
    SkipDay,
    SyPeriod,
    SyFrequency,
    NewFeedUrl,
    /// RSS-style author text ("mail (Name)"), `dc:creator`, `itunes:author`.
    AuthorText,
    ContributorText,
    PersonName,
    PersonEmail,
    PersonUri,
    Category {
        scheme: Option<String>,
    },
    /// A made-up `<tags>` element: comma-separated categories.
    Tags,
    ImageUrl,
    Icon,
    Logo,
    Ext(ext::ExtTarget),
}

/// A text element being captured.
pub(crate) struct Pending {
    pub target: Target,
    pub params: TextParams,
    pub depth: usize,
}

/// Which person an Atom `author`-like element fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PersonSlot {
    Author,
    Contributor,
    Owner,
}

/// Depth at which each single-valued field of the feed or the current entry
/// was last set: a value nested deeper does not replace one set shallower
/// (feedparser's precedence), a value as shallow or shallower does.
#[derive(Debug, Clone, Copy, Default)]
struct Depths {
    title: usize,
    subtitle: usize,
    summary: usize,
    content: usize,
    id: usize,
}

impl Depths {
    fn take(slot: &mut usize, depth: usize) -> bool {
        if *slot == 0 || depth <= *slot {
            *slot = depth;
            true
        } else {
            false
        }
    }
}

pub(crate) struct Builder {
    pub feed: ParsedFeed,
    pub dec: Decoder,
    pub atom: bool,
    pub atom10: bool,
    feed_depths: Depths,
    entry_depths: Depths,
    /// The entry's id came from `rdf:about` (a `guid`/`id` replaces it).
    id_from_about: bool,
    pub root_local: String,
    pub entry: Option<ParsedEntry>,
    entry_depth: usize,
    /// Entries completed so far.
    pub complete: usize,
    pub person: Option<(PersonSlot, Person, usize)>,
    image_depth: Option<usize>,
    /// Inside the channel's `<skipHours>` (`false`) or `<skipDays>` (`true`) at this depth.
    skip_block: Option<(bool, usize)>,
    pub pending: Option<Pending>,
    pub ext: ext::ExtState,
    /// An RSS `guid` is a permalink (per entry).
    guid_permalink: Option<String>,
    has_explicit_link: bool,
}

impl Builder {
    pub fn new(atom10: bool) -> Self {
        Builder {
            feed: ParsedFeed::default(),
            dec: Decoder::default(),
            atom: false,
            atom10,
            feed_depths: Depths::default(),
            entry_depths: Depths::default(),
            id_from_about: false,
            root_local: String::new(),
            entry: None,
            entry_depth: 0,
            complete: 0,
            person: None,
            image_depth: None,
            skip_block: None,
            pending: None,
            ext: ext::ExtState::default(),
            guid_permalink: None,
            has_explicit_link: false,
        }
    }

    /// Text params for a text element here.
    pub fn params(&mut self, el: &Element<'_>, default_type: &'static str) -> TextParams {
        TextParams {
            type_attr: el.attr("type", &mut self.dec.repaired),
            mode: el.attr("mode", &mut self.dec.repaired),
            default_type,
            atom: self.atom,
            atom10: self.atom10,
        }
    }

    pub fn capture(
        &mut self,
        el: &Element<'_>,
        target: Target,
        default_type: &'static str,
    ) -> Action {
        let params = self.params(el, default_type);
        self.pending = Some(Pending {
            target,
            params,
            depth: el.depth,
        });
        Action::Capture
    }

    /// The URL `value` resolved against `base`.
    /// An absolute URL is kept as written (like feedparser's `urljoin`; normalize
    /// canonicalizes later), a relative one is joined to the base when there is one.
    pub fn resolve(base: Option<&Url>, value: &str) -> String {
        let value = value.trim();
        if value.is_empty() || has_scheme(value) {
            return value.to_string();
        }
        match base {
            Some(b) => b
                .join(value)
                .map_or_else(|_| value.to_string(), String::from),
            None => value.to_string(),
        }
    }

    fn in_entry(&self) -> bool {
        self.entry.is_some()
    }

    pub fn add_category(&mut self, cat: Category) {
        if cat.term.is_empty() && cat.label.is_none() {
            return;
        }
        let list = match self.entry.as_mut() {
            Some(e) => &mut e.tags,
            None => &mut self.feed.categories,
        };
        if !list.contains(&cat) {
            list.push(cat);
        }
    }

    pub fn add_link(&mut self, link: Link) {
        match self.entry.as_mut() {
            Some(e) => {
                if link.rel == "enclosure" {
                    ext::push_enclosure(
                        &mut e.enclosures,
                        ParsedEnclosure {
                            url: link.href.clone(),
                            mime_type: link.media_type.clone(),
                            length: link.length,
                            duration_secs: None,
                        },
                    );
                }
                if link.rel == "alternate"
                    && e.link.is_none()
                    && is_html_type(link.media_type.as_deref())
                {
                    e.link = Some(link.href.clone());
                }
                e.links.push(link);
            }
            None => {
                let f = &mut self.feed;
                if link.rel == "alternate"
                    && f.site_url.is_none()
                    && is_html_type(link.media_type.as_deref())
                {
                    f.site_url = Some(link.href.clone());
                }
                if link.rel == "self" && f.self_url.is_none() {
                    f.self_url = Some(link.href.clone());
                }
                f.links.push(link);
            }
        }
    }

    /// Record a link in the list without making it the alternate link.
    fn add_link_only(&mut self, link: Link) {
        match self.entry.as_mut() {
            Some(e) => e.links.push(link),
            None => self.feed.links.push(link),
        }
    }

    fn atom_link(&mut self, el: &Element<'_>, href: String) {
        let r = &mut self.dec.repaired;
        let rel = el
            .attr("rel", r)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "alternate".into());
        let length = el.attr("length", r).and_then(|l| l.trim().parse().ok());
        let link = Link {
            // An empty reference is the base itself (RFC 3986 §5.2).
            href: match el.base {
                Some(b) if href.trim().is_empty() => b.as_str().to_string(),
                _ => Self::resolve(el.base, &href),
            },
            rel,
            media_type: el.attr("type", r).map(|s| s.trim().to_string()),
            title: el.attr("title", r),
            length,
            hreflang: el.attr("hreflang", r),
        };
        self.add_link(link);
    }

    fn start_core(&mut self, el: &Element<'_>) -> Action {
        if let Some(d) = self.image_depth {
            if el.depth > d {
                return match el.local {
                    "url" => self.capture(el, Target::ImageUrl, "text/plain"),
                    _ => Action::Skip,
                };
            }
        }
        if let Some((days, d)) = self.skip_block {
            if el.depth > d {
                return match (days, el.local) {
                    (false, "hour") => self.capture(el, Target::SkipHour, "text/plain"),
                    (true, "day") => self.capture(el, Target::SkipDay, "text/plain"),
                    _ => Action::Skip,
                };
            }
        }
        if self.person.is_some() {
            return match el.local {
                "name" => self.capture(el, Target::PersonName, "text/plain"),
                "email" => self.capture(el, Target::PersonEmail, "text/plain"),
                "uri" | "url" | "homepage" => self.capture(el, Target::PersonUri, "text/plain"),
                _ => Action::Skip,
            };
        }
        let in_entry = self.in_entry();
        match el.local {
            "channel" | "feed" => Action::Descend,
            "item" | "entry" if !in_entry => {
                self.entry = Some(ParsedEntry {
                    base_url: el.base.map(|u| u.as_str().to_string()),
                    language: el.lang.map(str::to_string),
                    ..Default::default()
                });
                self.entry_depth = el.depth;
                self.guid_permalink = None;
                self.has_explicit_link = false;
                self.entry_depths = Depths::default();
                self.id_from_about = false;
                if let Some(about) = el.attr_rdf_about(&mut self.dec.repaired) {
                    if let Some(e) = self.entry.as_mut() {
                        e.id = Some(about.trim().to_string()).filter(|a| !a.is_empty());
                        self.id_from_about = e.id.is_some();
                    }
                }
                Action::Descend
            }
            "image" | "textinput" if in_entry => Action::Skip,
            "title" => self.capture(el, Target::Title, "text/plain"),
            "description" => {
                let target = if in_entry {
                    Target::Summary
                } else {
                    Target::Subtitle
                };
                self.capture(el, target, "text/html")
            }
            "summary" => self.capture(el, Target::Summary, "text/plain"),
            "subtitle" | "tagline" => self.capture(el, Target::Subtitle, "text/plain"),
            "content" => {
                if let Some(src) = el.attr("src", &mut self.dec.repaired) {
                    if let Some(e) = self.entry.as_mut() {
                        e.content_src = Some(Self::resolve(el.base, &src));
                    }
                }
                self.capture(el, Target::Content, "text/plain")
            }
            "fullitem" => self.capture(el, Target::Content, "text/html"),
            "body" if in_entry => self.capture(el, Target::Content, "application/xhtml+xml"),
            "newlocation" => self.capture(el, Target::NewFeedUrl, "text/plain"),
            "tags" => self.capture(el, Target::Tags, "text/plain"),
            "link" => match el.attr("href", &mut self.dec.repaired) {
                Some(href) => {
                    self.atom_link(el, href);
                    Action::Skip
                }
                None => {
                    let r = &mut self.dec.repaired;
                    let rel = el
                        .attr("rel", r)
                        .map(|v| v.trim().to_string())
                        .filter(|v| !v.is_empty());
                    let media_type = el.attr("type", r).map(|v| v.trim().to_string());
                    self.capture(el, Target::Link { rel, media_type }, "text/plain")
                }
            },
            "id" => self.capture(el, Target::Id { permalink: false }, "text/plain"),
            "guid" => {
                let permalink = el
                    .attr("ispermalink", &mut self.dec.repaired)
                    .is_none_or(|v| v.trim().eq_ignore_ascii_case("true"));
                self.capture(el, Target::Id { permalink }, "text/plain")
            }
            "language" => self.capture(el, Target::Language, "text/plain"),
            "pubdate" | "published" | "issued" => self.capture(el, Target::Published, "text/plain"),
            "lastbuilddate" | "updated" | "modified" => {
                self.capture(el, Target::Updated, "text/plain")
            }
            "ttl" => self.capture(el, Target::Ttl, "text/plain"),
            "author" | "contributor" | "managingeditor" => {
                let slot = if el.local == "contributor" {
                    PersonSlot::Contributor
                } else {
                    PersonSlot::Author
                };
                if self.atom && el.local != "managingeditor" {
                    self.person = Some((slot, Person::default(), el.depth));
                    Action::Descend
                } else if slot == PersonSlot::Contributor {
                    self.capture(el, Target::ContributorText, "text/plain")
                } else {
                    // RSS author text; Atom-style children are read at the end.
                    self.person = Some((slot, Person::default(), el.depth));
                    Action::Descend
                }
            }
            "category" => {
                let r = &mut self.dec.repaired;
                match el.attr("term", r) {
                    Some(term) => {
                        let cat = Category {
                            term: term.trim().to_string(),
                            scheme: el.attr("scheme", r).filter(|s| !s.is_empty()),
                            label: el.attr("label", r).filter(|s| !s.is_empty()),
                        };
                        self.add_category(cat);
                        Action::Skip
                    }
                    None => {
                        let scheme = el.attr("domain", r).or_else(|| el.attr("scheme", r));
                        self.capture(el, Target::Category { scheme }, "text/plain")
                    }
                }
            }
            "enclosure" => {
                let r = &mut self.dec.repaired;
                if let Some(url) = el.attr("url", r).or_else(|| el.attr("href", r)) {
                    let link = Link {
                        href: Self::resolve(el.base, &url),
                        rel: "enclosure".into(),
                        media_type: el
                            .attr("type", r)
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty()),
                        title: None,
                        length: el.attr("length", r).and_then(|l| l.trim().parse().ok()),
                        hreflang: None,
                    };
                    self.add_link(link);
                }
                Action::Skip
            }
            "image" if !in_entry => {
                self.image_depth = Some(el.depth);
                Action::Descend
            }
            "icon" if !in_entry => self.capture(el, Target::Icon, "text/plain"),
            "logo" if !in_entry => self.capture(el, Target::Logo, "text/plain"),
            "skiphours" | "skipdays" if !in_entry && self.skip_block.is_none() => {
                self.skip_block = Some((el.local == "skipdays", el.depth));
                Action::Descend
            }
            "textinput" | "source" | "cloud" | "skiphours" | "skipdays" | "items" => Action::Skip,
            _ => Action::Descend,
        }
    }

    /// Where a text element is, for [`text::build`]. `body` is an entry's
    /// content or summary: normalize resolves the relative URLs in those
    /// against the entry's base (or, without `xml:base`, the article's own
    /// URL), so the parser only resolves them when the text has a base of
    /// its own.
    pub fn place<'e>(&self, el: &Element<'e>, body: bool) -> Place<'e> {
        let record_base = match (&self.entry, el.base) {
            (Some(e), Some(b)) => e.base_url.as_deref() != Some(b.as_str()),
            _ => true,
        };
        Place {
            base: el.base,
            language: el.lang,
            record_base,
            resolve: record_base || !(body && self.entry.is_some()),
            bindings: None,
        }
    }

    fn end_text(&mut self, p: Pending, el: &Element<'_>, content: &Captured<'_>) {
        let Pending {
            target,
            params,
            depth,
        } = p;
        match target {
            Target::Title | Target::Subtitle | Target::Summary | Target::Content => {
                let body = matches!(target, Target::Summary | Target::Content);
                let mut at = self.place(el, body);
                at.bindings = Some(content.bindings);
                let t = text::build(content.raw, content.has_children, params, at, &mut self.dec);
                self.set_text(target, t, depth);
            }
            Target::Ext(t) => ext::end(self, t, el, content, params, depth),
            _ => {
                let value = self.dec.text(content.raw);
                let value = if content.has_children {
                    strip_tags(&value)
                } else {
                    value.trim().to_string()
                };
                self.end_value(target, value, el, depth);
            }
        }
    }

    /// Store a text construct, following feedparser's precedence: a later
    /// value replaces an earlier one unless nested deeper; a second summary
    /// (RSS `description` + `summary`, `itunes:summary` …) becomes the
    /// content when there is none.
    pub fn set_text(&mut self, target: Target, t: Text, depth: usize) {
        match self.entry.as_mut() {
            Some(e) => {
                let d = &mut self.entry_depths;
                let target = if target == Target::Summary
                    && e.summary.is_some()
                    && e.content.is_none()
                    && d.summary == depth
                {
                    Target::Content
                } else {
                    target
                };
                match target {
                    Target::Title if Depths::take(&mut d.title, depth) => e.title = Some(t),
                    Target::Summary if Depths::take(&mut d.summary, depth) => e.summary = Some(t),
                    Target::Content if Depths::take(&mut d.content, depth) => e.content = Some(t),
                    Target::Subtitle if Depths::take(&mut d.subtitle, depth) => {
                        e.subtitle = Some(Box::new(t))
                    }
                    _ => {}
                }
            }
            None => {
                let d = &mut self.feed_depths;
                let f = &mut self.feed;
                match target {
                    Target::Title if Depths::take(&mut d.title, depth) => f.title = Some(t),
                    Target::Subtitle if Depths::take(&mut d.subtitle, depth) => {
                        f.description = Some(t)
                    }
                    Target::Summary if Depths::take(&mut d.summary, depth) => f.summary = Some(t),
                    _ => {}
                }
            }
        }
    }

    fn end_value(&mut self, target: Target, value: String, el: &Element<'_>, depth: usize) {
        let base = el.base;
        match target {
            Target::Link { rel, media_type } => {
                if value.is_empty() {
                    return;
                }
                let href = Self::resolve(base, &value);
                let rel = rel.unwrap_or_else(|| "alternate".into());
                if rel == "alternate" {
                    // An RSS <link> (or a text Atom 0.3 link): the last one wins.
                    match self.entry.as_mut() {
                        Some(e) => {
                            e.link = Some(href.clone());
                            self.has_explicit_link = true;
                        }
                        None => self.feed.site_url = Some(href.clone()),
                    }
                }
                self.add_link_only(Link {
                    href,
                    rel,
                    media_type,
                    ..Default::default()
                });
            }
            Target::Id { permalink } => {
                if value.is_empty() {
                    return;
                }
                // An Atom id is an IRI reference: resolved like feedparser does
                // (an RSS guid is an opaque string unless it is a URL).
                // Only a value that is visibly a relative reference (a path)
                // is resolved: "Correct Value" or "1234" are not URLs at all.
                let value = if self.atom && !permalink && looks_like_path(&value) {
                    Self::resolve(base, &value)
                } else {
                    value
                };
                match self.entry.as_mut() {
                    Some(e) => {
                        let d = &mut self.entry_depths;
                        if self.id_from_about || Depths::take(&mut d.id, depth) {
                            self.id_from_about = false;
                            d.id = depth;
                            e.id = Some(value.clone());
                            self.guid_permalink = permalink.then_some(value);
                        }
                    }
                    None => {
                        if Depths::take(&mut self.feed_depths.id, depth) {
                            self.feed.id = Some(value);
                        }
                    }
                }
            }
            Target::Tags => {
                for term in value.split(',') {
                    let term = term.trim();
                    if !term.is_empty() {
                        self.add_category(Category {
                            term: term.to_string(),
                            ..Default::default()
                        });
                    }
                }
            }
            Target::Language => {
                if value.is_empty() {
                    return;
                }
                match self.entry.as_mut() {
                    Some(e) => e.language = Some(value),
                    None => self.feed.language = Some(value),
                }
            }
            Target::Published | Target::Updated => {
                let Some(date) = crate::date::parse_date(&value) else {
                    return;
                };
                let slot = match (self.entry.as_mut(), &target) {
                    (Some(e), Target::Published) => &mut e.published,
                    (Some(e), _) => &mut e.updated,
                    (None, Target::Published) => &mut self.feed.published,
                    (None, _) => &mut self.feed.updated,
                };
                *slot = Some(date);
            }
            Target::Ttl if !self.in_entry() => self.feed.ttl = value.parse().ok(),
            Target::SkipHour => {
                if let Some(hour) = skip_hour(&value) {
                    insert_sorted(&mut self.feed.skip_hours, hour);
                }
            }
            Target::SkipDay => {
                if let Some(day) = skip_day(&value) {
                    insert_sorted(&mut self.feed.skip_days, day);
                }
            }
            Target::SyPeriod => self.feed.update_period = Some(value).filter(|v| !v.is_empty()),
            Target::SyFrequency => self.feed.update_frequency = value.parse().ok(),
            Target::NewFeedUrl if !value.is_empty() => {
                self.feed.new_feed_url = Some(Self::resolve(base, &value));
            }
            Target::AuthorText | Target::ContributorText => {
                if value.is_empty() {
                    return;
                }
                let person = rss_person(&value);
                let contributor = target == Target::ContributorText;
                self.add_person(person, contributor);
            }
            Target::PersonName | Target::PersonEmail | Target::PersonUri => {
                if let Some((_, p, _)) = self.person.as_mut() {
                    let v = Some(value).filter(|v| !v.is_empty());
                    match target {
                        Target::PersonName => p.name = v,
                        Target::PersonEmail => p.email = v,
                        _ => p.uri = v.map(|u| Self::resolve(base, &u)),
                    }
                }
            }
            Target::Category { scheme } => {
                self.add_category(Category {
                    term: value,
                    scheme: scheme.filter(|s| !s.is_empty()),
                    label: None,
                });
            }
            Target::ImageUrl if !value.is_empty() && self.feed.image_url.is_none() => {
                self.feed.image_url = Some(Self::resolve(base, &value));
            }
            Target::Icon => {
                self.feed.icon_url = Some(Self::resolve(base, &value)).filter(|v| !v.is_empty())
            }
            Target::Logo => {
                self.feed.logo_url = Some(Self::resolve(base, &value)).filter(|v| !v.is_empty())
            }
            _ => {}
        }
    }

    pub fn add_person(&mut self, person: Person, contributor: bool) {
        if person.name.is_none() && person.email.is_none() && person.uri.is_none() {
            return;
        }
        let list = match (self.entry.as_mut(), contributor) {
            (Some(e), false) => &mut e.authors,
            (Some(e), true) => &mut e.contributors,
            (None, false) => &mut self.feed.authors,
            (None, true) => &mut self.feed.contributors,
        };
        if !list.contains(&person) {
            list.push(person);
        }
    }

    fn end_person(&mut self, content: &Captured<'_>) {
        let Some((slot, person, _)) = self.person.take() else {
            return;
        };
        match slot {
            PersonSlot::Owner => ext::set_owner(self, person),
            _ => {
                let contributor = slot == PersonSlot::Contributor;
                if person.name.is_none() && person.email.is_none() && person.uri.is_none() {
                    // No children: RSS author text.
                    let value = self.dec.text(content.raw);
                    let value = if content.has_children {
                        strip_tags(&value)
                    } else {
                        value.trim().to_string()
                    };
                    if !value.is_empty() {
                        self.add_person(rss_person(&value), contributor);
                    }
                } else {
                    self.add_person(person, contributor);
                }
            }
        }
    }

    fn end_entry(&mut self) {
        let Some(mut e) = self.entry.take() else {
            return;
        };
        if e.link.is_none() && self.atom {
            // An Atom entry without a link whose id is an http(s) URL: that
            // URL is the entry's page (feedparser does the same; `urn:`/`tag:`
            // ids are not links).
            self.guid_permalink = e.id.clone();
        }
        if e.link.is_none() {
            if let Some(guid) = self.guid_permalink.take() {
                if is_http_url(&guid) {
                    e.link = Some(guid.clone());
                    e.link_from_guid = true;
                    e.links.push(Link {
                        href: guid,
                        rel: "alternate".into(),
                        ..Default::default()
                    });
                }
            }
        }
        for c in &e.tags {
            let name = c.label.as_deref().unwrap_or(&c.term).trim().to_string();
            if !name.is_empty() && !e.categories.contains(&name) {
                e.categories.push(name);
            }
        }
        ext::finish_entry(&mut e);
        // Vectors start with room for 4; a big feed has many small lists.
        e.links.shrink_to_fit();
        e.tags.shrink_to_fit();
        e.categories.shrink_to_fit();
        e.authors.shrink_to_fit();
        e.contributors.shrink_to_fit();
        e.enclosures.shrink_to_fit();
        if e.image_url.is_none() {
            e.image_url = e.itunes.as_ref().and_then(|i| i.image.clone());
        }
        self.feed.entries.push(e);
        self.complete += 1;
    }

    /// Finish the feed-level fields after the pass.
    pub fn finish(&mut self, format: FeedFormat) -> ParsedFeed {
        let mut feed = std::mem::take(&mut self.feed);
        feed.format = format;
        feed.ttl_minutes = feed.ttl.or_else(|| {
            super::super::xml::syndication_minutes(
                feed.update_period.as_deref(),
                feed.update_frequency,
            )
        });
        if feed.updated.is_none() {
            feed.updated = feed.published;
        }
        if feed.image_url.is_none() {
            feed.image_url = feed
                .itunes
                .as_ref()
                .and_then(|i| i.image.clone())
                .or_else(|| feed.logo_url.clone())
                .or_else(|| feed.icon_url.clone());
        }
        feed
    }
}

impl Handler for Builder {
    fn start(&mut self, el: &Element<'_>, bindings: &Bindings) -> Action {
        if el.depth == 1 {
            self.root_local = el.local.to_string();
            self.atom = matches!(el.local, "feed" | "entry");
            if let Some(lang) = el.lang {
                self.feed.language = Some(lang.replace('_', "-"));
            }
            if el.local == "entry" {
                return self.start_core(el);
            }
            return Action::Descend;
        }
        match el.ns {
            Ns::None | Ns::Core => self.start_core(el),
            Ns::Xhtml if el.local == "body" && self.in_entry() => {
                let mut p = self.params(el, "application/xhtml+xml");
                p.type_attr = None;
                self.pending = Some(Pending {
                    target: Target::Content,
                    params: p,
                    depth: el.depth,
                });
                Action::Capture
            }
            Ns::Rdf | Ns::Xml | Ns::Other | Ns::Xhtml => Action::Descend,
            _ => ext::start(self, el, bindings),
        }
    }

    fn end(&mut self, el: &Element<'_>, content: Captured<'_>) {
        if let Some(p) = self.pending.take() {
            if p.depth == el.depth {
                self.end_text(p, el, &content);
                return;
            }
            self.pending = Some(p);
        }
        if self.person.as_ref().is_some_and(|(_, _, d)| *d == el.depth) {
            self.end_person(&content);
            return;
        }
        if self.image_depth == Some(el.depth) {
            self.image_depth = None;
            return;
        }
        if self.skip_block.is_some_and(|(_, d)| d == el.depth) {
            self.skip_block = None;
            return;
        }
        if self.entry.is_some() && self.entry_depth == el.depth {
            self.end_entry();
            return;
        }
        ext::end_element(self, el);
    }

    fn repaired(&mut self) -> &mut bool {
        &mut self.dec.repaired
    }

    fn doctype(&mut self, content: &str) {
        let declared = Declared::from_doctype(content);
        if !declared.is_empty() {
            self.dec.declared = Some(declared);
        }
    }
}

fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 0 => {
            let scheme = &s[..i];
            scheme.as_bytes()[0].is_ascii_alphabetic()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        _ => false,
    }
}

/// An RSS `<skipHours><hour>` value: a whole number 0-23 (leading zeros
/// allowed); 24 is midnight, as in RSS 0.91's 1-24 numbering.
fn skip_hour(value: &str) -> Option<u8> {
    let v = value.trim();
    if v.is_empty() || v.len() > 4 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match v.parse::<u8>().ok()? {
        24 => Some(0),
        h if h < 24 => Some(h),
        _ => None,
    }
}

/// An RSS `<skipDays><day>` value: an English day name in any case (the
/// three-letter abbreviation too) as 0 = Monday .. 6 = Sunday.
fn skip_day(value: &str) -> Option<u8> {
    const DAYS: [&str; 7] = crate::date::WEEKDAYS;
    let v = value.trim().to_ascii_lowercase();
    if v.len() < 3 {
        return None;
    }
    DAYS.iter()
        .position(|d| *d == v || (v.len() == 3 && d.starts_with(v.as_str())))
        .and_then(|i| u8::try_from(i).ok())
}

/// Insert `v` into the sorted list `list` unless it is there already.
fn insert_sorted(list: &mut Vec<u8>, v: u8) {
    if let Err(at) = list.binary_search(&v) {
        list.insert(at, v);
    }
}

fn looks_like_path(s: &str) -> bool {
    s.starts_with('/') || s.starts_with("./") || s.starts_with("../")
}

fn is_html_type(t: Option<&str>) -> bool {
    match t.map(|t| t.trim().to_ascii_lowercase()) {
        None => true,
        Some(t) => t.is_empty() || t == "text/html" || t == "application/xhtml+xml" || t == "html",
    }
}

fn is_http_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")) && Url::parse(s).is_ok()
}

/// Text of markup with the tags removed (for values that should be plain).
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// RSS `<author>` / `dc:creator` text: "mail@example.com (Name)", "Name
/// <mail>", a bare address, or just a name (feedparser's reading: the first
/// e-mail address found is the e-mail, the rest, without brackets, the name).
pub(crate) fn rss_person(text: &str) -> Person {
    let text = text.trim();
    let email = find_email(text);
    let mut name = text.to_string();
    if let Some(email) = &email {
        name = name.replacen(email.as_str(), "", 1);
        name = name
            .replace("()", "")
            .replace("<>", "")
            .replace("&lt;&gt;", "");
        let mut n = name.trim();
        n = n.strip_prefix('(').unwrap_or(n);
        n = n.strip_suffix(')').unwrap_or(n);
        name = n.trim().to_string();
    }
    Person {
        name: Some(name).filter(|n| !n.is_empty()),
        email,
        uri: None,
    }
}

/// The first e-mail address in `text` (a simplified form of feedparser's pattern).
fn find_email(text: &str) -> Option<String> {
    let at = text.find('@')?;
    let is_local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+');
    let is_domain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.');
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_local(*c))
        .last()
        .map(|(i, _)| i)?;
    let rest = &text[at + 1..];
    let end = rest.find(|c: char| !is_domain(c)).unwrap_or(rest.len());
    let domain = rest[..end].trim_end_matches('.');
    if start == at || !domain.contains('.') {
        return None;
    }
    Some(format!("{}@{}", &text[start..at], domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_author_forms() {
        let p = rss_person("jo@example.com (Jo Bloggs)");
        assert_eq!(
            (p.name.as_deref(), p.email.as_deref()),
            (Some("Jo Bloggs"), Some("jo@example.com"))
        );
        let p = rss_person("Jo Bloggs <jo@example.com>");
        assert_eq!(
            (p.name.as_deref(), p.email.as_deref()),
            (Some("Jo Bloggs"), Some("jo@example.com"))
        );
        let p = rss_person("jo@example.com");
        assert_eq!((p.name, p.email.as_deref()), (None, Some("jo@example.com")));
        let p = rss_person("Jo Bloggs");
        assert_eq!((p.name.as_deref(), p.email), (Some("Jo Bloggs"), None));
        let p = rss_person("@ x");
        assert_eq!(p.email, None);
    }
}
