//! Our XML feed parser: one streaming pass of `quick_xml` over the decoded
//! text, straight into [`ParsedFeed`].
//!
//! - [`reader`]: the event loop, namespace / `xml:base` / `xml:lang`
//!   stacks, lenient end-tag matching, raw content capture;
//! - [`feed`]: the handler for RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 elements;
//! - [`ext`]: Dublin Core, `content`, iTunes, Media RSS, Podcasting 2.0, syndication;
//! - [`text`]: text constructs (type, mode, xhtml, "looks like HTML");
//! - [`entities`]: character data decoding with the repairs real feeds need;
//! - [`ns`]: namespace URIs (and their common misspellings).

pub(crate) mod entities;
mod ext;
mod feed;
mod ns;
mod reader;
mod text;
mod uris;

use url::Url;

use crate::sniff::Root;
use crate::{FeedFormat, ParseError, ParseOptions, ParseReport, ParsedFeed};

const ATOM03_NS: &str = "http://purl.org/atom/ns#";

/// Parse an XML feed document (decoded text starting with `<`).
pub(crate) fn parse(
    text: &str,
    opts: &ParseOptions<'_>,
    report: &mut ParseReport,
) -> Result<ParsedFeed, ParseError> {
    let root = crate::sniff::root(text)?;
    let format = match (root.local.as_str(), root.version.as_deref()) {
        ("rss", Some(v)) if v.starts_with("0.9") => FeedFormat::Rss0,
        ("rss", _) => FeedFormat::Rss2,
        ("RDF", _) => FeedFormat::Rss1,
        ("feed" | "entry", _) => FeedFormat::Atom,
        ("opml", _) => return Err(ParseError::NotAFeed("an OPML subscription list".into())),
        _ => {
            return Err(ParseError::NotAFeed(format!(
                "an XML document whose root element is <{}>",
                root.qname
            )))
        }
    };
    let head = text.get(..root.tag_end).unwrap_or(text);
    report.version = version_name(&root, head);

    let base = outer_base(opts);
    let lang = opts
        .content_language
        .map(|l| l.split(',').next().unwrap_or_default().trim().to_string());
    let mut builder = feed::Builder::new(report.version == "atom10");
    builder.dec.utf8 = report.encoding == "utf-8";
    let outcome = reader::run(text, base, lang, &mut builder);
    let complete = builder.complete;
    let mut feed = builder.finish(format);
    if builder.dec.repaired && report.repaired.is_none() {
        report.repaired = Some(
            "undeclared entities, bare '&', control characters or mismatched tags were repaired"
                .into(),
        );
    }
    if let Some((at, msg)) = outcome.error {
        report.repaired = Some(format!(
            "{msg} at byte {at}; kept the {complete} complete entries before it"
        ));
    } else if outcome.truncated {
        report.repaired = Some(format!(
            "the document ends before </{}>; kept the {complete} complete entries",
            root.qname
        ));
    }
    if root.local == "entry" {
        // A lone Atom entry document.
        feed.format = FeedFormat::Atom;
    }
    Ok(feed)
}

/// The base URL outside the root: `Content-Location` over the document URL.
fn outer_base(opts: &ParseOptions<'_>) -> Option<Url> {
    let url = opts.url.cloned();
    match opts
        .content_location
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        Some(loc) => match &url {
            Some(u) => u.join(loc).ok().or(url),
            None => Url::parse(loc).ok(),
        },
        None => url,
    }
}

/// feedparser's name for the format and version of a document with this
/// root (`head` is the document up to the end of the root start tag).
fn version_name(root: &Root, head: &str) -> String {
    let version = root.version.as_deref().unwrap_or_default();
    match root.local.as_str() {
        "rss" => match version {
            "0.91" if head.contains("my.netscape.com/publish/formats/rss-0.91.dtd") => {
                "rss091n".into()
            }
            "0.91" => "rss091u".into(),
            "0.92" => "rss092".into(),
            "0.93" => "rss093".into(),
            "0.94" => "rss094".into(),
            v if v.starts_with('2') => "rss20".into(),
            _ => "rss".into(),
        },
        "RDF" if head.contains("my.netscape.com/rdf/simple/0.9/") => "rss090".into(),
        "RDF" => "rss10".into(),
        _ if version.starts_with("0.") || head.contains(ATOM03_NS) => "atom03".into(),
        _ if head.contains("http://www.w3.org/2005/Atom") => "atom10".into(),
        _ => "atom".into(),
    }
}

/// `sy:updatePeriod` / `sy:updateFrequency` as minutes between updates.
pub(crate) fn syndication_minutes(period: Option<&str>, frequency: Option<u32>) -> Option<u32> {
    let minutes: u32 = match period?.trim().to_ascii_lowercase().as_str() {
        "hourly" => 60,
        "daily" => 1440,
        "weekly" => 10_080,
        "monthly" => 43_200,
        "yearly" => 525_600,
        _ => return None,
    };
    let frequency = frequency.filter(|f| *f > 0).unwrap_or(1);
    Some((minutes / frequency).max(1))
}

#[cfg(test)]
mod tests;
