//! When a digest is due (pure: times in, a decision out).
//!
//! A digest's *slots* are its sending times: every day (or every week on
//! its weekday) at its hour, in its time zone. A digest is due when a slot
//! has passed since its last successful run (or, before the first one,
//! since it was set up) — so a server that was down at the slot sends the
//! digest when it comes back, once, not once per missed slot. After a
//! failure it is retried with [`backoff`], whatever the slots say.

use std::time::Duration;

use chrono::{DateTime, Datelike, Duration as TimeDelta, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use tributary_store::{DigestFrequency, MailDigest};

/// First wait after a failed send.
pub const RETRY_FIRST: Duration = Duration::from_secs(5 * 60);
/// Longest wait between retries.
pub const RETRY_MAX: Duration = Duration::from_secs(6 * 3600);

/// The latest slot at or before `now`: `hour`:00 in `tz` today or on an
/// earlier day (the latest `weekday`, 0 = Monday, for weekly digests). An
/// hour that a daylight-saving change skips counts as the hour after it;
/// an hour that repeats counts once, the first time.
pub fn last_slot(
    frequency: DigestFrequency,
    hour: u8,
    weekday: u8,
    tz: Tz,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let local_today = now.with_timezone(&tz).date_naive();
    let time = NaiveTime::from_hms_opt(u32::from(hour.min(23)), 0, 0).unwrap_or(NaiveTime::MIN);
    // A weekly slot is at most 7 days back, a daily one at most 1; a day
    // more covers the daylight-saving shifts.
    for back in 0..=8 {
        let Some(day) = local_today.checked_sub_signed(TimeDelta::days(back)) else {
            break;
        };
        if frequency == DigestFrequency::Weekly
            && day.weekday().num_days_from_monday() != u32::from(weekday.min(6))
        {
            continue;
        }
        let naive = day.and_time(time);
        let at = tz
            .from_local_datetime(&naive)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(naive + TimeDelta::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc));
        if let Some(at) = at {
            if at <= now {
                return at;
            }
        }
    }
    // Unreachable for valid zones; a slot a week ago is a safe answer.
    now - TimeDelta::days(7)
}

/// The first slot after `now`.
pub fn next_slot(
    frequency: DigestFrequency,
    hour: u8,
    weekday: u8,
    tz: Tz,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let period = match frequency {
        DigestFrequency::Daily => TimeDelta::days(1),
        DigestFrequency::Weekly => TimeDelta::days(7),
    };
    let slot = last_slot(frequency, hour, weekday, tz, now + period);
    if slot > now {
        slot
    } else {
        slot + period
    }
}

/// The zone of `digest`'s hour: its own, else `default`.
pub fn zone_of(digest: &MailDigest, default: Tz) -> Tz {
    digest
        .settings
        .timezone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(default)
}

/// Whether `digest` should be sent at `now`: enabled, not waiting for a
/// retry, and either retrying a failure or past a slot it has not run for.
pub fn is_due(digest: &MailDigest, default_tz: Tz, now: DateTime<Utc>) -> bool {
    if !digest.settings.enabled {
        return false;
    }
    if let Some(at) = digest.next_attempt_at {
        return at <= now;
    }
    let s = &digest.settings;
    let reference = digest.last_sent_at.unwrap_or(digest.created_at);
    last_slot(
        s.frequency,
        s.hour,
        s.weekday,
        zone_of(digest, default_tz),
        now,
    ) > reference
}

/// The wait before the next try after `failures` failures in a row:
/// 5 minutes, doubled each time, at most 6 hours.
pub fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    RETRY_FIRST.saturating_mul(1u32 << doublings).min(RETRY_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_model::UserId;
    use tributary_store::{DigestCursor, DigestSettings};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn daily_slots() {
        let tz = Tz::UTC;
        let d = DigestFrequency::Daily;
        assert_eq!(
            last_slot(d, 8, 0, tz, utc("2026-12-03T09:30:00Z")),
            utc("2026-12-03T08:00:00Z")
        );
        assert_eq!(
            last_slot(d, 8, 0, tz, utc("2026-12-03T07:59:59Z")),
            utc("2026-12-02T08:00:00Z")
        );
        assert_eq!(
            last_slot(d, 8, 0, tz, utc("2026-12-03T08:00:00Z")),
            utc("2026-12-03T08:00:00Z")
        );
        assert_eq!(
            next_slot(d, 8, 0, tz, utc("2026-12-03T08:00:00Z")),
            utc("2026-12-04T08:00:00Z")
        );
        assert_eq!(
            next_slot(d, 8, 0, tz, utc("2026-12-03T07:00:00Z")),
            utc("2026-12-03T08:00:00Z")
        );
    }

    #[test]
    fn weekly_slots() {
        // 2026-12-03 is a Thursday (weekday 3).
        let w = DigestFrequency::Weekly;
        let tz = Tz::UTC;
        assert_eq!(
            last_slot(w, 7, 0, tz, utc("2026-12-03T12:00:00Z")),
            utc("2026-11-30T07:00:00Z")
        );
        assert_eq!(
            last_slot(w, 7, 3, tz, utc("2026-12-03T06:00:00Z")),
            utc("2026-11-26T07:00:00Z")
        );
        assert_eq!(
            next_slot(w, 7, 6, tz, utc("2026-12-03T06:00:00Z")),
            utc("2026-12-06T07:00:00Z")
        );
    }

    #[test]
    fn zones_and_daylight_saving() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // Winter: 08:00 in Berlin is 07:00 UTC.
        assert_eq!(
            last_slot(
                DigestFrequency::Daily,
                8,
                0,
                berlin,
                utc("2026-12-03T09:00:00Z")
            ),
            utc("2026-12-03T07:00:00Z")
        );
        // 2026-03-29 02:00 does not exist in Berlin: the slot is 03:00 CEST = 01:00 UTC.
        assert_eq!(
            last_slot(
                DigestFrequency::Daily,
                2,
                0,
                berlin,
                utc("2026-03-29T05:00:00Z")
            ),
            utc("2026-03-29T01:00:00Z")
        );
        // 2026-10-25 02:00 happens twice: the first one (CEST, 00:00 UTC).
        assert_eq!(
            last_slot(
                DigestFrequency::Daily,
                2,
                0,
                berlin,
                utc("2026-10-25T05:00:00Z")
            ),
            utc("2026-10-25T00:00:00Z")
        );
    }

    fn digest(created: &str) -> MailDigest {
        MailDigest {
            user_id: UserId(1),
            username: "a".into(),
            settings: DigestSettings {
                address: "a@example.org".into(),
                frequency: DigestFrequency::Daily,
                hour: 8,
                weekday: 0,
                timezone: None,
                categories: None,
                enabled: true,
            },
            created_at: utc(created),
            updated_at: utc(created),
            last_sent_at: None,
            cursor: DigestCursor {
                created_at: utc(created),
                entry_id: 0,
            },
            failures: 0,
            next_attempt_at: None,
            last_error: None,
        }
    }

    #[test]
    fn due_once_per_slot_and_retried_after_failures() {
        let mut d = digest("2026-12-03T10:00:00Z");
        // Set up after today's slot: due tomorrow.
        assert!(!is_due(&d, Tz::UTC, utc("2026-12-03T23:00:00Z")));
        assert!(is_due(&d, Tz::UTC, utc("2026-12-04T08:00:00Z")));
        // Sent at 08:01: not due again that day, however often asked.
        d.last_sent_at = Some(utc("2026-12-04T08:01:00Z"));
        assert!(!is_due(&d, Tz::UTC, utc("2026-12-04T20:00:00Z")));
        // Down for three days: due once when back.
        assert!(is_due(&d, Tz::UTC, utc("2026-12-07T12:00:00Z")));
        // A failure waits for its retry time, then is due.
        d.next_attempt_at = Some(utc("2026-12-07T12:05:00Z"));
        d.failures = 1;
        assert!(!is_due(&d, Tz::UTC, utc("2026-12-07T12:04:59Z")));
        assert!(is_due(&d, Tz::UTC, utc("2026-12-07T12:05:00Z")));
        d.settings.enabled = false;
        assert!(!is_due(&d, Tz::UTC, utc("2026-12-07T12:05:00Z")));
    }

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        assert_eq!(backoff(1), Duration::from_secs(300));
        assert_eq!(backoff(2), Duration::from_secs(600));
        assert_eq!(backoff(3), Duration::from_secs(1200));
        assert_eq!(backoff(10), RETRY_MAX);
        assert_eq!(backoff(u32::MAX), RETRY_MAX);
    }
}
