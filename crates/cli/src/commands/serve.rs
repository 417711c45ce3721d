//! `serve [--listen ADDR] [--role all|web|fetch]`: the web UI and outputs
//! (`tributary_web`), the background scheduler and the WebSub callback, in
//! one process (`all`) — or only the web part (`web`) or only the fetching
//! part (`fetch`, which is `daemon`), so that several processes on several
//! machines can share one PostgreSQL database. Fetch workers claim each
//! feed before fetching it (`tributary_store::Store::claim_fetch`), so a
//! due feed is fetched by exactly one of them.
//!
//! Start-up, in order: the templates are compiled (a broken override in
//! `[web] template_dir` fails here, naming the file and line); on a
//! database where no account has a password yet, the admin account is
//! created; the address is bound and `listening on http://ADDR` printed
//! (the first line), then the admin's password once. Every fetch is
//! counted in `/metrics`, and when one stores new entries and `[web]
//! hub_url` is set, the hub is told the outputs changed (at most once per
//! [`HUB_PING_GAP`]). Shutdown is `daemon`'s: SIGINT/SIGTERM, fetches in
//! flight finish (bounded), exit 0.

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::sync::mpsc;
use tracing::{info, warn};
use tributary_refresh::{DaemonHandle, FeedOutcome, Refresher};
use tributary_store::Store;
use tributary_web::{AppState, WebConfig, WebError};

use super::daemon;
use crate::args::{DaemonArgs, Role, ServeArgs};
use crate::settings::Settings;

/// Name of the account created on first start.
pub const ADMIN: &str = "admin";
/// The hub is pinged at most this often.
pub const HUB_PING_GAP: Duration = Duration::from_secs(10);
/// How often the scheduler's queue is copied into `/metrics`.
const QUEUE_EVERY: Duration = Duration::from_secs(5);
/// Length of a generated admin password.
const PASSWORD_LEN: usize = 20;

pub async fn run(
    store: Store,
    refresher: Refresher,
    settings: &Settings,
    args: &ServeArgs,
) -> Result<ExitCode> {
    if args.role == Role::Fetch {
        // A fetch worker: the scheduler, /healthz and the WebSub callback.
        let daemon_args = DaemonArgs {
            listen: Some(args.listen.unwrap_or(settings.serve.listen)),
        };
        return daemon::run_with_websub(refresher, settings, &daemon_args).await;
    }
    let listen = args.listen.unwrap_or(settings.serve.listen);
    let given = admin_password_from(std::env::var("TRIBUTARY_ADMIN_PASSWORD").ok(), {
        std::env::var_os("TRIBUTARY_ADMIN_PASSWORD_FILE").map(Into::into)
    })?;

    // The observer needs the state, the state holds the refresher: the
    // observer reads the state from a cell set just below.
    let cell: Arc<OnceLock<AppState>> = Arc::default();
    let (hub_tx, hub_rx) = mpsc::channel::<()>(1);
    let hub_on = settings.web.hub_url.is_some();
    let observer = {
        let cell = cell.clone();
        Arc::new(move |outcome: &FeedOutcome, elapsed: Duration| {
            if let Some(state) = cell.get() {
                state.metrics.record_fetch(outcome, elapsed);
            }
            if hub_on && matches!(outcome, FeedOutcome::Fetched { new, .. } if *new > 0) {
                // Full: a ping is already pending, which covers this one.
                let _ = hub_tx.try_send(());
            }
        })
    };
    let refresher = refresher.with_observer(observer);
    let state = AppState::new(store.clone(), Some(refresher.clone()), settings.web.clone())
        .map_err(|e| start_error(&settings.web, e))?;
    let _ = cell.set(state.clone());

    let admin = bootstrap_admin(&store, given).await?;

    let listener = daemon::bind(listen).await?;
    let local = listener.local_addr()?;
    daemon::announce(local)?;
    if let Some(admin) = admin {
        match admin {
            Admin::Generated(password) => println!("admin password: {password}"),
            Admin::Given(var) => println!("admin password: set from {var}"),
        }
        println!(
            "sign in at http://{local}/login as \"{ADMIN}\" (this is shown only once; change the password under Settings)"
        );
    }

    let handle = DaemonHandle::new();
    tokio::spawn(copy_queue(state.clone(), handle.clone()));
    if hub_on {
        let state = state.clone();
        tokio::spawn(debounce(hub_rx, HUB_PING_GAP, move || {
            let state = state.clone();
            async move { ping_hub(&state).await }
        }));
    }

    let mut app = tributary_web::router(state);
    // "Send now" on /settings/digest sends with this (the scheduler runs in run_server).
    let mail = settings.mail.clone().and_then(|config| {
        tributary_mail::DigestMailer::new(store.clone(), config)
            .ok()
            .map(Arc::new)
    });
    app = app.layer(axum::Extension(tributary_web::ui::digest::DigestMail(mail)));
    if let Some(subscriber) = refresher.websub() {
        app = app.merge(tributary_websub::router(
            subscriber.clone(),
            Arc::new(refresher.clone()),
        ));
    }
    info!(site_title = %settings.web.site_title, hub = hub_on, role = ?args.role, "web server starting");
    let fetching = args.role == Role::All;
    daemon::run_server(refresher, settings, listener, app, handle, fetching).await
}

/// Tell the hub the outputs changed.
async fn ping_hub(state: &AppState) {
    tributary_web::outputs::notify_hub(state).await;
}

/// A start-up error of the web server in plain words; a template error
/// names the override's file (and the line, in the message).
fn start_error(config: &WebConfig, e: WebError) -> anyhow::Error {
    match (&e, &config.template_dir) {
        (WebError::Template { name, message }, Some(dir)) => {
            let path = if Path::new(name).is_absolute() || name.contains('/') {
                name.clone()
            } else {
                dir.join(name).display().to_string()
            };
            anyhow::anyhow!("web.template_dir: {path}: {message}")
        }
        _ => anyhow::Error::new(e).context("cannot start the web server"),
    }
}

/// The admin password the environment gives, if any, with the variable
/// that gave it. `file` is `TRIBUTARY_ADMIN_PASSWORD_FILE`.
fn admin_password_from(
    value: Option<String>,
    file: Option<std::path::PathBuf>,
) -> Result<Option<(String, &'static str)>> {
    match (value, file) {
        (Some(_), Some(_)) => {
            bail!("set TRIBUTARY_ADMIN_PASSWORD or TRIBUTARY_ADMIN_PASSWORD_FILE, not both")
        }
        (Some(v), None) => {
            if v.is_empty() {
                bail!("TRIBUTARY_ADMIN_PASSWORD is empty");
            }
            Ok(Some((v, "TRIBUTARY_ADMIN_PASSWORD")))
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "TRIBUTARY_ADMIN_PASSWORD_FILE: cannot read {}",
                    path.display()
                )
            })?;
            let password = text.lines().next().unwrap_or_default().to_owned();
            if password.is_empty() {
                bail!(
                    "TRIBUTARY_ADMIN_PASSWORD_FILE: the first line of {} is empty",
                    path.display()
                );
            }
            Ok(Some((password, "TRIBUTARY_ADMIN_PASSWORD_FILE")))
        }
        (None, None) => Ok(None),
    }
}

/// What to say about the admin account created on first start.
enum Admin {
    /// This password was made up and must be shown once.
    Generated(String),
    /// The password came from this variable.
    Given(&'static str),
}

/// Create the admin account unless some account has a password already.
async fn bootstrap_admin(
    store: &Store,
    given: Option<(String, &'static str)>,
) -> Result<Option<Admin>> {
    let users = store.users().await?;
    if users.iter().any(|u| u.has_password) {
        if let Some((_, var)) = given {
            warn!("{var} is set but accounts with passwords exist already; it was not used");
        }
        return Ok(None);
    }
    let (password, admin) = match given {
        Some((password, var)) => (password, Admin::Given(var)),
        None => {
            let password = random_password(PASSWORD_LEN)?;
            (password.clone(), Admin::Generated(password))
        }
    };
    let hash = tributary_web::auth::hash_password(&password)
        .map_err(|e| anyhow::anyhow!("cannot hash the admin password: {e}"))?;
    match store.bootstrap_admin(ADMIN, &hash).await? {
        Some(user) => {
            info!(user = %user.username, "admin account created");
            Ok(Some(admin))
        }
        None => Ok(None),
    }
}

/// Letters and digits, without those easily mistaken for one another (0 O 1 l I).
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `len` characters of [`ALPHABET`] from the operating system's randomness
/// (about 5.8 bits each: 20 make 116 bits).
pub fn random_password(len: usize) -> Result<String> {
    let n = ALPHABET.len();
    // Bytes at or above the largest multiple of n are dropped, so every
    // character is equally likely.
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::getrandom(&mut buf)
            .map_err(|e| anyhow::anyhow!("the system gave no random bytes: {e}"))?;
        for &b in &buf {
            if usize::from(b) < limit && out.len() < len {
                out.push(char::from(ALPHABET[usize::from(b) % n]));
            }
        }
    }
    Ok(out)
}

/// Copy the scheduler's queue into the metrics every few seconds.
async fn copy_queue(state: AppState, handle: DaemonHandle) {
    let mut tick = tokio::time::interval(QUEUE_EVERY);
    loop {
        tick.tick().await;
        let status = handle.status();
        state.metrics.set_queue(
            i64::try_from(status.due).unwrap_or(i64::MAX),
            i64::try_from(status.in_flight).unwrap_or(i64::MAX),
        );
    }
}

/// Call `action` for each signal on `rx`, at most once per `gap`: signals
/// that arrive meanwhile (the channel holds one) are answered by one call
/// when the gap is over.
pub async fn debounce<F, Fut>(mut rx: mpsc::Receiver<()>, gap: Duration, action: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    while rx.recv().await.is_some() {
        action().await;
        tokio::time::sleep(gap).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn passwords_are_long_random_and_unambiguous() {
        let a = random_password(20).unwrap();
        let b = random_password(20).unwrap();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)), "{a}");
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']), "{a}");
    }

    #[test]
    fn the_admin_password_comes_from_one_variable() {
        assert!(admin_password_from(None, None).unwrap().is_none());
        let (p, var) = admin_password_from(Some("s3cret".into()), None)
            .unwrap()
            .unwrap();
        assert_eq!((p.as_str(), var), ("s3cret", "TRIBUTARY_ADMIN_PASSWORD"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from file\nsecond line\n").unwrap();
        let (p, var) = admin_password_from(None, Some(file.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.as_str(), var),
            ("from file", "TRIBUTARY_ADMIN_PASSWORD_FILE")
        );
        let e = admin_password_from(Some("x".into()), Some(file)).unwrap_err();
        assert!(e.to_string().contains("not both"), "{e}");
        let e = admin_password_from(None, Some(dir.path().join("missing"))).unwrap_err();
        assert!(format!("{e:#}").contains("missing"), "{e:#}");
        std::fs::write(dir.path().join("empty"), "\n").unwrap();
        let e = admin_password_from(None, Some(dir.path().join("empty"))).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
    }

    #[tokio::test]
    async fn debounce_calls_at_most_once_per_gap_and_never_drops_the_last_signal() {
        let calls = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel(1);
        let counted = calls.clone();
        tokio::spawn(debounce(rx, Duration::from_millis(300), move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        }));
        tx.try_send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "the first signal is answered at once"
        );
        for _ in 0..5 {
            let _ = tx.try_send(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "not again within the gap");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "the signals of the gap, once"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "nothing more without signals"
        );
    }
}
