//! Templates: built into the binary, overridable by files of the same name
//! in a directory. All are compiled when the server starts, so a broken
//! override is reported then, with its file name and line.

use std::path::Path;

use axum::response::Html;
use minijinja::Environment;
use serde::Serialize;

use crate::WebError;

/// The built-in templates: (name, source).
pub const BUILT_IN: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("admin.html", include_str!("../templates/admin.html")),
    ("entries.html", include_str!("../templates/entries.html")),
    ("river.html", include_str!("../templates/river.html")),
    (
        "mark_all_read.html",
        include_str!("../templates/mark_all_read.html"),
    ),
    ("entry.html", include_str!("../templates/entry.html")),
    ("rules.html", include_str!("../templates/rules.html")),
    (
        "entry_article.html",
        include_str!("../templates/entry_article.html"),
    ),
    ("search.html", include_str!("../templates/search.html")),
    (
        "subscriptions.html",
        include_str!("../templates/subscriptions.html"),
    ),
    ("add_feed.html", include_str!("../templates/add_feed.html")),
    ("import.html", include_str!("../templates/import.html")),
    (
        "feed_settings.html",
        include_str!("../templates/feed_settings.html"),
    ),
    (
        "feed_delete.html",
        include_str!("../templates/feed_delete.html"),
    ),
    ("webhooks.html", include_str!("../templates/webhooks.html")),
    ("webhook.html", include_str!("../templates/webhook.html")),
    (
        "categories.html",
        include_str!("../templates/categories.html"),
    ),
    (
        "digest_settings.html",
        include_str!("../templates/digest_settings.html"),
    ),
    ("privacy.html", include_str!("../templates/privacy.html")),
];

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Compile the built-in templates, each replaced by `dir/NAME` when
    /// that file exists. Files in `dir` that match no built-in name are an
    /// error too (a typo would otherwise be silently ignored).
    pub fn load(dir: Option<&Path>) -> Result<Templates, WebError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // The versioned URLs of the page's script and stylesheet (no page
        // inlines either: the Content-Security-Policy allows neither).
        env.add_global(
            "app_js",
            minijinja::Value::from_safe_string(crate::ui::assets::app_js_url().to_owned()),
        );
        env.add_global(
            "app_css",
            minijinja::Value::from_safe_string(crate::ui::assets::app_css_url().to_owned()),
        );
        for (name, source) in BUILT_IN {
            let source = match dir.map(|d| d.join(name)) {
                Some(path) if path.is_file() => {
                    std::fs::read_to_string(&path).map_err(|e| WebError::Template {
                        name: path.display().to_string(),
                        message: e.to_string(),
                    })?
                }
                _ => (*source).to_owned(),
            };
            env.add_template_owned(*name, source)
                .map_err(|e| template_error(name, &e))?;
        }
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir).map_err(|e| WebError::Template {
                name: dir.display().to_string(),
                message: e.to_string(),
            })?;
            for entry in entries.flatten() {
                let file = entry.file_name().to_string_lossy().into_owned();
                if !BUILT_IN.iter().any(|(n, _)| *n == file) {
                    return Err(WebError::Template {
                        name: entry.path().display().to_string(),
                        message: "no built-in template has this name".to_owned(),
                    });
                }
            }
        }
        Ok(Templates { env })
    }

    /// Render a template with `ctx`.
    pub fn render(&self, name: &str, ctx: impl Serialize) -> Result<Html<String>, WebError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, &e))?;
        template
            .render(ctx)
            .map(Html)
            .map_err(|e| template_error(name, &e))
    }
}

fn template_error(name: &str, e: &minijinja::Error) -> WebError {
    let mut message = e.to_string();
    if let Some(line) = e.line() {
        message = format!("line {line}: {message}");
    }
    WebError::Template {
        name: name.to_owned(),
        message,
    }
}
