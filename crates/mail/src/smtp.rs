//! Sending one message over SMTP: a small wrapper around `lettre`'s tokio
//! transport (rustls, never native TLS), so the rest of Tributary sees one
//! type, [`Mailer`], and one error, [`MailError`], whose words say what went
//! wrong: the connection, TLS, the login, or a refused recipient.
//!
//! A connection is opened per message (no pool): digests go out a few at a
//! time, and a fresh connection reports each server problem where it happens.

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailConfig, Security};
use crate::MailError;

/// An SMTP client for one server, as configured in `[mail]`.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
    user: Option<String>,
    security: Security,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("user", &self.user)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A client for the server of `config`. Fails only on TLS settings
    /// that cannot be used (an extra CA file rustls does not accept).
    pub fn new(config: &MailConfig) -> Result<Mailer, MailError> {
        let server = format!("{}:{}", config.host, config.port);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .timeout(Some(config.timeout));
        if config.security != Security::None {
            let mut tls = TlsParameters::builder(config.host.clone());
            if let Some(pem) = &config.ca_pem {
                let cert = Certificate::from_pem(pem).map_err(|e| {
                    MailError::Config(format!("mail.ca_file: not a usable PEM certificate: {e}"))
                })?;
                tls = tls.add_root_certificate(cert);
            }
            let params = tls.build_rustls().map_err(|e| {
                MailError::Config(format!("mail: cannot set up TLS: {}", chain(&e)))
            })?;
            builder = builder.tls(match config.security {
                Security::Tls => Tls::Wrapper(params),
                _ => Tls::Required(params),
            });
        }
        let user = config.credentials.as_ref().map(|(u, _)| u.clone());
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.0.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            server,
            user,
            security: config.security,
        })
    }

    /// The server, `host:port`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Send `message` to its envelope's recipients.
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        let recipients = message
            .envelope()
            .to()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(self.classify(&e, &recipients)),
        }
    }

    /// Put lettre's error into words: which step failed, and why.
    fn classify(&self, e: &lettre::transport::smtp::Error, recipients: &str) -> MailError {
        let server = self.server.clone();
        let reason = tidy(&chain(e));
        let lower = reason.to_ascii_lowercase();
        if e.is_timeout() {
            return MailError::Timeout { server };
        }
        if let Some(code) = e.status() {
            let code = code.to_string();
            return match code.as_str() {
                "530" | "534" | "535" | "538" | "454" => MailError::Auth {
                    server,
                    user: self.user.clone().unwrap_or_default(),
                    reason,
                },
                "450" | "550" | "551" | "553" => MailError::Recipient {
                    server,
                    recipient: recipients.to_owned(),
                    reason,
                },
                _ => MailError::Refused { server, reason },
            };
        }
        if e.is_tls() || lower.contains("starttls") || lower.contains("certificate") {
            return MailError::Tls { server, reason };
        }
        if lower.contains("authentication") || (e.is_client() && lower.contains("auth")) {
            return MailError::Auth {
                server,
                user: self.user.clone().unwrap_or_default(),
                reason,
            };
        }
        if let Some(io) = io_error(e) {
            let why = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    "connection refused (is the SMTP server running, on this port?)".to_owned()
                }
                std::io::ErrorKind::TimedOut => "timed out".to_owned(),
                _ => io.to_string(),
            };
            // A TLS failure of the wrapper connection shows as an I/O error
            // carrying the rustls error.
            if io.get_ref().is_some_and(|inner| {
                let text = inner.to_string().to_ascii_lowercase();
                text.contains("certificate") || text.contains("tls") || text.contains("handshake")
            }) {
                return MailError::Tls {
                    server,
                    reason: io.to_string(),
                };
            }
            return MailError::Connect {
                server,
                reason: why,
            };
        }
        if e.is_response() || e.is_permanent() || e.is_transient() {
            return MailError::Refused { server, reason };
        }
        MailError::Connect { server, reason }
    }
}

/// lettre's words without its repeated kind prefixes: `permanent error
/// (535): 5.7.8 …` becomes `535 5.7.8 …`, `Connection error: ` is dropped.
fn tidy(reason: &str) -> String {
    let mut out = reason.to_owned();
    for noise in ["Connection error: ", "network error: ", "tls error: "] {
        out = out.replace(noise, "");
    }
    for kind in ["permanent error (", "transient error ("] {
        if let Some(rest) = out.strip_prefix(kind) {
            if let Some((code, text)) = rest.split_once("): ") {
                out = format!("{code} {text}");
            }
        }
    }
    out
}

/// The first I/O error in `e`'s chain of causes.
fn io_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        current = err.source();
    }
    None
}

/// `e` and its causes, joined with `: ` (each said once).
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
