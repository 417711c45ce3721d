//! Namespaces we read, identified by URI (ASCII case-insensitive, with the
//! wrong URIs feedparser also accepts), or by the conventional prefix when
//! a document uses one without declaring it.

/// A namespace, as far as feed parsing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    /// No namespace (plain RSS 0.9x/2.0 elements).
    None,
    /// A namespace of the feed format itself: Atom 1.0/0.3, RSS 1.0,
    /// RSS 0.90, Userland's RSS namespaces and the pre-Atom drafts.
    Core,
    Rdf,
    Dc,
    Dcterms,
    Content,
    Itunes,
    Media,
    Podcast,
    Sy,
    Xhtml,
    Svg,
    MathMl,
    Xml,
    /// Anything else.
    Other,
}

/// The namespace a URI names.
pub(crate) fn from_uri(uri: &str) -> Ns {
    let uri = uri.trim();
    let lower = uri.to_ascii_lowercase();
    let u = lower.as_str();
    match u {
        "" => Ns::None,
        "http://www.w3.org/2005/atom"
        | "http://purl.org/atom/ns#"
        | "http://purl.org/rss/1.0/"
        | "http://my.netscape.com/rdf/simple/0.9/"
        | "http://purl.org/rss/1.0/modules/rss091#"
        | "http://example.com/newformat#"
        | "http://example.com/necho"
        | "http://purl.org/echo/"
        | "uri/of/echo/namespace#"
        | "http://purl.org/pie/" => Ns::Core,
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#" => Ns::Rdf,
        "http://purl.org/dc/elements/1.1/" => Ns::Dc,
        "http://purl.org/dc/terms/" => Ns::Dcterms,
        "http://purl.org/rss/1.0/modules/content/" => Ns::Content,
        "http://www.itunes.com/dtds/podcast-1.0.dtd"
        | "http://example.com/dtds/podcast-1.0.dtd" => Ns::Itunes,
        "http://search.yahoo.com/mrss" | "http://search.yahoo.com/mrss/" => Ns::Media,
        "https://podcastindex.org/namespace/1.0" | "http://podcastindex.org/namespace/1.0" => {
            Ns::Podcast
        }
        "http://purl.org/rss/1.0/modules/syndication/" => Ns::Sy,
        "http://www.w3.org/1999/xhtml" => Ns::Xhtml,
        "http://www.w3.org/2000/svg" => Ns::Svg,
        "http://www.w3.org/1998/math/mathml" => Ns::MathMl,
        "http://www.w3.org/xml/1998/namespace" => Ns::Xml,
        _ if u.contains("backend.userland.com/rss") => Ns::Core,
        "http://blogs.law.harvard.edu/tech/rss" => Ns::Core,
        _ => Ns::Other,
    }
}

/// The URI of a namespace that inline markup may need declared.
pub(crate) fn foreign_uri(ns: Ns) -> Option<&'static str> {
    match ns {
        Ns::Svg => Some("http://www.w3.org/2000/svg"),
        Ns::MathMl => Some("http://www.w3.org/1998/Math/MathML"),
        _ => None,
    }
}

/// The namespace an undeclared prefix conventionally stands for.
pub(crate) fn from_prefix(prefix: &[u8]) -> Ns {
    match prefix.to_ascii_lowercase().as_slice() {
        b"dc" => Ns::Dc,
        b"dcterms" => Ns::Dcterms,
        b"content" => Ns::Content,
        b"itunes" => Ns::Itunes,
        b"media" => Ns::Media,
        b"podcast" => Ns::Podcast,
        b"sy" => Ns::Sy,
        b"rdf" => Ns::Rdf,
        b"xhtml" => Ns::Xhtml,
        _ => Ns::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_case_insensitive_and_variants() {
        assert_eq!(
            from_uri("http://www.itunes.com/DTDs/PodCast-1.0.dtd"),
            Ns::Itunes
        );
        assert_eq!(
            from_uri("http://example.com/DTDs/Podcast-1.0.dtd"),
            Ns::Itunes
        );
        assert_eq!(from_uri("http://search.yahoo.com/mrss"), Ns::Media);
        assert_eq!(from_uri("http://backend.userland.com/rss2"), Ns::Core);
        assert_eq!(from_uri("http://example.com/unknown"), Ns::Other);
        assert_eq!(from_uri("http://www.w3.org/2005/Atom"), Ns::Core);
    }

    #[test]
    fn undeclared_prefixes() {
        assert_eq!(from_prefix(b"dc"), Ns::Dc);
        assert_eq!(from_prefix(b"foo"), Ns::Other);
    }
}
