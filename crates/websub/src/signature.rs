//! `X-Hub-Signature` (WebSub §8): `method=hexdigest`, the HMAC of the request
//! body keyed with the subscription's `hub.secret`.
//!
//! Recognized methods are `sha1`, `sha256`, `sha384` and `sha512` (names
//! compared without regard to case). A header that is not exactly one
//! `method=hex` pair with a digest of the method's length is malformed, and
//! the content it came with is not delivered. The comparison is the hmac
//! crate's constant-time one.

use std::fmt;

use hmac::{Hmac, Mac};

/// An HMAC hash function a hub may sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureMethod {
    /// SHA-1 (weak, but what most hubs still send).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl SignatureMethod {
    /// The method's name in the header.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::Sha1 => "sha1",
            SignatureMethod::Sha256 => "sha256",
            SignatureMethod::Sha384 => "sha384",
            SignatureMethod::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            SignatureMethod::Sha1 => 20,
            SignatureMethod::Sha256 => 32,
            SignatureMethod::Sha384 => 48,
            SignatureMethod::Sha512 => 64,
        }
    }

    fn from_name(name: &str) -> Option<SignatureMethod> {
        [
            SignatureMethod::Sha1,
            SignatureMethod::Sha256,
            SignatureMethod::Sha384,
            SignatureMethod::Sha512,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }
}

/// Why an `X-Hub-Signature` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `=` between method and digest.
    #[error("X-Hub-Signature is not of the form method=hexdigest")]
    NotAPair,
    /// A method WebSub does not name.
    #[error("X-Hub-Signature method {0:?} is not one of sha1, sha256, sha384, sha512")]
    UnknownMethod(String),
    /// The digest is not hexadecimal.
    #[error("X-Hub-Signature digest is not hexadecimal")]
    NotHex,
    /// The digest does not have the method's length.
    #[error("X-Hub-Signature {method} digest has {got} bytes, expected {expected}")]
    WrongLength {
        /// The method named.
        method: &'static str,
        /// Bytes the method produces.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
}

/// A parsed `X-Hub-Signature` value.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    /// The hash function.
    pub method: SignatureMethod,
    /// The HMAC as sent.
    pub digest: Vec<u8>,
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Signature({}={})",
            self.method.as_str(),
            hex::encode(&self.digest)
        )
    }
}

impl Signature {
    /// Parse a header value (`sha256=5bdc…`); surrounding white space is ignored.
    pub fn parse(value: &str) -> Result<Signature, SignatureError> {
        let (name, digest) = value
            .trim()
            .split_once('=')
            .ok_or(SignatureError::NotAPair)?;
        let method = SignatureMethod::from_name(name.trim()).ok_or_else(|| {
            // Keep the echo of outside input short.
            SignatureError::UnknownMethod(name.trim().chars().take(32).collect())
        })?;
        let digest = hex::decode(digest.trim()).map_err(|_| SignatureError::NotHex)?;
        if digest.len() != method.digest_len() {
            return Err(SignatureError::WrongLength {
                method: method.as_str(),
                expected: method.digest_len(),
                got: digest.len(),
            });
        }
        Ok(Signature { method, digest })
    }

    /// True when this is the HMAC of `body` under `secret` (constant-time comparison).
    pub fn verify(&self, secret: &[u8], body: &[u8]) -> bool {
        fn check<M: Mac + hmac::digest::KeyInit>(
            secret: &[u8],
            body: &[u8],
            digest: &[u8],
        ) -> bool {
            match <M as Mac>::new_from_slice(secret) {
                Ok(mut mac) => {
                    mac.update(body);
                    mac.verify_slice(digest).is_ok()
                }
                Err(_) => false,
            }
        }
        match self.method {
            SignatureMethod::Sha1 => check::<Hmac<sha1::Sha1>>(secret, body, &self.digest),
            SignatureMethod::Sha256 => check::<Hmac<sha2::Sha256>>(secret, body, &self.digest),
            SignatureMethod::Sha384 => check::<Hmac<sha2::Sha384>>(secret, body, &self.digest),
            SignatureMethod::Sha512 => check::<Hmac<sha2::Sha512>>(secret, body, &self.digest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 2202 / RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    const KEY: &[u8] = b"Jefe";
    const DATA: &[u8] = b"what do ya want for nothing?";
    const SHA1: &str = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";
    const SHA256: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const SHA384: &str = "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                          8e2240ca5e69e2c78b3239ecfab21649";
    const SHA512: &str = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                          9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737";

    #[test]
    fn each_method_parses_and_verifies_the_rfc_vectors() {
        for (name, method, hexdigest) in [
            ("sha1", SignatureMethod::Sha1, SHA1),
            ("sha256", SignatureMethod::Sha256, SHA256),
            ("sha384", SignatureMethod::Sha384, SHA384),
            ("sha512", SignatureMethod::Sha512, SHA512),
        ] {
            let sig = Signature::parse(&format!("{name}={hexdigest}")).unwrap();
            assert_eq!(sig.method, method, "{name}");
            assert_eq!(sig.digest.len(), method.digest_len(), "{name}");
            assert!(sig.verify(KEY, DATA), "{name} must verify");
            assert!(!sig.verify(b"Jeff", DATA), "{name}: wrong key");
            assert!(
                !sig.verify(KEY, b"what do ya want for nothing!"),
                "{name}: other body"
            );
        }
    }

    #[test]
    fn method_case_hex_case_and_white_space_are_tolerated() {
        let upper = format!(" SHA256 = {} ", SHA256.to_ascii_uppercase());
        let sig = Signature::parse(&upper).unwrap();
        assert_eq!(sig.method, SignatureMethod::Sha256);
        assert!(sig.verify(KEY, DATA));
    }

    #[test]
    fn a_digest_of_another_method_does_not_verify() {
        // A sha1 digest presented as sha256 fails on length, never on luck.
        assert_eq!(
            Signature::parse(&format!("sha256={SHA1}")),
            Err(SignatureError::WrongLength {
                method: "sha256",
                expected: 32,
                got: 20
            })
        );
        // The sha256 digest under the sha512 name is too short as well.
        assert!(matches!(
            Signature::parse(&format!("sha512={SHA256}")),
            Err(SignatureError::WrongLength { got: 32, .. })
        ));
    }

    #[test]
    fn malformed_headers_are_rejected_with_a_reason() {
        assert_eq!(Signature::parse(""), Err(SignatureError::NotAPair));
        assert_eq!(Signature::parse(SHA256), Err(SignatureError::NotAPair));
        assert_eq!(
            Signature::parse(&format!("md5={SHA1}")),
            Err(SignatureError::UnknownMethod("md5".into()))
        );
        assert_eq!(
            Signature::parse(&format!("={SHA256}")),
            Err(SignatureError::UnknownMethod(String::new()))
        );
        assert_eq!(Signature::parse("sha256=zz"), Err(SignatureError::NotHex));
        assert_eq!(Signature::parse("sha256=abc"), Err(SignatureError::NotHex));
        assert!(matches!(
            Signature::parse("sha256="),
            Err(SignatureError::WrongLength { got: 0, .. })
        ));
        // Two signatures in one header are not a WebSub form.
        assert_eq!(
            Signature::parse(&format!("sha1={SHA1},sha256={SHA256}")),
            Err(SignatureError::NotHex)
        );
        let long = format!("{}={SHA1}", "x".repeat(10_000));
        match Signature::parse(&long) {
            Err(SignatureError::UnknownMethod(name)) => assert_eq!(name.len(), 32),
            other => panic!("{other:?}"),
        }
    }
}
