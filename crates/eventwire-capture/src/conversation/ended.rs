//! The conversations that ended most recently, remembered by key to tell an update after the
//! end from one without a start: a fixed ring of [`ENDED_REMEMBERED`] and a small index into it.
//! The index holds only a 64-bit fold of each key and the ring's slot, and the keys are kept
//! apart from how each ended, so that the lookups stay in cache (the capture streaming through
//! evicts the rest); the key itself is compared on a hit.

use std::collections::HashMap;

use super::ENDED_REMEMBERED;
use crate::finding::Location;
use crate::fold::FoldedState;

/// A conversation's key: its socket and the hash of its key values.
pub(super) type Key = (usize, u128);

/// How a conversation ended.
pub(super) struct End {
    /// The status it ended with.
    pub status: &'static str,
    /// Its last message.
    pub at: Location,
}

/// The last [`ENDED_REMEMBERED`] conversations that ended.
#[derive(Default)]
pub(super) struct Ended {
    /// Ring slot by folded key.
    index: HashMap<u64, u32, FoldedState>,
    /// The keys of the ring's conversations, by slot.
    keys: Vec<Key>,
    /// How they ended, by slot.
    ring: Vec<End>,
    /// The slot written next, once the ring is full.
    next: usize,
}

fn fold((socket, key): Key) -> u64 {
    (key as u64 ^ (key >> 64) as u64) ^ (socket as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Ended {
    /// How `key` ended, if it is remembered.
    pub(super) fn get(&self, key: Key) -> Option<&End> {
        let slot = *self.index.get(&fold(key))? as usize;
        (self.keys.get(slot) == Some(&key)).then(|| &self.ring[slot])
    }

    /// Remembers that `key` ended with `status` at `at`, forgetting the oldest beyond
    /// [`ENDED_REMEMBERED`].
    pub(super) fn insert(&mut self, key: Key, status: &'static str, at: Location) {
        let end = End { status, at };
        let slot = if self.ring.len() < ENDED_REMEMBERED {
            self.keys.push(key);
            self.ring.push(end);
            self.ring.len() - 1
        } else {
            let slot = self.next;
            self.next = (slot + 1) % ENDED_REMEMBERED;
            let oldest = fold(std::mem::replace(&mut self.keys[slot], key));
            if self.index.get(&oldest) == Some(&(slot as u32)) {
                self.index.remove(&oldest);
            }
            self.ring[slot] = end;
            slot
        };
        self.index.insert(fold(key), slot as u32);
    }
}
