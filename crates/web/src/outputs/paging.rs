//! RFC 5005 paging of the outputs: the `after=` cursor in URLs, and the
//! absolute URLs of a page and its neighbours.

use axum::http::{header, HeaderMap};
use chrono::DateTime;
use tributary_model::EntryId;
use tributary_store::Cursor;

use crate::{AppState, WebError};

/// `<unix-micros>-<id>`: the position after which the next page starts.
pub fn encode_cursor(cursor: &Cursor) -> String {
    format!("{}-{}", cursor.at.timestamp_micros(), cursor.id.0)
}

/// Parse [`encode_cursor`]'s form; a 400 saying what is wrong otherwise.
pub fn decode_cursor(s: &str) -> Result<Cursor, WebError> {
    let bad = |why: &str| {
        WebError::BadRequest(format!(
            "after={s:?} is not a page position ({why}); use the next link of a page"
        ))
    };
    let (micros, id) = s
        .rsplit_once('-')
        .ok_or_else(|| bad("expected <time>-<id>"))?;
    let micros: i64 = micros
        .parse()
        .map_err(|_| bad("the time is not a whole number"))?;
    let id: i64 = id
        .parse()
        .map_err(|_| bad("the id is not a whole number"))?;
    if id <= 0 {
        return Err(bad("the id must be positive"));
    }
    let at =
        DateTime::from_timestamp_micros(micros).ok_or_else(|| bad("the time is out of range"))?;
    Ok(Cursor {
        at,
        id: EntryId(id),
    })
}

/// Scheme, host and port the outputs' absolute URLs start with (no
/// trailing slash): `WebConfig::public_url`, else the request's `Host`
/// (https when a proxy says so).
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.as_str().trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if super::super::auth::session::is_https(state, headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// A URL of `path` with the output token (if any) and a page position.
pub fn page_url(base: &str, path: &str, token: Option<&str>, after: Option<&Cursor>) -> String {
    let mut query = Vec::new();
    if let Some(t) = token {
        query.push(format!("token={}", encode(t)));
    }
    if let Some(c) = after {
        query.push(format!("after={}", encode_cursor(c)));
    }
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{}", query.join("&"))
    }
}

/// Percent-encode a query value or a path segment.
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_including_times_before_1970() {
        for micros in [1_700_000_000_123_456, 0, -86_400_000_000] {
            let c = Cursor {
                at: DateTime::from_timestamp_micros(micros).unwrap(),
                id: EntryId(42),
            };
            let s = encode_cursor(&c);
            assert_eq!(decode_cursor(&s).unwrap(), c, "{s}");
        }
    }

    #[test]
    fn malformed_cursors_say_why() {
        for (s, why) in [
            ("abc", "expected <time>-<id>"),
            ("x-1", "time is not"),
            ("1-x", "id is not"),
            ("1-0", "positive"),
            ("9223372036854775807-1", "out of range"),
        ] {
            match decode_cursor(s) {
                Err(WebError::BadRequest(m)) => assert!(m.contains(why), "{s}: {m}"),
                other => panic!("{s}: {other:?}"),
            }
        }
    }

    #[test]
    fn page_urls_carry_token_and_position() {
        let c = Cursor {
            at: DateTime::from_timestamp_micros(5).unwrap(),
            id: EntryId(7),
        };
        assert_eq!(
            page_url("http://h", "/feeds/all.atom", Some("t1"), Some(&c)),
            "http://h/feeds/all.atom?token=t1&after=5-7"
        );
        assert_eq!(page_url("http://h", "/river", None, None), "http://h/river");
    }
}
