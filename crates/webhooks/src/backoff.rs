//! When to try a failed batch again: exponential back-off from
//! `retry_min` (doubling per failure) up to `retry_max`, with ±25 % jitter
//! so that webhooks that failed together (one receiver, several users) do
//! not retry in lock-step; a `Retry-After` from the receiver wins.

use std::time::Duration;

/// The longest `Retry-After` honoured; a longer one is read as this.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(24 * 60 * 60);

/// The shortest wait, also when `Retry-After` says 0 (or a past date).
pub const RETRY_AFTER_FLOOR: Duration = Duration::from_secs(1);

/// The wait after the `failures`-th failure in a row (1 for the first),
/// with `jitter` in `[0, 1)` (0.5: none). `retry_after` is the receiver's
/// `Retry-After`, honoured as given between [`RETRY_AFTER_FLOOR`] and
/// [`RETRY_AFTER_CAP`].
pub fn retry_delay(
    failures: u32,
    retry_after: Option<Duration>,
    retry_min: Duration,
    retry_max: Duration,
    jitter: f64,
) -> Duration {
    if let Some(wait) = retry_after {
        return wait.clamp(RETRY_AFTER_FLOOR, RETRY_AFTER_CAP);
    }
    let doublings = failures.saturating_sub(1).min(30);
    let base = retry_min.saturating_mul(1u32 << doublings).min(retry_max);
    let factor = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
    base.mul_f64(factor).min(retry_max)
}

/// A random number in `[0, 1)` for [`retry_delay`] (0.5 when the system's
/// random source fails: no jitter, still a valid wait).
pub fn random_jitter() -> f64 {
    let mut bytes = [0u8; 8];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(30);
    const MAX: Duration = Duration::from_secs(3600);

    #[test]
    fn doubling_from_the_minimum_up_to_the_cap() {
        let at = |n| retry_delay(n, None, MIN, MAX, 0.5);
        assert_eq!(at(1), Duration::from_secs(30));
        assert_eq!(at(2), Duration::from_secs(60));
        assert_eq!(at(3), Duration::from_secs(120));
        assert_eq!(at(7), Duration::from_secs(1920));
        assert_eq!(at(8), MAX);
        assert_eq!(at(1000), MAX, "no overflow after many failures");
    }

    #[test]
    fn jitter_stays_within_a_quarter_and_under_the_cap() {
        assert_eq!(
            retry_delay(1, None, MIN, MAX, 0.0),
            Duration::from_millis(22_500)
        );
        let high = retry_delay(1, None, MIN, MAX, 0.999_999);
        assert!(high > Duration::from_millis(37_400) && high < Duration::from_millis(37_501));
        assert_eq!(retry_delay(20, None, MIN, MAX, 0.999), MAX);
        for _ in 0..100 {
            let j = random_jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn retry_after_wins_within_its_bounds() {
        let ra = |s| retry_delay(1, Some(Duration::from_secs(s)), MIN, MAX, 0.5);
        assert_eq!(ra(7), Duration::from_secs(7));
        assert_eq!(
            ra(7200),
            Duration::from_secs(7200),
            "longer than retry_max is honoured"
        );
        assert_eq!(ra(0), RETRY_AFTER_FLOOR);
        assert_eq!(ra(10 * 86400), RETRY_AFTER_CAP);
    }
}
