//! `daemon [--listen ADDR]`: the continuous scheduler plus an HTTP server —
//! `serve` without the web UI (fetching only, `/healthz` and the WebSub
//! callback).
//!
//! The scheduler is `tributary_refresh::daemon::run`. The server answers
//! `GET /healthz` with `ok`-status JSON counts (feeds, due, in flight) and
//! merges whatever routes the caller adds (the WebSub callback). SIGINT or
//! SIGTERM stops both gracefully: no new fetches, those in flight may finish
//! (bounded), the server stops accepting, exit 0. `serve` runs the same
//! loop ([`run_server`]) with the web router.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::sync::watch;
use tracing::{info, warn};
use tributary_refresh::daemon::{self, DaemonHandle, DaemonOptions};
use tributary_refresh::Refresher;

use crate::args::DaemonArgs;
use crate::settings::Settings;

/// How long fetches in flight may take to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How often WebSub subscriptions near the end of their lease are renewed.
const RENEW_EVERY: Duration = Duration::from_secs(5 * 60);
/// How long open HTTP connections may take to finish at shutdown.
const SERVER_GRACE: Duration = Duration::from_secs(5);

/// Run until SIGINT/SIGTERM. `extra` routes are merged into the server.
pub async fn run(
    refresher: Refresher,
    settings: &Settings,
    args: &DaemonArgs,
    extra: Router,
) -> Result<ExitCode> {
    let listen = args.listen.unwrap_or(settings.daemon.listen);
    let listener = bind(listen).await?;
    announce(listener.local_addr()?)?;
    let handle = DaemonHandle::new();
    let app = router(handle.clone(), extra);
    run_server(refresher, settings, listener, app, handle, true).await
}

/// [`run`] with the WebSub callback served too (where hubs can reach it).
pub async fn run_with_websub(
    refresher: Refresher,
    settings: &Settings,
    args: &DaemonArgs,
) -> Result<ExitCode> {
    let extra = match refresher.websub() {
        Some(subscriber) => {
            tributary_websub::router(subscriber.clone(), Arc::new(refresher.clone()))
        }
        None => Router::new(),
    };
    run(refresher, settings, args, extra).await
}

/// Bind the server's address.
pub async fn bind(listen: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))
}

/// Print `listening on http://ADDR`: the first line tells scripts (and
/// tests binding port 0) the address.
pub fn announce(local: SocketAddr) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{local}")?;
    out.flush()?;
    Ok(())
}

/// Serve `app` on `listener` and, when `fetching`, run the scheduler (its
/// counts in `handle`) until SIGINT/SIGTERM, then stop both gracefully.
pub async fn run_server(
    refresher: Refresher,
    settings: &Settings,
    listener: tokio::net::TcpListener,
    app: Router,
    handle: DaemonHandle,
    fetching: bool,
) -> Result<ExitCode> {
    let local = listener.local_addr()?;
    info!(
        listen = %local,
        rescan = %humantime::format_duration(settings.daemon.rescan),
        concurrency = settings.refresh.concurrency,
        per_host = settings.refresh.per_host,
        websub = settings.websub.enabled,
        websub.public_url = settings.websub.public_url.as_ref().map(|u| u.as_str()),
        websub.lease = %humantime::format_duration(settings.websub.lease),
        fetching,
        worker = %refresher.config().worker,
        "daemon starting"
    );

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(signal_to(stop_tx.clone()));
    if fetching {
        // Full article content, in its own task beside feed refresh (docs/ARTICLES.md).
        tributary_articles::spawn(tributary_articles::Articles::new(
            refresher.store().clone(),
            refresher.fetcher().clone(),
            settings.articles.clone(),
        ));
    }

    let server_stop = stopped(stop_rx.clone());
    let server_done = stop_tx.clone();
    let server = tokio::spawn(async move {
        // The client's address is given to handlers (login throttling).
        let result = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(server_stop)
        .await;
        if let Err(e) = &result {
            warn!(error = %e, "HTTP server failed; stopping");
        }
        // The server is gone: the daemon stops too.
        server_done.send_replace(true);
        result
    });

    // WebSub leases are renewed before they run out (by the fetching
    // processes: renewals are outgoing requests, like fetches).
    if let Some(subscriber) = refresher.websub().cloned().filter(|_| fetching) {
        let stop = stopped(stop_rx.clone());
        tokio::spawn(async move {
            tokio::pin!(stop);
            let mut tick = tokio::time::interval(RENEW_EVERY);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let report = subscriber.renew_due(chrono::Utc::now()).await;
                        if !(report.renewed.is_empty() && report.failed.is_empty()) {
                            info!(?report, "websub renewals");
                        }
                    }
                    _ = &mut stop => break,
                }
            }
        });
    }

    // Users' webhooks are delivered by the fetching processes (outgoing
    // requests, like fetches; a lease keeps two processes apart).
    if fetching && settings.webhooks.enabled {
        let deliverer = tributary_webhooks::Deliverer::new(
            refresher.store().clone(),
            refresher.fetcher().clone(),
            settings.webhooks.clone(),
        );
        tributary_webhooks::spawn(deliverer, stopped(stop_rx.clone()));
    }

    let opts = DaemonOptions {
        rescan: settings.daemon.rescan,
        shutdown_grace: SHUTDOWN_GRACE,
        handle,
    };
    // E-mail digests go out from the fetching processes (each digest is
    // claimed first, so several processes on one database send it once).
    if fetching {
        tributary_mail::spawn_from(refresher.store(), settings.mail.as_ref());
    }
    if fetching {
        daemon::run(refresher, opts, stopped(stop_rx)).await;
    } else {
        stopped(stop_rx).await;
    }

    match tokio::time::timeout(SERVER_GRACE, server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => return Err(e).context("the HTTP server failed"),
        Ok(Err(e)) => return Err(e).context("the HTTP server task failed"),
        Err(_) => warn!("HTTP connections still open after the grace period; leaving"),
    }
    info!("daemon stopped");
    Ok(ExitCode::SUCCESS)
}

/// `/healthz` plus the `extra` routes.
pub fn router(handle: DaemonHandle, extra: Router) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(handle)
        .merge(extra)
}

async fn healthz(State(handle): State<DaemonHandle>) -> impl IntoResponse {
    let status = handle.status();
    let body = serde_json::json!({
        "status": "ok",
        "feeds": status.feeds,
        "due": status.due,
        "in_flight": status.in_flight,
        "fetches": status.fetches,
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

/// Completes once `rx` says stop (or its sender is gone).
async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Wait for SIGINT or SIGTERM, then say stop.
async fn signal_to(tx: watch::Sender<bool>) {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            warn!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => info!("SIGINT: shutting down"),
        () = term => info!("SIGTERM: shutting down"),
    }
    tx.send_replace(true);
}
