//! HTTP `Link:` headers (RFC 8288): `<url>; rel="hub self", <url2>; rel=next`.
//!
//! Feed servers advertise their WebSub hub and their own URL there. Only the
//! target and the `rel` parameter are kept. A malformed link-value is skipped
//! up to the next comma, so one bad link does not hide the others; a header is
//! never an error.
//!
//! Hand-written rather than taken from a crate: the small crates on offer
//! either key their result by `rel` (losing a second `hub`, and `rel="hub
//! self"`) or are unmaintained, and the grammar needed here is a few lines.

use reqwest::header::{HeaderMap, LINK};
use url::Url;

/// Every `(rel, url)` of the `Link:` headers, in order. See
/// [`Response::link_headers`](crate::Response::link_headers).
pub(crate) fn link_headers(headers: &HeaderMap, base: &Url) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for value in headers.get_all(LINK) {
        if let Ok(text) = value.to_str() {
            parse_into(text, base, &mut out);
        }
    }
    out
}

/// Parse one header value, appending its pairs to `out`.
fn parse_into(value: &str, base: &Url, out: &mut Vec<(String, String)>) {
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return;
        }
        let Some(after_lt) = rest.strip_prefix('<') else {
            rest = skip_link_value(rest);
            continue;
        };
        let Some(close) = after_lt.find('>') else {
            return;
        };
        let target = after_lt[..close].trim();
        rest = &after_lt[close + 1..];
        let (rel, remainder) = params(rest);
        rest = remainder;
        let Some(rel) = rel else { continue };
        let Ok(url) = base.join(target) else { continue };
        for relation in rel.split_ascii_whitespace() {
            out.push((relation.to_ascii_lowercase(), url.to_string()));
        }
    }
}

/// Read the `; name=value` parameters after a target, up to the comma that
/// ends the link-value. Returns the first `rel` (later ones are ignored, as
/// RFC 8288 says) and what follows the parameters.
fn params(mut rest: &str) -> (Option<String>, &str) {
    let mut rel: Option<String> = None;
    loop {
        rest = rest.trim_start();
        let Some(after_semi) = rest.strip_prefix(';') else {
            // A comma (next link-value), the end, or junk: skip to the comma.
            return (rel, skip_link_value(rest));
        };
        let after_semi = after_semi.trim_start();
        let name_len = after_semi
            .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_ascii_whitespace())
            .unwrap_or(after_semi.len());
        let name = &after_semi[..name_len];
        rest = after_semi[name_len..].trim_start();
        let mut value = None;
        if let Some(after_eq) = rest.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            let (v, remainder) = match after_eq.strip_prefix('"') {
                Some(quoted) => quoted_string(quoted),
                None => {
                    let len = after_eq
                        .find(|c: char| c == ';' || c == ',' || c.is_ascii_whitespace())
                        .unwrap_or(after_eq.len());
                    (after_eq[..len].to_owned(), &after_eq[len..])
                }
            };
            value = Some(v);
            rest = remainder;
        }
        if rel.is_none() && name.eq_ignore_ascii_case("rel") {
            rel = value;
        }
    }
}

/// The contents of a quoted string whose opening quote is already consumed
/// (backslash escapes undone), and what follows the closing quote. An
/// unterminated string runs to the end.
fn quoted_string(input: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (value, &input[i + 1..]),
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            _ => value.push(c),
        }
    }
    (value, "")
}

/// Skip to the comma that ends the current link-value, passing over quoted
/// strings and `<…>` targets (which may contain commas).
fn skip_link_value(input: &str) -> &str {
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, c) in input.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' if !in_angle => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => return &input[i..],
            _ => {}
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn parse(values: &[&str]) -> Vec<(String, String)> {
        let base = Url::parse("https://example.com/blog/feed.xml").unwrap();
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(LINK, HeaderValue::from_str(v).unwrap());
        }
        link_headers(&headers, &base)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(r, u)| (r.to_string(), u.to_string()))
            .collect()
    }

    #[test]
    fn hub_and_self_with_relative_targets() {
        assert_eq!(
            parse(&[r#"<https://hub.example.net/>; rel="hub", </blog/feed.xml>; rel="self""#]),
            pairs(&[
                ("hub", "https://hub.example.net/"),
                ("self", "https://example.com/blog/feed.xml"),
            ])
        );
        // Several headers, a space-separated rel list, token values, case.
        assert_eq!(
            parse(&[
                "<atom.xml>; rel=\"Self Alternate\"; type=\"application/atom+xml\"",
                "<//push.example.org/hub>;rel=HUB",
            ]),
            pairs(&[
                ("self", "https://example.com/blog/atom.xml"),
                ("alternate", "https://example.com/blog/atom.xml"),
                ("hub", "https://push.example.org/hub"),
            ])
        );
    }

    #[test]
    fn commas_and_semicolons_inside_targets_and_quotes() {
        assert_eq!(
            parse(&[
                r#"<https://example.com/a,b;c>; title="x, y; rel=\"fake\""; rel="next", <https://example.com/2>; rel=last"#
            ]),
            pairs(&[
                ("next", "https://example.com/a,b;c"),
                ("last", "https://example.com/2"),
            ])
        );
    }

    #[test]
    fn bad_link_values_are_skipped_not_fatal() {
        assert_eq!(
            parse(&[
                r#"garbage; rel="hub", <https://ok.example/>; rel="hub", <no-rel>; type="x", <http://[::1/>; rel="hub", <https://second.example/>; rel="hub"; rel="self""#
            ]),
            pairs(&[
                ("hub", "https://ok.example/"),
                ("hub", "https://second.example/"),
            ])
        );
        assert_eq!(parse(&["<unclosed; rel=hub"]), vec![]);
        assert_eq!(parse(&[""]), vec![]);
        assert_eq!(
            parse(&[r#"<https://x.example/>; rel="hub"#]),
            pairs(&[("hub", "https://x.example/")])
        );
    }
}
