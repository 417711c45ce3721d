//! E-mail digests (issue 9): per user, where and when a digest of new
//! entries is mailed, how far the digests got, and a small log of runs.
//!
//! The store only keeps the state; composing and sending the message lives
//! in the `tributary-mail` crate. The one rule the store owns is the
//! *cursor*: entries are taken in the order they were stored, `(created_at,
//! id)`, strictly after the cursor, and a successful send moves the cursor
//! to the last entry the digest covered. A failed send leaves it, so the
//! same entries go out next time; an entry is never mailed twice and none
//! is skipped. Entries the user's rules hid (`entry_states.hidden`) and
//! entries of paused subscriptions are never taken.

use std::fmt;

use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::{RiverItem, UserId};

use crate::{on_engine, Store, StoreResult};

/// How often a digest is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestFrequency {
    /// Every day at the chosen hour.
    Daily,
    /// Every week on the chosen weekday, at the chosen hour.
    Weekly,
}

impl DigestFrequency {
    /// The stored name (`daily`, `weekly`).
    pub fn as_str(self) -> &'static str {
        match self {
            DigestFrequency::Daily => "daily",
            DigestFrequency::Weekly => "weekly",
        }
    }

    /// The frequency named `s`, if any.
    pub fn parse(s: &str) -> Option<DigestFrequency> {
        match s {
            "daily" => Some(DigestFrequency::Daily),
            "weekly" => Some(DigestFrequency::Weekly),
            _ => None,
        }
    }
}

impl fmt::Display for DigestFrequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a user chose for their digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSettings {
    /// Where the digest is sent (checked by the caller).
    pub address: String,
    /// Daily or weekly.
    pub frequency: DigestFrequency,
    /// Hour of the day it is due, 0–23, in `timezone`.
    pub hour: u8,
    /// Day of the week of a weekly digest: 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// IANA time zone of `hour` (`Europe/Berlin`); `None`: the server's
    /// `[mail] timezone`.
    pub timezone: Option<String>,
    /// Category paths whose entries are mailed (a path includes its
    /// sub-categories; `""` is "uncategorized"); `None`: every category.
    pub categories: Option<Vec<String>>,
    /// Whether digests are sent at all.
    pub enabled: bool,
}

/// The position in a user's entries up to which digests went: the last
/// entry covered, in storing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DigestCursor {
    /// When that entry was stored.
    pub created_at: DateTime<Utc>,
    /// Its id (breaks ties of `created_at`); 0 before any entry.
    pub entry_id: i64,
}

/// A user's digest as stored: the settings and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDigest {
    /// Whose digest.
    pub user_id: UserId,
    /// The user's name (for logs and `--user`).
    pub username: String,
    /// What the user chose.
    pub settings: DigestSettings,
    /// When the digest was first set up.
    pub created_at: DateTime<Utc>,
    /// When the settings were last saved.
    pub updated_at: DateTime<Utc>,
    /// The last run that succeeded (a message sent, or nothing new).
    pub last_sent_at: Option<DateTime<Utc>>,
    /// The next digest takes entries stored after this.
    pub cursor: DigestCursor,
    /// Failed runs since the last success.
    pub failures: u32,
    /// After a failure: not before this time.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last run failed (cleared by a success).
    pub last_error: Option<String>,
}

/// One entry a digest may carry, with the category it is mailed under.
#[derive(Debug, Clone)]
pub struct DigestItem {
    /// The entry and its source as the user sees it.
    pub item: RiverItem,
    /// The subscription's category path (`Networking/Vendors`), `None`
    /// when uncategorized.
    pub category: Option<String>,
    /// Where this entry is in storing order (the cursor after it).
    pub position: DigestCursor,
}

/// What a run of a digest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailResult {
    /// A message was accepted by the SMTP server.
    Sent,
    /// There was nothing new, so nothing was sent.
    Empty,
    /// Sending failed; it is retried later.
    Failed,
}

impl MailResult {
    /// The stored name (`sent`, `empty`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            MailResult::Sent => "sent",
            MailResult::Empty => "empty",
            MailResult::Failed => "failed",
        }
    }

    /// The result named `s`, if any.
    pub fn parse(s: &str) -> Option<MailResult> {
        match s {
            "sent" => Some(MailResult::Sent),
            "empty" => Some(MailResult::Empty),
            "failed" => Some(MailResult::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for MailResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a user's send log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailLogEntry {
    /// When the run ended.
    pub at: DateTime<Utc>,
    /// Entries in the message (0 when nothing was new).
    pub entries: i64,
    /// What happened.
    pub result: MailResult,
    /// The Message-ID sent, or the error.
    pub detail: Option<String>,
}

/// Lines of the send log kept per user.
pub const MAIL_LOG_KEEP: i64 = 100;

/// Longest error text kept (an SMTP server's answer is outside input).
pub(crate) const MAX_ERROR_CHARS: usize = 1000;

/// `s` cut to [`MAX_ERROR_CHARS`] characters.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(MAX_ERROR_CHARS).collect()
}

/// The categories list as stored (JSON text, `None` for all).
pub(crate) fn categories_to_db(c: &Option<Vec<String>>) -> Option<String> {
    c.as_ref()
        .map(|list| serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned()))
}

/// Decoders of `mail_digests` and `mail_log` rows, one body for both
/// engines' row types (their columns decode to the same Rust types but
/// the flag, which each engine module reads itself).
macro_rules! mail_decoders {
    ($row:ty) => {
        fn mail_decode_error(column: &str, message: String) -> sqlx::Error {
            sqlx::Error::ColumnDecode {
                index: column.to_owned(),
                source: message.into(),
            }
        }

        fn mail_time(row: &$row, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
            let s: Option<String> = row.try_get(column)?;
            s.map(|s| {
                $crate::time::from_db(&s).map_err(|e| mail_decode_error(column, e.to_string()))
            })
            .transpose()
        }

        fn mail_small(row: &$row, column: &str, max: i64) -> Result<u8, sqlx::Error> {
            let v: i64 = row.try_get(column)?;
            if !(0..=max).contains(&v) {
                return Err(mail_decode_error(column, format!("{v} is out of range")));
            }
            Ok(v as u8)
        }

        fn decode_digest(row: &$row, enabled: bool) -> Result<MailDigest, sqlx::Error> {
            let frequency: String = row.try_get("frequency")?;
            let frequency = DigestFrequency::parse(&frequency).ok_or_else(|| {
                mail_decode_error("frequency", format!("unknown frequency {frequency:?}"))
            })?;
            let categories: Option<String> = row.try_get("categories")?;
            let categories = categories
                .map(|c| {
                    serde_json::from_str::<Vec<String>>(&c)
                        .map_err(|e| mail_decode_error("categories", e.to_string()))
                })
                .transpose()?;
            let failures: i64 = row.try_get("failures")?;
            let required = |column: &str| -> Result<DateTime<Utc>, sqlx::Error> {
                mail_time(row, column)?.ok_or_else(|| mail_decode_error(column, "NULL".to_owned()))
            };
            Ok(MailDigest {
                user_id: UserId(row.try_get("user_id")?),
                username: row.try_get("username")?,
                settings: DigestSettings {
                    address: row.try_get("address")?,
                    frequency,
                    hour: mail_small(row, "hour", 23)?,
                    weekday: mail_small(row, "weekday", 6)?,
                    timezone: row.try_get("timezone")?,
                    categories,
                    enabled,
                },
                created_at: required("created_at")?,
                updated_at: required("updated_at")?,
                last_sent_at: mail_time(row, "last_sent_at")?,
                cursor: DigestCursor {
                    created_at: required("cursor_created_at")?,
                    entry_id: row.try_get("cursor_entry_id")?,
                },
                failures: u32::try_from(failures.max(0)).unwrap_or(u32::MAX),
                next_attempt_at: mail_time(row, "next_attempt_at")?,
                last_error: row.try_get("last_error")?,
            })
        }

        fn decode_log(row: &$row) -> Result<MailLogEntry, sqlx::Error> {
            let result: String = row.try_get("result")?;
            Ok(MailLogEntry {
                at: mail_time(row, "at")?
                    .ok_or_else(|| mail_decode_error("at", "NULL".to_owned()))?,
                entries: row.try_get("entries")?,
                result: MailResult::parse(&result)
                    .ok_or_else(|| mail_decode_error("result", format!("unknown {result:?}")))?,
                detail: row.try_get("detail")?,
            })
        }

        fn decode_item(row: &$row) -> Result<DigestItem, sqlx::Error> {
            let item = <$crate::rows::RiverRow as sqlx::FromRow<$row>>::from_row(row)?.0;
            let position = DigestCursor {
                created_at: mail_time(row, "digest_created_at")?
                    .ok_or_else(|| mail_decode_error("created_at", "NULL".to_owned()))?,
                entry_id: item.entry.id.0,
            };
            Ok(DigestItem {
                category: row.try_get("digest_category")?,
                item,
                position,
            })
        }
    };
}
pub(crate) use mail_decoders;

impl Store {
    /// The user's digest, or `None` when they never set one up.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn mail_digest(&self, user: UserId) -> StoreResult<Option<MailDigest>> {
        on_engine!(self, |db| engine::mail::digest(&db.pool, user).await)
    }

    /// Every enabled digest (all users'), by user id.
    #[instrument(skip_all)]
    pub async fn mail_digests_enabled(&self) -> StoreResult<Vec<MailDigest>> {
        on_engine!(self, |db| engine::mail::enabled(&db.pool).await)
    }

    /// Save the user's digest settings. The first save starts the cursor
    /// at `now`: the first digest carries entries stored from then on, not
    /// the whole history. Later saves keep the cursor, the log and the
    /// last sending time. `NotFound` for an unknown user.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn save_mail_digest(
        &self,
        user: UserId,
        settings: &DigestSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<MailDigest> {
        on_engine!(self, |db| engine::mail::save(
            &db.writer, user, settings, now
        )
        .await)
    }

    /// Entries the user's next digest would carry: stored after `after`
    /// and at or before `until` (in `(created_at, id)` order, the oldest
    /// first, at most `limit`), of the chosen `categories` (`None`: all),
    /// leaving out entries hidden for the user and entries of paused
    /// subscriptions.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn mail_digest_entries(
        &self,
        user: UserId,
        after: DigestCursor,
        until: DateTime<Utc>,
        categories: Option<&[String]>,
        limit: u32,
    ) -> StoreResult<Vec<DigestItem>> {
        let categories = categories.map(|c| serde_json::to_string(c).unwrap_or_default());
        on_engine!(self, |db| engine::mail::entries(
            &db.pool,
            user,
            after,
            until,
            categories.as_deref(),
            limit
        )
        .await)
    }

    /// Claim the user's digest for sending until `until`, unless another
    /// process holds an unexpired claim (then `false`). Several processes
    /// sharing one database thus send each digest once.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn mail_claim(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_engine!(self, |db| engine::mail::claim(&db.writer, user, now, until)
            .await)
    }

    /// A run succeeded (`Sent` or `Empty`): in one transaction, the cursor
    /// moves to `cursor` (when given), `last_sent_at` becomes `now` unless
    /// `more` (entries are left for another message right away), failures
    /// and the claim are cleared, and a log line is written.
    #[instrument(skip_all, fields(user.id = %user, entries))]
    #[allow(clippy::too_many_arguments)]
    pub async fn mail_record_success(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        cursor: Option<DigestCursor>,
        more: bool,
        entries: usize,
        result: MailResult,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::mail::record_success(
            &db.writer, user, now, cursor, more, entries, result, detail
        )
        .await)
    }

    /// A run failed: one more failure, not retried before `retry_at`, the
    /// error kept and logged, the claim cleared; the cursor does not move.
    #[instrument(skip_all, fields(user.id = %user, entries))]
    pub async fn mail_record_failure(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        retry_at: DateTime<Utc>,
        entries: usize,
        error: &str,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::mail::record_failure(
            &db.writer, user, now, retry_at, entries, error
        )
        .await)
    }

    /// The user's send log, newest first, at most `limit` lines.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn mail_log(&self, user: UserId, limit: u32) -> StoreResult<Vec<MailLogEntry>> {
        on_engine!(self, |db| engine::mail::log(&db.pool, user, limit).await)
    }
}
