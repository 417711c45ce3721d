//! Command-line arguments (the contract of DESIGN.md "Command line").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tributary: a self-hosted feed aggregator. Follow many feeds, read one river.
#[derive(Debug, Parser)]
#[command(name = "tributary", version, about, long_about = None)]
pub struct Cli {
    /// Database URL: sqlite://PATH (default: an SQLite file in the user's data directory).
    #[arg(long, global = true, env = "TRIBUTARY_DATABASE", value_name = "URL")]
    pub database: Option<String>,

    /// Configuration file (TOML; see docs/config.example.toml). Default:
    /// ~/.config/tributary/config.toml, read only if it exists.
    #[arg(long, global = true, env = "TRIBUTARY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run Tributary: the web UI and outputs, and fetching in the background.
    ///
    /// The first start on an empty database creates the admin account and
    /// prints its password once (or sets TRIBUTARY_ADMIN_PASSWORD, or the
    /// contents of TRIBUTARY_ADMIN_PASSWORD_FILE). Runs until SIGINT or
    /// SIGTERM, then lets fetches in flight finish (at most 30 s).
    Serve(ServeArgs),
    /// Manage the accounts of the web UI.
    #[command(subcommand)]
    User(UserCommand),
    /// Rules that hide, keep only, mark read, star or tag new entries (docs/RULES.md).
    Rules(crate::commands::rules::RulesArgs),
    /// Search the entries of your feeds (titles, content, authors).
    ///
    /// Words must all match; "quoted phrases", -word to exclude, OR between
    /// alternatives, and word* for prefixes.
    Search(SearchArgs),
    /// Write the planet as a static site into DIR (only files that changed).
    ///
    /// index.html (the river), atom.xml, rss.xml, feed.json, opml.xml and
    /// category/<slug>/index.html (+ atom.xml) per category. Pages come from
    /// templates that --templates DIR overrides (see docs/PUBLISH.md).
    Publish(PublishArgs),
    /// The configuration file: print the commented example, or check a file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The media proxy: sign a URL, or check a signed one (debugging, ops).
    #[command(subcommand)]
    Proxy(crate::commands::proxy::ProxyCommand),
    /// Subscribe to a feed; a page URL is searched for the feeds it links to.
    Add {
        /// Feed or page URL (http or https).
        url: String,
        /// Category path, e.g. "Networking/Vendors".
        #[arg(long, short)]
        category: Option<String>,
        /// Do not fetch the feed right away.
        #[arg(long)]
        no_fetch: bool,
    },
    /// Unsubscribe from a feed, by URL or id (see `feeds`).
    Remove {
        /// Feed URL (current or previous) or numeric id.
        feed: String,
    },
    /// Import subscriptions from an OPML file (prints what was added or skipped).
    Import {
        /// OPML 1.0 or 2.0 file.
        file: PathBuf,
    },
    /// Export subscriptions as OPML 2.0.
    Export {
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// List subscriptions with their status.
    Feeds {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Fetch due feeds (or all, or the given ones) and store new entries.
    Fetch(FetchArgs),
    /// Fetch feeds continuously and serve /healthz only: `serve` without the web UI.
    ///
    /// Runs until SIGINT or SIGTERM, then lets fetches in flight finish (at
    /// most 30 s). The database is re-read every `[daemon] rescan` for
    /// feeds added or removed by other commands.
    Daemon(DaemonArgs),
    /// Print the river of entries as a digest, or (--mail) send the e-mail digests.
    Digest(DigestArgs),
    /// Copy an installation between databases (SQLite and PostgreSQL, either way).
    ///
    /// Every table (users, feeds, entries, reading states, tokens, settings)
    /// in batches, then verified: rows and a checksum per table, printed with
    /// ok or MISMATCH (exit status 1 on a mismatch). Stop Tributary first.
    /// The target must be empty; an interrupted copy is continued by running
    /// the same command again; --force empties a target that holds anything
    /// else. The search index is rebuilt on the target; --database is not used.
    MigrateDb(crate::commands::migrate_db::MigrateDbArgs),
    /// Webhooks: new entries POSTed in signed JSON batches (docs/WEBHOOKS.md).
    #[command(subcommand)]
    Webhook(crate::commands::webhook::WebhookCommand),
    /// Full article content: fetch an entry's article, try extraction on a
    /// URL, set a feed's mode, manage per-site rules (docs/ARTICLES.md).
    #[command(subcommand)]
    Article(crate::commands::article::ArticleCommand),
    /// Parse feed files or URLs and print them, normalized (nothing is stored).
    ///
    /// With several sources and --json, each feed is printed as one JSON
    /// line, and a source that fails prints a line with `_tributary.error`.
    Parse {
        /// File paths or http(s) URLs.
        #[arg(required = true, num_args = 1..)]
        sources: Vec<String>,
        /// Print the feed as JSON Feed 1.1.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Fetch every feed that is not disabled, due or not.
    #[arg(long, conflicts_with = "urls")]
    pub all: bool,
    /// Fetch only these subscribed feeds (disabled ones included).
    pub urls: Vec<String>,
    /// Feeds fetched at once [default: `[fetch] concurrency` of the config, else 32].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: Option<u16>,
    /// Feeds fetched at once from one host [default: `[fetch] per_host`, else 2].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub per_host: Option<u16>,
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Address of the HTTP server (/healthz) [default: `[daemon] listen`, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address of the web server [default: `[serve] listen`, else `[daemon] listen`, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// What this process does. Several processes may share one database
    /// (PostgreSQL, or one SQLite file on one machine): any number of `web`
    /// and `fetch` processes, each due feed fetched by exactly one of them.
    #[arg(long, value_enum, default_value_t = Role::All)]
    pub role: Role,
}

/// The part of Tributary a `serve` process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The web server and background fetching.
    All,
    /// The web server only: UI, reader APIs, outputs, WebSub callback (a
    /// feed added in the UI is still fetched at once by this process).
    Web,
    /// Background fetching only, with `/healthz` and the WebSub callback.
    Fetch,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (asks for the password twice unless --password-file).
    Add {
        /// Login name: letters, digits, `.`, `_`, `-`, `@`.
        name: String,
        /// May manage users and instance settings.
        #[arg(long)]
        admin: bool,
        /// Read the password from this file (its first line).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Set a new password (ends the user's sessions).
    Passwd {
        /// Login name.
        name: String,
        /// Read the password from this file (its first line).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Delete an account with its subscriptions and reading state.
    Remove {
        /// Login name.
        name: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// List the accounts.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// API passwords for reader apps (Google Reader, Fever, Miniflux APIs).
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make an API password and print it (once: only its hash is kept).
    ///
    /// Apps use it with the user name: Google Reader clients as the
    /// password, Fever clients as the password, Miniflux clients as the API
    /// key (X-Auth-Token) or the HTTP Basic password.
    Add {
        /// Login name.
        name: String,
        /// Which app or device it is for.
        #[arg(long, short, default_value = "command line")]
        description: String,
    },
    /// List a user's API passwords (never the secrets).
    List {
        /// Login name.
        name: String,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API password: apps using it are signed out at once.
    Revoke {
        /// Login name.
        name: String,
        /// Its id (see `user token list`).
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for.
    pub query: String,
    /// Only this feed (URL or id, see `feeds`).
    #[arg(long)]
    pub feed: Option<String>,
    /// Only this category (and its sub-categories), e.g. "Networking/Vendors".
    #[arg(long, short)]
    pub category: Option<String>,
    /// Only unread entries.
    #[arg(long)]
    pub unread: bool,
    /// Only starred entries.
    #[arg(long)]
    pub starred: bool,
    /// Only entries published within this duration, e.g. 12h, 2d, 1week.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub since: Option<std::time::Duration>,
    /// At most this many results, best first.
    #[arg(long, short = 'n', default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub limit: u32,
    /// Print a JSON array instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Directory to write the site into (created if missing).
    pub dir: PathBuf,
    /// Only these categories (repeat the flag for several); default: all.
    #[arg(long, short)]
    pub category: Vec<String>,
    /// Entries on the river page and in each feed [default: `[publish] limit`, else 50].
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub limit: Option<u32>,
    /// Title of the site [default: `[publish] title`, else `[web] site_title`].
    #[arg(long)]
    pub title: Option<String>,
    /// Public URL of the site, for absolute links in its feeds [default: `[publish] link`].
    #[arg(long)]
    pub link: Option<url::Url>,
    /// Directory of template overrides [default: `[publish] templates`].
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Whose subscriptions [default: the `planet.user` setting, else the command line's user].
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the commented example configuration (every key, with its default).
    Example,
    /// Check a configuration file (default: the one in use) and the environment.
    Check {
        /// The file to check [default: --config, else ~/.config/tributary/config.toml].
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DigestFormat {
    Text,
    Html,
    Atom,
    Rss,
    Json,
}

#[derive(Debug, Args)]
pub struct DigestArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = DigestFormat::Text)]
    pub format: DigestFormat,
    /// At most this many entries (newest first).
    #[arg(long, short = 'n', default_value_t = 50)]
    pub limit: u32,
    /// Only entries published within this duration, e.g. 12h, 2d, 1week.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub since: Option<std::time::Duration>,
    /// Only entries of this category (and its sub-categories).
    #[arg(long, short)]
    pub category: Option<String>,
    /// Only unread entries.
    #[arg(long)]
    pub unread: bool,
    /// Title of the digest.
    #[arg(long, default_value = "Tributary")]
    pub title: String,
    /// Public URL of the digest (used as the feed's link in Atom/RSS/JSON).
    #[arg(long)]
    pub link: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Mail each due user's e-mail digest now instead of printing the river
    /// (for cron; needs `[mail]`, see docs/MAIL.md). Exit status 1 when one failed.
    #[arg(long)]
    pub mail: bool,
    /// With --mail: only this user's digest.
    #[arg(long, value_name = "NAME", requires = "mail")]
    pub user: Option<String>,
    /// With --mail: send even when not due (the schedule and retry wait are ignored).
    #[arg(long, requires = "mail")]
    pub force: bool,
    /// With --mail: print the messages instead of sending them; nothing is recorded.
    #[arg(long, requires = "mail")]
    pub dry_run: bool,
}
