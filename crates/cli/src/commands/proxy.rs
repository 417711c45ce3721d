//! `proxy sign URL` and `proxy check SIGNED-URL`: the media proxy's URLs
//! from the command line, with the server's own secret (the config's
//! `[privacy] proxy_secret`, else the one kept in the database), for
//! debugging and operations; and `[privacy]` of the config file resolved
//! into the web crate's settings.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use tributary_privacy::{expiry, Signer};
use tributary_store::Store;
use tributary_web::privacy::{load_signer, unix_now, PrivacyConfig, ProxyMode};

use crate::config::PrivacySection;
use crate::settings::Settings;

/// `tributary proxy …`.
#[derive(Debug, Subcommand)]
pub enum ProxyCommand {
    /// Print the signed proxy URL of an image (or audio/video) URL.
    ///
    /// It starts with [web] public_url, else http://<serve listen address>.
    Sign {
        /// The media URL (http or https).
        url: String,
        /// How long the URL works [default: [privacy] proxy_url_ttl].
        #[arg(long, value_parser = humantime::parse_duration)]
        ttl: Option<Duration>,
    },
    /// Check a signed proxy URL: prints what it points at and until when,
    /// or why the proxy would refuse it (exit status 1).
    Check {
        /// A proxy URL or path (`https://news.example/proxy/…` or `/proxy/…`).
        url: String,
    },
}

/// Run a `proxy` command.
pub async fn run(store: &Store, settings: &Settings, command: &ProxyCommand) -> Result<ExitCode> {
    let config = &settings.web.privacy;
    let signer: Signer = load_signer(store, config)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot load the media proxy's secret")?;
    if config.media_proxy == ProxyMode::Off {
        eprintln!(
            "note: [privacy] media_proxy is \"off\": this server answers every proxy URL with 404"
        );
    }
    match command {
        ProxyCommand::Sign { url, ttl } => {
            let parsed = url::Url::parse(url.trim())
                .with_context(|| format!("{url:?} is not an absolute URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!("{url} is not an http or https URL; the proxy fetches nothing else");
            }
            let ttl = ttl.unwrap_or(config.url_ttl).as_secs();
            if ttl == 0 {
                bail!("--ttl must be at least one second");
            }
            let base = match &settings.web.public_url {
                Some(u) => u.as_str().trim_end_matches('/').to_owned(),
                None => format!("http://{}", settings.serve.listen),
            };
            println!("{base}{}", signer.path(url.trim(), expiry(unix_now(), ttl)));
            Ok(ExitCode::SUCCESS)
        }
        ProxyCommand::Check { url } => match signer.verify_path(url.trim(), unix_now()) {
            Ok(target) => {
                let (_, expires, _) = tributary_privacy::signing::split_path(url.trim())
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let expires: i64 = expires.parse().unwrap_or(0);
                let when = chrono::DateTime::from_timestamp(expires, 0)
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_else(|| expires.to_string());
                println!("valid: {target}");
                println!("expires: {when}");
                Ok(ExitCode::SUCCESS)
            }
            Err(why) => {
                eprintln!("tributary: refused: {why}");
                Ok(ExitCode::from(1))
            }
        },
    }
}

/// `[privacy]` into the web crate's settings, checked.
pub fn resolve(p: PrivacySection) -> Result<PrivacyConfig> {
    let base = PrivacyConfig::default();
    let media_proxy = match p.media_proxy.as_deref() {
        None => base.media_proxy,
        Some(v) => ProxyMode::parse(v).with_context(|| {
            format!("privacy.media_proxy must be \"off\", \"images\" or \"all\", not {v:?}")
        })?,
    };
    let config = PrivacyConfig {
        media_proxy,
        strip_trackers: p.strip_trackers.unwrap_or(base.strip_trackers),
        max_bytes: p.proxy_max_bytes.map_or(base.max_bytes, |b| b.0),
        max_media_bytes: p
            .proxy_max_media_bytes
            .map_or(base.max_media_bytes, |b| b.0),
        url_ttl: p.proxy_url_ttl.map_or(base.url_ttl, |d| d.0),
        secret: p.proxy_secret,
    };
    if config.max_bytes == 0 || config.max_media_bytes == 0 {
        bail!(
            "privacy.proxy_max_bytes and privacy.proxy_max_media_bytes must be more than 0 bytes"
        );
    }
    if config.url_ttl.as_secs() == 0 {
        bail!("privacy.proxy_url_ttl must be at least one second");
    }
    if let Some(secret) = &config.secret {
        Signer::new(secret).map_err(|e| anyhow::anyhow!("privacy.proxy_secret: {e}"))?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_section_table() {
        let ok = resolve(PrivacySection::default()).unwrap();
        assert_eq!(ok.media_proxy, ProxyMode::Off);
        assert!(ok.strip_trackers);
        let all = resolve(PrivacySection {
            media_proxy: Some("all".into()),
            strip_trackers: Some(false),
            proxy_secret: Some("a secret of at least sixteen bytes".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(all.media_proxy, ProxyMode::All);
        assert!(!all.strip_trackers);
        for (section, needle) in [
            (
                PrivacySection {
                    media_proxy: Some("everything".into()),
                    ..Default::default()
                },
                "privacy.media_proxy",
            ),
            (
                PrivacySection {
                    proxy_secret: Some("short".into()),
                    ..Default::default()
                },
                "privacy.proxy_secret",
            ),
            (
                PrivacySection {
                    proxy_max_bytes: Some(crate::config::ByteSize(0)),
                    ..Default::default()
                },
                "proxy_max_bytes",
            ),
        ] {
            let err = format!("{:#}", resolve(section).unwrap_err());
            assert!(err.contains(needle), "{err}");
        }
    }
}
