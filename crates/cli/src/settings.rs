//! Settings: the configuration file, the environment and the defaults,
//! resolved once in `main` into typed values that commands pass to the crates.
//!
//! Precedence: command-line flags (applied by the commands) over environment
//! variables over the configuration file over the defaults. The file is
//! `--config FILE` (env `TRIBUTARY_CONFIG`), which must exist, else
//! `<config dir>/tributary/config.toml` when it exists.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tributary_fetch::FetchConfig;
use tributary_refresh::{RefreshConfig, SchedulePolicy};
use url::Url;

use crate::config::{self, ConfigFile};

/// Everything a command may need, resolved and typed.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configuration file read, if any.
    pub config_file: Option<PathBuf>,
    /// HTTP policy.
    pub fetch: FetchConfig,
    /// Concurrency, schedule and error policy.
    pub refresh: RefreshConfig,
    /// Push subscriptions.
    pub websub: WebSubSettings,
    /// The long-running process.
    pub daemon: DaemonSettings,
    /// `tributary serve`.
    pub serve: ServeSettings,
    /// The web server of `serve` (`[web]`).
    pub web: tributary_web::WebConfig,
    /// `tributary publish`.
    pub publish: PublishSettings,
    /// E-mail digests (`[mail]`); `None` while `[mail] host` is unset.
    pub mail: Option<tributary_mail::MailConfig>,
    /// Webhook deliveries (`[webhooks]`).
    pub webhooks: tributary_webhooks::WebhookConfig,
    /// Full article content (`[articles]`).
    pub articles: tributary_articles::ArticleSettings,
}

/// `[serve]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSettings {
    /// Address of the web server: `[serve] listen`, else `[daemon] listen`.
    pub listen: SocketAddr,
}

/// `[publish]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishSettings {
    /// Directory of template overrides.
    pub templates: Option<PathBuf>,
    /// Title of the site (`None`: the `planet.title` setting, else `[web] site_title`).
    pub title: Option<String>,
    /// Public URL of the site.
    pub link: Option<Url>,
    /// Entries on the river page and in each feed.
    pub limit: u32,
}

/// `[websub]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSubSettings {
    /// Subscribe at the hubs feeds name.
    pub enabled: bool,
    /// Public base URL hubs call back at (none: WebSub cannot be used).
    pub public_url: Option<Url>,
    /// Lease asked of hubs.
    pub lease: Duration,
}

/// `[daemon]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSettings {
    /// Address of the HTTP server.
    pub listen: SocketAddr,
    /// How often the database is re-read for added or removed feeds.
    pub rescan: Duration,
}

const DEFAULT_CONCURRENCY: u16 = 32;
const DEFAULT_PER_HOST: u16 = 2;

impl Settings {
    /// Read the configuration file (`flag`, else the default path if it
    /// exists) and the environment.
    pub fn load(flag: Option<&Path>) -> Result<Settings> {
        Settings::load_from(flag, std::env::vars())
    }

    /// [`Settings::load`] with the environment given: `TRIBUTARY_<SECTION>_<KEY>`
    /// variables override the file's keys; an error names the variable.
    pub fn load_from(
        flag: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let overrides = config::env_overrides(env.iter().cloned());
        let path = match flag {
            Some(path) => {
                if !path.is_file() {
                    bail!("config file {} does not exist", path.display());
                }
                Some(path.to_path_buf())
            }
            None => default_config_path().filter(|p| p.is_file()),
        };
        let file = match &path {
            Some(path) => config::load(path, &overrides)?,
            None if overrides.is_empty() => ConfigFile::default(),
            None => config::parse_with_env("", &overrides).context("environment")?,
        };
        let env_private = env
            .iter()
            .find(|(k, _)| k == "TRIBUTARY_ALLOW_PRIVATE_NETWORKS")
            .map(|(_, v)| v.clone());
        let resolved = Settings::resolve(file, env_private.as_deref()).map_err(|e| {
            // A value out of range names its key; say which variable set it.
            let text = format!("{e:#}");
            match overrides.iter().find(|o| text.contains(&o.key)) {
                Some(o) => e.context(format!("{}={:?}", o.var, o.value)),
                None => e,
            }
        });
        let mut settings = resolved.with_context(|| match &path {
            Some(p) => format!("config file {}", p.display()),
            None => "settings".to_string(),
        })?;
        settings.config_file = path;
        Ok(settings)
    }

    /// Fill in the defaults and check the values; `env_private` is the value
    /// of `TRIBUTARY_ALLOW_PRIVATE_NETWORKS`, which overrides the file.
    pub fn resolve(file: ConfigFile, env_private: Option<&str>) -> Result<Settings> {
        let defaults = FetchConfig::default();
        let f = file.fetch;
        let dur = |v: Option<config::HumanDuration>, default: Duration| v.map_or(default, |d| d.0);

        let mut fetch = FetchConfig {
            user_agent: f.user_agent.unwrap_or(defaults.user_agent),
            connect_timeout: dur(f.connect_timeout, defaults.connect_timeout),
            total_timeout: dur(f.timeout, defaults.total_timeout),
            max_body_bytes: f.max_body_size.map_or(defaults.max_body_bytes, |s| s.0),
            max_redirects: f
                .max_redirects
                .map_or(defaults.max_redirects, |n| n as usize),
            allow_private_networks: f
                .allow_private_networks
                .unwrap_or(defaults.allow_private_networks),
            allowed_networks: f
                .allowed_networks
                .unwrap_or_default()
                .iter()
                .map(|net| {
                    net.trim().parse::<tributary_fetch::IpNet>().map_err(|e| {
                        anyhow::anyhow!(
                            "fetch.allowed_networks: {net:?} is not a network such as \"10.1.0.0/16\" ({e})"
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            keep_oversized: f.keep_oversized.unwrap_or(defaults.keep_oversized),
            max_header_bytes: f.max_header_size.map_or(defaults.max_header_bytes, |s| {
                usize::try_from(s.0).unwrap_or(usize::MAX)
            }),
            extra_root_certificates: f
                .ca_certificates
                .unwrap_or_default()
                .iter()
                .map(|path| {
                    std::fs::read_to_string(path).with_context(|| {
                        format!("fetch.ca_certificates: cannot read {}", path.display())
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        };
        if let Some(value) = env_private {
            fetch.allow_private_networks = parse_bool(value).with_context(|| {
                format!("TRIBUTARY_ALLOW_PRIVATE_NETWORKS={value:?} is not a boolean")
            })?;
        }
        if fetch.user_agent.trim().is_empty() || fetch.user_agent.contains(['\r', '\n']) {
            bail!("fetch.user_agent must be one non-empty line");
        }
        positive("fetch.connect_timeout", fetch.connect_timeout)?;
        positive("fetch.timeout", fetch.total_timeout)?;
        if fetch.max_body_bytes == 0 {
            bail!("fetch.max_body_size must be more than 0 bytes");
        }
        // A PEM file (fetch.ca_certificates) that is not one fails here, naming it, not at the first fetch.
        if let Err(e) = tributary_fetch::Fetcher::new(fetch.clone()) {
            bail!("fetch.ca_certificates: {e}");
        }
        let concurrency = f.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        check_range("fetch.concurrency", concurrency, 1, 1024)?;
        let per_host = f.per_host.unwrap_or(DEFAULT_PER_HOST);
        check_range("fetch.per_host", per_host, 1, 64)?;

        let base = RefreshConfig::default();
        let s = file.schedule;
        let schedule = SchedulePolicy {
            default_interval: dur(s.default_interval, base.schedule.default_interval),
            min_interval: dur(s.min_interval, base.schedule.min_interval),
            max_interval: dur(s.max_interval, base.schedule.max_interval),
            max_backoff: dur(s.max_backoff, base.schedule.max_backoff),
            ..base.schedule.clone()
        };
        positive("schedule.min_interval", schedule.min_interval)?;
        positive("schedule.max_backoff", schedule.max_backoff)?;
        if schedule.min_interval > schedule.max_interval {
            bail!(
                "schedule.min_interval ({}) is longer than schedule.max_interval ({})",
                human(schedule.min_interval),
                human(schedule.max_interval)
            );
        }
        if schedule.default_interval < schedule.min_interval
            || schedule.default_interval > schedule.max_interval
        {
            bail!(
                "schedule.default_interval ({}) must lie between min_interval ({}) and max_interval ({})",
                human(schedule.default_interval),
                human(schedule.min_interval),
                human(schedule.max_interval)
            );
        }
        // A claim must outlast the slowest fetch, or a live worker's feed
        // would be taken over while it is still being fetched.
        let lease = dur(f.lease, base.lease.max(fetch.total_timeout * 2));
        if lease <= fetch.total_timeout {
            bail!(
                "fetch.lease ({}) must be longer than fetch.timeout ({}): a claim has to outlast the slowest fetch",
                human(lease),
                human(fetch.total_timeout)
            );
        }
        let worker = match f.worker {
            Some(name) => {
                let name = name.trim().to_owned();
                if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
                    bail!("fetch.worker must be one line of 1 to 200 characters, not {name:?}");
                }
                name
            }
            None => base.worker.clone(),
        };
        let refresh = RefreshConfig {
            concurrency: usize::from(concurrency),
            worker,
            per_host: usize::from(per_host),
            error_after: dur(f.error_after, base.error_after),
            lease,
            schedule,
            ..base
        };

        let w = file.websub;
        if let Some(url) = &w.public_url {
            if !matches!(url.scheme(), "http" | "https") {
                bail!("websub.public_url must be an http or https URL, not {url}");
            }
        }
        let websub = WebSubSettings {
            enabled: w.enabled.unwrap_or(true),
            public_url: w.public_url,
            lease: dur(w.lease, Duration::from_secs(10 * 24 * 60 * 60)),
        };
        positive("websub.lease", websub.lease)?;

        let d = file.daemon;
        let daemon = DaemonSettings {
            listen: d
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            rescan: dur(d.rescan, Duration::from_secs(30)),
        };
        positive("daemon.rescan", daemon.rescan)?;

        let serve = ServeSettings {
            listen: file.serve.listen.unwrap_or(daemon.listen),
        };
        let articles = resolve_articles(file.articles)?;
        let mut web = resolve_web(file.web)?;
        web.privacy = crate::commands::proxy::resolve(file.privacy)?;
        web.articles = articles.clone();
        let p = file.publish;
        if let Some(url) = &p.link {
            if !matches!(url.scheme(), "http" | "https") {
                bail!("publish.link must be an http or https URL, not {url}");
            }
        }
        let publish = PublishSettings {
            templates: p.templates,
            title: one_line("publish.title", p.title)?,
            link: p.link,
            limit: p.limit.unwrap_or(50),
        };
        check_range_u32("publish.limit", publish.limit, 1, 10_000)?;
        let mail = tributary_mail::MailConfig::resolve(
            &file.mail,
            &web.site_title,
            web.public_url.as_ref(),
        )?;

        let webhooks = resolve_webhooks(file.webhooks)?;

        Ok(Settings {
            config_file: None,
            fetch,
            refresh,
            websub,
            daemon,
            serve,
            web,
            publish,
            mail,
            webhooks,
            articles,
        })
    }
}

/// `[webhooks]` into the webhooks crate's settings, checked.
fn resolve_webhooks(w: config::WebhooksSection) -> Result<tributary_webhooks::WebhookConfig> {
    let d = tributary_webhooks::WebhookConfig::default();
    let dur = |v: Option<config::HumanDuration>, default: Duration| v.map_or(default, |d| d.0);
    let hooks = tributary_webhooks::WebhookConfig {
        enabled: w.enabled.unwrap_or(d.enabled),
        interval: dur(w.interval, d.interval),
        settle: dur(w.settle, d.settle),
        batch_size: w.batch_size.unwrap_or(d.batch_size),
        timeout: dur(w.timeout, d.timeout),
        retry_min: dur(w.retry_min, d.retry_min),
        retry_max: dur(w.retry_max, d.retry_max),
        concurrency: w.concurrency.map_or(d.concurrency, usize::from),
        log_keep: w.log_keep.unwrap_or(d.log_keep),
        log_max_age: dur(w.log_max_age, d.log_max_age),
        user_agent: d.user_agent,
    };
    positive("webhooks.interval", hooks.interval)?;
    positive("webhooks.timeout", hooks.timeout)?;
    positive("webhooks.retry_min", hooks.retry_min)?;
    positive("webhooks.log_max_age", hooks.log_max_age)?;
    if hooks.retry_max < hooks.retry_min {
        bail!(
            "webhooks.retry_max ({}) must not be shorter than webhooks.retry_min ({})",
            human(hooks.retry_max),
            human(hooks.retry_min)
        );
    }
    check_range_u32("webhooks.batch_size", hooks.batch_size, 1, 1000)?;
    check_range_u32("webhooks.log_keep", hooks.log_keep, 1, 100_000)?;
    check_range(
        "webhooks.concurrency",
        u16::try_from(hooks.concurrency).unwrap_or(u16::MAX),
        1,
        64,
    )?;
    Ok(hooks)
}

/// `[articles]` into the articles crate's settings, checked.
fn resolve_articles(a: config::ArticlesSection) -> Result<tributary_articles::ArticleSettings> {
    let base = tributary_articles::ArticleSettings::default();
    let default = match a.default.as_deref() {
        None => base.default,
        Some(s) => tributary_store::FullContent::parse(s).ok_or_else(|| {
            anyhow::anyhow!("articles.default must be \"off\", \"on\" or \"auto\", not {s:?}")
        })?,
    };
    let settings = tributary_articles::ArticleSettings {
        default,
        concurrency: a.concurrency.map_or(base.concurrency, |n| n as usize),
        per_host: a.per_host.map_or(base.per_host, |n| n as usize),
        interval: a.interval.map_or(base.interval, |d| d.0),
        window: a.window.map_or(base.window, |d| d.0),
        max_attempts: a.max_attempts.unwrap_or(base.max_attempts),
        ..base
    };
    check_range_u32("articles.concurrency", settings.concurrency as u32, 1, 256)?;
    check_range_u32("articles.per_host", settings.per_host as u32, 1, 64)?;
    check_range_u32("articles.max_attempts", settings.max_attempts, 1, 100)?;
    positive("articles.interval", settings.interval)?;
    positive("articles.window", settings.window)?;
    Ok(settings)
}

/// `[web]` into the web crate's settings, checked.
fn resolve_web(w: config::WebSection) -> Result<tributary_web::WebConfig> {
    let base = tributary_web::WebConfig::default();
    for (key, url) in [
        ("web.public_url", &w.public_url),
        ("web.hub_url", &w.hub_url),
    ] {
        if let Some(url) = url {
            if !matches!(url.scheme(), "http" | "https") {
                bail!("{key} must be an http or https URL, not {url}");
            }
        }
    }
    let web = tributary_web::WebConfig {
        site_title: one_line("web.site_title", w.site_title)?.unwrap_or(base.site_title),
        public_url: w.public_url,
        session_ttl: w.session_ttl.map_or(base.session_ttl, |d| d.0),
        max_upload_bytes: match w.max_upload_size {
            Some(size) => usize::try_from(size.0).unwrap_or(usize::MAX),
            None => base.max_upload_bytes,
        },
        template_dir: w.template_dir,
        hub_url: w.hub_url,
        page_size: w.page_size.unwrap_or(base.page_size),
        ..base
    };
    positive("web.session_ttl", web.session_ttl)?;
    if web.max_upload_bytes == 0 {
        bail!("web.max_upload_size must be more than 0 bytes");
    }
    check_range_u32("web.page_size", web.page_size, 1, 1000)?;
    if let Some(dir) = &web.template_dir {
        if !dir.is_dir() {
            bail!("web.template_dir: {} is not a directory", dir.display());
        }
    }
    Ok(web)
}

/// A title: one non-empty line, else an error naming `key`.
fn one_line(key: &str, value: Option<String>) -> Result<Option<String>> {
    match value {
        Some(v) if v.trim().is_empty() || v.contains(['\r', '\n']) => {
            bail!("{key} must be one non-empty line")
        }
        Some(v) => Ok(Some(v.trim().to_owned())),
        None => Ok(None),
    }
}

fn check_range_u32(key: &str, value: u32, min: u32, max: u32) -> Result<()> {
    if !(min..=max).contains(&value) {
        bail!("{key} = {value}: must be between {min} and {max}");
    }
    Ok(())
}

/// `<config dir>/tributary/config.toml` (on Linux `~/.config/tributary/config.toml`).
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "tributary").map(|d| d.config_dir().join("config.toml"))
}

fn positive(key: &str, value: Duration) -> Result<()> {
    if value.is_zero() {
        bail!("{key} must be longer than 0s");
    }
    Ok(())
}

fn check_range(key: &str, value: u16, min: u16, max: u16) -> Result<()> {
    if !(min..=max).contains(&value) {
        bail!("{key} = {value}: must be between {min} and {max}");
    }
    Ok(())
}

fn human(d: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(d)
}

/// The database URL: the flag/env value, else an SQLite file in the user's data directory.
pub fn database_url(flag: Option<&str>) -> Result<String> {
    if let Some(url) = flag.map(str::trim).filter(|s| !s.is_empty()) {
        return Ok(url.to_string());
    }
    let dirs = directories::ProjectDirs::from("", "", "tributary").context(
        "cannot tell the user's data directory (no HOME?): pass --database sqlite://PATH",
    )?;
    let path: PathBuf = dirs.data_dir().join("tributary.db");
    Ok(format!("sqlite://{}", path.display()))
}

fn parse_bool(value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => bail!("expected 1/0, true/false, yes/no or on/off"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        for t in ["1", "true", "TRUE", " yes ", "on"] {
            assert!(parse_bool(t).unwrap(), "{t}");
        }
        for f in ["0", "false", "no", "off", ""] {
            assert!(!parse_bool(f).unwrap(), "{f}");
        }
        assert!(parse_bool("maybe").is_err());
    }

    fn resolve(text: &str, env: Option<&str>) -> Result<Settings> {
        Settings::resolve(config::parse(text)?, env)
    }

    #[test]
    fn defaults_without_a_file() {
        let s = resolve("", None).unwrap();
        assert_eq!(s.refresh.concurrency, 32);
        assert_eq!(s.refresh.per_host, 2);
        assert_eq!(s.refresh.error_after, Duration::from_secs(3 * 86400));
        assert_eq!(s.fetch.max_body_bytes, 20 << 20);
        assert!(!s.fetch.allow_private_networks);
        assert!(s.websub.enabled);
        assert_eq!(s.websub.lease, Duration::from_secs(10 * 86400));
        assert_eq!(s.daemon.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.daemon.rescan, Duration::from_secs(30));
    }

    #[test]
    fn file_values_are_used_and_the_environment_overrides_the_file() {
        let text = "[fetch]\nallow_private_networks = true\nper_host = 5\ntimeout = \"5s\"\n\
                    [schedule]\nmax_backoff = \"2h\"\n";
        let s = resolve(text, None).unwrap();
        assert!(s.fetch.allow_private_networks);
        assert_eq!(s.refresh.per_host, 5);
        assert_eq!(s.fetch.total_timeout, Duration::from_secs(5));
        assert_eq!(s.refresh.schedule.max_backoff, Duration::from_secs(7200));
        assert!(
            !resolve(text, Some("0"))
                .unwrap()
                .fetch
                .allow_private_networks
        );
        assert!(resolve(text, Some("perhaps")).is_err());
    }

    #[test]
    fn out_of_range_values_are_refused_with_their_key() {
        for (text, key) in [
            ("[fetch]\nconcurrency = 0", "fetch.concurrency"),
            ("[fetch]\nper_host = 65", "fetch.per_host"),
            ("[fetch]\ntimeout = \"0s\"", "fetch.timeout"),
            ("[fetch]\nmax_body_size = 0", "fetch.max_body_size"),
            ("[fetch]\nuser_agent = \"\"", "fetch.user_agent"),
            ("[schedule]\nmin_interval = \"2d\"", "schedule.min_interval"),
            (
                "[schedule]\ndefault_interval = \"1m\"",
                "schedule.default_interval",
            ),
            ("[daemon]\nrescan = \"0s\"", "daemon.rescan"),
            (
                "[websub]\npublic_url = \"ftp://x.example/\"",
                "websub.public_url",
            ),
        ] {
            let e = format!("{:#}", resolve(text, None).unwrap_err());
            assert!(e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn the_webhooks_section() {
        let s = resolve("", None).unwrap();
        assert_eq!(s.webhooks, tributary_webhooks::WebhookConfig::default());
        let s = resolve(
            "[webhooks]\nsettle = \"30s\"\nbatch_size = 10\nretry_max = \"2h\"\nenabled = false",
            None,
        )
        .unwrap();
        assert_eq!(s.webhooks.settle, Duration::from_secs(30));
        assert_eq!(s.webhooks.batch_size, 10);
        assert_eq!(s.webhooks.retry_max, Duration::from_secs(7200));
        assert!(!s.webhooks.enabled);
        for (text, key) in [
            ("[webhooks]\nbatch_size = 0", "webhooks.batch_size"),
            ("[webhooks]\ntimeout = \"0s\"", "webhooks.timeout"),
            ("[webhooks]\nretry_min = \"2h\"", "webhooks.retry_max"),
            ("[webhooks]\nconcurrency = 0", "webhooks.concurrency"),
            ("[webhooks]\nsettle = \"soon\"", "settle"),
        ] {
            let e = format!("{:#}", resolve(text, None).unwrap_err());
            assert!(e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn networks_and_certificate_files_are_checked_with_their_key() {
        let e = format!(
            "{:#}",
            resolve("[fetch]\nallowed_networks = [\"10.1.0.0/33\"]", None).unwrap_err()
        );
        assert!(
            e.contains("fetch.allowed_networks") && e.contains("10.1.0.0/33"),
            "{e}"
        );
        let s = resolve(
            "[fetch]\nallowed_networks = [\"10.1.0.0/16\", \" fd12::/48 \"]",
            None,
        )
        .unwrap();
        assert_eq!(s.fetch.allowed_networks.len(), 2);

        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = format!(
            "{:#}",
            resolve(
                &format!(
                    "[fetch]\nca_certificates = [{:?}]",
                    missing.display().to_string()
                ),
                None
            )
            .unwrap_err()
        );
        assert!(
            e.contains("fetch.ca_certificates") && e.contains("missing.pem"),
            "{e}"
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let e = format!(
            "{:#}",
            resolve(
                &format!(
                    "[fetch]\nca_certificates = [{:?}]",
                    junk.display().to_string()
                ),
                None
            )
            .unwrap_err()
        );
        assert!(
            e.contains("fetch.ca_certificates") && e.contains("PEM"),
            "{e}"
        );
        let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/../fetch/tests/tls/ca.pem");
        let s = resolve(&format!("[fetch]\nca_certificates = [{ca:?}]"), None).unwrap();
        assert_eq!(s.fetch.extra_root_certificates.len(), 1);
        assert!(s.fetch.extra_root_certificates[0].contains("BEGIN CERTIFICATE"));
    }

    #[test]
    fn web_serve_and_publish_sections() {
        let s = resolve("", None).unwrap();
        assert_eq!(
            s.serve.listen, s.daemon.listen,
            "serve listens where daemon would"
        );
        assert_eq!(s.web.page_size, 50);
        assert_eq!(s.publish.title, None);
        let s = resolve(
            "[daemon]\nlisten = \"127.0.0.1:9001\"\n[web]\nsite_title = \"Our news\"\n\
             public_url = \"https://news.example/\"\nsession_ttl = \"2 days\"\n\
             max_upload_size = \"2MiB\"\nhub_url = \"https://hub.example/\"\npage_size = 20\n",
            None,
        )
        .unwrap();
        assert_eq!(s.serve.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(s.web.site_title, "Our news");
        assert_eq!(s.web.session_ttl, Duration::from_secs(2 * 86400));
        assert_eq!(s.web.max_upload_bytes, 2 << 20);
        assert_eq!(s.web.page_size, 20);
        assert_eq!(s.publish.limit, 50);
        let s = resolve("[serve]\nlisten = \"127.0.0.1:9002\"\n", None).unwrap();
        assert_eq!(s.serve.listen.to_string(), "127.0.0.1:9002");
        assert_eq!(s.daemon.listen.to_string(), "127.0.0.1:8080");
        for (text, key) in [
            ("[web]\npage_size = 0", "web.page_size"),
            ("[web]\nsession_ttl = \"0s\"", "web.session_ttl"),
            ("[web]\nsite_title = \" \"", "web.site_title"),
            ("[web]\nhub_url = \"ftp://hub.example/\"", "web.hub_url"),
            (
                "[web]\ntemplate_dir = \"/nonexistent/templates\"",
                "web.template_dir",
            ),
            ("[publish]\nlimit = 0", "publish.limit"),
        ] {
            let e = format!("{:#}", resolve(text, None).unwrap_err());
            assert!(e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn environment_overrides_without_a_file_and_their_errors_name_the_variable() {
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[web]\npage_size = 10\n").unwrap();
        let s = Settings::load_from(
            Some(&file),
            env(&[
                ("TRIBUTARY_WEB_PAGE_SIZE", "25"),
                ("TRIBUTARY_FETCH_PER_HOST", "4"),
            ]),
        )
        .unwrap();
        assert_eq!(s.web.page_size, 25);
        assert_eq!(s.refresh.per_host, 4);
        let e = format!(
            "{:#}",
            Settings::load_from(Some(&file), env(&[("TRIBUTARY_FETCH_CONCURRENCY", "0")]))
                .unwrap_err()
        );
        assert!(e.contains("TRIBUTARY_FETCH_CONCURRENCY"), "{e}");
        assert!(e.contains("fetch.concurrency"), "{e}");
    }

    #[test]
    fn explicit_database_url_wins() {
        assert_eq!(
            database_url(Some("sqlite:///tmp/x.db")).unwrap(),
            "sqlite:///tmp/x.db"
        );
        assert!(database_url(None).unwrap().starts_with("sqlite://"));
    }
}
