//! Write pacing: Intune allows an app 100 writes (POST, PATCH, PUT, DELETE)
//! per 20 seconds per tenant. Terraform's default parallelism can exceed
//! that on a large apply, so every write attempt first takes a slot in a
//! sliding window shared by all clones of the client. Reads are not paced.
//!
//! This module only hands out slots; it does not sleep (the caller waits
//! within its deadline).

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

/// One write's place in the window, handed back by [`Pacer::try_acquire`]
/// so the write can be re-stamped when its answer arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot(u64);

/// The shared window of recent writes.
///
/// Graph counts a write when it arrives, which is some time after the slot
/// was taken (a token, a new connection, the trip itself). Counting from
/// the slot alone could put the 101st write less than 20 s after the first
/// by Graph's count, and earn a 429. So each write is stamped again with
/// the time its answer came back ([`Pacer::settle`]), a time no earlier
/// than its arrival at Graph: the window is then never shorter than
/// Graph's.
#[derive(Debug)]
pub(crate) struct Pacer {
    limit: Option<(usize, Duration)>,
    state: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    next: u64,
    /// (slot, when it counts from), in no particular order: at most
    /// `writes` entries.
    writes: Vec<(u64, Instant)>,
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
            state: Mutex::new(Window::default()),
        })
    }

    /// Takes a slot at `now` (`Ok`) or says when the next one frees up.
    pub(crate) fn try_acquire(&self, now: Instant) -> Result<Slot, Instant> {
        let Some((writes, window)) = self.limit else {
            return Ok(Slot(0));
        };
        // A poisoned lock only means another thread panicked mid-update of
        // a list of instants; the list is still usable.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state
            .writes
            .retain(|(_, at)| now.saturating_duration_since(*at) < window);
        if state.writes.len() < writes {
            state.next += 1;
            let slot = state.next;
            state.writes.push((slot, now));
            return Ok(Slot(slot));
        }
        let oldest = state.writes.iter().map(|(_, at)| *at).min();
        Err(oldest.map_or(now, |at| at + window))
    }

    /// The write in `slot` got its answer (or failed) at `at`: it counts
    /// from then. A slot already out of the window is ignored.
    pub(crate) fn settle(&self, slot: Slot, at: Instant) {
        if self.limit.is_none() {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = state.writes.iter_mut().find(|(s, _)| *s == slot.0) {
            entry.1 = entry.1.max(at);
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
        assert!(pacer.try_acquire(t0).is_ok());
        assert!(pacer.try_acquire(t0 + second).is_ok());
        assert!(pacer.try_acquire(t0 + second * 2).is_ok());
        assert_eq!(pacer.try_acquire(t0 + second * 3), Err(t0 + window));
        assert_eq!(pacer.try_acquire(t0 + window - second), Err(t0 + window));
        // The first write left the window; the second has not.
        assert!(pacer.try_acquire(t0 + window).is_ok());
        assert_eq!(pacer.try_acquire(t0 + window), Err(t0 + second + window));
    }

    #[test]
    fn a_write_counts_from_when_its_answer_came() {
        let window = Duration::from_secs(20);
        let pacer = Pacer::new(WritePacing::SlidingWindow { writes: 2, window }).unwrap();
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let first = pacer.try_acquire(t0).unwrap();
        assert!(pacer.try_acquire(t0 + second).is_ok());
        // The first write's answer took 3 s: the window frees 3 s later.
        pacer.settle(first, t0 + second * 3);
        assert_eq!(pacer.try_acquire(t0 + window), Err(t0 + second + window));
        assert!(pacer.try_acquire(t0 + second + window).is_ok());
        assert_eq!(
            pacer.try_acquire(t0 + second + window),
            Err(t0 + second * 3 + window)
        );
        // Settling never moves a stamp back.
        pacer.settle(first, t0);
        assert_eq!(
            pacer.try_acquire(t0 + second + window),
            Err(t0 + second * 3 + window)
        );
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
