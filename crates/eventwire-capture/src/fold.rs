//! A fast hasher for the checkers' maps, whose keys are hashes already (a conversation's 128-bit
//! key) or a few machine words (a connection's addresses and ports): it folds the words in
//! with a multiply instead of running SipHash over them. The maps hold at most a bounded number
//! of entries, so a capture crafted to collide costs time in proportion, never memory.

/// A hasher for keys that are hashes already (a socket number and a 128-bit hash): it folds
/// them instead of hashing them again.
#[derive(Default, Clone, Copy)]
pub(crate) struct Folded(u64);

impl std::hash::Hasher for Folded {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }
    fn write_u128(&mut self, value: u128) {
        self.write_u64(value as u64 ^ (value >> 64) as u64);
    }
}

/// [`Folded`] as the maps' hasher.
pub(crate) type FoldedState = std::hash::BuildHasherDefault<Folded>;
