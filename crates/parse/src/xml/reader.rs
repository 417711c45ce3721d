//! The event loop: one pass of `quick_xml::Reader` over the decoded text,
//! with borrowed events, keeping the stacks XML leaves to applications:
//! namespace bindings (elements are identified by namespace URI, not
//! prefix), the `xml:base` and `xml:lang` in effect, and the open elements
//! (end tags are matched leniently: a stray one is ignored, a missing one
//! is implied, both flag the document as repaired).
//!
//! The [`Handler`] sees each element start and end. To read an element's
//! content it answers [`Action::Capture`]: its children are then not
//! dispatched, and at the end tag the handler gets the raw inner text as a
//! slice of the document (no copy), whether it had child elements, for it
//! to decode as text or keep as markup.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use url::Url;

use super::entities;
use super::ns::{self, Ns};

/// What the handler wants done with an element's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Dispatch the children.
    Descend,
    /// Collect the raw content, dispatch nothing inside.
    Capture,
    /// Ignore the element and everything inside it.
    Skip,
}

/// An element as the handler sees it.
pub(crate) struct Element<'e> {
    pub ns: Ns,
    /// Local name, ASCII-lowercased (feedparser matches names case-insensitively).
    pub local: &'e str,
    pub base: Option<&'e Url>,
    pub lang: Option<&'e str>,
    /// Nesting depth (the root is 1).
    pub depth: usize,
    start: Option<&'e BytesStart<'e>>,
}

impl Element<'_> {
    /// The value of the unprefixed attribute `name` (ASCII case-insensitive), decoded.
    pub fn attr(&self, name: &str, repaired: &mut bool) -> Option<String> {
        let start = self.start?;
        raw_attrs(start.attributes_raw())
            .find(|(key, _)| key.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| entities::attr(value, repaired).into_owned())
    }

    /// The `rdf:about` attribute (any prefix), decoded.
    pub fn attr_rdf_about(&self, repaired: &mut bool) -> Option<String> {
        let start = self.start?;
        raw_attrs(start.attributes_raw())
            .find(|(key, _)| key.len() > 6 && key.ends_with(b":about"))
            .map(|(_, value)| entities::attr(value, repaired).into_owned())
    }
}

/// The attributes of a start tag's raw attribute text, as (name, raw
/// value) slices: a light, allocation-free scanner that accepts what HTML
/// does (single, double or no quotes; a name without a value has an empty one).
pub(crate) fn raw_attrs(raw: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let ws = |b: u8| b.is_ascii_whitespace();
        while i < raw.len() && (ws(raw[i]) || raw[i] == b'/') {
            i += 1;
        }
        if i >= raw.len() {
            return None;
        }
        let name_start = i;
        while i < raw.len() && !ws(raw[i]) && raw[i] != b'=' {
            i += 1;
        }
        let name = &raw[name_start..i];
        while i < raw.len() && ws(raw[i]) {
            i += 1;
        }
        if i >= raw.len() || raw[i] != b'=' {
            return Some((name, &raw[..0]));
        }
        i += 1;
        while i < raw.len() && ws(raw[i]) {
            i += 1;
        }
        let value = match raw.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = i + 1;
                let end = raw[start..]
                    .iter()
                    .position(|&b| b == q)
                    .map_or(raw.len(), |p| start + p);
                i = (end + 1).min(raw.len());
                &raw[start..end]
            }
            _ => {
                let start = i;
                while i < raw.len() && !ws(raw[i]) {
                    i += 1;
                }
                &raw[start..i]
            }
        };
        Some((name, value))
    })
}

/// The captured content of an element.
pub(crate) struct Captured<'a> {
    /// Raw inner text (between the start and end tags), as in the document.
    pub raw: &'a str,
    /// Whether it contained child elements.
    pub has_children: bool,
    /// The namespace bindings in scope at the element (for prefixes its
    /// content uses but does not declare).
    pub bindings: &'a Bindings,
}

pub(crate) trait Handler {
    fn start(&mut self, el: &Element<'_>, bindings: &Bindings) -> Action;
    fn end(&mut self, el: &Element<'_>, content: Captured<'_>);
    /// Set when something had to be repaired; the handler owns the flag.
    fn repaired(&mut self) -> &mut bool;
    /// The DOCTYPE's content, when the document has one.
    fn doctype(&mut self, _content: &str) {}
}

/// Namespace bindings in scope.
#[derive(Debug, Default)]
pub(crate) struct Bindings {
    /// (prefix, namespace), innermost last; the default namespace has an empty prefix.
    stack: Vec<(Box<[u8]>, Ns)>,
}

impl Bindings {
    pub fn is_declared(&self, prefix: &[u8]) -> bool {
        self.stack.iter().any(|(p, _)| **p == *prefix)
    }

    pub fn resolve(&self, prefix: &[u8]) -> Ns {
        for (p, n) in self.stack.iter().rev() {
            if **p == *prefix {
                return *n;
            }
        }
        if prefix.is_empty() {
            Ns::None
        } else if prefix.eq_ignore_ascii_case(b"xml") {
            Ns::Xml
        } else {
            // An undeclared prefix: feedparser goes by the prefix then.
            ns::from_prefix(prefix)
        }
    }
}

/// One open element.
struct Frame {
    qname_start: usize,
    qname_len: usize,
    ns: Ns,
    local: [u8; 32],
    local_len: u8,
    /// Number of entries in `bases` / `langs` / bindings when it opened.
    bases: usize,
    langs: usize,
    bindings: usize,
    dispatched: bool,
    /// Byte offset just after the start tag.
    content_start: usize,
    has_children: bool,
}

/// How the pass ended.
pub(crate) struct Outcome {
    /// A syntax error that stopped the pass: (byte offset, message).
    pub error: Option<(usize, String)>,
    /// The document ended with elements still open.
    pub truncated: bool,
    /// The root element's qualified name (for messages).
    pub saw_root: bool,
}

/// Run the pass over `input`, with `base` / `lang` in effect outside the root.
pub(crate) fn run<H: Handler>(
    input: &str,
    base: Option<Url>,
    lang: Option<String>,
    handler: &mut H,
) -> Outcome {
    let mut reader = Reader::from_str(input);
    {
        let config = reader.config_mut();
        config.check_end_names = false;
        config.trim_text(false);
        config.check_comments = false;
        config.expand_empty_elements = false;
    }
    let mut bases: Vec<Url> = base.into_iter().collect();
    let mut langs: Vec<Option<String>> = vec![lang.filter(|l| !l.is_empty())];
    let mut bindings = Bindings::default();
    let mut frames: Vec<Frame> = Vec::new();
    // (depth of the capturing element, content start, saw a child, first child qname range)
    let mut capture: Option<usize> = None;
    let mut skip_depth: Option<usize> = None;
    let mut outcome = Outcome {
        error: None,
        truncated: false,
        saw_root: false,
    };
    loop {
        let before = pos(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                outcome.error = Some((pos(reader.error_position()), e.to_string()));
                break;
            }
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                outcome.saw_root = true;
                let depth = frames.len() + 1;
                let name = e.name();
                let qname = name.as_ref();
                if let Some(parent) = frames.last_mut() {
                    parent.has_children = true;
                }
                let quiet = capture.is_some() || skip_depth.is_some();
                let frame = open(
                    e,
                    before,
                    qname,
                    quiet,
                    &mut bases,
                    &mut langs,
                    &mut bindings,
                    handler.repaired(),
                );
                let mut frame = frame;
                frame.content_start = pos(reader.buffer_position());
                if !quiet {
                    let action = {
                        let el = element(&frame, e, &bases, &langs, depth);
                        handler.start(&el, &bindings)
                    };
                    frame.dispatched = true;
                    match action {
                        Action::Descend => {}
                        Action::Capture => capture = Some(depth),
                        Action::Skip => skip_depth = Some(depth),
                    }
                }
                frames.push(frame);
                if empty {
                    close_top(
                        &mut frames,
                        &mut capture,
                        &mut skip_depth,
                        input,
                        before,
                        &mut bases,
                        &mut langs,
                        &mut bindings,
                        handler,
                        true,
                    );
                }
            }
            Event::End(ref e) => {
                let name = e.name();
                let qname = name.as_ref();
                let found = frames.iter().rposition(|f| {
                    input
                        .as_bytes()
                        .get(f.qname_start..f.qname_start + f.qname_len)
                        == Some(qname)
                });
                match found {
                    None => *handler.repaired() = true,
                    Some(i) => {
                        if i + 1 != frames.len() {
                            *handler.repaired() = true;
                        }
                        while frames.len() > i {
                            close_top(
                                &mut frames,
                                &mut capture,
                                &mut skip_depth,
                                input,
                                before,
                                &mut bases,
                                &mut langs,
                                &mut bindings,
                                handler,
                                false,
                            );
                        }
                    }
                }
            }
            Event::DocType(ref d) => {
                if let Ok(content) = std::str::from_utf8(d) {
                    handler.doctype(content);
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Text(_) | Event::CData(_) => {}
            Event::Eof => {
                outcome.truncated = !frames.is_empty();
                break;
            }
        }
    }
    outcome
}

#[allow(clippy::too_many_arguments)]
fn open(
    e: &BytesStart<'_>,
    before: usize,
    qname: &[u8],
    quiet: bool,
    bases: &mut Vec<Url>,
    langs: &mut Vec<Option<String>>,
    bindings: &mut Bindings,
    repaired: &mut bool,
) -> Frame {
    let mut frame = Frame {
        qname_start: before + 1,
        qname_len: qname.len(),
        ns: Ns::None,
        local: [0; 32],
        local_len: 0,
        bases: bases.len(),
        langs: langs.len(),
        bindings: bindings.stack.len(),
        dispatched: false,
        content_start: 0,
        has_children: false,
    };
    let (prefix, local) = match qname.iter().position(|&b| b == b':') {
        Some(i) => (&qname[..i], &qname[i + 1..]),
        None => (&qname[..0], qname),
    };
    if local.len() <= 32 {
        frame.local[..local.len()].copy_from_slice(local);
        frame.local[..local.len()].make_ascii_lowercase();
        frame.local_len = local.len() as u8;
    }
    if quiet {
        // Inside captured or skipped content only the names matter.
        frame.ns = Ns::Other;
        return frame;
    }
    // Most elements have no attribute that changes the context: skip the
    // attribute parse unless the tag mentions one.
    let raw_attr_text = e.attributes_raw();
    let interesting = raw_attr_text.windows(4).any(|w| {
        w.eq_ignore_ascii_case(b"xmln")
            || w.eq_ignore_ascii_case(b"base")
            || w.eq_ignore_ascii_case(b"lang")
    });
    let attrs = raw_attrs(raw_attr_text);
    for (key, raw_value) in attrs.take(if interesting { usize::MAX } else { 0 }) {
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            let p = key.get(6..).unwrap_or_default();
            let uri = entities::attr(raw_value, repaired);
            bindings.stack.push((p.into(), ns::from_uri(&uri)));
        } else if key.eq_ignore_ascii_case(b"xml:base") || key.eq_ignore_ascii_case(b"base") {
            let value = entities::attr(raw_value, repaired);
            let value = value.trim();
            let joined = match bases.last() {
                Some(parent) => parent.join(value).ok(),
                None => Url::parse(value).ok(),
            };
            if let Some(u) = joined.filter(|u| safe_scheme(u.scheme())) {
                bases.push(u);
            }
        } else if key.eq_ignore_ascii_case(b"xml:lang") || key.eq_ignore_ascii_case(b"lang") {
            let value = entities::attr(raw_value, repaired);
            let value = value.trim();
            langs.push((!value.is_empty()).then(|| value.replace('_', "-")));
        }
    }
    frame.ns = bindings.resolve(prefix);
    if !prefix.is_empty() && !prefix.eq_ignore_ascii_case(b"xml") && !bindings.is_declared(prefix) {
        // An undeclared prefix: not well-formed with namespaces.
        *repaired = true;
    }
    frame
}

/// URI schemes a base may have (feedparser's `make_safe_absolute_uri`).
fn safe_scheme(scheme: &str) -> bool {
    matches!(
        scheme,
        "http"
            | "https"
            | "ftp"
            | "ftps"
            | "file"
            | "feed"
            | "gopher"
            | "irc"
            | "mailto"
            | "magnet"
            | "news"
            | "nntp"
            | "rsync"
            | "sftp"
            | "ssh"
            | "telnet"
            | "urn"
            | "tag"
    )
}

fn element<'e>(
    frame: &'e Frame,
    start: &'e BytesStart<'e>,
    bases: &'e [Url],
    langs: &'e [Option<String>],
    depth: usize,
) -> Element<'e> {
    Element {
        ns: frame.ns,
        local: std::str::from_utf8(&frame.local[..usize::from(frame.local_len)]).unwrap_or(""),
        base: bases.last(),
        lang: langs.last().and_then(|l| l.as_deref()),
        depth,
        start: Some(start),
    }
}

/// Close the innermost open element: dispatch its end, restore the stacks.
#[allow(clippy::too_many_arguments)]
fn close_top<H: Handler>(
    frames: &mut Vec<Frame>,
    capture: &mut Option<usize>,
    skip_depth: &mut Option<usize>,
    input: &str,
    end_at: usize,
    bases: &mut Vec<Url>,
    langs: &mut Vec<Option<String>>,
    bindings: &mut Bindings,
    handler: &mut H,
    empty: bool,
) {
    let depth = frames.len();
    let Some(frame) = frames.last() else {
        return;
    };
    if frame.dispatched && skip_depth.is_none_or(|d| d == depth) {
        if *capture == Some(depth) {
            *capture = None;
        }
        let captured = Captured {
            raw: if empty {
                ""
            } else {
                input.get(frame.content_start..end_at).unwrap_or_default()
            },
            has_children: frame.has_children,
            bindings,
        };
        let el = Element {
            ns: frame.ns,
            local: std::str::from_utf8(&frame.local[..usize::from(frame.local_len)]).unwrap_or(""),
            base: bases.last(),
            lang: langs.last().and_then(|l| l.as_deref()),
            depth,
            start: None,
        };
        if *skip_depth == Some(depth) {
            *skip_depth = None;
        } else {
            handler.end(&el, captured);
        }
    }
    let Some(frame) = frames.pop() else {
        return;
    };
    bases.truncate(frame.bases);
    langs.truncate(frame.langs.max(1));
    bindings.stack.truncate(frame.bindings);
}

fn pos(p: u64) -> usize {
    usize::try_from(p).unwrap_or(usize::MAX)
}
