//! `publish DIR`: the planet as a static site. The pages and feeds are
//! rendered in memory by `tributary_publish::site`; this module picks the
//! data, reads the template overrides and writes the files that changed
//! (each through a temporary file renamed into place).

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use tributary_model::{RiverItem, Subscription, UserId};
use tributary_publish::site::{
    self, CategoryRiver, SiteError, SiteInput, SiteOptions, SiteTemplates,
};
use tributary_store::{RiverQuery, Store};

use crate::args::PublishArgs;
use crate::settings::Settings;

pub async fn run(
    store: &Store,
    cli_user: UserId,
    settings: &Settings,
    args: &PublishArgs,
) -> Result<ExitCode> {
    // Templates first: a broken override stops everything before any write.
    let template_dir = args
        .templates
        .clone()
        .or_else(|| settings.publish.templates.clone());
    let templates = match &template_dir {
        Some(dir) => load_templates(dir)?,
        None => SiteTemplates::default(),
    };
    let user = planet_user(store, cli_user, args.user.as_deref()).await?;
    let limit = args.limit.unwrap_or(settings.publish.limit);
    let title = match (&args.title, &settings.publish.title) {
        (Some(t), _) | (None, Some(t)) => t.clone(),
        (None, None) => store
            .setting("planet.title")
            .await?
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| settings.web.site_title.clone()),
    };
    let link = args
        .link
        .clone()
        .or_else(|| settings.publish.link.clone())
        .map(|u| u.to_string());
    if let Some(link) = &link {
        if !(link.starts_with("http://") || link.starts_with("https://")) {
            bail!("--link must be an http or https URL, not {link}");
        }
    }

    let mut subscriptions = store.subscriptions(user).await?;
    let all_paths = category_paths(&subscriptions);
    let chosen: Vec<String> = if args.category.is_empty() {
        all_paths.clone()
    } else {
        let mut chosen = Vec::new();
        for wanted in &args.category {
            let wanted = wanted.trim().trim_matches('/');
            let matching: Vec<&String> = all_paths
                .iter()
                .filter(|p| *p == wanted || p.starts_with(&format!("{wanted}/")))
                .collect();
            if matching.is_empty() {
                if all_paths.is_empty() {
                    bail!("unknown category {wanted:?}: no feed is in a category");
                }
                bail!(
                    "unknown category {wanted:?} (categories: {})",
                    all_paths.join(", ")
                );
            }
            chosen.extend(matching.into_iter().cloned());
        }
        chosen.sort();
        chosen.dedup();
        // Only the sources of the chosen categories are listed.
        subscriptions.retain(|s| s.category.as_ref().is_some_and(|c| chosen.contains(c)));
        chosen
    };

    let mut categories = Vec::new();
    for path in &chosen {
        let items = store
            .river(
                user,
                &RiverQuery {
                    limit: Some(limit),
                    category: Some(path.clone()),
                    ..Default::default()
                },
            )
            .await?;
        categories.push(CategoryRiver {
            path: path.clone(),
            items,
        });
    }
    let river = if args.category.is_empty() {
        store
            .river(
                user,
                &RiverQuery {
                    limit: Some(limit),
                    ..Default::default()
                },
            )
            .await?
    } else {
        merge_rivers(&categories, limit)
    };

    let files = site::render(
        &templates,
        &SiteInput {
            river: &river,
            categories: &categories,
            subscriptions: &subscriptions,
        },
        &SiteOptions { title, link },
    )
    .map_err(|e| site_error(template_dir.as_deref(), e))?;

    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create the directory {}", args.dir.display()))?;
    let (mut wrote, mut unchanged) = (0, 0);
    for file in &files {
        let path = args.dir.join(&file.path);
        if write_if_changed(&path, &file.bytes)? {
            wrote += 1;
        } else {
            unchanged += 1;
        }
    }
    println!(
        "{}: wrote {wrote}, unchanged {unchanged} ({} entries, {} categories)",
        args.dir.display(),
        river.len(),
        categories.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `--user NAME`, else the `planet.user` setting (a name or an id), else
/// the command line's user.
async fn planet_user(store: &Store, cli_user: UserId, flag: Option<&str>) -> Result<UserId> {
    if let Some(name) = flag {
        return match store.user_by_name(name).await? {
            Some(user) => Ok(user.id),
            None => bail!("unknown user {name:?} (see `tributary user list`)"),
        };
    }
    let Some(value) = store.setting("planet.user").await? else {
        return Ok(cli_user);
    };
    let value = value.trim();
    if value.is_empty() {
        return Ok(cli_user);
    }
    if let Some(user) = store.user_by_name(value).await? {
        return Ok(user.id);
    }
    if let Ok(id) = value.parse::<i64>() {
        if let Some(user) = store.user(UserId(id)).await? {
            return Ok(user.id);
        }
    }
    bail!("the planet.user setting names {value:?}, which is no user; choose another in the admin page, or pass --user")
}

/// Every category path of the subscriptions, with their parents, sorted.
fn category_paths(subscriptions: &[Subscription]) -> Vec<String> {
    let mut paths = BTreeSet::new();
    for path in subscriptions.iter().filter_map(|s| s.category.as_deref()) {
        let mut prefix = String::new();
        for part in path.split('/').map(str::trim).filter(|p| !p.is_empty()) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            paths.insert(prefix.clone());
        }
    }
    paths.into_iter().collect()
}

/// The newest `limit` entries of several rivers, each once.
fn merge_rivers(categories: &[CategoryRiver], limit: u32) -> Vec<RiverItem> {
    let mut seen = HashSet::new();
    let mut items: Vec<RiverItem> = categories
        .iter()
        .flat_map(|c| c.items.iter())
        .filter(|i| seen.insert(i.entry.id))
        .cloned()
        .collect();
    items.sort_by(|a, b| {
        b.entry
            .published
            .cmp(&a.entry.published)
            .then(b.entry.id.0.cmp(&a.entry.id.0))
    });
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    items
}

/// Read every file of `dir` as a template override.
fn load_templates(dir: &Path) -> Result<SiteTemplates> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the template directory {}", dir.display()))?;
    let mut overrides = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the template {}", path.display()))?;
        overrides.push((entry.file_name().to_string_lossy().into_owned(), source));
    }
    SiteTemplates::new(overrides).map_err(|e| site_error(Some(dir), e))
}

/// A site error naming the override's file (and line).
fn site_error(dir: Option<&Path>, e: SiteError) -> anyhow::Error {
    let file = |name: &str| -> PathBuf {
        match dir {
            Some(dir) if dir.join(name).is_file() => dir.join(name),
            _ => PathBuf::from(format!("(built-in) {name}")),
        }
    };
    match &e {
        SiteError::Template {
            name,
            line,
            message,
        } => {
            let at = line.map(|l| format!(":{l}")).unwrap_or_default();
            anyhow::anyhow!("template {}{at}: {message}", file(name).display())
        }
        SiteError::UnknownTemplate { name } => anyhow::anyhow!(
            "{}: {e}",
            dir.map_or_else(|| PathBuf::from(name), |d| d.join(name))
                .display()
        ),
        _ => anyhow::Error::new(e).context("cannot render the site"),
    }
}

/// Write `bytes` to `path` unless it holds them already; true if written.
/// The new contents go to a temporary file in the same directory first,
/// renamed over `path`: a reader never sees half a file.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot replace {}", path.display()));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_changed_files_through_a_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/index.html");
        assert!(write_if_changed(&path, b"one").unwrap());
        assert!(!write_if_changed(&path, b"one").unwrap());
        assert!(write_if_changed(&path, b"two").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let left: Vec<_> = std::fs::read_dir(dir.path().join("a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
    }

    #[test]
    fn category_paths_include_parents() {
        let sub = |c: Option<&str>| {
            let mut s = Subscription {
                feed: tributary_model::Feed::new(tributary_model::FeedId(1), "https://a.example/"),
                title_override: None,
                category: c.map(str::to_owned),
                entry_count: 0,
            };
            s.feed.title = None;
            s
        };
        let subs = [
            sub(Some("Net/Vendors")),
            sub(Some("News")),
            sub(None),
            sub(Some("Net")),
        ];
        assert_eq!(category_paths(&subs), ["Net", "Net/Vendors", "News"]);
    }
}
