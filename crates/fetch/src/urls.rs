//! Checking user-supplied URLs and resolving redirect targets.

use url::Url;

use crate::error::FetchError;

/// Parse and check a user-supplied URL: http(s) only, with a host.
///
/// Surrounding white space is trimmed. Other schemes (`file:`, `ftp:`,
/// `javascript:` …) give [`FetchError::UnsupportedScheme`]; text that is not
/// an absolute URL, or has no host, gives [`FetchError::InvalidUrl`]. No
/// scheme is guessed: `example.com/feed` is refused, callers that want to
/// accept it prepend `https://` themselves.
pub fn parse_http_url(input: &str) -> Result<Url, FetchError> {
    let input = input.trim();
    let invalid = |reason: String| FetchError::InvalidUrl {
        url: input.to_owned(),
        reason,
    };
    let url = Url::parse(input).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => {
            invalid("not an absolute URL (it needs http:// or https://)".to_owned())
        }
        other => invalid(other.to_string()),
    })?;
    check_http(url, input)
}

/// Resolve a `Location` header against the URL that sent it, and check the
/// result is an http(s) URL with a host.
pub(crate) fn resolve_location(base: &Url, location: &str) -> Result<Url, FetchError> {
    let location = location.trim();
    let url = base.join(location).map_err(|e| FetchError::InvalidUrl {
        url: location.to_owned(),
        reason: format!("bad redirect Location from {base}: {e}"),
    })?;
    check_http(url, location)
}

fn check_http(url: Url, input: &str) -> Result<Url, FetchError> {
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(FetchError::UnsupportedScheme {
                url: input.to_owned(),
                scheme: other.to_owned(),
            })
        }
    }
    match url.host_str() {
        Some(host) if !host.is_empty() => Ok(url),
        _ => Err(FetchError::InvalidUrl {
            url: input.to_owned(),
            reason: "the URL has no host".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https_with_trimming() {
        let url = parse_http_url("  https://Example.COM/feed.xml \n").unwrap();
        assert_eq!(url.as_str(), "https://example.com/feed.xml");
        let url = parse_http_url("http://example.com:8080/?a=b").unwrap();
        assert_eq!(url.port(), Some(8080));
    }

    #[test]
    fn refuses_other_schemes() {
        for (input, scheme) in [
            ("file:///etc/passwd", "file"),
            ("ftp://example.com/feed.xml", "ftp"),
            ("gopher://example.com/", "gopher"),
            ("javascript:alert(1)", "javascript"),
            ("data:text/xml,<rss/>", "data"),
            ("feed://example.com/rss", "feed"),
        ] {
            match parse_http_url(input) {
                Err(FetchError::UnsupportedScheme { scheme: s, .. }) => {
                    assert_eq!(s, scheme, "{input}")
                }
                other => panic!("{input}: expected UnsupportedScheme, got {other:?}"),
            }
        }
    }

    #[test]
    fn refuses_garbage_and_missing_hosts() {
        for input in [
            "",
            "   ",
            "not a url",
            "example.com/feed",
            "http://",
            "https://exa mple.com/",
            "http://[::1/",
        ] {
            match parse_http_url(input) {
                Err(e @ FetchError::InvalidUrl { .. }) => {
                    assert_eq!(e.code(), "url_invalid");
                }
                other => panic!("{input:?}: expected InvalidUrl, got {other:?}"),
            }
        }
    }

    #[test]
    fn locations_resolve_against_the_current_url() {
        let base = Url::parse("https://example.com/blog/feed.xml").unwrap();
        assert_eq!(
            resolve_location(&base, "atom.xml").unwrap().as_str(),
            "https://example.com/blog/atom.xml"
        );
        assert_eq!(
            resolve_location(&base, "/new/feed").unwrap().as_str(),
            "https://example.com/new/feed"
        );
        assert_eq!(
            resolve_location(&base, "//cdn.example.net/f")
                .unwrap()
                .as_str(),
            "https://cdn.example.net/f"
        );
        assert!(matches!(
            resolve_location(&base, "ftp://example.com/feed"),
            Err(FetchError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            resolve_location(&base, "javascript:alert(1)"),
            Err(FetchError::UnsupportedScheme { .. })
        ));
    }
}
