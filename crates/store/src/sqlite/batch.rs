//! Group commit of fetch outcomes.
//!
//! Fetch outcomes arrive from many feeds at once and SQLite has one writer.
//! Committing each feed on its own writes the same index and feed-table
//! pages into the WAL again and again; the queue here takes what has piled
//! up (up to [`MAX_BATCH`] outcomes) and stores it in one write transaction,
//! each outcome inside its own savepoint, so one failing feed is rolled back
//! alone and the others are still stored. Callers get their own result once
//! the batch is committed, so "stored" still means durable.

use sqlx::{Acquire, SqlitePool};
use tokio::sync::{mpsc, oneshot};
use tributary_model::FeedId;

use crate::sqlite::later::Later;
use crate::sqlite::{begin_write, entries, feeds};
use crate::{FetchSuccess, FetchUnchanged, StoreError, StoreResult, UpsertReport};

/// Most outcomes stored in one transaction.
pub(crate) const MAX_BATCH: usize = 64;

/// Outcomes waiting for the writer; enough for every feed in flight.
const QUEUE: usize = 1024;

/// One outcome to store.
enum Outcome {
    /// A parsed body: feed row and entries.
    Success(Box<FetchSuccess>),
    /// A 304 (or the same body again): the feed row only.
    Unchanged(FetchUnchanged),
}

struct Job {
    feed: FeedId,
    outcome: Outcome,
    reply: oneshot::Sender<StoreResult<UpsertReport>>,
}

/// The sending side; clones share one writer task.
#[derive(Clone, Debug)]
pub(crate) struct WriteQueue {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("feed", &self.feed).finish()
    }
}

impl WriteQueue {
    /// Start the writer task on `writer` (runs until every clone is dropped).
    pub(crate) fn start(writer: SqlitePool) -> WriteQueue {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(writer, rx));
        WriteQueue { jobs }
    }

    /// Store `outcome` for `feed` with the next batch.
    pub(crate) async fn record_success(
        &self,
        feed: FeedId,
        outcome: FetchSuccess,
    ) -> StoreResult<UpsertReport> {
        self.submit(feed, Outcome::Success(Box::new(outcome))).await
    }

    /// Store a fetch without a new body with the next batch.
    pub(crate) async fn record_unchanged(
        &self,
        feed: FeedId,
        outcome: FetchUnchanged,
    ) -> StoreResult<()> {
        self.submit(feed, Outcome::Unchanged(outcome))
            .await
            .map(|_| ())
    }

    async fn submit(&self, feed: FeedId, outcome: Outcome) -> StoreResult<UpsertReport> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::NotFound("the database writer has stopped".to_owned());
        self.jobs
            .send(Job {
                feed,
                outcome,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(writer: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = store_batch(&writer, &batch).await;
        for (job, result) in batch.drain(..).zip(results) {
            // A caller that stopped waiting does not need its answer.
            let _ = job.reply.send(result);
        }
    }
}

/// One transaction for the whole batch, a savepoint per outcome. If the
/// commit itself fails, every outcome of the batch gets that error.
///
/// The search index rows, fetch log rows and entry counts of the stored
/// outcomes are written together after the last savepoint (see [`Later`]),
/// still in the transaction. Should that fail, the batch is rolled back and
/// stored again with each outcome doing its own inside its savepoint, so a
/// failure stays with the outcome that caused it.
async fn store_batch(writer: &SqlitePool, batch: &[Job]) -> Vec<StoreResult<UpsertReport>> {
    match store_batch_with(writer, batch, true).await {
        Ok(results) => results,
        // No room for this batch: storing it again now would not fit either.
        Err(e) if e.is_full() => batch.iter().map(|_| Err(copy_error(&e))).collect(),
        Err(e) => {
            tracing::warn!(
                error = %e,
                "writing a batch's search index rows failed; storing it again, one outcome at a time"
            );
            match store_batch_with(writer, batch, false).await {
                Ok(results) => results,
                Err(e) => batch.iter().map(|_| Err(copy_error(&e))).collect(),
            }
        }
    }
}

/// Store `batch`; `hold`: the [`Later`] writes held for the end (else done
/// by each outcome). `Err` only when the held writes failed (nothing was
/// stored then); other failures are in the results.
async fn store_batch_with(
    writer: &SqlitePool,
    batch: &[Job],
    hold: bool,
) -> Result<Vec<StoreResult<UpsertReport>>, StoreError> {
    let mut tx = match begin_write(writer).await {
        Ok(tx) => tx,
        Err(e) => return Ok(batch.iter().map(|_| Err(copy_error(&e))).collect()),
    };
    let writes = || if hold { Later::held() } else { Later::now() };
    let mut held = writes();
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let mut later = writes();
        let result = async {
            let mut savepoint = (&mut tx).begin().await?;
            let stored = match &job.outcome {
                Outcome::Success(success) => {
                    entries::record_in(&mut savepoint, job.feed, success, &mut later).await
                }
                Outcome::Unchanged(unchanged) => {
                    feeds::record_unchanged_in(&mut savepoint, job.feed, unchanged, &mut later)
                        .await
                        .map(|()| UpsertReport::default())
                }
            };
            match stored {
                Ok(report) => {
                    savepoint.commit().await?;
                    Ok(report)
                }
                // After a full disk there may be no savepoint left to roll
                // back to (see below); the batch is rolled back whole.
                Err(e) if e.is_full() => Err(e),
                Err(e) => {
                    savepoint.rollback().await?;
                    Err(e)
                }
            }
        }
        .await;
        match result {
            Ok(report) => {
                held.absorb(later);
                results.push(Ok(report));
            }
            // SQLite may roll the whole transaction back when the disk is
            // full; what ran after that would commit statement by statement,
            // without the held writes. The batch stops here, and fails whole.
            Err(e) if e.is_full() => return Err(e),
            Err(e) => results.push(Err(e)),
        }
    }
    // Dropping `tx` on failure rolls the whole batch back.
    held.flush(&mut tx).await?;
    match tx.commit().await {
        Ok(()) => Ok(results),
        Err(e) => {
            let e = StoreError::from(e);
            Ok(batch.iter().map(|_| Err(copy_error(&e))).collect())
        }
    }
}

/// The same failure for every outcome of a batch (errors are not `Clone`).
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound(what) => StoreError::NotFound(what.clone()),
        StoreError::Full(what) => StoreError::Full(what.clone()),
        other => StoreError::Db(sqlx::Error::Protocol(other.to_string())),
    }
}
