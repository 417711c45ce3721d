//! How many fetches run at once: overall, and per host.
//!
//! [`HostLimits`] holds one global semaphore and one semaphore per host,
//! created when a host is first asked for and dropped again when nobody
//! holds or waits for it, so following 10,000 hosts does not keep 10,000
//! semaphores alive. A [`Permit`] holds both slots until it is dropped.
//!
//! The host slot is taken first, then the global one: a fetch that waits for
//! a busy host does not occupy a global slot meanwhile, so other hosts keep
//! going.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Global and per-host concurrency limits (cheap to clone: clones share the limits).
#[derive(Clone, Debug)]
pub struct HostLimits {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    global: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<Hosts>,
}

#[derive(Debug)]
struct Hosts {
    map: HashMap<String, Arc<Semaphore>>,
    /// Sweep entries nobody uses once the map reaches this size (a waiter
    /// that gave up leaves its host behind until then).
    sweep_at: usize,
}

const MIN_SWEEP: usize = 64;

impl HostLimits {
    /// At most `global` permits overall and `per_host` per host (0 counts as 1).
    pub fn new(global: usize, per_host: usize) -> HostLimits {
        HostLimits {
            inner: Arc::new(Inner {
                global: Arc::new(Semaphore::new(global.max(1))),
                per_host: per_host.max(1),
                hosts: Mutex::new(Hosts {
                    map: HashMap::new(),
                    sweep_at: MIN_SWEEP,
                }),
            }),
        }
    }

    /// Wait for a slot for `host` (compared case-insensitively) and a global slot.
    pub async fn acquire(&self, host: &str) -> Permit {
        let key = host.to_ascii_lowercase();
        let semaphore = {
            let mut hosts = self.inner.lock();
            if !hosts.map.contains_key(&key) && hosts.map.len() >= hosts.sweep_at {
                // Only this map holds an unused semaphore's Arc.
                hosts.map.retain(|_, s| Arc::strong_count(s) > 1);
                hosts.sweep_at = (hosts.map.len() * 2).max(MIN_SWEEP);
            }
            hosts
                .map
                .entry(key.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.inner.per_host)))
                .clone()
        };
        // Neither semaphore is ever closed, so acquiring cannot fail; the
        // `ok()` keeps that assumption from turning into a panic.
        let host_permit = semaphore.acquire_owned().await.ok();
        let global_permit = self.inner.global.clone().acquire_owned().await.ok();
        Permit {
            host: host_permit,
            global: global_permit,
            key,
            limits: self.inner.clone(),
        }
    }

    /// Hosts with a semaphore right now (held, waited for, or not yet swept).
    pub fn tracked_hosts(&self) -> usize {
        self.inner.lock().map.len()
    }

    /// Global slots free right now.
    pub fn available(&self) -> usize {
        self.inner.global.available_permits()
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Hosts> {
        // The map stays consistent whatever a panicking holder did.
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A global slot and a host slot, released together on drop.
#[derive(Debug)]
pub struct Permit {
    host: Option<OwnedSemaphorePermit>,
    global: Option<OwnedSemaphorePermit>,
    key: String,
    limits: Arc<Inner>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.global.take();
        // Under the lock: every clone of a host's Arc is made under it, so
        // a count of one (the map's) means nobody holds or waits for it.
        let mut hosts = self.limits.lock();
        self.host.take();
        if hosts
            .map
            .get(&self.key)
            .is_some_and(|s| Arc::strong_count(s) == 1)
        {
            hosts.map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn host_semaphores_are_dropped_when_idle() {
        let limits = HostLimits::new(8, 2);
        let a = limits.acquire("a.example").await;
        let b = limits.acquire("B.example").await;
        let b2 = limits.acquire("b.EXAMPLE").await;
        assert_eq!(limits.tracked_hosts(), 2);
        assert_eq!(limits.available(), 5);
        drop(a);
        assert_eq!(limits.tracked_hosts(), 1);
        drop(b);
        assert_eq!(limits.tracked_hosts(), 1, "b2 still holds b.example");
        drop(b2);
        assert_eq!(limits.tracked_hosts(), 0);
        assert_eq!(limits.available(), 8);
    }

    #[tokio::test]
    async fn a_third_permit_for_one_host_waits() {
        let limits = HostLimits::new(8, 2);
        let _one = limits.acquire("a.example").await;
        let two = limits.acquire("a.example").await;
        let third = tokio::time::timeout(Duration::from_millis(50), limits.acquire("a.example"));
        assert!(third.await.is_err(), "the third permit must wait");
        // Another host is not held up.
        let _other = tokio::time::timeout(Duration::from_millis(50), limits.acquire("b.example"))
            .await
            .expect("another host gets a slot");
        drop(two);
        tokio::time::timeout(Duration::from_millis(50), limits.acquire("a.example"))
            .await
            .expect("a freed slot is handed on");
    }

    #[tokio::test]
    async fn abandoned_waiters_do_not_pile_up() {
        let limits = HostLimits::new(1, 1);
        let held = limits.acquire("busy.example").await;
        for i in 0..300 {
            // Each takes its host's slot, waits for the global one and gives up.
            let host = format!("h{i}.example");
            let wait = limits.acquire(&host);
            assert!(tokio::time::timeout(Duration::from_millis(1), wait)
                .await
                .is_err());
        }
        assert!(
            limits.tracked_hosts() <= MIN_SWEEP + 1,
            "{} hosts tracked",
            limits.tracked_hosts()
        );
        drop(held);
        let _next = limits.acquire("h299.example").await;
    }
}
