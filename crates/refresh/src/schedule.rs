//! When a feed is fetched next.
//!
//! After a success: the feed's own hint (RSS `<ttl>`, `sy:updatePeriod`) or
//! the response's caching headers when they ask for a longer wait than the
//! default interval, bounded by `min_interval`/`max_interval`. After a
//! failure: exponential back-off from `base_backoff`, capped at
//! `max_backoff`, and never earlier than the server's `Retry-After`.
//! (The adaptive schedule from the observed posting rate comes with the
//! fetching issue.)

use std::time::Duration;

use chrono::{DateTime, Utc};
use tributary_fetch::CacheHints;

/// Bounds of the schedule.
#[derive(Debug, Clone)]
pub struct SchedulePolicy {
    pub default_interval: Duration,
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for SchedulePolicy {
    fn default() -> Self {
        SchedulePolicy {
            default_interval: Duration::from_secs(60 * 60),
            min_interval: Duration::from_secs(10 * 60),
            max_interval: Duration::from_secs(24 * 60 * 60),
            base_backoff: Duration::from_secs(5 * 60),
            max_backoff: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl SchedulePolicy {
    /// Next fetch after a successful (or not modified) fetch at `now`.
    pub fn next_after_success(
        &self,
        now: DateTime<Utc>,
        ttl_minutes: Option<u32>,
        cache: &CacheHints,
    ) -> DateTime<Utc> {
        let mut wait = self.default_interval;
        if let Some(ttl) = ttl_minutes {
            wait = wait.max(Duration::from_secs(u64::from(ttl) * 60));
        }
        if let Some(max_age) = cache.max_age {
            wait = wait.max(max_age);
        }
        if let Some(expires) = cache.expires {
            if let Ok(until) = (expires - now).to_std() {
                wait = wait.max(until);
            }
        }
        let wait = wait.clamp(self.min_interval, self.max_interval);
        now + to_chrono(wait)
    }

    /// Next fetch after the `error_count`-th consecutive failure (1 = first).
    pub fn next_after_failure(
        &self,
        now: DateTime<Utc>,
        error_count: i64,
        retry_after: Option<Duration>,
    ) -> DateTime<Utc> {
        let exponent = u32::try_from(error_count.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let backoff = self
            .base_backoff
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_backoff);
        let wait = match retry_after {
            Some(server) => backoff.max(server.min(self.max_backoff)),
            None => backoff,
        };
        now + to_chrono(wait)
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn success_uses_default_interval_and_longer_hints_within_bounds() {
        let p = SchedulePolicy::default();
        let now = at(1_000_000);
        let none = CacheHints::default();
        assert_eq!(
            p.next_after_success(now, None, &none),
            now + chrono::Duration::hours(1)
        );
        assert_eq!(
            p.next_after_success(now, Some(180), &none),
            now + chrono::Duration::hours(3)
        );
        // A ttl below the default does not make us fetch more often.
        assert_eq!(
            p.next_after_success(now, Some(5), &none),
            now + chrono::Duration::hours(1)
        );
        // A week-long ttl is capped at max_interval.
        assert_eq!(
            p.next_after_success(now, Some(7 * 24 * 60), &none),
            now + chrono::Duration::hours(24)
        );
        let cache = CacheHints {
            max_age: Some(Duration::from_secs(2 * 3600)),
            expires: Some(now + chrono::Duration::hours(5)),
        };
        assert_eq!(
            p.next_after_success(now, None, &cache),
            now + chrono::Duration::hours(5)
        );
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        let p = SchedulePolicy::default();
        let now = at(0);
        let waits: Vec<i64> = (1..=12)
            .map(|n| (p.next_after_failure(now, n, None) - now).num_minutes())
            .collect();
        assert_eq!(&waits[..5], &[5, 10, 20, 40, 80]);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), 24 * 60);
        assert_eq!(
            (p.next_after_failure(now, i64::MAX, None) - now).num_hours(),
            24
        );
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let p = SchedulePolicy::default();
        let now = at(0);
        let t = p.next_after_failure(now, 1, Some(Duration::from_secs(3600)));
        assert_eq!((t - now).num_minutes(), 60);
        let t = p.next_after_failure(now, 1, Some(Duration::from_secs(10 * 86400)));
        assert_eq!((t - now).num_hours(), 24);
    }
}
