//! One run of a user's digest, and the scheduler that runs the due ones.
//!
//! A run ([`DigestMailer::run`]):
//! 1. claims the digest in the store (several processes on one database
//!    send it once);
//! 2. takes the entries stored after the cursor (at most `max_entries`;
//!    hidden entries and paused subscriptions left out by the store);
//! 3. with nothing new and `send_empty` off, records an "empty" run (the
//!    digest is then not due before its next slot) and sends nothing;
//! 4. composes and sends the message; on success the cursor moves to the
//!    last entry sent, on failure it stays, the error is kept and the run
//!    is retried after [`schedule::backoff`].
//!
//! Entries stored in the last [`DigestMailer::settle`] are left for the
//! next run: on PostgreSQL, transactions of several writers commit in any
//! order, and an entry still being committed must not fall behind a cursor
//! that moved past it. SQLite has one writer, so it needs no wait.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;
use tracing::{info, warn};
use tributary_store::{MailDigest, MailResult, Store, StoreError};

use crate::config::MailConfig;
use crate::message::{compose, Composed};
use crate::schedule;
use crate::smtp::Mailer;
use crate::MailError;

/// The wait for entries still being committed, on PostgreSQL.
pub const POSTGRES_SETTLE: Duration = Duration::from_secs(60);

/// What `digest --mail` and the scheduler should do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Only this user's digest (by name).
    pub user: Option<String>,
    /// Send even when not due (the schedule and retry wait are ignored).
    pub force: bool,
    /// Compose but do not send; nothing is recorded.
    pub dry_run: bool,
}

/// What a run did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The server accepted the message.
    Sent {
        /// Entries it carried.
        entries: usize,
        /// Its Message-ID.
        message_id: String,
        /// Entries are left for another message.
        more: bool,
    },
    /// Nothing new; nothing sent.
    Empty,
    /// Not due (only when not forced).
    NotDue,
    /// Another process is sending it right now.
    Busy,
    /// `--dry-run`: the message that would have been sent.
    DryRun {
        /// Entries it carries.
        entries: usize,
        /// The whole message (RFC 5322).
        message: String,
    },
    /// Sending failed; the cursor did not move.
    Failed {
        /// What went wrong.
        error: MailError,
        /// When it is tried again.
        retry_at: DateTime<Utc>,
    },
}

/// One user's outcome of a run.
#[derive(Debug, Clone)]
pub struct UserOutcome {
    /// The user's name.
    pub username: String,
    /// Where the digest goes.
    pub address: String,
    /// What happened.
    pub outcome: Outcome,
}

/// Sends digests: the store, the SMTP client and the `[mail]` settings.
#[derive(Debug, Clone)]
pub struct DigestMailer {
    store: Store,
    config: MailConfig,
    mailer: Mailer,
    settle: Duration,
}

impl DigestMailer {
    /// A sender for `store` with `config` (its TLS settings are checked here).
    pub fn new(store: Store, config: MailConfig) -> Result<DigestMailer, MailError> {
        let mailer = Mailer::new(&config)?;
        let settle = if store.engine() == "postgres" {
            POSTGRES_SETTLE
        } else {
            Duration::ZERO
        };
        Ok(DigestMailer {
            store,
            config,
            mailer,
            settle,
        })
    }

    /// Leave entries stored in the last `settle` for the next run (default:
    /// [`POSTGRES_SETTLE`] on PostgreSQL, none on SQLite).
    pub fn with_settle(mut self, settle: Duration) -> DigestMailer {
        self.settle = settle;
        self
    }

    /// The wait for entries still being committed.
    pub fn settle(&self) -> Duration {
        self.settle
    }

    /// The `[mail]` settings.
    pub fn config(&self) -> &MailConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Run the digests `opts` selects: every enabled, due one (or, with
    /// `force`, every enabled one), or the named user's. A user without a
    /// digest, or with a disabled one, is an error naming them.
    pub async fn run_due(
        &self,
        now: DateTime<Utc>,
        opts: &RunOptions,
    ) -> Result<Vec<UserOutcome>, RunError> {
        let digests = match &opts.user {
            Some(name) => {
                let user = self
                    .store
                    .user_by_name(name)
                    .await?
                    .ok_or_else(|| RunError::NoUser(name.clone()))?;
                let digest = self
                    .store
                    .mail_digest(user.id)
                    .await?
                    .ok_or_else(|| RunError::NoDigest(name.clone()))?;
                if !digest.settings.enabled {
                    return Err(RunError::Disabled(name.clone()));
                }
                vec![digest]
            }
            None => self.store.mail_digests_enabled().await?,
        };
        let mut out = Vec::with_capacity(digests.len());
        for digest in digests {
            let outcome = if opts.force || schedule::is_due(&digest, self.config.timezone, now) {
                self.run(&digest, now, opts.dry_run).await?
            } else {
                Outcome::NotDue
            };
            out.push(UserOutcome {
                username: digest.username.clone(),
                address: digest.settings.address.clone(),
                outcome,
            });
        }
        Ok(out)
    }

    /// Run `digest` now, due or not (the "Send now" button, `--force`).
    pub async fn run(
        &self,
        digest: &MailDigest,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<Outcome, StoreError> {
        let user = digest.user_id;
        if !dry_run {
            let hold =
                chrono::Duration::from_std(self.config.timeout * 10 + Duration::from_secs(60))
                    .unwrap_or(chrono::Duration::minutes(10));
            if !self.store.mail_claim(user, now, now + hold).await? {
                return Ok(Outcome::Busy);
            }
        }
        let until = now - chrono::Duration::from_std(self.settle).unwrap_or_default();
        let max = self.config.max_entries;
        let mut items = self
            .store
            .mail_digest_entries(
                user,
                digest.cursor,
                until,
                digest.settings.categories.as_deref(),
                max.saturating_add(1),
            )
            .await?;
        let more = items.len() > max as usize;
        items.truncate(max as usize);
        if items.is_empty() && !self.config.send_empty {
            if !dry_run {
                self.store
                    .mail_record_success(user, now, None, false, 0, MailResult::Empty, None)
                    .await?;
            }
            return Ok(Outcome::Empty);
        }
        let tz = schedule::zone_of(digest, self.config.timezone);
        let composed = compose(&self.config, digest, &items, more, tz, now);
        if dry_run {
            return Ok(match composed {
                Ok(c) => Outcome::DryRun {
                    entries: c.entries,
                    message: String::from_utf8_lossy(&c.message.formatted()).into_owned(),
                },
                Err(error) => Outcome::Failed {
                    error,
                    retry_at: now,
                },
            });
        }
        let sent = match composed {
            Ok(Composed {
                message,
                message_id,
                ..
            }) => self.mailer.send(message).await.map(|()| message_id),
            Err(e) => Err(e),
        };
        match sent {
            Ok(message_id) => {
                let cursor = items.last().map(|i| i.position);
                self.store
                    .mail_record_success(
                        user,
                        now,
                        cursor,
                        more,
                        items.len(),
                        MailResult::Sent,
                        Some(&message_id),
                    )
                    .await?;
                info!(user = %digest.username, entries = items.len(), %message_id, "digest sent");
                Ok(Outcome::Sent {
                    entries: items.len(),
                    message_id,
                    more,
                })
            }
            Err(error) => {
                let wait = schedule::backoff(digest.failures.saturating_add(1));
                let retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                self.store
                    .mail_record_failure(user, now, retry_at, items.len(), &error.to_string())
                    .await?;
                warn!(user = %digest.username, %error, %retry_at, "digest not sent");
                Ok(Outcome::Failed { error, retry_at })
            }
        }
    }
}

/// Why a run of `digest --mail` could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `--user` names nobody.
    #[error("no user named {0:?}")]
    NoUser(String),
    /// `--user` names someone without a digest.
    #[error("{0} has no e-mail digest set up (Settings → E-mail digest)")]
    NoDigest(String),
    /// `--user` names someone whose digest is turned off.
    #[error("the e-mail digest of {0} is turned off")]
    Disabled(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Run the due digests every `check_every` (from `serve` and `daemon`),
/// for as long as the process lives; failures are logged and retried by
/// the schedule's backoff. Returns the task and the sender it uses.
pub fn spawn_scheduler(mailer: Arc<DigestMailer>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let every = mailer.config.check_every;
        info!(
            server = mailer.mailer.server(),
            every = %humantime::format_duration(every),
            "e-mail digests: scheduler starting"
        );
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match mailer.run_due(Utc::now(), &RunOptions::default()).await {
                Ok(outcomes) => {
                    for o in outcomes {
                        if let Outcome::Failed { error, retry_at } = &o.outcome {
                            warn!(user = %o.username, %error, %retry_at, "e-mail digest failed; will retry");
                        }
                    }
                }
                Err(e) => warn!(error = %e, "e-mail digests: cannot run"),
            }
        }
    })
}

/// The one call `serve` and `daemon` make: when `[mail]` is set, start the
/// scheduler of the due digests on `store` and return its sender; `None`
/// (and nothing started) when mail is off.
pub fn spawn_from(store: &Store, config: Option<&MailConfig>) -> Option<Arc<DigestMailer>> {
    let config = config?.clone();
    match DigestMailer::new(store.clone(), config) {
        Ok(mailer) => {
            let mailer = Arc::new(mailer);
            spawn_scheduler(mailer.clone());
            Some(mailer)
        }
        Err(e) => {
            warn!(error = %e, "e-mail digests are off");
            None
        }
    }
}
