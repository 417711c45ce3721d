//! The configuration file: TOML, every key optional, unknown keys refused.
//!
//! This module only reads and checks the file's shape; [`crate::settings`]
//! turns it into typed settings with the defaults filled in. The sections
//! and keys are those of `docs/config.example.toml`. Durations are humantime
//! strings ("30s", "10m", "3 days"); sizes are a byte count or a string with
//! a unit ("20MiB", "512 kB").

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

use serde::Deserialize;
use url::Url;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `[fetch]`: HTTP and concurrency.
    #[serde(default)]
    pub fetch: FetchSection,
    /// `[schedule]`: when feeds are fetched.
    #[serde(default)]
    pub schedule: ScheduleSection,
    /// `[websub]`: push subscriptions.
    #[serde(default)]
    pub websub: WebSubSection,
    /// `[daemon]`: the long-running process.
    #[serde(default)]
    pub daemon: DaemonSection,
    /// `[serve]`: `tributary serve`.
    #[serde(default)]
    pub serve: ServeSection,
    /// `[web]`: the web UI and outputs of `tributary serve`.
    #[serde(default)]
    pub web: WebSection,
    /// `[publish]`: `tributary publish`.
    #[serde(default)]
    pub publish: PublishSection,
    /// `[mail]`: e-mail digests (the section is defined by `tributary-mail`).
    #[serde(default)]
    pub mail: tributary_mail::MailSection,
    /// `[privacy]`: tracker removal and the media proxy.
    #[serde(default)]
    pub privacy: PrivacySection,
    /// `[webhooks]`: delivery of new entries to users' webhooks.
    #[serde(default)]
    pub webhooks: WebhooksSection,
    /// `[articles]`: full article content (docs/ARTICLES.md).
    #[serde(default)]
    pub articles: ArticlesSection,
}

/// The sections of the file, as environment variables name them
/// (`TRIBUTARY_<SECTION>_<KEY>`).
pub const SECTIONS: &[&str] = &[
    "fetch", "schedule", "websub", "daemon", "serve", "web", "publish", "mail", "privacy",
    "webhooks", "articles",
];

/// `[fetch]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchSection {
    /// `User-Agent` header.
    pub user_agent: Option<String>,
    /// Time allowed to connect.
    pub connect_timeout: Option<HumanDuration>,
    /// Time allowed for a whole request.
    pub timeout: Option<HumanDuration>,
    /// Largest body accepted.
    pub max_body_size: Option<ByteSize>,
    /// Redirect hops followed.
    pub max_redirects: Option<u32>,
    /// Allow loopback and private addresses.
    pub allow_private_networks: Option<bool>,
    /// Feeds fetched at once.
    pub concurrency: Option<u16>,
    /// Feeds fetched at once from one host.
    pub per_host: Option<u16>,
    /// Continuous failure after which a feed shows as `error`.
    pub error_after: Option<HumanDuration>,
    /// How long a fetch claim holds when its worker dies (several fetch
    /// processes on one database).
    pub lease: Option<HumanDuration>,
    /// This process's name in fetch claims (default `host:pid:random`).
    pub worker: Option<String>,
    /// Networks allowed although private (`"10.1.0.0/16"`, `"fd12::/48"`).
    pub allowed_networks: Option<Vec<String>>,
    /// Keep the complete entries of a body over `max_body_size` instead of failing.
    pub keep_oversized: Option<bool>,
    /// Largest response head (status line and headers) accepted.
    pub max_header_size: Option<ByteSize>,
    /// PEM files of certificate authorities to trust besides the system's.
    pub ca_certificates: Option<Vec<PathBuf>>,
}

/// `[schedule]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSection {
    /// Wait after a fetch when the feed gives no hint.
    pub default_interval: Option<HumanDuration>,
    /// Shortest wait, whatever the feed asks.
    pub min_interval: Option<HumanDuration>,
    /// Longest wait, whatever the feed asks.
    pub max_interval: Option<HumanDuration>,
    /// Longest back-off after failures.
    pub max_backoff: Option<HumanDuration>,
}

/// `[websub]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSubSection {
    /// Subscribe at hubs that feeds name.
    pub enabled: Option<bool>,
    /// Public base URL of this server (hubs call back there).
    pub public_url: Option<Url>,
    /// Lease asked of hubs.
    pub lease: Option<HumanDuration>,
}

/// `[webhooks]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksSection {
    /// Run the delivery worker in `serve` and `daemon`.
    pub enabled: Option<bool>,
    /// How often the worker looks for something to send.
    pub interval: Option<HumanDuration>,
    /// How long an entry must be stored before it is sent.
    pub settle: Option<HumanDuration>,
    /// Most entries in one POST.
    pub batch_size: Option<u32>,
    /// Time allowed for one POST.
    pub timeout: Option<HumanDuration>,
    /// First wait after a failure.
    pub retry_min: Option<HumanDuration>,
    /// Longest wait between attempts.
    pub retry_max: Option<HumanDuration>,
    /// Webhooks delivered at once.
    pub concurrency: Option<u16>,
    /// Delivery log rows kept per webhook.
    pub log_keep: Option<u32>,
    /// Delivery log rows older than this are dropped.
    pub log_max_age: Option<HumanDuration>,
}

/// `[daemon]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonSection {
    /// Address of the HTTP server.
    pub listen: Option<SocketAddr>,
    /// How often the database is re-read for added or removed feeds.
    pub rescan: Option<HumanDuration>,
}

/// `[serve]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSection {
    /// Address of the web server (default: `[daemon] listen`).
    pub listen: Option<SocketAddr>,
}

/// `[web]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSection {
    /// Name shown in page titles and outputs.
    pub site_title: Option<String>,
    /// The URL users reach the server at.
    pub public_url: Option<Url>,
    /// How long a login lasts.
    pub session_ttl: Option<HumanDuration>,
    /// Largest upload accepted (OPML import).
    pub max_upload_size: Option<ByteSize>,
    /// Directory of template overrides.
    pub template_dir: Option<PathBuf>,
    /// WebSub hub advertised in the outputs and pinged when they change.
    pub hub_url: Option<Url>,
    /// Entries per page.
    pub page_size: Option<u32>,
}

/// `[publish]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishSection {
    /// Directory of template overrides of the static site.
    pub templates: Option<PathBuf>,
    /// Title of the site.
    pub title: Option<String>,
    /// Public URL of the site (absolute links in its feeds).
    pub link: Option<Url>,
    /// Entries on the river page and in each feed.
    pub limit: Option<u32>,
}

/// `[privacy]` (docs/PRIVACY.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySection {
    /// `"off"`, `"images"` or `"all"` (images, audio and video).
    pub media_proxy: Option<String>,
    /// Remove tracker pixels and tracking parameters from served entries.
    pub strip_trackers: Option<bool>,
    /// Largest image the proxy passes.
    pub proxy_max_bytes: Option<ByteSize>,
    /// Largest audio or video file the proxy passes.
    pub proxy_max_media_bytes: Option<ByteSize>,
    /// How long a proxy URL works.
    pub proxy_url_ttl: Option<HumanDuration>,
    /// The signing secret (default: generated, kept in the database).
    pub proxy_secret: Option<String>,
}

/// `[articles]` (docs/ARTICLES.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticlesSection {
    /// Mode of feeds that chose none: "off", "on" or "auto".
    pub default: Option<String>,
    /// Article fetches at once.
    pub concurrency: Option<u32>,
    /// Article fetches at once from one host.
    pub per_host: Option<u32>,
    /// How often the worker looks for work.
    pub interval: Option<HumanDuration>,
    /// Entries stored longer ago than this are left alone.
    pub window: Option<HumanDuration>,
    /// Failed attempts after which an article is given up.
    pub max_attempts: Option<u32>,
}

/// A value taken from the environment instead of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvOverride {
    /// The variable (`TRIBUTARY_FETCH_TIMEOUT`).
    pub var: String,
    /// Its value as given.
    pub value: String,
    /// The key it sets (`fetch.timeout`).
    pub key: String,
}

/// The `TRIBUTARY_<SECTION>_<KEY>` variables among `vars`, for a known
/// section; other `TRIBUTARY_*` variables (`TRIBUTARY_DATABASE`…) are not
/// config keys and are left alone.
pub fn env_overrides(vars: impl IntoIterator<Item = (String, String)>) -> Vec<EnvOverride> {
    let mut out: Vec<EnvOverride> = vars
        .into_iter()
        .filter_map(|(var, value)| {
            let rest = var.strip_prefix("TRIBUTARY_")?;
            let (section, key) = rest.split_once('_')?;
            let section = section.to_ascii_lowercase();
            if !SECTIONS.contains(&section.as_str()) || key.is_empty() {
                return None;
            }
            let key = format!("{section}.{}", key.to_ascii_lowercase());
            Some(EnvOverride { var, value, key })
        })
        .collect();
    out.sort_by(|a, b| a.var.cmp(&b.var));
    out
}

/// Parse `text` with `overrides` applied on top. Each value is read like
/// the file's (`true`, `8`, `["a", "b"]`), else as a string (`30s`,
/// `https://x.example/`); an error names the variable.
pub fn parse_with_env(text: &str, overrides: &[EnvOverride]) -> anyhow::Result<ConfigFile> {
    // First the file alone, so its errors keep their line numbers.
    let file = parse(text)?;
    if overrides.is_empty() {
        return Ok(file);
    }
    let mut table: toml::Table = toml::from_str(text)?;
    for o in overrides {
        let (section, key) = o.key.split_once('.').unwrap_or((&o.key, ""));
        let mut candidates = Vec::new();
        if let Ok(mut doc) = toml::from_str::<toml::Table>(&format!("v = {}", o.value)) {
            if let Some(v) = doc.remove("v") {
                candidates.push(v);
            }
        }
        candidates.push(toml::Value::String(o.value.clone()));
        let mut first_error = None;
        let mut accepted = None;
        for value in candidates {
            let mut trial = table.clone();
            let entry = trial
                .entry(section.to_owned())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let Some(section_table) = entry.as_table_mut() else {
                anyhow::bail!("{}: [{section}] in the file is not a table", o.var);
            };
            section_table.insert(key.to_owned(), value);
            match toml::Value::Table(trial.clone()).try_into::<ConfigFile>() {
                Ok(_) => {
                    accepted = Some(trial);
                    break;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match accepted {
            Some(t) => table = t,
            None => {
                let why = first_error
                    .map(|e| e.message().to_owned())
                    .unwrap_or_default();
                anyhow::bail!("{}={:?}: {why}", o.var, o.value);
            }
        }
    }
    Ok(toml::Value::Table(table).try_into::<ConfigFile>()?)
}

/// Read and parse `path` with `overrides` applied. The error names the
/// file and, through toml's message, the line, column and key (or the
/// variable of an override).
pub fn load(path: &Path, overrides: &[EnvOverride]) -> anyhow::Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read the config file {}: {e}", path.display()))?;
    parse_with_env(&text, overrides)
        .map_err(|e| anyhow::anyhow!("config file {}: {e:#}", path.display()))
}

/// Parse a configuration file's text.
pub fn parse(text: &str) -> Result<ConfigFile, toml::de::Error> {
    toml::from_str(text)
}

/// A duration written for people: "30s", "10m", "1h 30m", "3 days".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"10m\" or \"3 days\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HumanDuration, E> {
                humantime::parse_duration(v.trim())
                    .map(HumanDuration)
                    .map_err(|e| {
                        E::custom(format!(
                            "invalid duration {v:?} ({e}); write e.g. \"30s\", \"10m\" or \"3 days\""
                        ))
                    })
            }
        }
        d.deserialize_str(V)
    }
}

/// A size in bytes: an integer, or a string with a unit (B, kB, KiB, MB, MiB, GB, GiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size: a number of bytes or a string such as \"20MiB\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom(format!("invalid size {v}: must not be negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                parse_size(v).map(ByteSize).map_err(|why| {
                    E::custom(format!(
                        "invalid size {v:?}: {why}; write e.g. 1048576, \"512kB\" or \"20MiB\""
                    ))
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// "20MiB" → 20 × 2^20; "1.5 MB" → 1,500,000; "4096" → 4096. Units are case-insensitive.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err("no number".to_string());
    }
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "kib" => 1 << 10,
        "mb" | "m" => 1_000_000,
        "mib" => 1 << 20,
        "gb" | "g" => 1_000_000_000,
        "gib" => 1 << 30,
        other => return Err(format!("unknown unit {other:?}")),
    };
    if let Ok(n) = number.parse::<u64>() {
        return n
            .checked_mul(multiplier)
            .ok_or_else(|| "too large".to_string());
    }
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{number:?} is not a number"))?;
    let bytes = (n * multiplier as f64).round();
    if !(0.0..=u64::MAX as f64).contains(&bytes) {
        return Err("too large".to_string());
    }
    // In range and whole: the cast is exact enough for a size limit.
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("20MiB"), Ok(20 * 1024 * 1024));
        assert_eq!(parse_size("20 mib"), Ok(20 * 1024 * 1024));
        assert_eq!(parse_size("512kB"), Ok(512_000));
        assert_eq!(parse_size("1.5 MB"), Ok(1_500_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("20 parsecs").is_err());
        assert!(parse_size("1.2.3MB").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }

    #[test]
    fn a_full_file_parses() {
        let file = parse(
            r#"
            [fetch]
            user_agent = "x"
            connect_timeout = "5s"
            timeout = "1m"
            max_body_size = "1MiB"
            max_redirects = 3
            allow_private_networks = true
            concurrency = 8
            per_host = 1
            error_after = "2 days"
            [schedule]
            default_interval = "2h"
            min_interval = "15m"
            max_interval = "12h"
            max_backoff = "6h"
            [websub]
            enabled = false
            public_url = "https://reader.example/"
            lease = "5 days"
            [daemon]
            listen = "0.0.0.0:9000"
            rescan = "10s"
            "#,
        )
        .unwrap();
        assert_eq!(file.fetch.max_body_size, Some(ByteSize(1 << 20)));
        assert_eq!(
            file.fetch.error_after,
            Some(HumanDuration(Duration::from_secs(2 * 86400)))
        );
        assert_eq!(file.daemon.listen, Some("0.0.0.0:9000".parse().unwrap()));
        assert_eq!(file.websub.enabled, Some(false));
        assert_eq!(
            file.schedule.min_interval,
            Some(HumanDuration(Duration::from_secs(900)))
        );
    }

    #[test]
    fn integer_sizes_and_empty_files() {
        let file = parse("[fetch]\nmax_body_size = 1000\n").unwrap();
        assert_eq!(file.fetch.max_body_size, Some(ByteSize(1000)));
        assert!(parse("[fetch]\nmax_body_size = -1\n").is_err());
        let empty = parse("").unwrap();
        assert!(empty.fetch.timeout.is_none());
    }

    #[test]
    fn the_example_file_parses_and_enabling_every_key_still_parses() {
        let example = include_str!("../../../docs/config.example.toml");
        let file = parse(example).unwrap();
        assert!(file.fetch.user_agent.is_none(), "the example only comments");
        // Uncomment every `# key = value` line: each documented key is known.
        let enabled: String = example
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") => rest,
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let file = parse(&enabled).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.fetch.concurrency, Some(32));
        assert_eq!(file.fetch.per_host, Some(2));
        assert_eq!(
            file.daemon.rescan,
            Some(HumanDuration(Duration::from_secs(30)))
        );
        assert_eq!(file.fetch.max_body_size, Some(ByteSize(20 << 20)));
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<EnvOverride> {
        env_overrides(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    #[test]
    fn environment_variables_name_a_section_and_a_key() {
        let o = vars(&[
            ("TRIBUTARY_WEB_PUBLIC_URL", "https://news.example/"),
            ("TRIBUTARY_FETCH_TIMEOUT", "5s"),
            ("TRIBUTARY_DATABASE", "sqlite:///x.db"),
            ("TRIBUTARY_ALLOW_PRIVATE_NETWORKS", "1"),
            ("TRIBUTARY_ADMIN_PASSWORD", "secret"),
            ("HOME", "/root"),
        ]);
        let keys: Vec<_> = o.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["fetch.timeout", "web.public_url"]);
    }

    #[test]
    fn environment_values_are_read_like_the_file() {
        let o = vars(&[
            ("TRIBUTARY_FETCH_TIMEOUT", "5s"),
            ("TRIBUTARY_FETCH_CONCURRENCY", "8"),
            ("TRIBUTARY_FETCH_KEEP_OVERSIZED", "false"),
            ("TRIBUTARY_FETCH_ALLOWED_NETWORKS", "[\"10.1.0.0/16\"]"),
            ("TRIBUTARY_WEB_SITE_TITLE", "2026"),
            ("TRIBUTARY_WEB_PUBLIC_URL", "https://news.example/"),
            ("TRIBUTARY_WEB_MAX_UPLOAD_SIZE", "2MiB"),
            ("TRIBUTARY_SERVE_LISTEN", "0.0.0.0:9000"),
        ]);
        let file = parse_with_env("[fetch]\ntimeout = \"1m\"\nper_host = 3\n", &o).unwrap();
        assert_eq!(
            file.fetch.timeout,
            Some(HumanDuration(Duration::from_secs(5)))
        );
        assert_eq!(file.fetch.per_host, Some(3), "the file's other keys stay");
        assert_eq!(file.fetch.concurrency, Some(8));
        assert_eq!(file.fetch.keep_oversized, Some(false));
        assert_eq!(
            file.fetch.allowed_networks,
            Some(vec!["10.1.0.0/16".to_owned()])
        );
        assert_eq!(file.web.site_title.as_deref(), Some("2026"));
        assert_eq!(file.web.max_upload_size, Some(ByteSize(2 << 20)));
        assert_eq!(file.serve.listen, Some("0.0.0.0:9000".parse().unwrap()));
    }

    #[test]
    fn a_bad_environment_value_names_the_variable() {
        for (var, value, why) in [
            ("TRIBUTARY_FETCH_TIMEOUT", "forever", "invalid duration"),
            ("TRIBUTARY_FETCH_CONCURRENCY", "many", "u16"),
            ("TRIBUTARY_WEB_PUBLIC_URL", "not a url", "relative URL"),
            (
                "TRIBUTARY_WEB_PUBLC_URL",
                "https://x.example/",
                "unknown field `publc_url`",
            ),
        ] {
            let e = format!(
                "{:#}",
                parse_with_env("", &vars(&[(var, value)])).unwrap_err()
            );
            assert!(e.contains(var) && e.contains(why), "{var}: {e}");
        }
    }

    #[test]
    fn errors_name_the_key_and_the_line() {
        let e = parse("[fetch]\ntimeout = \"forever\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(e.contains("timeout"), "{e}");
        assert!(e.contains("invalid duration \"forever\""), "{e}");
        let e = parse("[fetch]\nconcurrenc = 3\n").unwrap_err().to_string();
        assert!(e.contains("unknown field `concurrenc`"), "{e}");
        let e = parse("[fetsh]\n").unwrap_err().to_string();
        assert!(e.contains("unknown field `fetsh`"), "{e}");
    }
}
