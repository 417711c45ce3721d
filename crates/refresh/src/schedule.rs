//! When a feed is fetched next, and why: the adaptive schedule.
//!
//! Pure functions of their arguments (no clock, no I/O, except
//! [`SchedulePolicy::hints`], which reads the clock once to ignore future
//! dates; [`SchedulePolicy::hints_at`] takes the time instead).
//!
//! After a success ([`SchedulePolicy::after_success`]):
//!
//! 1. the base wait comes from the observed posting rate
//!    ([`ScheduleHints::post_interval_secs`]): half the typical gap between
//!    posts (a daily blog is checked about twice a day), clamped to
//!    `[min_interval, max_interval]`; with no known rate, `default_interval`;
//!    with a WebSub hub pushing updates, `push_interval` (a safety net);
//! 2. lower bounds: the wait is never shorter than RSS `<ttl>` (or
//!    `sy:updatePeriod`/`sy:updateFrequency`), `Cache-Control: max-age`, or
//!    the time until `Expires` (one in the past is ignored); each such server
//!    or feed hint is capped at `max_hint`, so a hint may push the next fetch
//!    beyond `max_interval` but never beyond `max_hint`;
//! 3. RSS `<skipHours>`/`<skipDays>` (GMT) move the time forward to the start
//!    of the first allowed hour; a list that skips every hour (every day) is
//!    ignored, and the move never goes beyond `now + max_hint`;
//! 4. jitter: a deterministic amount from a small hash of (feed id, now), up
//!    to `jitter` × the wait and at most `max_jitter`, is *added* (never
//!    subtracted, so every lower bound holds) so that feeds with equal hints
//!    fetched in one batch spread out instead of firing in the same second.
//!
//! After a failure ([`SchedulePolicy::after_failure`]): exponential back-off
//! `base_backoff × 2^(n-1)`, capped at `max_backoff`, never earlier than the
//! server's `Retry-After`. `Retry-After` is a server hint like `max-age`, so
//! it is capped at `max_hint` (not `max_backoff`): a server announcing two
//! days of maintenance is left alone for two days. Jitter as above.
//!
//! Every result carries a short human reason naming the bound that decided
//! the time ("posts ~daily", "max-age 3600 s", "ttl 60 min", "skipHours until
//! 07:00 UTC", "backoff after 3 errors", "Retry-After 120 s" …), shown to
//! users next to the feed.

use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};
use tributary_fetch::CacheHints;
use tributary_model::{FeedMeta, ScheduleHints};

/// How many of the newest distinct post dates the posting rate looks at.
const RATE_WINDOW: usize = 21;
/// Fewest gaps between posts needed to trust a posting rate.
const MIN_GAPS: usize = 2;

/// Bounds of the schedule.
#[derive(Debug, Clone)]
pub struct SchedulePolicy {
    /// Wait when no posting rate is known yet.
    pub default_interval: Duration,
    /// Shortest wait after a success (the posting rate never goes below it).
    pub min_interval: Duration,
    /// Longest wait the posting rate leads to (server hints may go beyond, up to `max_hint`).
    pub max_interval: Duration,
    /// Wait after the first failure; doubled for each further one.
    pub base_backoff: Duration,
    /// Longest back-off.
    pub max_backoff: Duration,
    /// Cap of any feed or server hint (`ttl`, `max-age`, `Expires`, skip rules, `Retry-After`).
    pub max_hint: Duration,
    /// Polling interval of a feed whose hub pushes updates (a safety net).
    pub push_interval: Duration,
    /// Jitter as a fraction of the wait (0.1 = up to 10 % later); clamped to 0..=1.
    pub jitter: f64,
    /// Largest jitter, whatever the wait.
    pub max_jitter: Duration,
}

impl Default for SchedulePolicy {
    fn default() -> Self {
        SchedulePolicy {
            default_interval: Duration::from_secs(60 * 60),
            min_interval: Duration::from_secs(10 * 60),
            max_interval: Duration::from_secs(24 * 60 * 60),
            base_backoff: Duration::from_secs(5 * 60),
            max_backoff: Duration::from_secs(24 * 60 * 60),
            max_hint: Duration::from_secs(7 * 24 * 60 * 60),
            push_interval: Duration::from_secs(24 * 60 * 60),
            jitter: 0.1,
            max_jitter: Duration::from_secs(15 * 60),
        }
    }
}

/// The next fetch of a feed and why it is then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    /// When to fetch next.
    pub at: DateTime<Utc>,
    /// Short human reason naming the bound that decided `at` ("posts ~daily").
    pub reason: String,
}

impl SchedulePolicy {
    /// Hints for this fetch: `meta`'s ttl and skip fields, plus the posting
    /// interval observed in `entry_dates` (pass only dates that came from
    /// the feed), falling back to `previous`'s interval when the dates are
    /// too few. Reads the clock once; see [`SchedulePolicy::hints_at`].
    pub fn hints(
        meta: &FeedMeta,
        entry_dates: &[DateTime<Utc>],
        previous: &ScheduleHints,
    ) -> ScheduleHints {
        Self::hints_at(meta, entry_dates, previous, Utc::now())
    }

    /// [`SchedulePolicy::hints`] at `now`.
    ///
    /// * `ttl_minutes`, `skip_hours`, `skip_days` are the document's (a feed
    ///   that dropped its `<ttl>` no longer has one); skip values out of range
    ///   are dropped, the lists sorted and de-duplicated;
    /// * `post_interval_secs`: the median gap between the newest
    ///   21 distinct dates (to the second) not after `now`, or
    ///   the time since the newest post when that is longer (a feed that went
    ///   quiet is checked less often); fewer than three such dates keep
    ///   `previous.post_interval_secs`.
    pub fn hints_at(
        meta: &FeedMeta,
        entry_dates: &[DateTime<Utc>],
        previous: &ScheduleHints,
        now: DateTime<Utc>,
    ) -> ScheduleHints {
        ScheduleHints {
            ttl_minutes: meta.ttl_minutes,
            skip_hours: valid_sorted(&meta.skip_hours, 24),
            skip_days: valid_sorted(&meta.skip_days, 7),
            post_interval_secs: post_interval(entry_dates, now).or(previous.post_interval_secs),
        }
    }

    /// Next fetch after a successful (or not modified) fetch at `now` of
    /// feed `feed_id` (used for the jitter only). `push`: a WebSub hub
    /// delivers updates, so polling is only a safety net.
    pub fn after_success(
        &self,
        now: DateTime<Utc>,
        feed_id: i64,
        hints: &ScheduleHints,
        cache: &CacheHints,
        push: bool,
    ) -> Next {
        let (mut wait, mut reason) = self.base_wait(hints, push);

        let mut bounds: Vec<(Duration, String)> = Vec::new();
        if let Some(ttl) = hints.ttl_minutes {
            bounds.push((
                Duration::from_secs(u64::from(ttl) * 60),
                format!("ttl {ttl} min"),
            ));
        }
        if let Some(max_age) = cache.max_age {
            bounds.push((max_age, format!("max-age {} s", max_age.as_secs())));
        }
        if let Some(expires) = cache.expires {
            // An `Expires` in the past (or now) asks for nothing.
            if let Ok(until) = (expires - now).to_std() {
                bounds.push((until, format!("Expires in {}", span(until))));
            }
        }
        for (bound, label) in bounds {
            let capped = bound.min(self.max_hint);
            if capped > wait {
                wait = capped;
                reason = if capped < bound {
                    format!("{label}, capped at {}", span(self.max_hint))
                } else {
                    label
                };
            }
        }

        let skip = Skip::new(&hints.skip_hours, &hints.skip_days);
        let limit = add(now, self.max_hint.max(wait));
        let planned = add(now, wait);
        let jitter = self.jitter_for(feed_id, now, wait);
        let mut at = planned;
        if let Some(allowed) = skip.forward(planned) {
            at = allowed.min(limit).max(planned);
            reason = skip.reason(at, at < allowed, self.max_hint);
        }
        let mut at_jittered = add_chrono(at, jitter);
        // Jitter may carry an allowed time into a skipped hour: move on again
        // (the jitter stays within the first allowed hour).
        if let Some(allowed) = skip.forward(at_jittered) {
            if allowed <= limit {
                at_jittered = add_chrono(allowed, jitter);
                reason = skip.reason(allowed, false, self.max_hint);
            }
        }
        Next {
            at: at_jittered,
            reason,
        }
    }

    /// Next fetch after the `error_count`-th consecutive failure (1 = first;
    /// lower counts as 1) at `now` of feed `feed_id` (used for the jitter).
    pub fn after_failure(
        &self,
        now: DateTime<Utc>,
        feed_id: i64,
        error_count: i64,
        retry_after: Option<Duration>,
    ) -> Next {
        let n = error_count.max(1);
        let exponent = u32::try_from((n - 1).min(30)).unwrap_or(30);
        let mut wait = self
            .base_backoff
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_backoff);
        let mut reason = if n == 1 {
            "backoff after 1 error".to_string()
        } else {
            format!("backoff after {n} errors")
        };
        if let Some(server) = retry_after {
            let capped = server.min(self.max_hint);
            if capped > wait {
                wait = capped;
                reason = format!("Retry-After {} s", server.as_secs());
                if capped < server {
                    reason.push_str(&format!(", capped at {}", span(self.max_hint)));
                }
            }
        }
        let jitter = self.jitter_for(feed_id, now, wait);
        Next {
            at: add_chrono(add(now, wait), jitter),
            reason,
        }
    }

    /// Keep `next` within the fetch interval bounds the feed's subscribers
    /// set ([`tributary_model::Feed::min_interval_secs`] and
    /// `max_interval_secs`, in seconds; values that are not positive are
    /// ignored): no earlier than `now + min`, no later than `now + max`.
    /// They are a person's explicit wish, so they win over the posting
    /// rate, feed and server hints and back-off; when the two disagree
    /// (`min > max`, from different subscribers) the more eager `max` wins.
    pub fn within_bounds(
        now: DateTime<Utc>,
        next: Next,
        min_secs: Option<i64>,
        max_secs: Option<i64>,
    ) -> Next {
        let secs = |v: Option<i64>| {
            v.filter(|s| *s > 0)
                .map(|s| Duration::from_secs(s.unsigned_abs()))
        };
        let mut next = next;
        if let Some(min) = secs(min_secs) {
            let earliest = add(now, min);
            if next.at < earliest {
                next = Next {
                    at: earliest,
                    reason: format!("min interval {} set for this feed", span(min)),
                };
            }
        }
        if let Some(max) = secs(max_secs) {
            let latest = add(now, max);
            if next.at > latest {
                next = Next {
                    at: latest,
                    reason: format!("max interval {} set for this feed", span(max)),
                };
            }
        }
        next
    }

    /// The wait before the lower bounds, and its reason.
    fn base_wait(&self, hints: &ScheduleHints, push: bool) -> (Duration, String) {
        let clamp = |d: Duration| d.max(self.min_interval).min(self.max_interval);
        if push {
            let wait = self.push_interval.max(self.min_interval);
            return (
                wait,
                format!("push via hub; polling every {} as a safety net", span(wait)),
            );
        }
        match hints.post_interval_secs.filter(|s| *s > 0) {
            Some(secs) => {
                let gap = Duration::from_secs(secs);
                let half = gap / 2;
                let wait = clamp(half);
                let rate = format!("posts {}", describe_interval(gap));
                let reason = if wait > half {
                    format!("{rate}, min interval {}", span(wait))
                } else if wait < half {
                    format!("{rate}, max interval {}", span(wait))
                } else {
                    rate
                };
                (wait, reason)
            }
            None => {
                let wait = clamp(self.default_interval);
                (wait, format!("no posting rate yet, default {}", span(wait)))
            }
        }
    }

    /// The jitter of feed `feed_id` fetched at `now` with `wait` ahead:
    /// a fraction (from a hash of both) of `jitter × wait`, at most `max_jitter`.
    fn jitter_for(&self, feed_id: i64, now: DateTime<Utc>, wait: Duration) -> chrono::Duration {
        let fraction = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let span_secs = (wait.as_secs_f64() * fraction).min(self.max_jitter.as_secs_f64());
        // Whole seconds: 0..=span.
        let span_secs = span_secs.max(0.0).floor() as u64;
        if span_secs == 0 {
            return chrono::Duration::zero();
        }
        // feed ids are unique, so the cast's wrap-around of negatives is harmless.
        let h = mix(mix(feed_id as u64) ^ (now.timestamp() as u64));
        let secs = h % (span_secs + 1);
        chrono::Duration::seconds(i64::try_from(secs).unwrap_or(0))
    }
}

/// A posting interval in words, for reasons: "~every 20 min", "~hourly",
/// "~every 3 h", "~daily", "~every 3 d", "~weekly", "~monthly", "~yearly".
pub fn describe_interval(d: Duration) -> String {
    const MIN: u64 = 60;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;
    let s = d.as_secs();
    let rounded = |unit: u64| s.saturating_add(unit / 2) / unit;
    match s {
        0..90 => format!("~every {} s", s.max(1)),
        90..2_700 => format!("~every {} min", rounded(MIN)),
        2_700..5_400 => "~hourly".to_string(),
        5_400..72_000 => format!("~every {} h", rounded(HOUR)),
        72_000..129_600 => "~daily".to_string(),
        129_600..518_400 => format!("~every {} d", rounded(DAY)),
        518_400..777_600 => "~weekly".to_string(),
        777_600..2_160_000 => format!("~every {} d", rounded(DAY)),
        2_160_000..3_888_000 => "~monthly".to_string(),
        3_888_000..28_512_000 => format!("~every {} months", rounded(30 * DAY)),
        28_512_000..34_560_000 => "~yearly".to_string(),
        _ => format!("~every {} years", rounded(365 * DAY).max(1)),
    }
}

/// A duration in the shortest exact-ish unit: "90 s", "10 min", "24 h", "7 d".
fn span(d: Duration) -> String {
    let s = d.as_secs();
    if s < 120 {
        format!("{s} s")
    } else if s < 3600 || (s < 2 * 3600 && s / 3600 * 3600 != s) {
        format!("{} min", s.saturating_add(30) / 60)
    } else if s < 72 * 3600 || s / 86_400 * 86_400 != s {
        format!("{} h", s.saturating_add(1800) / 3600)
    } else {
        format!("{} d", s / 86_400)
    }
}

/// `values` below `limit`, sorted and without duplicates.
fn valid_sorted(values: &[u8], limit: u8) -> Vec<u8> {
    let mut out: Vec<u8> = values.iter().copied().filter(|v| *v < limit).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The typical gap between posts in seconds (see [`SchedulePolicy::hints_at`]).
fn post_interval(dates: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<u64> {
    let mut secs: Vec<i64> = dates
        .iter()
        .filter(|d| **d <= now)
        .map(DateTime::timestamp)
        .collect();
    secs.sort_unstable_by(|a, b| b.cmp(a));
    secs.dedup();
    secs.truncate(RATE_WINDOW);
    let mut gaps: Vec<u64> = secs
        .windows(2)
        .filter_map(|w| u64::try_from(w[0] - w[1]).ok())
        .filter(|g| *g > 0)
        .collect();
    if gaps.len() < MIN_GAPS {
        return None;
    }
    gaps.sort_unstable();
    let mid = gaps.len() / 2;
    let median = if gaps.len() % 2 == 1 {
        gaps[mid]
    } else {
        let sum = u128::from(gaps[mid - 1]) + u128::from(gaps[mid]);
        u64::try_from(sum / 2).unwrap_or(u64::MAX)
    };
    let quiet = u64::try_from(now.timestamp() - secs[0]).unwrap_or(0);
    Some(median.max(quiet).max(1))
}

/// The valid skip rules of a feed.
struct Skip {
    /// `hours[h]`: hour `h` (GMT) is skipped. All false when every hour is.
    hours: [bool; 24],
    /// `days[d]`: day `d` (0 = Monday) is skipped. All false when every day is.
    days: [bool; 7],
}

impl Skip {
    fn new(hours: &[u8], days: &[u8]) -> Skip {
        let mut h = [false; 24];
        for v in hours {
            if let Some(slot) = h.get_mut(usize::from(*v)) {
                *slot = true;
            }
        }
        if h.iter().all(|s| *s) {
            h = [false; 24];
        }
        let mut d = [false; 7];
        for v in days {
            if let Some(slot) = d.get_mut(usize::from(*v)) {
                *slot = true;
            }
        }
        if d.iter().all(|s| *s) {
            d = [false; 7];
        }
        Skip { hours: h, days: d }
    }

    fn blocked_hour(&self, t: DateTime<Utc>) -> bool {
        self.hours[t.hour() as usize % 24]
    }

    fn blocked_day(&self, t: DateTime<Utc>) -> bool {
        self.days[t.weekday().num_days_from_monday() as usize % 7]
    }

    /// `None` when `t` is allowed, else the start of the first allowed hour after it.
    fn forward(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.blocked_hour(t) && !self.blocked_day(t) {
            return None;
        }
        let mut c = t
            .with_minute(0)
            .and_then(|c| c.with_second(0))
            .and_then(|c| c.with_nanosecond(0))?;
        // At most a week of hours: some hour of some day is allowed.
        for _ in 0..(24 * 7 + 1) {
            c = c.checked_add_signed(chrono::Duration::hours(1))?;
            if !self.blocked_hour(c) && !self.blocked_day(c) {
                return Some(c);
            }
        }
        None
    }

    /// The reason for a time moved to `at` by the skip rules.
    fn reason(&self, at: DateTime<Utc>, capped: bool, max_hint: Duration) -> String {
        let any_day = self.days.iter().any(|d| *d);
        let any_hour = self.hours.iter().any(|h| *h);
        let mut r = match (any_day, any_hour) {
            (true, true) => format!("skipDays/skipHours until {}", at.format("%a %H:%M UTC")),
            (true, false) => format!("skipDays until {}", at.format("%a %H:%M UTC")),
            _ => format!("skipHours until {}", at.format("%H:%M UTC")),
        };
        if capped {
            r.push_str(&format!(", capped at {}", span(max_hint)));
        }
        r
    }
}

/// splitmix64's finalizer: a small, well-spread hash step.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `t + d`, saturating at the largest representable time.
fn add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    add_chrono(
        t,
        chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX),
    )
}

fn add_chrono(t: DateTime<Utc>, d: chrono::Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    /// Wednesday 2024-05-01 10:00:00 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn hours(h: i64) -> chrono::Duration {
        chrono::Duration::hours(h)
    }

    fn mins(m: i64) -> chrono::Duration {
        chrono::Duration::minutes(m)
    }

    /// The default policy without jitter, for exact times.
    fn exact() -> SchedulePolicy {
        SchedulePolicy {
            jitter: 0.0,
            ..SchedulePolicy::default()
        }
    }

    fn no_cache() -> CacheHints {
        CacheHints::default()
    }

    /// `n` post dates `gap` apart, the newest at `newest`.
    fn posts(newest: DateTime<Utc>, gap: chrono::Duration, n: i32) -> Vec<DateTime<Utc>> {
        (0..n).map(|k| newest - gap * k).collect()
    }

    fn rate_hints(dates: &[DateTime<Utc>]) -> ScheduleHints {
        SchedulePolicy::hints_at(
            &FeedMeta::default(),
            dates,
            &ScheduleHints::default(),
            now(),
        )
    }

    fn success(p: &SchedulePolicy, hints: &ScheduleHints, cache: &CacheHints) -> Next {
        p.after_success(now(), 42, hints, cache, false)
    }

    #[test]
    fn posting_rate_hourly_daily_weekly_and_unknown() {
        let p = exact();
        let cases: [(chrono::Duration, u64, chrono::Duration, &str); 5] = [
            (
                mins(5),
                300,
                mins(10),
                "posts ~every 5 min, min interval 10 min",
            ),
            (hours(1), 3600, mins(30), "posts ~hourly"),
            (hours(3), 3 * 3600, mins(90), "posts ~every 3 h"),
            (hours(24), 86_400, hours(12), "posts ~daily"),
            (
                hours(24 * 7),
                7 * 86_400,
                hours(24),
                "posts ~weekly, max interval 24 h",
            ),
        ];
        for (gap, secs, wait, reason) in cases {
            let hints = rate_hints(&posts(now(), gap, 10));
            assert_eq!(hints.post_interval_secs, Some(secs), "gap {gap}");
            let next = success(&p, &hints, &no_cache());
            assert_eq!(next.at, now() + wait, "gap {gap}");
            assert_eq!(next.reason, reason);
        }
        let unknown = rate_hints(&[]);
        assert_eq!(unknown.post_interval_secs, None);
        let next = success(&p, &unknown, &no_cache());
        assert_eq!(next.at, now() + hours(1));
        assert_eq!(next.reason, "no posting rate yet, default 1 h");
    }

    #[test]
    fn posting_rate_is_the_median_gap_and_ignores_outliers_future_and_duplicates() {
        // Hourly, with one three-day hole: the median stays hourly.
        let mut dates = posts(now(), hours(1), 6);
        dates.extend(posts(now() - hours(5 + 72), hours(1), 5));
        assert_eq!(rate_hints(&dates).post_interval_secs, Some(3600));
        // Future dates and exact duplicates (zero gaps) do not count.
        let mut dates = posts(now(), hours(2), 5);
        dates.push(now() + hours(1));
        dates.push(now() + mins(1));
        dates.extend(posts(now(), hours(2), 5));
        assert_eq!(rate_hints(&dates).post_interval_secs, Some(2 * 3600));
        // Only the newest 21 distinct dates: older weekly history is ignored.
        let mut dates = posts(now(), hours(1), 21);
        dates.extend(posts(now() - hours(21 + 24 * 7), hours(24 * 7), 50));
        assert_eq!(rate_hints(&dates).post_interval_secs, Some(3600));
        // An even number of gaps: the mean of the middle two.
        let dates = [now(), now() - hours(1), now() - hours(3), now() - hours(6)];
        assert_eq!(
            rate_hints(&dates).post_interval_secs,
            Some(2 * 3600),
            "gaps 1 h, 2 h, 3 h"
        );
    }

    #[test]
    fn a_quiet_feed_counts_the_time_since_its_newest_post() {
        // Hourly once, silent for ten days now.
        let dates = posts(now() - hours(240), hours(1), 10);
        assert_eq!(rate_hints(&dates).post_interval_secs, Some(240 * 3600));
        let next = success(&exact(), &rate_hints(&dates), &no_cache());
        assert_eq!(next.at, now() + hours(24));
    }

    #[test]
    fn too_few_dates_keep_the_previous_rate() {
        let previous = ScheduleHints {
            post_interval_secs: Some(7200),
            ttl_minutes: Some(999),
            skip_hours: vec![1],
            skip_days: vec![2],
        };
        let meta = FeedMeta {
            ttl_minutes: Some(30),
            skip_hours: vec![23, 3, 3, 24, 99],
            skip_days: vec![6, 7, 0],
            ..FeedMeta::default()
        };
        let two = [now(), now() - hours(5)];
        let h = SchedulePolicy::hints_at(&meta, &two, &previous, now());
        assert_eq!(h.post_interval_secs, Some(7200));
        // The document's own ttl and skip lists (cleaned) replace the old ones.
        assert_eq!(h.ttl_minutes, Some(30));
        assert_eq!(h.skip_hours, vec![3, 23]);
        assert_eq!(h.skip_days, vec![0, 6]);
        // Enough dates: the observed rate replaces the previous one.
        let three = [now(), now() - hours(5), now() - hours(10)];
        let h = SchedulePolicy::hints_at(&meta, &three, &previous, now());
        assert_eq!(h.post_interval_secs, Some(5 * 3600));
        // A document without a ttl has none, whatever came before.
        let h = SchedulePolicy::hints_at(&FeedMeta::default(), &three, &previous, now());
        assert_eq!((h.ttl_minutes, h.skip_hours.len()), (None, 0));
    }

    #[test]
    fn ttl_wins_when_longer_and_not_when_shorter() {
        let p = exact();
        let ttl = |m| ScheduleHints {
            ttl_minutes: Some(m),
            ..ScheduleHints::default()
        };
        let next = success(&p, &ttl(180), &no_cache());
        assert_eq!(
            (next.at, next.reason.as_str()),
            (now() + hours(3), "ttl 180 min")
        );
        let next = success(&p, &ttl(5), &no_cache());
        assert_eq!(next.at, now() + hours(1));
        assert!(
            next.reason.starts_with("no posting rate"),
            "{}",
            next.reason
        );
        // A ttl may go beyond max_interval (3 days > 24 h) ...
        let next = success(&p, &ttl(3 * 24 * 60), &no_cache());
        assert_eq!(next.at, now() + hours(72));
        // ... but not beyond max_hint.
        let next = success(&p, &ttl(30 * 24 * 60), &no_cache());
        assert_eq!(next.at, now() + hours(7 * 24));
        assert_eq!(next.reason, "ttl 43200 min, capped at 7 d");
        // A ttl shorter than the posting rate's wait does not shorten it.
        let mut daily = rate_hints(&posts(now(), hours(24), 5));
        daily.ttl_minutes = Some(60);
        let next = success(&p, &daily, &no_cache());
        assert_eq!(
            (next.at, next.reason.as_str()),
            (now() + hours(12), "posts ~daily")
        );
    }

    #[test]
    fn max_age_and_expires_win_when_longer_and_not_when_shorter() {
        let p = exact();
        let none = ScheduleHints::default();
        let max_age = |s| CacheHints {
            max_age: Some(Duration::from_secs(s)),
            expires: None,
        };
        let next = success(&p, &none, &max_age(7200));
        assert_eq!(
            (next.at, next.reason.as_str()),
            (now() + hours(2), "max-age 7200 s")
        );
        let next = success(&p, &none, &max_age(60));
        assert_eq!(next.at, now() + hours(1));
        assert!(next.reason.starts_with("no posting rate"));
        // A huge max-age is capped (and does not overflow).
        let next = success(&p, &none, &max_age(u64::MAX));
        assert_eq!(next.at, now() + hours(7 * 24));
        assert!(next.reason.ends_with("capped at 7 d"), "{}", next.reason);

        let expires = |t| CacheHints {
            max_age: None,
            expires: Some(t),
        };
        let next = success(&p, &none, &expires(now() + hours(5)));
        assert_eq!(
            (next.at, next.reason.as_str()),
            (now() + hours(5), "Expires in 5 h")
        );
        let next = success(&p, &none, &expires(now() + mins(20)));
        assert_eq!(next.at, now() + hours(1));
        // An Expires in the past is ignored, not a reason to fetch early.
        let next = success(&p, &none, &expires(now() - hours(3)));
        assert_eq!(next.at, now() + hours(1));
        assert!(next.reason.starts_with("no posting rate"));
        let next = success(&p, &none, &expires(now() + hours(24 * 365)));
        assert_eq!(next.at, now() + hours(7 * 24));

        // The longest bound decides, and names itself.
        let both = CacheHints {
            max_age: Some(Duration::from_secs(4 * 3600)),
            expires: Some(now() + hours(3)),
        };
        let ttl2h = ScheduleHints {
            ttl_minutes: Some(120),
            ..ScheduleHints::default()
        };
        let next = success(&p, &ttl2h, &both);
        assert_eq!(
            (next.at, next.reason.as_str()),
            (now() + hours(4), "max-age 14400 s")
        );
    }

    fn skipping(hours: &[u8], days: &[u8]) -> ScheduleHints {
        ScheduleHints {
            skip_hours: hours.to_vec(),
            skip_days: days.to_vec(),
            ..ScheduleHints::default()
        }
    }

    #[test]
    fn skip_hours_move_the_fetch_to_the_first_allowed_hour() {
        let p = exact();
        // 10:00 + 1 h = 11:00, in skipped 11 and 12: 13:00.
        let next = success(&p, &skipping(&[11, 12], &[]), &no_cache());
        assert_eq!(next.at, utc(2024, 5, 1, 13, 0));
        assert_eq!(next.reason, "skipHours until 13:00 UTC");
        // Hours not hit change nothing.
        let next = success(&p, &skipping(&[3, 4], &[]), &no_cache());
        assert_eq!(next.at, now() + hours(1));
        assert!(next.reason.starts_with("no posting rate"));
        // Wrap-around midnight: 22:30 + 1 h = 23:30, night skipped until 07:00.
        let late = utc(2024, 5, 1, 22, 30);
        let night = skipping(&[23, 0, 1, 2, 3, 4, 5, 6], &[]);
        let next = p.after_success(late, 1, &night, &no_cache(), false);
        assert_eq!(next.at, utc(2024, 5, 2, 7, 0));
        assert_eq!(next.reason, "skipHours until 07:00 UTC");
        // Every hour skipped: ignored.
        let all: Vec<u8> = (0..24).collect();
        let next = success(&p, &skipping(&all, &[]), &no_cache());
        assert_eq!(next.at, now() + hours(1));
    }

    #[test]
    fn skip_days_move_the_fetch_to_the_first_allowed_day() {
        let p = exact();
        // Wednesday (2) and Thursday (3) skipped: Friday 00:00.
        let next = success(&p, &skipping(&[], &[2, 3]), &no_cache());
        assert_eq!(next.at, utc(2024, 5, 3, 0, 0));
        assert_eq!(next.reason, "skipDays until Fri 00:00 UTC");
        // Wrap-around the week: Sunday 23:30 + 1 h is Monday, skipped: Tuesday.
        let sunday = utc(2024, 5, 5, 23, 30);
        let next = p.after_success(sunday, 1, &skipping(&[], &[0]), &no_cache(), false);
        assert_eq!(next.at, utc(2024, 5, 7, 0, 0));
        // Days and hours together: Thursday skipped, and the night.
        let wed_late = utc(2024, 5, 1, 23, 30);
        let both = skipping(&[0, 1, 2, 3, 4, 5, 6], &[3]);
        let next = p.after_success(wed_late, 1, &both, &no_cache(), false);
        assert_eq!(next.at, utc(2024, 5, 3, 7, 0));
        assert_eq!(next.reason, "skipDays/skipHours until Fri 07:00 UTC");
        // Every day skipped: ignored.
        let next = success(&p, &skipping(&[], &[0, 1, 2, 3, 4, 5, 6]), &no_cache());
        assert_eq!(next.at, now() + hours(1));
        // Skip rules never push beyond max_hint.
        let short = SchedulePolicy {
            max_hint: Duration::from_secs(12 * 3600),
            ..exact()
        };
        let next = success(&short, &skipping(&[], &[2, 3, 4, 5]), &no_cache());
        assert_eq!(next.at, now() + hours(12));
        assert!(next.reason.ends_with("capped at 12 h"), "{}", next.reason);
    }

    #[test]
    fn jitter_spreads_a_batch_and_never_goes_below_the_bound() {
        let p = SchedulePolicy::default();
        let none = ScheduleHints::default();
        let ats: Vec<DateTime<Utc>> = (0..10_000)
            .map(|id| p.after_success(now(), id, &none, &no_cache(), false).at)
            .collect();
        let offsets: Vec<i64> = ats
            .iter()
            .map(|at| (*at - (now() + hours(1))).num_seconds())
            .collect();
        // 10 % of one hour: 0..=360 s later, never earlier.
        assert!(offsets.iter().all(|o| (0..=360).contains(o)));
        let distinct: HashSet<i64> = offsets.iter().copied().collect();
        assert!(distinct.len() >= 300, "{} distinct seconds", distinct.len());
        // Deterministic.
        let again = p.after_success(now(), 7, &none, &no_cache(), false);
        assert_eq!(again.at, ats[7]);
        // A day's wait: at most 15 minutes.
        let daily = rate_hints(&posts(now(), hours(48), 5));
        let distinct: HashSet<i64> = (0..10_000)
            .map(|id| {
                let at = p.after_success(now(), id, &daily, &no_cache(), false).at;
                let o = (at - (now() + hours(24))).num_seconds();
                assert!((0..=900).contains(&o), "offset {o}");
                o
            })
            .collect();
        assert!(distinct.len() >= 800, "{} distinct seconds", distinct.len());
        // Hints are lower bounds even with jitter.
        let cache = CacheHints {
            max_age: Some(Duration::from_secs(3 * 3600)),
            expires: None,
        };
        for id in 0..2_000 {
            let at = p.after_success(now(), id, &none, &cache, false).at;
            assert!(at >= now() + hours(3));
        }
    }

    #[test]
    fn jitter_does_not_land_in_a_skipped_hour() {
        let p = SchedulePolicy::default();
        // 09:57 + 1 h = 10:57 is allowed, but a jitter of up to 6 min carries
        // some feeds past 11:00, which is skipped: those go to 12:00 + jitter.
        let start = utc(2024, 5, 1, 9, 57);
        let hints = skipping(&[11], &[]);
        let mut moved = 0;
        for id in 0..5_000 {
            let next = p.after_success(start, id, &hints, &no_cache(), false);
            assert_ne!(next.at.hour(), 11, "feed {id} at {}", next.at);
            assert!(next.at >= start + hours(1));
            if next.at.hour() == 12 {
                moved += 1;
                assert_eq!(next.reason, "skipHours until 12:00 UTC");
            }
        }
        assert!(moved > 0, "some feeds were jittered into the skipped hour");
        // And a batch moved to the start of an allowed hour still spreads out.
        let distinct: HashSet<DateTime<Utc>> = (0..5_000)
            .map(|id| {
                p.after_success(now(), id, &skipping(&[11, 12], &[]), &no_cache(), false)
                    .at
            })
            .collect();
        assert!(distinct.len() >= 300, "{}", distinct.len());
    }

    #[test]
    fn push_polls_as_a_safety_net_but_hints_still_bound() {
        let p = exact();
        let daily = rate_hints(&posts(now(), hours(1), 10));
        let next = p.after_success(now(), 1, &daily, &no_cache(), true);
        assert_eq!(next.at, now() + hours(24));
        assert_eq!(
            next.reason,
            "push via hub; polling every 24 h as a safety net"
        );
        let cache = CacheHints {
            max_age: Some(Duration::from_secs(2 * 86_400)),
            expires: None,
        };
        let next = p.after_success(now(), 1, &daily, &cache, true);
        assert_eq!(
            (next.at, next.reason.as_str()),
            (now() + hours(48), "max-age 172800 s")
        );
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        let p = exact();
        let waits: Vec<i64> = (1..=12)
            .map(|n| (p.after_failure(now(), 1, n, None).at - now()).num_minutes())
            .collect();
        assert_eq!(&waits[..6], &[5, 10, 20, 40, 80, 160]);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), 24 * 60);
        let next = p.after_failure(now(), 1, 3, None);
        assert_eq!(next.reason, "backoff after 3 errors");
        assert_eq!(
            p.after_failure(now(), 1, 1, None).reason,
            "backoff after 1 error"
        );
        // Nonsense counts: 0 and negative are the first failure; huge is capped.
        assert_eq!(p.after_failure(now(), 1, 0, None).at, now() + mins(5));
        assert_eq!(p.after_failure(now(), 1, -9, None).at, now() + mins(5));
        assert_eq!(
            p.after_failure(now(), 1, i64::MAX, None).at,
            now() + hours(24)
        );
    }

    #[test]
    fn retry_after_is_honoured_when_longer_and_capped_at_max_hint() {
        let p = exact();
        let secs = |s| Some(Duration::from_secs(s));
        let next = p.after_failure(now(), 1, 1, secs(120));
        assert_eq!(
            (next.at, next.reason.as_str()),
            (now() + mins(5), "backoff after 1 error")
        );
        let next = p.after_failure(now(), 1, 1, secs(3600));
        assert_eq!(
            (next.at, next.reason.as_str()),
            (now() + hours(1), "Retry-After 3600 s")
        );
        // Beyond max_backoff (two days of maintenance) is honoured ...
        let next = p.after_failure(now(), 1, 1, secs(2 * 86_400));
        assert_eq!(next.at, now() + hours(48));
        // ... up to max_hint.
        let next = p.after_failure(now(), 1, 1, secs(10 * 86_400));
        assert_eq!(next.at, now() + hours(7 * 24));
        assert_eq!(next.reason, "Retry-After 864000 s, capped at 7 d");
        // A short Retry-After does not shorten a long back-off.
        let next = p.after_failure(now(), 1, 8, secs(120));
        assert_eq!(next.at, now() + mins(5 * 128));
        assert_eq!(next.reason, "backoff after 8 errors");
        // Jitter only adds.
        let jittered = SchedulePolicy::default();
        for id in 0..1_000 {
            let at = jittered.after_failure(now(), id, 1, secs(600)).at;
            assert!(at >= now() + mins(10) && at <= now() + mins(11));
        }
    }

    #[test]
    fn subscriber_bounds_clamp_the_next_fetch() {
        let p = exact();
        let n = now();
        // A daily feed (wait 12 h) with a max of 2 h is fetched in 2 h.
        let daily = rate_hints(&posts(n, hours(24), 10));
        let next = success(&p, &daily, &no_cache());
        assert_eq!(next.at, n + hours(12));
        let capped = SchedulePolicy::within_bounds(n, next.clone(), None, Some(7200));
        assert_eq!(capped.at, n + hours(2));
        assert_eq!(capped.reason, "max interval 2 h set for this feed");
        // A min of 1 d pushes it later.
        let slowed = SchedulePolicy::within_bounds(n, next.clone(), Some(86_400), None);
        assert_eq!(slowed.at, n + hours(24));
        assert!(
            slowed.reason.starts_with("min interval"),
            "{}",
            slowed.reason
        );
        // Within both bounds: unchanged, reason included.
        assert_eq!(
            SchedulePolicy::within_bounds(n, next.clone(), Some(60), Some(86_400)),
            next
        );
        // Bounds that disagree: the eager max wins; non-positive ones are ignored.
        assert_eq!(
            SchedulePolicy::within_bounds(n, next.clone(), Some(86_400), Some(3600)).at,
            n + hours(1)
        );
        assert_eq!(
            SchedulePolicy::within_bounds(n, next.clone(), Some(0), Some(-5)),
            next
        );
        // A long back-off after failures is capped too.
        let failing = p.after_failure(n, 1, 10, None);
        assert!(failing.at > n + hours(2));
        assert_eq!(
            SchedulePolicy::within_bounds(n, failing, None, Some(7200)).at,
            n + hours(2)
        );
    }

    #[test]
    fn intervals_in_words() {
        let d = |s| describe_interval(Duration::from_secs(s));
        assert_eq!(d(30), "~every 30 s");
        assert_eq!(d(300), "~every 5 min");
        assert_eq!(d(3600), "~hourly");
        assert_eq!(d(3 * 3600), "~every 3 h");
        assert_eq!(d(86_400), "~daily");
        assert_eq!(d(3 * 86_400), "~every 3 d");
        assert_eq!(d(7 * 86_400), "~weekly");
        assert_eq!(d(14 * 86_400), "~every 14 d");
        assert_eq!(d(30 * 86_400), "~monthly");
        assert_eq!(d(90 * 86_400), "~every 3 months");
        assert_eq!(d(365 * 86_400), "~yearly");
        assert_eq!(
            d(u64::MAX),
            format!("~every {} years", u64::MAX / (365 * 86_400))
        );
    }

    #[test]
    fn spans_in_reasons() {
        let s = |secs| span(Duration::from_secs(secs));
        assert_eq!(s(90), "90 s");
        assert_eq!(s(600), "10 min");
        assert_eq!(s(3600), "1 h");
        assert_eq!(s(5400), "90 min");
        assert_eq!(s(86_400), "24 h");
        assert_eq!(s(3 * 86_400), "3 d");
        assert_eq!(s(3 * 86_400 + 3600), "73 h");
        assert_eq!(s(u64::MAX), format!("{} h", u64::MAX / 3600));
    }

    fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
        // 1970 .. 2100.
        (0i64..4_102_444_800).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    proptest! {
        #[test]
        fn success_stays_within_its_bounds(
            now in any_time(),
            feed_id in any::<i64>(),
            ttl in proptest::option::of(any::<u32>()),
            skip_hours in proptest::collection::vec(0u8..30, 0..30),
            skip_days in proptest::collection::vec(0u8..10, 0..10),
            post in proptest::option::of(any::<u64>()),
            max_age in proptest::option::of(any::<u64>()),
            expires_in in proptest::option::of(-1_000_000_000i64..1_000_000_000),
            push in any::<bool>(),
        ) {
            let p = SchedulePolicy::default();
            let hints = ScheduleHints { ttl_minutes: ttl, skip_hours, skip_days, post_interval_secs: post };
            let cache = CacheHints {
                max_age: max_age.map(Duration::from_secs),
                expires: expires_in.map(|s| now + chrono::Duration::seconds(s)),
            };
            let next = p.after_success(now, feed_id, &hints, &cache, push);
            let lowest = add(now, p.min_interval);
            prop_assert!(next.at >= lowest, "{} < {}", next.at, lowest);
            let ceiling = add(now, p.max_hint + p.max_jitter + Duration::from_secs(86_400));
            prop_assert!(next.at <= ceiling, "{} > {}", next.at, ceiling);
            // Every hint is a lower bound (capped at max_hint).
            if let Some(t) = ttl {
                let bound = Duration::from_secs(u64::from(t) * 60).min(p.max_hint);
                prop_assert!(next.at >= add(now, bound));
            }
            if let Some(s) = max_age {
                prop_assert!(next.at >= add(now, Duration::from_secs(s).min(p.max_hint)));
            }
            if let Some(e) = cache.expires {
                prop_assert!(next.at >= e.min(add(now, p.max_hint)));
            }
            prop_assert!(!next.reason.is_empty());
        }

        #[test]
        fn failure_stays_within_its_bounds(
            now in any_time(),
            feed_id in any::<i64>(),
            errors in any::<i64>(),
            retry in proptest::option::of(any::<u64>()),
        ) {
            let p = SchedulePolicy::default();
            let next = p.after_failure(now, feed_id, errors, retry.map(Duration::from_secs));
            prop_assert!(next.at >= add(now, p.base_backoff));
            if let Some(r) = retry {
                prop_assert!(next.at >= add(now, Duration::from_secs(r).min(p.max_hint)));
            }
            prop_assert!(next.at <= add(now, p.max_hint.max(p.max_backoff) + p.max_jitter));
        }
    }
}
