//! Graph's eventual consistency, played by default. Microsoft Graph
//! replicates a new object to its read replicas after the create has
//! answered: for a few seconds a GET of the new id can answer 404, to any
//! caller, and collection GETs can leave it out. A client that takes such a
//! 404 for "deleted" plans a duplicate; one that checks a root it has just
//! created fails. The simulator does the same by default, so every test
//! meets it.
//!
//! The lag is counted in requests rather than measured in time: each object
//! created over HTTP stays unseen for its first `reads` GETs that address it
//! (the item, a type cast, its root link, its assignments) and for its first
//! `lists` collection listings (a listing counts when its last page is
//! read, so all its pages leave out the same objects). Counting keeps tests deterministic and fast
//! on any machine; a client that retries a 404 after its own write passes,
//! one that does not fails every time. Objects inserted through the admin
//! API (made "in the portal" long ago) are visible at once.

use std::collections::HashMap;

/// How long a new object stays unseen. [`Default`] is what every test and
/// the demo get; [`Consistency::IMMEDIATE`] turns the lag off for tests
/// that count requests exactly and for the benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consistency {
    /// GETs of a new object answered 404 before it shows.
    pub reads: u32,
    /// Collection listings that leave a new object out before it shows.
    pub lists: u32,
}

impl Consistency {
    /// Every object is visible as soon as its create has answered.
    pub const IMMEDIATE: Consistency = Consistency { reads: 0, lists: 0 };
}

impl Default for Consistency {
    fn default() -> Self {
        Consistency { reads: 2, lists: 2 }
    }
}

/// How much longer one new object stays unseen.
#[derive(Debug, Clone, Copy)]
struct Lag {
    reads: u32,
    lists: u32,
}

/// The objects still replicating, by lower-case id.
#[derive(Debug, Default)]
pub struct Replication {
    pending: HashMap<String, Lag>,
}

impl Replication {
    /// Records that `id` was just created over HTTP.
    pub fn created(&mut self, id: &str, consistency: Consistency) {
        if consistency == Consistency::IMMEDIATE {
            return;
        }
        self.pending.insert(
            id.to_ascii_lowercase(),
            Lag {
                reads: consistency.reads,
                lists: consistency.lists,
            },
        );
    }

    /// Whether this GET of `id` must answer 404; counts it.
    pub fn hides_read(&mut self, id: &str) -> bool {
        let key = id.to_ascii_lowercase();
        let Some(lag) = self.pending.get_mut(&key) else {
            return false;
        };
        let hidden = lag.reads > 0;
        lag.reads = lag.reads.saturating_sub(1);
        self.settle(&key);
        hidden
    }

    /// Whether a listing must leave `id` out (it only looks; see
    /// [`Replication::listed`]).
    pub fn hides_in_list(&self, id: &str) -> bool {
        self.pending
            .get(&id.to_ascii_lowercase())
            .is_some_and(|lag| lag.lists > 0)
    }

    /// Counts a listing, read to its last page, that left `id` out.
    pub fn listed(&mut self, id: &str) {
        let key = id.to_ascii_lowercase();
        if let Some(lag) = self.pending.get_mut(&key) {
            lag.lists = lag.lists.saturating_sub(1);
            self.settle(&key);
        }
    }

    /// Forgets `id` (deleted).
    pub fn forget(&mut self, id: &str) {
        self.pending.remove(&id.to_ascii_lowercase());
    }

    pub fn clear(&mut self) {
        self.pending.clear();
    }

    fn settle(&mut self, key: &str) {
        if self
            .pending
            .get(key)
            .is_some_and(|lag| lag.reads == 0 && lag.lists == 0)
        {
            self.pending.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_object_shows_after_its_lag() {
        let mut replication = Replication::default();
        replication.created("ABC", Consistency { reads: 2, lists: 1 });
        assert!(replication.hides_read("abc"));
        assert!(replication.hides_in_list("abc"), "looking does not count");
        assert!(replication.hides_in_list("Abc"));
        replication.listed("aBc");
        assert!(!replication.hides_in_list("abc"));
        assert!(replication.hides_read("abc"));
        assert!(!replication.hides_read("abc"));
        assert!(replication.pending.is_empty());
    }

    #[test]
    fn immediate_consistency_and_other_ids() {
        let mut replication = Replication::default();
        replication.created("a", Consistency::IMMEDIATE);
        assert!(!replication.hides_read("a"));
        replication.created("b", Consistency::default());
        assert!(!replication.hides_read("c"));
        replication.forget("B");
        assert!(!replication.hides_read("b"));
    }
}
