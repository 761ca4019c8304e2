//! Graph's clock as seen from here: an estimate of how far Graph's time is
//! from ours, from the `Date` header of Graph's replies.
//!
//! It exists for comparisons between the two clocks, such as recovering a
//! create whose answer was lost: the object Graph made has a
//! `createdDateTime` (Graph's clock) no earlier than the moment the request
//! was sent (our clock), once that moment is put on Graph's clock. For that
//! the estimate must never be later than Graph's true time, or our own
//! object could look older than the request. It is only ever a lower bound.
//!
//! Only Graph's replies feed it, never the token endpoint's (another
//! service, with its own clock).

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use tokio::time::Instant;

use super::retry::parse_http_date;

/// How long the largest lower bound is kept before a newer, possibly
/// smaller, one replaces it: clocks drift (and a kept bound that was tight
/// can drift past the true offset), and Graph's front ends do not share one
/// clock exactly.
const KEEP: Duration = Duration::from_secs(300);

/// How far our wall clock may move against the monotonic clock between two
/// replies before the kept bound is dropped as measured on another clock
/// (the system clock was set or stepped in between).
const STEP: Duration = Duration::from_millis(500);

/// The lower bound of Graph's clock offset implied by one reply:
/// `Date - receipt`, where `receipt` is our clock when the reply had
/// arrived.
///
/// Why it is a lower bound: Graph wrote `Date` while it was producing the
/// reply, which is before the reply reached us, and it wrote it in whole
/// seconds, rounded down (HTTP dates have no fractions). So `Date` is no
/// later than Graph's time at the instant of `receipt`, and
/// `Date - receipt` is no more than Graph's true offset: network latency
/// and the lost fraction of a second only make it smaller. Adding it to a
/// local instant gives a time no later than Graph's at that instant.
pub(crate) fn offset_lower_bound(date: OffsetDateTime, receipt: SystemTime) -> time::Duration {
    date - OffsetDateTime::from(receipt)
}

/// `local` put on Graph's clock with `offset` (see [`offset_lower_bound`]).
pub(crate) fn on_graph_clock(local: SystemTime, offset: time::Duration) -> Option<OffsetDateTime> {
    OffsetDateTime::from(local).checked_add(offset)
}

/// One lower bound, and when it was measured on both of our clocks.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    offset: time::Duration,
    /// Our wall clock at the reply.
    wall: SystemTime,
    /// The monotonic clock at the reply.
    mono: Instant,
}

/// The running estimate one client keeps: the largest lower bound seen in
/// the last [`KEEP`], since each reply's bound is valid and the largest is
/// the closest to the truth (the latest alone would jump by up to a second
/// and a round trip from reply to reply). An older one gives way to the
/// next reply's, and a step of our wall clock drops it at once, since
/// offsets measured before and after the step are to different clocks.
#[derive(Debug, Default)]
pub(crate) struct GraphClock {
    kept: Mutex<Option<Bound>>,
}

impl GraphClock {
    /// Takes the `Date` header of a Graph reply that arrived at `wall` (our
    /// clock) and `mono`. A missing or malformed header changes nothing.
    pub(crate) fn observe(&self, date: Option<&str>, wall: SystemTime, mono: Instant) {
        let Some(date) = date.and_then(parse_http_date) else {
            return;
        };
        let new = Bound {
            offset: offset_lower_bound(date, wall),
            wall,
            mono,
        };
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *kept = Some(match *kept {
            Some(old) if keeps(old, new) => old,
            _ => new,
        });
    }

    /// `local` on Graph's clock, never later than Graph's true time at that
    /// instant (within the clocks' drift since the last reply); `None`
    /// until a Graph reply with a `Date` has been seen.
    pub(crate) fn graph_time(&self, local: SystemTime) -> Option<OffsetDateTime> {
        let kept = *self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        on_graph_clock(local, kept?.offset)
    }
}

/// Whether the kept bound `old` stays when `new` arrives: it is larger,
/// still recent, and measured on the same wall clock as `new`.
fn keeps(old: Bound, new: Bound) -> bool {
    let Some(mono_elapsed) = new.mono.checked_duration_since(old.mono) else {
        return false;
    };
    let wall_elapsed = new.wall.duration_since(old.wall).ok();
    let same_clock = wall_elapsed.is_some_and(|wall| wall.abs_diff(mono_elapsed) <= STEP);
    old.offset > new.offset && mono_elapsed <= KEEP && same_clock
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn wall(at: OffsetDateTime) -> SystemTime {
        at.into()
    }

    #[test]
    fn a_reply_bounds_the_offset_from_below() {
        // Graph's clock 3.4 s ahead of ours; the reply takes 0.2 s to
        // arrive. Graph writes Date at its 10:00:03.4 → "10:00:03" (the
        // fraction is dropped); we receive it at our 10:00:00.2.
        let date = datetime!(2025-04-01 10:00:03 UTC);
        let receipt = wall(datetime!(2025-04-01 10:00:00.2 UTC));
        let offset = offset_lower_bound(date, receipt);
        assert_eq!(offset, time::Duration::milliseconds(2_800));
        let true_offset = time::Duration::milliseconds(3_400);
        assert!(offset <= true_offset);
        // A local instant mapped with it is never after Graph's time then.
        let local = wall(datetime!(2025-04-01 10:05:00 UTC));
        let estimate = on_graph_clock(local, offset).unwrap();
        assert_eq!(estimate, datetime!(2025-04-01 10:05:02.8 UTC));
        assert!(estimate <= datetime!(2025-04-01 10:05:00 UTC) + true_offset);

        // Graph behind us: the bound is negative, and still below.
        let date = datetime!(2025-04-01 09:59:58 UTC);
        let receipt = wall(datetime!(2025-04-01 10:00:00.5 UTC));
        assert_eq!(
            offset_lower_bound(date, receipt),
            time::Duration::milliseconds(-2_500)
        );
    }

    #[test]
    fn the_largest_recent_bound_is_kept() {
        let clock = GraphClock::default();
        let start = Instant::now();
        let t0 = datetime!(2025-04-01 10:00:00 UTC);
        assert_eq!(clock.graph_time(wall(t0)), None, "no reply seen yet");

        // (Date, our wall clock at receipt, milliseconds on the monotonic
        // clock since start, expected offset in ms afterwards)
        let steps: [(&str, OffsetDateTime, u64, i64); 7] = [
            // Offset −0.9 s: Date 10:00:00 received at 10:00:00.9.
            (
                "Tue, 01 Apr 2025 10:00:00 GMT",
                datetime!(2025-04-01 10:00:00.9 UTC),
                900,
                -900,
            ),
            // A tighter bound (−0.1 s) replaces it.
            (
                "Tue, 01 Apr 2025 10:00:02 GMT",
                datetime!(2025-04-01 10:00:02.1 UTC),
                2_100,
                -100,
            ),
            // A looser one (−0.8 s) does not.
            (
                "Tue, 01 Apr 2025 10:00:04 GMT",
                datetime!(2025-04-01 10:00:04.8 UTC),
                4_800,
                -100,
            ),
            // Unreadable dates change nothing.
            ("yesterday", datetime!(2025-04-01 10:00:05 UTC), 5_000, -100),
            // Past KEEP, the next bound replaces the kept one, even looser.
            (
                "Tue, 01 Apr 2025 10:06:00 GMT",
                datetime!(2025-04-01 10:06:00.7 UTC),
                360_700,
                -700,
            ),
            // Our wall clock stepped 30 s forward (60.2 s passed on the
            // wall, 30 s on the monotonic clock): the kept bound, though
            // larger, is dropped.
            (
                "Tue, 01 Apr 2025 10:06:30 GMT",
                datetime!(2025-04-01 10:07:00.9 UTC),
                390_700,
                -30_900,
            ),
            // A later reply is tighter again on the new clock.
            (
                "Tue, 01 Apr 2025 10:06:40 GMT",
                datetime!(2025-04-01 10:07:10.2 UTC),
                400_000,
                -30_200,
            ),
        ];
        for (date, receipt, mono_ms, expected_ms) in steps {
            clock.observe(
                Some(date),
                wall(receipt),
                start + Duration::from_millis(mono_ms),
            );
            assert_eq!(
                clock.graph_time(wall(t0)),
                Some(t0 + time::Duration::milliseconds(expected_ms)),
                "after {date} at {receipt}"
            );
        }
        clock.observe(None, wall(t0), start + Duration::from_secs(401));
        assert_eq!(
            clock.graph_time(wall(t0)),
            Some(t0 + time::Duration::milliseconds(-30_200))
        );
    }
}
