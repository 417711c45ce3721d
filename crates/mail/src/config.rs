//! The `[mail]` section of the configuration file and the settings it
//! resolves to.
//!
//! The section is read by the CLI's configuration loader (unknown keys are
//! refused there, and `TRIBUTARY_MAIL_<KEY>` variables override keys, so
//! `TRIBUTARY_MAIL_PASSWORD` keeps the password out of the file);
//! [`MailConfig::resolve`] checks the values and fills in the defaults.
//! Mail is off while `host` is unset.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use lettre::message::Mailbox;
use serde::Deserialize;
use url::Url;

use crate::MailError;

/// `[mail]` as written in the file (every key optional).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSection {
    /// SMTP server (`smtp.example.org`); mail is off without it.
    pub host: Option<String>,
    /// Port (default: 587 for `starttls`, 465 for `tls`, 25 for `none`).
    pub port: Option<u16>,
    /// `starttls` (default), `tls` (implicit TLS) or `none` (loopback only).
    pub security: Option<String>,
    /// SMTP user name (none: no authentication).
    pub username: Option<String>,
    /// SMTP password (better: `password_file` or `TRIBUTARY_MAIL_PASSWORD`).
    pub password: Option<String>,
    /// A file whose first line is the SMTP password.
    pub password_file: Option<PathBuf>,
    /// The sender, `Name <address>` or `address`.
    pub from: Option<String>,
    /// A PEM file of certificate authorities to trust besides the built-in
    /// roots (a private or self-signed server).
    pub ca_file: Option<PathBuf>,
    /// Time allowed for each SMTP command (a duration such as `30s`).
    pub timeout: Option<String>,
    /// IANA time zone of the users' sending hours (default `UTC`).
    pub timezone: Option<String>,
    /// Send a digest also when nothing is new (default false).
    pub send_empty: Option<bool>,
    /// Most entries in one message; more wait for the next one.
    pub max_entries: Option<u32>,
    /// How often `serve` and `daemon` look for due digests (default `1m`).
    pub check_every: Option<String>,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (required, never skipped).
    StartTls,
    /// TLS from the first byte ("SMTPS", port 465).
    Tls,
    /// No encryption: only to a server on loopback.
    None,
}

impl Security {
    /// The configuration name (`starttls`, `tls`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Security::StartTls => "starttls",
            Security::Tls => "tls",
            Security::None => "none",
        }
    }

    /// The usual port of this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// The SMTP password. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// `[mail]`, resolved and checked.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// SMTP server host name or address.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// Connection protection.
    pub security: Security,
    /// User name and password, when the server wants authentication.
    pub credentials: Option<(String, Secret)>,
    /// The sender.
    pub from: Mailbox,
    /// PEM text of extra certificate authorities.
    pub ca_pem: Option<Vec<u8>>,
    /// Time allowed for each SMTP command.
    pub timeout: Duration,
    /// Default zone of the sending hours.
    pub timezone: Tz,
    /// Send when nothing is new.
    pub send_empty: bool,
    /// Most entries in one message.
    pub max_entries: u32,
    /// How often the scheduler looks for due digests.
    pub check_every: Duration,
    /// The site's name (the Subject, the digest's title).
    pub site_title: String,
    /// The site's public URL: the settings link and `List-Unsubscribe`.
    pub public_url: Option<Url>,
}

/// Defaults.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default of `max_entries`.
pub const DEFAULT_MAX_ENTRIES: u32 = 200;
/// Default of `check_every`.
pub const DEFAULT_CHECK_EVERY: Duration = Duration::from_secs(60);

impl MailConfig {
    /// Check `section` and fill in the defaults; `None` when mail is off
    /// (no `host`). `site_title` and `public_url` come from `[web]`. Every
    /// error names the key (`mail.from: …`).
    pub fn resolve(
        section: &MailSection,
        site_title: &str,
        public_url: Option<&Url>,
    ) -> Result<Option<MailConfig>, MailError> {
        let Some(host) = section.host.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let bad = |key: &str, why: String| MailError::Config(format!("mail.{key}: {why}"));
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(bad("host", format!("{host:?} is not a host name")));
        }
        let security = match section
            .security
            .as_deref()
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("starttls") => Security::StartTls,
            Some("tls") => Security::Tls,
            Some("none") => Security::None,
            Some(other) => {
                return Err(bad(
                    "security",
                    format!("{other:?} is not one of \"starttls\", \"tls\", \"none\""),
                ))
            }
        };
        if security == Security::None && !is_loopback(host) {
            return Err(bad(
                "security",
                format!(
                    "\"none\" sends the password and the digests unencrypted, so it is allowed \
                     only to a server on this machine (localhost, 127.0.0.1, ::1), not {host:?}"
                ),
            ));
        }
        let port = section.port.unwrap_or(security.default_port());
        if port == 0 {
            return Err(bad("port", "must be 1 to 65535".to_owned()));
        }
        let password = match (&section.password, &section.password_file) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "password",
                    "set password or password_file, not both".to_owned(),
                ))
            }
            (Some(p), None) => Some(p.clone()),
            (None, Some(path)) => Some(read_first_line(path).map_err(|e| bad("password_file", e))?),
            (None, None) => None,
        };
        let credentials = match (section.username.as_deref().map(str::trim), password) {
            (Some(u), Some(p)) if !u.is_empty() => Some((u.to_owned(), Secret(p))),
            (Some(u), None) if !u.is_empty() => {
                return Err(bad(
                    "password",
                    "a username is set but no password (password, password_file or \
                     TRIBUTARY_MAIL_PASSWORD)"
                        .to_owned(),
                ))
            }
            (_, Some(_)) => {
                return Err(bad(
                    "username",
                    "a password is set but no username".to_owned(),
                ))
            }
            _ => None,
        };
        let from = section
            .from
            .as_deref()
            .ok_or_else(|| bad("from", "the sender address is missing".to_owned()))?;
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| bad("from", format!("{from:?} is not an address ({e})")))?;
        let ca_pem = match &section.ca_file {
            Some(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| bad("ca_file", format!("cannot read {}: {e}", path.display())))?;
                if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
                    return Err(bad(
                        "ca_file",
                        format!("{} holds no PEM certificate", path.display()),
                    ));
                }
                Some(pem)
            }
            None => None,
        };
        let duration = |key: &str, v: &Option<String>, default: Duration| match v {
            None => Ok(default),
            Some(text) => match humantime::parse_duration(text.trim()) {
                Ok(d) if !d.is_zero() => Ok(d),
                Ok(_) => Err(bad(key, "must be more than 0".to_owned())),
                Err(e) => Err(bad(
                    key,
                    format!("invalid duration {text:?} ({e}); write e.g. \"30s\" or \"2m\""),
                )),
            },
        };
        let timeout = duration("timeout", &section.timeout, DEFAULT_TIMEOUT)?;
        let check_every = duration("check_every", &section.check_every, DEFAULT_CHECK_EVERY)?;
        let timezone = match section.timezone.as_deref() {
            None => Tz::UTC,
            Some(name) => parse_timezone(name).map_err(|e| bad("timezone", e))?,
        };
        let max_entries = section.max_entries.unwrap_or(DEFAULT_MAX_ENTRIES);
        if !(1..=10_000).contains(&max_entries) {
            return Err(bad("max_entries", "must be 1 to 10000".to_owned()));
        }
        let config = MailConfig {
            host: host.to_owned(),
            port,
            security,
            credentials,
            from,
            ca_pem,
            timeout,
            timezone,
            send_empty: section.send_empty.unwrap_or(false),
            max_entries,
            check_every,
            site_title: site_title.to_owned(),
            public_url: public_url.cloned(),
        };
        // TLS settings rustls cannot use fail here, at start, not at the first digest.
        crate::Mailer::new(&config)?;
        Ok(Some(config))
    }

    /// The address of the digest settings page, when the public URL is known.
    pub fn settings_url(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .and_then(|u| u.join(crate::SETTINGS_PATH.trim_start_matches('/')).ok())
            .map(String::from)
    }
}

/// An IANA zone name (`Europe/Berlin`, `UTC`), or an error saying so.
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.trim().parse::<Tz>().map_err(|_| {
        format!(
            "{name:?} is not a time zone of the IANA database (e.g. \"UTC\", \"Europe/Berlin\")"
        )
    })
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn read_first_line(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let line = text.lines().next().unwrap_or_default().to_owned();
    if line.is_empty() {
        return Err(format!("the first line of {} is empty", path.display()));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section() -> MailSection {
        MailSection {
            host: Some("smtp.example.org".into()),
            from: Some("Tributary <digest@example.org>".into()),
            ..Default::default()
        }
    }

    fn err(s: &MailSection) -> String {
        MailConfig::resolve(s, "T", None).unwrap_err().to_string()
    }

    #[test]
    fn no_host_is_mail_off() {
        assert!(MailConfig::resolve(&MailSection::default(), "T", None)
            .unwrap()
            .is_none());
    }

    #[test]
    fn defaults() {
        let c = MailConfig::resolve(&section(), "T", None).unwrap().unwrap();
        assert_eq!(c.security, Security::StartTls);
        assert_eq!(c.port, 587);
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert_eq!(c.timezone, Tz::UTC);
        assert!(c.credentials.is_none());
        assert_eq!(c.from.email.to_string(), "digest@example.org");
        let mut s = section();
        s.security = Some("TLS".into());
        assert_eq!(
            MailConfig::resolve(&s, "T", None).unwrap().unwrap().port,
            465
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut s = section();
        s.security = Some("ssl".into());
        assert!(err(&s).starts_with("mail.security: \"ssl\""), "{}", err(&s));
        let mut s = section();
        s.security = Some("none".into());
        assert!(
            err(&s).contains("only to a server on this machine"),
            "{}",
            err(&s)
        );
        s.host = Some("127.0.0.1".into());
        assert!(MailConfig::resolve(&s, "T", None).is_ok());
        let mut s = section();
        s.from = Some("not an address".into());
        assert!(err(&s).starts_with("mail.from:"), "{}", err(&s));
        s.from = None;
        assert!(err(&s).starts_with("mail.from: the sender address is missing"));
        let mut s = section();
        s.username = Some("u".into());
        assert!(err(&s).starts_with("mail.password:"), "{}", err(&s));
        let mut s = section();
        s.timeout = Some("soon".into());
        assert!(
            err(&s).starts_with("mail.timeout: invalid duration"),
            "{}",
            err(&s)
        );
        let mut s = section();
        s.timezone = Some("Mars/Olympus".into());
        assert!(err(&s).starts_with("mail.timezone:"), "{}", err(&s));
        let mut s = section();
        s.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(
            err(&s).starts_with("mail.ca_file: cannot read"),
            "{}",
            err(&s)
        );
    }

    #[test]
    fn password_from_a_file_and_never_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\nignored\n").unwrap();
        let mut s = section();
        s.username = Some("digest".into());
        s.password_file = Some(path);
        let c = MailConfig::resolve(&s, "T", None).unwrap().unwrap();
        let (user, pw) = c.credentials.clone().unwrap();
        assert_eq!((user.as_str(), pw.0.as_str()), ("digest", "s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"));
        s.password = Some("x".into());
        assert!(err(&s).contains("not both"));
    }

    #[test]
    fn settings_url_follows_the_public_url() {
        let url = Url::parse("https://news.example.org/reader/").unwrap();
        let c = MailConfig::resolve(&section(), "T", Some(&url))
            .unwrap()
            .unwrap();
        assert_eq!(
            c.settings_url().as_deref(),
            Some("https://news.example.org/reader/settings/digest")
        );
    }
}
