//! Write pacing: Intune allows an app 100 writes (POST, PATCH, PUT, DELETE)
//! per 20 seconds per tenant. Terraform's default parallelism can exceed
//! that on a large apply, so every write attempt first takes a slot in a
//! sliding window shared by all clones of the client. Reads are not paced.
//!
//! This module only hands out slots; it does not sleep (the caller waits
//! within its deadline).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How writes are spaced. [`Default`] is Intune's documented limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WritePacing {
    /// At most `writes` write requests start within any `window`.
    SlidingWindow { writes: u32, window: Duration },
    /// No pacing (tests, or a caller that paces elsewhere).
    Off,
}

impl Default for WritePacing {
    fn default() -> Self {
        WritePacing::SlidingWindow {
            writes: 100,
            window: Duration::from_secs(20),
        }
    }
}

/// The shared window of recent write start times.
#[derive(Debug)]
pub(crate) struct Pacer {
    limit: Option<(usize, Duration)>,
    started: Mutex<VecDeque<Instant>>,
}

impl Pacer {
    /// `None` for a window that could never admit a write (zero writes).
    pub(crate) fn new(pacing: WritePacing) -> Option<Self> {
        let limit = match pacing {
            WritePacing::Off => None,
            WritePacing::SlidingWindow { writes: 0, .. } => return None,
            WritePacing::SlidingWindow { writes, window } => {
                Some((usize::try_from(writes).unwrap_or(usize::MAX), window))
            }
        };
        Some(Pacer {
            limit,
            started: Mutex::new(VecDeque::new()),
        })
    }

    /// Takes a slot at `now` (`Ok`) or says when the next one frees up.
    pub(crate) fn try_acquire(&self, now: Instant) -> Result<(), Instant> {
        let Some((writes, window)) = self.limit else {
            return Ok(());
        };
        // A poisoned lock only means another thread panicked mid-update of
        // a list of instants; the list is still usable.
        let mut started = self
            .started
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while started
            .front()
            .is_some_and(|first| now.saturating_duration_since(*first) >= window)
        {
            started.pop_front();
        }
        if started.len() < writes {
            started.push_back(now);
            return Ok(());
        }
        match started.front() {
            Some(first) => Err(*first + window),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_admits_its_limit_then_names_the_next_free_slot() {
        let window = Duration::from_secs(20);
        let pacer = Pacer::new(WritePacing::SlidingWindow { writes: 3, window }).unwrap();
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        assert_eq!(pacer.try_acquire(t0), Ok(()));
        assert_eq!(pacer.try_acquire(t0 + second), Ok(()));
        assert_eq!(pacer.try_acquire(t0 + second * 2), Ok(()));
        assert_eq!(pacer.try_acquire(t0 + second * 3), Err(t0 + window));
        assert_eq!(pacer.try_acquire(t0 + window - second), Err(t0 + window));
        // The first write left the window; the second has not.
        assert_eq!(pacer.try_acquire(t0 + window), Ok(()));
        assert_eq!(pacer.try_acquire(t0 + window), Err(t0 + second + window));
    }

    #[test]
    fn off_never_waits_and_zero_writes_is_rejected() {
        let pacer = Pacer::new(WritePacing::Off).unwrap();
        let now = Instant::now();
        assert!((0..10_000).all(|_| pacer.try_acquire(now).is_ok()));
        assert!(
            Pacer::new(WritePacing::SlidingWindow {
                writes: 0,
                window: Duration::from_secs(1)
            })
            .is_none()
        );
    }

    #[test]
    fn default_is_intunes_limit() {
        assert_eq!(
            WritePacing::default(),
            WritePacing::SlidingWindow {
                writes: 100,
                window: Duration::from_secs(20)
            }
        );
    }
}
