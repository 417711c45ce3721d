//! Login throttling: failed sign-ins are counted per user name and per
//! client address. After [`FREE_FAILURES`] failures within [`WINDOW`],
//! each further attempt must wait 1 s, 2 s, 4 s … (capped at [`WINDOW`])
//! after the last failure. A success clears the user name's count (not the
//! address's: one right password must not unlock guessing others).
//!
//! Kept in memory: a restart forgets, which is fine for slowing guessing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed within [`WINDOW`] before attempts are delayed.
pub const FREE_FAILURES: u32 = 5;
/// How long a failure is remembered, and the longest delay.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept before old ones are pruned.
const PRUNE_AT: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failed logins per user name and per client address, to slow guessing.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Key, Failures>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Ip(IpAddr),
}

/// The records an attempt counts against: the user name (none for the
/// empty name: API secrets that carry no name) and the address.
fn keys(username: &str, ip: Option<IpAddr>) -> Vec<Key> {
    let mut keys = Vec::with_capacity(2);
    if !username.is_empty() {
        keys.push(Key::User(username.to_owned()));
    }
    keys.extend(ip.map(Key::Ip));
    keys
}

/// The wait after `count` failures (zero while within the free ones).
fn delay(count: u32) -> Duration {
    if count < FREE_FAILURES {
        return Duration::ZERO;
    }
    let exp = (count - FREE_FAILURES).min(20);
    Duration::from_secs(1u64 << exp).min(WINDOW)
}

impl Throttle {
    /// `Err(seconds to wait)` if an attempt for `username` from `ip` must
    /// wait now; `Ok` if it may go ahead. An empty `username` (a bare API
    /// secret) is throttled by the address only.
    pub fn check(&self, username: &str, ip: Option<IpAddr>) -> Result<(), u64> {
        self.check_at(username, ip, Instant::now())
    }

    fn check_at(&self, username: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let map = self.lock();
        let mut wait = Duration::ZERO;
        for key in keys(username, ip) {
            if let Some(f) = map.get(&key) {
                if now.duration_since(f.last) >= WINDOW {
                    continue;
                }
                let until = f.last + delay(f.count);
                wait = wait.max(until.saturating_duration_since(now));
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            // Round up: a client that waits the seconds told is let in.
            Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        }
    }

    /// Count a failed attempt.
    pub fn failed(&self, username: &str, ip: Option<IpAddr>) {
        self.failed_at(username, ip, Instant::now());
    }

    fn failed_at(&self, username: &str, ip: Option<IpAddr>, now: Instant) {
        let mut map = self.lock();
        if map.len() >= PRUNE_AT {
            map.retain(|_, f| now.duration_since(f.last) < WINDOW);
        }
        for key in keys(username, ip) {
            let entry = map.entry(key).or_insert(Failures {
                count: 0,
                last: now,
            });
            if now.duration_since(entry.last) >= WINDOW {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
        }
    }

    /// A successful login: forget the user name's failures.
    pub fn succeeded(&self, username: &str) {
        self.lock().remove(&Key::User(username.to_owned()));
    }

    /// How many failure records are kept (for tests of the pruning).
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        // A panic while holding the lock leaves counts that are still valid.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn five_failures_are_free_then_the_delay_doubles() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..4 {
            t.failed_at("ann", IP, t0);
            assert_eq!(t.check_at("ann", IP, t0), Ok(()));
        }
        t.failed_at("ann", IP, t0);
        assert_eq!(t.check_at("ann", IP, t0), Err(1));
        assert_eq!(t.check_at("ann", IP, t0 + Duration::from_secs(1)), Ok(()));
        t.failed_at("ann", IP, t0);
        assert_eq!(t.check_at("ann", IP, t0), Err(2));
        t.failed_at("ann", IP, t0);
        assert_eq!(t.check_at("ann", IP, t0), Err(4));
        for _ in 0..30 {
            t.failed_at("ann", IP, t0);
        }
        assert_eq!(t.check_at("ann", IP, t0), Err(WINDOW.as_secs()));
    }

    #[test]
    fn the_address_is_throttled_across_user_names() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..5 {
            t.failed_at(&format!("user{i}"), IP, t0);
        }
        assert_eq!(t.check_at("someone", IP, t0), Err(1));
        assert_eq!(t.check_at("someone", None, t0), Ok(()));
    }

    #[test]
    fn success_resets_the_user_name_and_old_failures_expire() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..5 {
            t.failed_at("ann", None, t0);
        }
        assert!(t.check_at("ann", None, t0).is_err());
        assert_eq!(t.check_at("ann", None, t0 + WINDOW), Ok(()));
        t.succeeded("ann");
        assert_eq!(t.check_at("ann", None, t0), Ok(()));
    }

    #[test]
    fn old_records_are_pruned() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..PRUNE_AT {
            t.failed_at(&format!("u{i}"), None, t0);
        }
        t.failed_at("late", None, t0 + WINDOW);
        assert_eq!(t.tracked(), 1);
    }
}
