//! Reading the response headers the scheduler cares about: validators,
//! `Cache-Control`/`Expires` and `Retry-After`. Malformed values are ignored
//! rather than failing the fetch: a bad `Expires` must not lose a good body.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, CACHE_CONTROL, ETAG, EXPIRES, LAST_MODIFIED, RETRY_AFTER};

use crate::{CacheHints, Validators};

/// A header's value as text, if present and visible ASCII.
fn header_str(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `ETag` and `Last-Modified` of a response, verbatim (they are echoed back).
pub(crate) fn validators(headers: &HeaderMap) -> Validators {
    Validators {
        etag: header_str(headers, ETAG).map(str::to_owned),
        last_modified: header_str(headers, LAST_MODIFIED).map(str::to_owned),
    }
}

/// `Cache-Control: max-age` and `Expires`.
pub(crate) fn cache_hints(headers: &HeaderMap) -> CacheHints {
    // Cache-Control may be split over several header lines.
    let max_age = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(parse_max_age);
    let expires = header_str(headers, EXPIRES)
        .and_then(|s| httpdate::parse_http_date(s).ok())
        .map(DateTime::<Utc>::from);
    CacheHints { max_age, expires }
}

/// One `Cache-Control` directive, if it is `max-age=N` (quoted or not).
fn parse_max_age(directive: &str) -> Option<Duration> {
    let (name, value) = directive.trim().split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("max-age") {
        return None;
    }
    let secs: u64 = value.trim().trim_matches('"').parse().ok()?;
    Some(Duration::from_secs(secs))
}

/// `Retry-After`, either delta-seconds or an HTTP-date (relative to `now`).
/// A date in the past gives zero: the server allows a retry right away.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    parse_retry_after(header_str(headers, RETRY_AFTER)?, now)
}

fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(reqwest::header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn max_age_and_expires() {
        let h = headers(&[
            (CACHE_CONTROL, "public"),
            (
                CACHE_CONTROL,
                "s-maxage=10, Max-Age=\"600\", must-revalidate",
            ),
            (EXPIRES, "Wed, 21 Oct 2015 07:28:00 GMT"),
        ]);
        let hints = cache_hints(&h);
        assert_eq!(hints.max_age, Some(Duration::from_secs(600)));
        assert_eq!(
            hints.expires.map(|d| d.to_rfc3339()),
            Some("2015-10-21T07:28:00+00:00".to_owned())
        );
    }

    #[test]
    fn malformed_cache_headers_are_ignored() {
        let h = headers(&[(CACHE_CONTROL, "max-age=soon, no-cache"), (EXPIRES, "0")]);
        assert_eq!(cache_hints(&h), CacheHints::default());
    }

    #[test]
    fn retry_after_both_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        // 1_445_412_480 is Wed, 21 Oct 2015 07:28:00 GMT.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(480))
        );
        let later = now + Duration::from_secs(10_000);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", later),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("tomorrow", now), None);
    }

    #[test]
    fn validators_are_kept_verbatim() {
        let h = headers(&[
            (ETAG, "W/\"abc\""),
            (LAST_MODIFIED, "Wed, 21 Oct 2015 07:28:00 GMT"),
        ]);
        let v = validators(&h);
        assert_eq!(v.etag.as_deref(), Some("W/\"abc\""));
        assert_eq!(
            v.last_modified.as_deref(),
            Some("Wed, 21 Oct 2015 07:28:00 GMT")
        );
        assert_eq!(validators(&HeaderMap::new()), Validators::default());
    }
}
