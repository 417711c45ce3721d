//! The signature of a delivery: HMAC-SHA256, keyed with the webhook's
//! secret, over `<timestamp>.<body>` — the `X-Tributary-Timestamp` header's
//! value, a dot, and the exact bytes of the body.
//!
//! Covering the timestamp lets a receiver refuse a captured request replayed
//! later (it checks that the timestamp is recent); covering the exact bytes
//! means the receiver must verify before parsing. [`verify`] is the
//! receiver's side, used by the tests and documented in docs/WEBHOOKS.md.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature header: `sha256=<64 hex digits>`.
pub const SIGNATURE_HEADER: &str = "X-Tributary-Signature";
/// The signed Unix time (seconds) of the request.
pub const TIMESTAMP_HEADER: &str = "X-Tributary-Timestamp";
/// The delivery id, the same on every retry of one batch.
pub const DELIVERY_HEADER: &str = "X-Tributary-Delivery";
/// `entries` or `ping`.
pub const EVENT_HEADER: &str = "X-Tributary-Event";
/// The webhook's id.
pub const WEBHOOK_HEADER: &str = "X-Tributary-Webhook";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Tributary-Signature` value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Why a request failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The signature header is not `sha256=<64 hex digits>`.
    #[error("the signature header is not sha256=<64 hex digits>")]
    Malformed,
    /// The timestamp header is not a whole number of seconds.
    #[error("the timestamp header is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is further from now than the tolerance (a replay, or a
    /// clock far off).
    #[error("the timestamp is {skew} s away from now, more than the {tolerance} s allowed")]
    Stale {
        /// Seconds between the timestamp and now.
        skew: i64,
        /// Seconds allowed.
        tolerance: i64,
    },
    /// The signature does not match the body and timestamp.
    #[error("the signature does not match the body")]
    Mismatch,
}

/// Check a request as a receiver would: `signature` and `timestamp` are the
/// header values, `body` the exact bytes received, `now` the receiver's
/// Unix time; the timestamp may be at most `tolerance` seconds away. The
/// comparison takes constant time.
pub fn verify(
    secret: &str,
    signature: &str,
    timestamp: &str,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), VerifyError> {
    let hex_sig = signature
        .trim()
        .strip_prefix("sha256=")
        .ok_or(VerifyError::Malformed)?;
    let expected = hex::decode(hex_sig).map_err(|_| VerifyError::Malformed)?;
    if expected.len() != 32 {
        return Err(VerifyError::Malformed);
    }
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    let skew = now.saturating_sub(ts).saturating_abs();
    if skew > tolerance {
        return Err(VerifyError::Stale { skew, tolerance });
    }
    mac(secret, ts, body)
        .verify_slice(&expected)
        .map_err(|_| VerifyError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_body_verifies() {
        let sig = sign(SECRET, 1_700_000_000, b"{\"a\":1}");
        assert!(sig.starts_with("sha256="));
        assert_eq!(sig.len(), 7 + 64);
        verify(SECRET, &sig, "1700000000", b"{\"a\":1}", 1_700_000_010, 300).unwrap();
    }

    #[test]
    fn the_value_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: python3 -c 'import hmac,hashlib;
        // print(hmac.new(b"key", b"1.body", hashlib.sha256).hexdigest())'
        assert_eq!(
            sign("key", 1, b"body"),
            "sha256=91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5"
        );
    }

    #[test]
    fn altered_bodies_timestamps_and_secrets_fail() {
        let sig = sign(SECRET, 100, b"{\"entries\":[1]}");
        assert_eq!(
            verify(SECRET, &sig, "100", b"{\"entries\":[2]}", 100, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, &sig, "101", b"{\"entries\":[1]}", 100, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(
                "another secret of enough length!",
                &sig,
                "100",
                b"{\"entries\":[1]}",
                100,
                300
            ),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, &sig, "100", b"{\"entries\":[1]}", 1000, 300),
            Err(VerifyError::Stale {
                skew: 900,
                tolerance: 300
            })
        );
        assert_eq!(
            verify(SECRET, "md5=abc", "100", b"", 100, 300),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify(SECRET, "sha256=zz", "100", b"", 100, 300),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify(SECRET, &sig, "yesterday", b"", 100, 300),
            Err(VerifyError::BadTimestamp)
        );
    }
}
