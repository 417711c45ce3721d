//! Trackers in feed content: which images are tracker pixels, and which
//! query parameters of a link only track the click.
//!
//! # Where the lists come from
//!
//! Curated by hand for this project, not copied from a block list. The
//! hosts are the pixels that feed generators and hosted blog platforms put
//! into the *feed items themselves* (FeedBurner's per-item `~r` pixel and
//! its "flare" buttons, WordPress.com's and Jetpack's stats beacon,
//! FeedBlitz's per-item image, the analytics beacons some feeds embed),
//! the kind feed readers such as Miniflux also drop; general web-page
//! trackers (scripts) never reach an entry, the sanitizer removes them.
//! Each entry says what it is. An entry matches a host (and, with a
//! leading dot, its subdomains) and a path prefix, so
//! `feeds.feedburner.com/~r/` removes the pixel but not a feed's own
//! images on that host.
//!
//! The query parameters are the normalizer's list
//! ([`tributary_normalize::url::is_tracking_param`]: every `utm_*`,
//! `fbclid`, `gclid`, `dclid`, `msclkid`, `mc_cid`, `mc_eid`, `_hsenc`,
//! `_hsmi`, `igshid`, `yclid` …, the one canonical links are computed
//! with) plus [`EXTRA_TRACKING_PARAMS`]: click identifiers that are also
//! never content but are kept out of the normalizer's list so that the
//! canonical form of stored links does not change.

use std::borrow::Cow;

use url::Url;

/// Tracking images: `(host, path prefix, what it is)`. A host starting with
/// `.` matches that domain and every subdomain. Matched on the lower-cased
/// host and the path as written.
pub const TRACKER_IMAGES: &[(&str, &str, &str)] = &[
    (
        "feeds.feedburner.com",
        "/~r/",
        "FeedBurner per-item view pixel",
    ),
    (
        "feeds.feedburner.com",
        "/~ff/",
        "FeedBurner flare buttons (counted views)",
    ),
    (
        "feedproxy.google.com",
        "/~r/",
        "FeedBurner pixel on Google's proxy host",
    ),
    ("pixel.wp.com", "/", "WordPress.com / Jetpack stats beacon"),
    ("stats.wordpress.com", "/", "WordPress.com stats beacon"),
    (
        "feeds.wordpress.com",
        "/1.0/",
        "WordPress.com per-item share/comment counters",
    ),
    ("feeds.feedblitz.com", "/~/i/", "FeedBlitz per-item pixel"),
    (".google-analytics.com", "/", "Google Analytics beacon"),
    ("pixel.quantserve.com", "/", "Quantcast pixel"),
    (".scorecardresearch.com", "/", "comScore beacon"),
    (".doubleclick.net", "/", "Google ad and view tracking"),
    ("www.facebook.com", "/tr", "Meta pixel"),
    (".feedsportal.com", "/", "Feedsportal (defunct) view pixels"),
    (".list-manage.com", "/track/", "Mailchimp open tracking"),
    ("medium.com", "/_/stat", "Medium read beacon"),
    ("eotrx.substackcdn.com", "/", "Substack open tracking"),
];

/// Click identifiers removed from links besides the normalizer's list.
pub const EXTRA_TRACKING_PARAMS: &[&str] = &[
    "ref_src",          // Twitter/X embeds
    "ref_url",          // Twitter/X embeds
    "twclid",           // Twitter/X ads
    "ttclid",           // TikTok ads
    "li_fat_id",        // LinkedIn ads
    "epik",             // Pinterest
    "srsltid",          // Google Merchant Center
    "_openstat",        // Yandex
    "__hstc",           // HubSpot
    "__hssc",           // HubSpot
    "__hsfp",           // HubSpot
    "ck_subscriber_id", // ConvertKit
    "s_kwcid",          // Adobe Analytics
];

/// Whether a query parameter (its decoded, lower-cased name) only tracks.
pub fn is_tracking_param(lower_name: &str) -> bool {
    tributary_normalize::url::is_tracking_param(lower_name)
        || EXTRA_TRACKING_PARAMS.contains(&lower_name)
}

/// Whether the image at `url` is a known tracker (see [`TRACKER_IMAGES`]).
/// URLs that do not parse, or are not http(s), are not trackers.
pub fn is_tracker_image(url: &str) -> bool {
    let Ok(url) = Url::parse(url.trim()) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_end_matches('.');
    let path = url.path();
    TRACKER_IMAGES.iter().any(|(h, prefix, _)| {
        let host_matches = match h.strip_prefix('.') {
            Some(domain) => {
                host == domain
                    || host
                        .strip_suffix(domain)
                        .is_some_and(|sub| sub.ends_with('.'))
            }
            None => host == *h,
        };
        host_matches && path.starts_with(prefix)
    })
}

/// A CSS or attribute length in pixels: `1`, `1px`, ` 0 `. Percentages and
/// other units are not pixels (`None`).
fn pixels(value: &str) -> Option<f64> {
    let v = value.trim().to_ascii_lowercase();
    let v = v.strip_suffix("px").unwrap_or(&v).trim();
    v.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `width`, `height` and whether the element is hidden, from a `style`.
fn style_box(style: &str) -> (Option<f64>, Option<f64>, bool) {
    let (mut w, mut h, mut hidden) = (None, None, false);
    for decl in style.split(';') {
        let Some((name, value)) = decl.split_once(':') else {
            continue;
        };
        let value = value.trim().trim_end_matches("!important").trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "width" | "max-width" => w = pixels(value).or(w),
            "height" | "max-height" => h = pixels(value).or(h),
            "display" if value.eq_ignore_ascii_case("none") => hidden = true,
            "visibility" if value.eq_ignore_ascii_case("hidden") => hidden = true,
            _ => {}
        }
    }
    (w, h, hidden)
}

/// Whether an image with these attributes is a tracker pixel: both sides
/// at most one pixel (by the `width`/`height` attributes or the `style`),
/// either side zero, or hidden by its style. An image without sizes is not
/// a pixel: most real images are written without them.
pub fn is_pixel(width: Option<&str>, height: Option<&str>, style: Option<&str>) -> bool {
    let (sw, sh, hidden) = style.map(style_box).unwrap_or((None, None, false));
    if hidden {
        return true;
    }
    let w = sw.or_else(|| width.and_then(pixels));
    let h = sh.or_else(|| height.and_then(pixels));
    match (w, h) {
        (Some(w), Some(h)) => (w <= 1.0 && h <= 1.0) || w <= 0.0 || h <= 0.0,
        (Some(x), None) | (None, Some(x)) => x <= 0.0,
        (None, None) => false,
    }
}

/// Whether a parameter name as written in a query is a tracker: decoded
/// (`utm%5Fsource`) and lower-cased first, without allocating for the
/// usual plain lower-case names.
fn is_tracking_name(raw: &str) -> bool {
    let plain = raw
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plain {
        return is_tracking_param(raw);
    }
    let decoded: String = url::form_urlencoded::parse(raw.as_bytes())
        .next()
        .map(|(k, _)| k.to_ascii_lowercase())
        .unwrap_or_default();
    is_tracking_param(&decoded)
}

/// `url` without its tracking query parameters ([`is_tracking_param`]).
/// The other pairs keep their order and exact encoding, the fragment stays,
/// an empty query loses its `?`. Anything that is not an absolute http(s)
/// URL comes back unchanged (borrowed), and so does a URL without trackers.
pub fn clean_link(url: &str) -> Cow<'_, str> {
    let Some(qpos) = url.find('?') else {
        return Cow::Borrowed(url);
    };
    let starts = |prefix: &str| {
        url.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    if !(starts("http://") || starts("https://")) {
        return Cow::Borrowed(url);
    }
    let (head, rest) = url.split_at(qpos);
    let rest = &rest[1..];
    let (query, fragment) = match rest.find('#') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut dropped = false;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or(pair);
            let tracker = !pair.is_empty() && is_tracking_name(name);
            dropped |= tracker;
            !tracker
        })
        .collect();
    if !dropped {
        return Cow::Borrowed(url);
    }
    let kept: Vec<&str> = kept.into_iter().filter(|p| !p.is_empty()).collect();
    let mut out = String::with_capacity(url.len());
    out.push_str(head);
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out.push_str(fragment);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_images_table() {
        let cases: &[(&str, bool)] = &[
            ("http://feeds.feedburner.com/~r/Blog/~4/AbC123", true),
            ("https://feeds.feedburner.com/~ff/Blog?d=yIl2AUoC8zA", true),
            ("https://feeds.feedburner.com/Blog", false),
            ("https://feedproxy.google.com/~r/Blog/~4/x", true),
            ("https://pixel.wp.com/b.gif?host=example.com&blog=1", true),
            ("https://stats.wordpress.com/b.gif?v=noscript", true),
            ("https://i0.wp.com/example.com/photo.jpg", false),
            (
                "https://www.google-analytics.com/collect?v=1&tid=UA-1",
                true,
            ),
            ("https://ssl.google-analytics.com/__utm.gif", true),
            ("https://google-analytics.com/collect", true),
            ("https://notgoogle-analytics.com/collect", false),
            ("https://pixel.quantserve.com/pixel/p-x.gif", true),
            ("https://feeds.feedblitz.com/~/i/123/0/blog", true),
            ("https://feeds.feedblitz.com/blog", false),
            ("https://b.scorecardresearch.com/p?c1=2", true),
            ("https://ad.doubleclick.net/ddm/ad/x", true),
            ("https://www.facebook.com/tr?id=1&ev=PageView", true),
            ("https://www.facebook.com/photo.php", false),
            (
                "https://example.us1.list-manage.com/track/open.php?u=1",
                true,
            ),
            ("https://medium.com/_/stat?event=post.clientViewed", true),
            ("https://FEEDS.FEEDBURNER.COM./~r/x", true),
            ("https://example.com/pixel.gif", false),
            ("data:image/gif;base64,R0lGOD", false),
            ("not a url", false),
        ];
        for (url, want) in cases {
            assert_eq!(is_tracker_image(url), *want, "{url}");
        }
    }

    #[test]
    fn pixel_table() {
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            bool,
        );
        let cases: &[Case] = &[
            (Some("1"), Some("1"), None, true),
            (Some("1px"), Some(" 1 "), None, true),
            (Some("0"), Some("0"), None, true),
            (Some("0"), None, None, true),
            (Some("1"), None, None, false),
            (Some("1"), Some("300"), None, false),
            (Some("600"), Some("400"), None, false),
            (None, None, None, false),
            (None, None, Some("width: 1px; height: 1px"), true),
            (None, None, Some("width:1px;height:1px !important"), true),
            (
                Some("600"),
                Some("400"),
                Some("height: 1px; width: 1px"),
                true,
            ),
            (None, None, Some("display: none"), true),
            (None, None, Some("visibility:hidden"), true),
            (None, None, Some("width: 100%; height: auto"), false),
            (Some("100%"), Some("1"), None, false),
            (Some("abc"), Some("1"), None, false),
        ];
        for (w, h, style, want) in cases {
            assert_eq!(is_pixel(*w, *h, *style), *want, "{w:?} {h:?} {style:?}");
        }
    }

    #[test]
    fn clean_link_table() {
        let cases: &[(&str, &str)] = &[
            (
                "https://example.com/a?utm_source=rss&utm_medium=feed",
                "https://example.com/a",
            ),
            (
                "https://example.com/a?b=2&utm_campaign=x&a=1&fbclid=abc",
                "https://example.com/a?b=2&a=1",
            ),
            (
                "https://example.com/a?gclid=1&dclid=2&msclkid=3&mc_cid=4&mc_eid=5",
                "https://example.com/a",
            ),
            (
                "https://example.com/a?_hsenc=1&_hsmi=2&igshid=3&yclid=4&ref_src=twsrc",
                "https://example.com/a",
            ),
            (
                "https://example.com/a?UTM_Source=x&q=1",
                "https://example.com/a?q=1",
            ),
            (
                "https://example.com/a?utm%5Fsource=x",
                "https://example.com/a",
            ),
            (
                "https://example.com/a?utm_source=x#section",
                "https://example.com/a#section",
            ),
            (
                "https://github.com/x/y?ref=main",
                "https://github.com/x/y?ref=main",
            ),
            (
                "https://example.com/a?q=a%20b&&fbclid=1",
                "https://example.com/a?q=a%20b",
            ),
            ("https://example.com/a?q=1", "https://example.com/a?q=1"),
            ("https://example.com/a", "https://example.com/a"),
            (
                "mailto:me@example.com?utm_source=x",
                "mailto:me@example.com?utm_source=x",
            ),
            ("HTTP://example.com/?utm_x=1", "HTTP://example.com/"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(clean_link(input), *want, "{input}");
        }
        assert!(matches!(clean_link("https://e.com/?q=1"), Cow::Borrowed(_)));
    }
}
