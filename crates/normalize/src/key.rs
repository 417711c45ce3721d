//! Identity of an entry within its feed (see DESIGN.md "Identity and duplicates").
//!
//! [`entry_key`] is what the store's unique `(feed_id, key)` is built on, so it
//! must be a pure function of the document: the same item gives the same key
//! on every refresh. [`content_hash`] tells whether a stored entry changed.

use sha2::{Digest, Sha256};
use tributary_model::Enclosure;

/// The identity key of an entry.
///
/// * `guid:<guid>` when the feed gives a guid/id (trimmed, non-empty);
/// * else `link:<canonical link>` when there is a link;
/// * else `hash:<sha256 hex of title + "\n" + content>`.
///
/// Deterministic. Callers should pass the *source* title and content (as in
/// the document, before sanitizing) so a change of sanitizer policy does not
/// change the keys of stored entries.
pub fn entry_key(
    guid: Option<&str>,
    canonical_link: Option<&str>,
    title: &str,
    content: &str,
) -> String {
    if let Some(guid) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return format!("guid:{guid}");
    }
    if let Some(link) = canonical_link.map(str::trim).filter(|l| !l.is_empty()) {
        return format!("link:{link}");
    }
    format!("hash:{}", sha256_hex(&[title, "\n", content]))
}

/// SHA-256 of the concatenation of `parts`, as lower-case hex.
pub(crate) fn sha256_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Hash of what a reader sees of an entry: title, link, content, summary and
/// enclosures (URL, type, length, duration), as lower-case SHA-256 hex.
///
/// Each field is fed with a tag and its length, so moving text from one field
/// to the next (`title="ab", content=""` vs `title="a", content="b"`) or from
/// `None` to `Some("")` changes the hash.
pub fn content_hash(
    title: &str,
    url: Option<&str>,
    content_html: Option<&str>,
    summary_html: Option<&str>,
    enclosures: &[Enclosure],
) -> String {
    let mut hasher = Sha256::new();
    let mut field = |tag: &str, value: Option<&str>| {
        hasher.update(tag.as_bytes());
        match value {
            None => hasher.update(b"-"),
            Some(v) => {
                hasher.update((v.len() as u64).to_le_bytes());
                hasher.update(v.as_bytes());
            }
        }
    };
    field("title", Some(title));
    field("url", url);
    field("content", content_html);
    field("summary", summary_html);
    for enclosure in enclosures {
        field("enclosure", Some(&enclosure.url));
        field("type", enclosure.mime_type.as_deref());
        field("length", enclosure.length.map(|n| n.to_string()).as_deref());
        field(
            "duration",
            enclosure.duration_secs.map(|n| n.to_string()).as_deref(),
        );
    }
    hex::encode(hasher.finalize())
}

/// Makes keys unique within one document.
///
/// Some feeds ship the same guid for every entry (or link every item to the
/// home page). The first occurrence keeps its plain key, so an entry already
/// stored under it stays matched; later ones get a deterministic suffix, in the
/// spirit of miniflux (internal/reader/rss/adapter.go): `|<canonical link>`,
/// then `|hash:<title+content>`, and only then `|#<position>`. The hash step
/// comes before the position because positions shift every time the feed
/// prepends a new item, while title and content usually don't change.
#[derive(Debug, Default)]
pub(crate) struct KeyDeduper {
    seen: std::collections::HashSet<String>,
}

impl KeyDeduper {
    /// Return `key` if unused, else the first unused variant; remembers it.
    pub(crate) fn unique(
        &mut self,
        key: String,
        canonical_link: Option<&str>,
        title: &str,
        content: &str,
        position: usize,
    ) -> String {
        // Candidates in order, each built only when the previous one is
        // taken: nearly every key is free, and the content hash is costly.
        if !self.seen.contains(&key) {
            return self.take(key);
        }
        let mut base = key.clone();
        if let Some(link) = canonical_link.filter(|_| key.starts_with("guid:")) {
            base = format!("{key}|{link}");
            if !self.seen.contains(&base) {
                return self.take(base);
            }
        }
        if !key.starts_with("hash:") {
            base = format!("{base}|hash:{}", sha256_hex(&[title, "\n", content]));
            if !self.seen.contains(&base) {
                return self.take(base);
            }
        }
        let numbered = format!("{base}|#{position}");
        if !self.seen.contains(&numbered) {
            return self.take(numbered);
        }
        // All candidates taken (only possible with crafted guids such as
        // "x|#3"): count up until free, still deterministic.
        let chosen = (1..)
            .map(|n| format!("{base}|#{position}.{n}"))
            .find(|k| !self.seen.contains(k))
            .unwrap_or_default();
        self.take(chosen)
    }

    fn take(&mut self, chosen: String) -> String {
        self.seen.insert(chosen.clone());
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn key_table() {
        let hash = sha256_hex(&["T", "\n", "C"]);
        let cases: &[(Option<&str>, Option<&str>, String)] = &[
            (Some("abc"), Some("https://e.com/a"), "guid:abc".into()),
            (Some("  abc \n"), None, "guid:abc".into()),
            (
                Some("   "),
                Some("https://e.com/a"),
                "link:https://e.com/a".into(),
            ),
            (None, Some("https://e.com/a"), "link:https://e.com/a".into()),
            (None, Some(""), format!("hash:{hash}")),
            (None, None, format!("hash:{hash}")),
        ];
        for (guid, link, want) in cases {
            assert_eq!(
                &entry_key(*guid, *link, "T", "C"),
                want,
                "{guid:?} {link:?}"
            );
        }
    }

    #[test]
    fn hash_key_is_sha256_of_title_newline_content() {
        // sha256("a\nb"), computed independently with `printf 'a\nb' | sha256sum`.
        assert_eq!(
            entry_key(None, None, "a", "b"),
            "hash:7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78"
        );
        assert_ne!(
            entry_key(None, None, "a", "b"),
            entry_key(None, None, "a\nb", "")
        );
    }

    #[test]
    fn content_hash_sees_every_field() {
        let enc = |url: &str| Enclosure {
            url: url.into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(1),
            duration_secs: None,
        };
        let base = content_hash("t", Some("u"), Some("c"), Some("s"), &[enc("e")]);
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            content_hash("t", Some("u"), Some("c"), Some("s"), &[enc("e")])
        );
        let variants = [
            content_hash("T", Some("u"), Some("c"), Some("s"), &[enc("e")]),
            content_hash("t", None, Some("c"), Some("s"), &[enc("e")]),
            content_hash("t", Some("u"), Some(""), Some("s"), &[enc("e")]),
            content_hash("t", Some("u"), Some("c"), None, &[enc("e")]),
            content_hash("t", Some("u"), Some("c"), Some("s"), &[]),
            content_hash("t", Some("u"), Some("c"), Some("s"), &[enc("f")]),
            // text moved between fields
            content_hash("tu", Some(""), Some("c"), Some("s"), &[enc("e")]),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
    }

    #[test]
    fn deduper_suffixes_in_order() {
        let mut d = KeyDeduper::default();
        let k = |d: &mut KeyDeduper, link: Option<&str>, title: &str, pos| {
            d.unique("guid:same".into(), link, title, "c", pos)
        };
        assert_eq!(k(&mut d, Some("https://e.com/1"), "one", 0), "guid:same");
        assert_eq!(
            k(&mut d, Some("https://e.com/2"), "two", 1),
            "guid:same|https://e.com/2"
        );
        let h = sha256_hex(&["two", "\n", "c"]);
        assert_eq!(
            k(&mut d, Some("https://e.com/2"), "two", 2),
            format!("guid:same|https://e.com/2|hash:{h}")
        );
        assert_eq!(
            k(&mut d, Some("https://e.com/2"), "two", 3),
            format!("guid:same|https://e.com/2|hash:{h}|#3")
        );
        // hash keys only get a position
        let hk = entry_key(None, None, "t", "c");
        assert_eq!(d.unique(hk.clone(), None, "t", "c", 4), hk);
        assert_eq!(d.unique(hk.clone(), None, "t", "c", 5), format!("{hk}|#5"));
    }

    #[test]
    fn deduper_survives_crafted_collisions() {
        let mut d = KeyDeduper::default();
        let h = sha256_hex(&["t", "\n", "c"]);
        let crafted = format!("link:x|hash:{h}|#1");
        assert_eq!(d.unique(crafted.clone(), None, "", "", 0), crafted);
        assert_eq!(d.unique("link:x".into(), None, "t", "c", 1), "link:x");
        let second = d.unique("link:x".into(), None, "t", "c", 1);
        assert_eq!(second, format!("link:x|hash:{h}"));
        let third = d.unique("link:x".into(), None, "t", "c", 1);
        assert_eq!(third, format!("link:x|hash:{h}|#1.1"));
    }

    proptest! {
        #[test]
        fn entry_key_is_deterministic(
            guid in proptest::option::of(".{0,20}"),
            link in proptest::option::of(".{0,20}"),
            title in ".{0,20}",
            content in ".{0,40}",
        ) {
            let a = entry_key(guid.as_deref(), link.as_deref(), &title, &content);
            let b = entry_key(guid.as_deref(), link.as_deref(), &title, &content);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn distinct_guids_give_distinct_keys(g1 in "\\PC{1,20}", g2 in "\\PC{1,20}") {
            prop_assume!(g1.trim() != g2.trim() && !g1.trim().is_empty() && !g2.trim().is_empty());
            prop_assert_ne!(
                entry_key(Some(&g1), Some("https://e.com/"), "t", "c"),
                entry_key(Some(&g2), Some("https://e.com/"), "t", "c")
            );
        }

        #[test]
        fn deduper_never_repeats(
            keys in proptest::collection::vec(0u8..4, 1..30),
        ) {
            let mut d = KeyDeduper::default();
            let mut out = std::collections::HashSet::new();
            for (pos, k) in keys.iter().enumerate() {
                let key = d.unique(format!("guid:{k}"), Some("https://e.com/"), "t", "c", pos);
                prop_assert!(out.insert(key));
            }
        }
    }
}
