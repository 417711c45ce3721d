//! Item ids and stream ids of the Google Reader API, parsed in this one
//! place.
//!
//! Item ids come in three forms, all naming the same 64-bit number (a
//! Tributary entry id):
//!
//! - long: `tag:google.com,2005:reader/item/000000000000002a` (hex, what
//!   `id` fields carry);
//! - bare hex: `000000000000002a` — 16 hex digits are always hex; shorter
//!   hex is accepted when it has a letter (`2a`);
//! - decimal: `42` (what `stream/items/ids` gives), signed — clients that
//!   keep ids in an `i64` send the two's complement of large ids (`-1` is
//!   `ffffffffffffffff`).
//!
//! A string of digits shorter than 16 is decimal (Tributary's ids never
//! reach 16 decimal digits, so the one overlap cannot happen in practice).
//!
//! Stream ids: `user/-/state/com.google/reading-list`, `…/starred`,
//! `…/read`, `…/kept-unread`, `feed/URL`, `user/-/label/NAME`, with `-`
//! or the user's own numeric id after `user/`; the bare `reading-list`,
//! `starred` and `read` are accepted too (Fluent Reader sends them).

use tributary_model::EntryId;

/// Prefix of the long form of item ids.
pub const ITEM_PREFIX: &str = "tag:google.com,2005:reader/item/";
/// Prefix of a feed's stream id.
pub const FEED_PREFIX: &str = "feed/";
/// Prefix of the state tags.
pub const STATE_PREFIX: &str = "user/-/state/com.google/";
/// Prefix of labels (Tributary categories).
pub const LABEL_PREFIX: &str = "user/-/label/";
/// The stream of every entry.
pub const READING_LIST: &str = "user/-/state/com.google/reading-list";
/// The read state.
pub const READ: &str = "user/-/state/com.google/read";
/// The starred state.
pub const STARRED: &str = "user/-/state/com.google/starred";
/// The explicitly-unread state.
pub const KEPT_UNREAD: &str = "user/-/state/com.google/kept-unread";
/// Unread and new (what newsboat's Atom parser reads as unread).
pub const FRESH: &str = "user/-/state/com.google/fresh";

/// Parse an item id in any of its forms; the error says what was wrong.
pub fn parse_item_id(raw: &str) -> Result<EntryId, String> {
    let s = raw.trim();
    let bad = || {
        format!(
            "{raw:?} is not an item id (expected {ITEM_PREFIX}<16 hex digits>, \
             16 hex digits, or a decimal number)"
        )
    };
    let hex = |h: &str| {
        if h.is_empty() || h.len() > 16 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            Err(bad())
        } else {
            u64::from_str_radix(h, 16)
                .map(|v| EntryId(v as i64))
                .map_err(|_| bad())
        }
    };
    if let Some(rest) = s.strip_prefix(ITEM_PREFIX) {
        return hex(rest);
    }
    if s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return hex(s);
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // Signed decimal; an unsigned one above i64::MAX is its two's complement.
        return s
            .parse::<i64>()
            .or_else(|_| s.parse::<u64>().map(|v| v as i64))
            .map(EntryId)
            .map_err(|_| bad());
    }
    hex(s)
}

/// The long form of an item id.
pub fn long_id(id: EntryId) -> String {
    format!("{ITEM_PREFIX}{:016x}", id.0 as u64)
}

/// The decimal form of an item id (`stream/items/ids`).
pub fn short_id(id: EntryId) -> String {
    id.0.to_string()
}

/// A state of an entry, as tags name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Every entry.
    ReadingList,
    /// Read.
    Read,
    /// Starred.
    Starred,
    /// Marked unread on purpose (Tributary: unread).
    KeptUnread,
    /// New and unread.
    Fresh,
    /// Any other Google state (`broadcast`, `tracking-kept-unread`, `like`…):
    /// accepted and ignored.
    Other,
}

/// A stream (or tag) id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stream {
    /// `user/-/state/com.google/…`.
    State(State),
    /// `feed/URL`.
    Feed(String),
    /// `user/-/label/NAME` (a category path).
    Label(String),
}

/// Parse a stream or tag id. `me` is the acting user's id: `user/<me>/…`
/// is the same as `user/-/…`; another user's number is refused.
pub fn parse_stream(raw: &str, me: i64) -> Result<Stream, String> {
    let s = raw.trim();
    if let Some(url) = s.strip_prefix(FEED_PREFIX) {
        if url.is_empty() {
            return Err(format!("{raw:?} names no feed (expected feed/URL)"));
        }
        return Ok(Stream::Feed(url.to_owned()));
    }
    let bad = || {
        format!(
            "{raw:?} is not a stream id (expected feed/URL, user/-/label/NAME or \
             user/-/state/com.google/STATE)"
        )
    };
    // Fluent Reader asks for `stream/contents/reading-list`.
    match s {
        "reading-list" => return Ok(Stream::State(State::ReadingList)),
        "starred" => return Ok(Stream::State(State::Starred)),
        "read" => return Ok(Stream::State(State::Read)),
        _ => {}
    }
    let rest = s.strip_prefix("user/").ok_or_else(bad)?;
    let (who, rest) = rest.split_once('/').ok_or_else(bad)?;
    if who != "-" {
        let n: i64 = who.parse().map_err(|_| bad())?;
        if n != me {
            return Err(format!("{raw:?} is another user's stream"));
        }
    }
    if let Some(name) = rest.strip_prefix("label/") {
        let name = name.trim_matches('/');
        if name.is_empty() {
            return Err(format!("{raw:?} names no label"));
        }
        return Ok(Stream::Label(name.to_owned()));
    }
    if let Some(state) = rest.strip_prefix("state/com.google/") {
        return Ok(Stream::State(match state {
            "reading-list" => State::ReadingList,
            "read" => State::Read,
            "starred" => State::Starred,
            "kept-unread" => State::KeptUnread,
            "fresh" => State::Fresh,
            "" => return Err(bad()),
            _ => State::Other,
        }));
    }
    Err(bad())
}

/// The user's subscription named by the `URL` of a `feed/URL` stream: the
/// feed's current or an earlier URL, or its numeric id (`feed/12`, what
/// FreshRSS and Miniflux clients may remember). Two indexed look-ups, not
/// a read of every subscription (clients ask feed by feed).
pub async fn followed(
    store: &tributary_store::Store,
    user: tributary_model::UserId,
    key: &str,
) -> tributary_store::StoreResult<Option<tributary_store::SubscriptionView>> {
    let feed = match key.parse::<i64>() {
        Ok(id) => tributary_model::FeedId(id),
        Err(_) => {
            let urls = tributary_store::FeedSelector::Urls(vec![key.to_owned()]);
            match store.feeds_to_fetch(&urls).await?.into_iter().next() {
                Some(feed) => feed.id,
                None => return Ok(None),
            }
        }
    };
    store.subscription_view(user, feed).await
}

/// The stream id of a feed.
pub fn feed_stream(url: &str) -> String {
    format!("{FEED_PREFIX}{url}")
}

/// The stream id of a label (category path).
pub fn label_stream(path: &str) -> String {
    format!("{LABEL_PREFIX}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form of item id clients send, in one table.
    #[test]
    fn item_ids_in_every_form() {
        let ok: &[(&str, i64)] = &[
            ("tag:google.com,2005:reader/item/000000000000002a", 42),
            ("tag:google.com,2005:reader/item/2a", 42),
            ("tag:google.com,2005:reader/item/00000000000000FF", 255),
            ("tag:google.com,2005:reader/item/ffffffffffffffff", -1),
            ("000000000000002a", 42),
            ("0000000000000042", 0x42),
            ("2a", 42),
            ("ff", 255),
            ("42", 42),
            (" 42 ", 42),
            ("0", 0),
            ("-1", -1),
            ("-9223372036854775808", i64::MIN),
            ("18446744073709551615", -1),
            ("9223372036854775807", i64::MAX),
        ];
        for (raw, want) in ok {
            assert_eq!(parse_item_id(raw), Ok(EntryId(*want)), "{raw}");
        }
        let bad = [
            "",
            "-",
            "tag:google.com,2005:reader/item/",
            "tag:google.com,2005:reader/item/xyz",
            "tag:google.com,2005:reader/item/00000000000000001",
            "tag:google.com,2005:reader/item/-1",
            "12g",
            "0x2a",
            "1.5",
            "18446744073709551616",
            "feed/http://x",
        ];
        for raw in bad {
            let err = parse_item_id(raw).expect_err(raw);
            assert!(err.contains("not an item id"), "{raw}: {err}");
        }
    }

    #[test]
    fn ids_are_written_long_and_short() {
        assert_eq!(
            long_id(EntryId(42)),
            "tag:google.com,2005:reader/item/000000000000002a"
        );
        assert_eq!(short_id(EntryId(42)), "42");
        for id in [1, 42, 1 << 40, i64::MAX, -5] {
            assert_eq!(parse_item_id(&long_id(EntryId(id))), Ok(EntryId(id)));
            assert_eq!(parse_item_id(&short_id(EntryId(id))), Ok(EntryId(id)));
        }
    }

    #[test]
    fn streams_parse_and_refuse_other_users() {
        assert_eq!(
            parse_stream(READING_LIST, 7),
            Ok(Stream::State(State::ReadingList))
        );
        assert_eq!(
            parse_stream("user/7/state/com.google/starred", 7),
            Ok(Stream::State(State::Starred))
        );
        assert_eq!(
            parse_stream("user/-/state/com.google/broadcast", 7),
            Ok(Stream::State(State::Other))
        );
        assert_eq!(
            parse_stream("feed/http://x/feed.xml?a=1", 7),
            Ok(Stream::Feed("http://x/feed.xml?a=1".into()))
        );
        assert_eq!(
            parse_stream("reading-list", 7),
            Ok(Stream::State(State::ReadingList))
        );
        assert_eq!(
            parse_stream("user/-/label/Net/Vendors", 7),
            Ok(Stream::Label("Net/Vendors".into()))
        );
        assert!(parse_stream("user/8/label/Net", 7)
            .unwrap_err()
            .contains("another user"));
        for bad in [
            "",
            "feed/",
            "user/",
            "user/-",
            "user/x/label/N",
            "user/-/label/",
            "user/-/tag/x",
            "user/-/state/com.google/",
            "http://x",
        ] {
            assert!(parse_stream(bad, 7).is_err(), "{bad}");
        }
    }
}
