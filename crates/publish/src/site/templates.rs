//! The planet's page templates: built in, each replaceable by a file of the
//! same name. All are compiled up front, so a broken override is reported
//! (with its name and line) before any page is rendered or written.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::SiteError;

/// The built-in templates: (name, source). `layout.html` is the page frame
/// that `index.html` and `category.html` extend; `entry.html` is one entry,
/// included by both.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("index.html", include_str!("templates/index.html")),
    ("category.html", include_str!("templates/category.html")),
    ("entry.html", include_str!("templates/entry.html")),
];

/// The compiled templates of a site.
pub struct SiteTemplates {
    env: Environment<'static>,
}

impl std::fmt::Debug for SiteTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteTemplates").finish_non_exhaustive()
    }
}

impl Default for SiteTemplates {
    fn default() -> Self {
        // The built-in templates are tested to compile.
        SiteTemplates::new(Vec::new()).unwrap_or_else(|_| SiteTemplates {
            env: Environment::new(),
        })
    }
}

impl SiteTemplates {
    /// Compile the built-in templates, each replaced by the override of the
    /// same name in `overrides` (name, source). An override whose name is
    /// not a built-in one is an error (a typo would otherwise be ignored).
    pub fn new(overrides: Vec<(String, String)>) -> Result<SiteTemplates, SiteError> {
        for (name, _) in &overrides {
            if !BUILT_IN.iter().any(|(n, _)| n == name) {
                return Err(SiteError::UnknownTemplate { name: name.clone() });
            }
        }
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_formatter(crate::digest::html::escape_formatter);
        // A misspelt variable in an override is an error, not an empty string.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in BUILT_IN {
            let source = overrides
                .iter()
                .find(|(n, _)| n == name)
                .map_or_else(|| (*source).to_owned(), |(_, s)| s.clone());
            env.add_template_owned(*name, source)
                .map_err(|e| template_error(name, &e))?;
        }
        // Compiling checks the syntax; rendering each page once with a
        // sample catches what only shows then (an unknown `extends`, a
        // misspelt variable), still before anything is written.
        let templates = SiteTemplates { env };
        templates.check()?;
        Ok(templates)
    }

    /// Render `name` with `ctx`.
    pub(super) fn render(&self, name: &str, ctx: impl Serialize) -> Result<String, SiteError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, &e))?;
        let mut html = template.render(ctx).map_err(|e| template_error(name, &e))?;
        if !html.ends_with('\n') {
            html.push('\n');
        }
        Ok(html)
    }

    /// Render both pages with a small sample site.
    fn check(&self) -> Result<(), SiteError> {
        let sample = super::sample_contexts();
        self.render("index.html", &sample.0)?;
        self.render("category.html", &sample.1)?;
        Ok(())
    }
}

/// A minijinja error as a [`SiteError`] naming the template and line.
fn template_error(name: &str, e: &minijinja::Error) -> SiteError {
    let mut message = e.kind().to_string();
    if let Some(detail) = e.detail() {
        message = format!("{message}: {detail}");
    }
    SiteError::Template {
        name: e.name().unwrap_or(name).to_owned(),
        line: e.line(),
        message,
    }
}
