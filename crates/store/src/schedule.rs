//! Setting a feed's next fetch time by hand (operators, tests of schedulers).

use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::FeedId;

use crate::{on_engine, Store, StoreResult};

impl Store {
    /// Make `feed` due at `at`, leaving everything else as it is.
    /// `NotFound` when there is no such feed.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn set_next_fetch(&self, feed: FeedId, at: DateTime<Utc>) -> StoreResult<()> {
        on_engine!(self, |db| engine::feeds::set_next_fetch(
            &db.writer, feed, at
        )
        .await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FeedSelector, NewSubscription};

    #[tokio::test]
    async fn moves_a_feed_in_and_out_of_the_due_set() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let user = store.default_user().await.unwrap();
        store
            .subscribe(
                user,
                &[NewSubscription {
                    url: "https://a.example/feed".into(),
                    ..Default::default()
                }],
            )
            .await
            .unwrap();
        let feed = store.feeds_to_fetch(&FeedSelector::All).await.unwrap()[0].id;
        let now = Utc::now();
        let later = now + chrono::Duration::hours(1);
        store.set_next_fetch(feed, later).await.unwrap();
        assert!(store
            .feeds_to_fetch(&FeedSelector::Due(now))
            .await
            .unwrap()
            .is_empty());
        let back = store.feed_by_id(feed).await.unwrap().unwrap();
        assert_eq!(
            back.next_fetch_at.map(|t| t.timestamp()),
            Some(later.timestamp())
        );
        store.set_next_fetch(feed, now).await.unwrap();
        assert_eq!(
            store
                .feeds_to_fetch(&FeedSelector::Due(now))
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(store.set_next_fetch(FeedId(9999), now).await.is_err());
    }
}
