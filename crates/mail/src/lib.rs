//! E-mail digests: per user, a daily or weekly message with the entries
//! stored since the last one, grouped by category, in the digest format
//! of `tributary-publish` (title, short excerpt, "Continue reading" link) as
//! a `multipart/alternative` message with a plain-text and an HTML part,
//! sent over SMTP.
//!
//! Why a crate of its own: `tributary-publish` is pure (values in, text
//! out) and is used by the web and the static site, which need no SMTP
//! client; this crate is the I/O around it — the store's digest state, the
//! schedule, and `lettre` — used by the CLI (`digest --mail`, and the
//! scheduler of `serve`/`daemon`) and the web UI ("Send now").
//!
//! The modules follow the flow: [`config`] (the `[mail]` section),
//! [`schedule`] (when a digest is due; pure), [`message`] (composing the
//! message; pure), [`smtp`] (sending it), [`digests`] (one run: take the
//! entries after the cursor, compose, send, move the cursor or record the
//! failure for a retry with backoff).

pub mod config;
pub mod digests;
pub mod message;
pub mod schedule;
pub mod smtp;

pub use chrono_tz::Tz;
pub use config::{MailConfig, MailSection, Security};
pub use digests::{
    spawn_from, spawn_scheduler, DigestMailer, Outcome, RunError, RunOptions, UserOutcome,
};
pub use smtp::Mailer;

/// Path of the digest settings page of the web UI (the messages link to it).
pub const SETTINGS_PATH: &str = "/settings/digest";

/// Why mail could not be sent, in words naming the step that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// A `[mail]` setting is wrong (the message names the key).
    #[error("{0}")]
    Config(String),
    /// The server could not be reached.
    #[error("cannot connect to the SMTP server {server}: {reason}")]
    Connect {
        /// `host:port`.
        server: String,
        /// Why (connection refused, no route…).
        reason: String,
    },
    /// The TLS handshake (or STARTTLS) failed, e.g. an untrusted certificate.
    #[error("TLS with the SMTP server {server} failed: {reason} (for a private or self-signed server, set mail.ca_file)")]
    Tls {
        /// `host:port`.
        server: String,
        /// What TLS said.
        reason: String,
    },
    /// The server refused the login.
    #[error("the SMTP server {server} refused the login as {user:?}: {reason}")]
    Auth {
        /// `host:port`.
        server: String,
        /// The user name tried.
        user: String,
        /// The server's answer.
        reason: String,
    },
    /// The server refused the recipient.
    #[error("the SMTP server {server} refused the recipient {recipient}: {reason}")]
    Recipient {
        /// `host:port`.
        server: String,
        /// The address.
        recipient: String,
        /// The server's answer.
        reason: String,
    },
    /// The server refused the message for another reason.
    #[error("the SMTP server {server} refused the message: {reason}")]
    Refused {
        /// `host:port`.
        server: String,
        /// The server's answer.
        reason: String,
    },
    /// The server did not answer in time (`mail.timeout`).
    #[error("the SMTP server {server} did not answer in time (mail.timeout)")]
    Timeout {
        /// `host:port`.
        server: String,
    },
    /// The message could not be built (a bad address).
    #[error("cannot build the message: {0}")]
    Message(String),
}

/// Check an address a user gives for their digest: one plain address
/// (`name@example.org`, no display name), at most 254 characters.
pub fn check_address(address: &str) -> Result<String, String> {
    let address = address.trim();
    if address.is_empty() {
        return Err("Give the address to send the digest to.".to_owned());
    }
    if address.chars().count() > 254 {
        return Err("That address is longer than 254 characters.".to_owned());
    }
    address
        .parse::<lettre::Address>()
        .map(|a| a.to_string())
        .map_err(|e| format!("That is not an e-mail address ({e})."))
}
