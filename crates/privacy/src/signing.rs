//! Signed, expiring proxy URLs.
//!
//! A proxy URL is `/proxy/{signature}/{expires}/{target}`:
//!
//! * `target` is the original URL, base64url without padding (any URL fits
//!   one path segment that way, and nothing in it is re-encoded on the way);
//! * `expires` is a Unix time in seconds, in decimal;
//! * `signature` is base64url (no padding) of
//!   `HMAC-SHA256(secret, "tributary-proxy-v1\n" + expires + "\n" + url)`.
//!
//! The proxy recomputes the MAC and compares it in constant time before it
//! looks at anything else, so it fetches only URLs that this server itself
//! wrote into a page — it cannot be used as an open proxy — and only until
//! they expire: a leaked URL stops working. The expiry is rounded up to a
//! quarter of the lifetime ([`expiry`]), so the same image gets the same URL
//! for a while and the browser's cache works.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;

/// The path every proxy URL starts with.
pub const PROXY_PREFIX: &str = "/proxy/";

/// Domain separation of the MAC input (a version, so the format can change).
const CONTEXT: &[u8] = b"tributary-proxy-v1\n";

/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 16;

/// The key proxy URLs are signed with. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Signer {
    /// HMAC-SHA256 keyed with the secret, cloned for each MAC.
    keyed: Hmac<Sha256>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(..)")
    }
}

/// Why a proxy URL is refused. Every message says what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyRefusal {
    /// The path is not `/proxy/{signature}/{expires}/{target}`.
    #[error("not a proxy URL: {0}")]
    Malformed(String),
    /// The signature does not match (forged, truncated or from another server).
    #[error("the signature of this proxy URL is not valid (it was not made by this server, or it was changed)")]
    BadSignature,
    /// Signed, but its time is over.
    #[error("this proxy URL expired at {expired_at} (Unix time); reload the page for a fresh one")]
    Expired {
        /// When it expired (Unix seconds).
        expired_at: u64,
    },
    /// Signed, but the target is not an absolute http(s) URL.
    #[error("the proxied address is not an http(s) URL")]
    NotHttp,
}

/// A secret too short to sign with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the proxy secret must be at least {MIN_SECRET_BYTES} bytes long (it has {0})")]
pub struct ShortSecret(pub usize);

impl Signer {
    /// A signer with `secret` (its bytes are the HMAC key).
    pub fn new(secret: &str) -> Result<Signer, ShortSecret> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ShortSecret(secret.len()));
        }
        // HMAC takes keys of any length; the error cannot happen.
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
            .map_err(|_| ShortSecret(secret.len()))?;
        Ok(Signer { keyed })
    }

    /// A new random secret: 32 bytes from the OS, in hex.
    pub fn generate_secret() -> Result<String, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes)?;
        Ok(hex::encode(bytes))
    }

    fn mac(&self, expires: &str, url: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(CONTEXT);
        mac.update(expires.as_bytes());
        mac.update(b"\n");
        mac.update(url);
        mac
    }

    /// The path of the proxy URL of `url`, valid until `expires`.
    pub fn path(&self, url: &str, expires: u64) -> String {
        let expires = expires.to_string();
        let sig =
            URL_SAFE_NO_PAD.encode(self.mac(&expires, url.as_bytes()).finalize().into_bytes());
        format!(
            "{PROXY_PREFIX}{sig}/{expires}/{}",
            URL_SAFE_NO_PAD.encode(url.as_bytes())
        )
    }

    /// Check the three segments of a proxy path at time `now` (Unix
    /// seconds): the signature first (constant time), then the expiry, then
    /// the target. Returns the target URL.
    pub fn verify(
        &self,
        signature: &str,
        expires: &str,
        target: &str,
        now: u64,
    ) -> Result<Url, ProxyRefusal> {
        let malformed = |what: &str| ProxyRefusal::Malformed(what.to_owned());
        let sig = URL_SAFE_NO_PAD
            .decode(signature.as_bytes())
            .map_err(|_| ProxyRefusal::BadSignature)?;
        if expires.is_empty() || expires.len() > 20 || !expires.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed("the expiry is not a Unix time"));
        }
        let url = URL_SAFE_NO_PAD
            .decode(target.as_bytes())
            .map_err(|_| malformed("the target is not base64url"))?;
        self.mac(expires, &url)
            .verify_slice(&sig)
            .map_err(|_| ProxyRefusal::BadSignature)?;
        let expired_at: u64 = expires
            .parse()
            .map_err(|_| malformed("the expiry is out of range"))?;
        if now >= expired_at {
            return Err(ProxyRefusal::Expired { expired_at });
        }
        let url = String::from_utf8(url).map_err(|_| ProxyRefusal::NotHttp)?;
        Url::parse(&url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or(ProxyRefusal::NotHttp)
    }

    /// [`verify`](Self::verify) of a whole path or URL
    /// (`https://news.example/proxy/…` or `/proxy/…`).
    pub fn verify_path(&self, path_or_url: &str, now: u64) -> Result<Url, ProxyRefusal> {
        let (sig, expires, target) = split_path(path_or_url)?;
        self.verify(sig, expires, target, now)
    }
}

/// The three segments of a proxy path or URL.
pub fn split_path(path_or_url: &str) -> Result<(&str, &str, &str), ProxyRefusal> {
    let start = path_or_url
        .find(PROXY_PREFIX)
        .ok_or_else(|| ProxyRefusal::Malformed(format!("it has no {PROXY_PREFIX} in its path")))?;
    let rest = &path_or_url[start + PROXY_PREFIX.len()..];
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let mut parts = rest.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(sig), Some(exp), Some(target), None) if !sig.is_empty() && !target.is_empty() => {
            Ok((sig, exp, target))
        }
        _ => Err(ProxyRefusal::Malformed(
            "expected /proxy/{signature}/{expires}/{target}".to_owned(),
        )),
    }
}

/// The expiry to sign with at `now` for URLs that live `ttl` seconds:
/// `now + ttl` rounded up to a multiple of `ttl / 4` (at least one second),
/// so a URL lives between `ttl` and `1.25 × ttl` and stays the same for a
/// quarter of `ttl` (browser caches keep working).
pub fn expiry(now: u64, ttl: u64) -> u64 {
    let ttl = ttl.max(1);
    let step = (ttl / 4).max(1);
    let at = now.saturating_add(ttl);
    at.div_ceil(step).saturating_mul(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn signer() -> Signer {
        Signer::new("0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_signed_path_verifies_and_gives_the_url_back() {
        let s = signer();
        let url = "https://img.example.com/a b.png?x=1&y=é";
        let path = s.path(url, NOW + 60);
        assert!(path.starts_with("/proxy/"), "{path}");
        let got = s.verify_path(&path, NOW).unwrap();
        assert_eq!(
            got.as_str(),
            "https://img.example.com/a%20b.png?x=1&y=%C3%A9"
        );
        let full = format!("https://news.example.org{path}");
        assert!(s.verify_path(&full, NOW).is_ok());
    }

    #[test]
    fn forged_truncated_expired_and_foreign_urls_are_refused() {
        let s = signer();
        let path = s.path("https://img.example.com/a.png", NOW + 60);
        let (sig, exp, target) = split_path(&path).unwrap();
        // Another target under the same signature.
        let other = URL_SAFE_NO_PAD.encode("https://evil.example/x.png");
        assert_eq!(
            s.verify(sig, exp, &other, NOW),
            Err(ProxyRefusal::BadSignature)
        );
        // A later expiry under the same signature.
        assert_eq!(
            s.verify(sig, &(NOW + 9999).to_string(), target, NOW),
            Err(ProxyRefusal::BadSignature)
        );
        // Truncated signature, one changed character, empty.
        assert_eq!(
            s.verify(&sig[..20], exp, target, NOW),
            Err(ProxyRefusal::BadSignature)
        );
        let mut flipped = sig.to_owned().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            s.verify(&flipped, exp, target, NOW),
            Err(ProxyRefusal::BadSignature)
        );
        assert!(s.verify_path("/proxy//1/x", NOW).is_err());
        assert_eq!(
            s.verify("***", exp, target, NOW),
            Err(ProxyRefusal::BadSignature)
        );
        // Expired: at and after the time.
        assert_eq!(
            s.verify(sig, exp, target, NOW + 60),
            Err(ProxyRefusal::Expired {
                expired_at: NOW + 60
            })
        );
        // Another server's secret.
        let other = Signer::new("another secret, also long enough").unwrap();
        assert_eq!(
            other.verify_path(&path, NOW),
            Err(ProxyRefusal::BadSignature)
        );
        // Junk shapes name what is wrong.
        assert!(matches!(
            s.verify_path("/elsewhere", NOW),
            Err(ProxyRefusal::Malformed(_))
        ));
        assert!(matches!(
            s.verify(sig, "12a", target, NOW),
            Err(ProxyRefusal::Malformed(m)) if m.contains("expiry")
        ));
    }

    #[test]
    fn only_http_targets_pass_even_when_signed() {
        let s = signer();
        for url in ["file:///etc/passwd", "javascript:alert(1)", "not a url"] {
            let path = s.path(url, NOW + 60);
            assert_eq!(
                s.verify_path(&path, NOW),
                Err(ProxyRefusal::NotHttp),
                "{url}"
            );
        }
    }

    #[test]
    fn short_secrets_are_refused_and_debug_hides_the_key() {
        assert_eq!(Signer::new("short").unwrap_err(), ShortSecret(5));
        assert_eq!(format!("{:?}", signer()), "Signer(..)");
        let a = Signer::generate_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, Signer::generate_secret().unwrap());
    }

    #[test]
    fn expiry_is_rounded_so_urls_stay_stable() {
        let ttl = 4 * 3600;
        let e = expiry(NOW, ttl);
        assert!(e >= NOW + ttl && e < NOW + ttl + ttl / 4, "{e}");
        assert_eq!(e % (ttl / 4), 0);
        // NOW + ttl is a multiple of the step (3600 s): one second later
        // rounds up to the next step, and stays there for the whole step.
        assert_eq!(e, NOW + ttl);
        assert_eq!(expiry(NOW + 1, ttl), NOW + ttl + 3600);
        assert_eq!(expiry(NOW + 3000, ttl), NOW + ttl + 3600);
        assert_eq!(expiry(0, 0), 1);
        assert!(expiry(u64::MAX - 1, 10) >= u64::MAX - 1);
    }
}
