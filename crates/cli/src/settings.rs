//! Settings read from the environment and flags, passed to the crates as values.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use tributary_fetch::FetchConfig;

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

/// Fetch policy: defaults, with `TRIBUTARY_ALLOW_PRIVATE_NETWORKS` read here (and only here).
pub fn fetch_config() -> Result<FetchConfig> {
    let mut config = FetchConfig::default();
    if let Ok(value) = std::env::var("TRIBUTARY_ALLOW_PRIVATE_NETWORKS") {
        config.allow_private_networks = parse_bool(&value).with_context(|| {
            format!("TRIBUTARY_ALLOW_PRIVATE_NETWORKS={value:?} is not a boolean")
        })?;
    }
    Ok(config)
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

    #[test]
    fn explicit_database_url_wins() {
        assert_eq!(
            database_url(Some("sqlite:///tmp/x.db")).unwrap(),
            "sqlite:///tmp/x.db"
        );
        assert!(database_url(None).unwrap().starts_with("sqlite://"));
    }
}
