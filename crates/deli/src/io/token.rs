//! Registration tokens: a slab key plus a generation, packed into a
//! `mio::Token`, so an event that arrives after its registration was dropped
//! (and its key reused) is recognised as stale and ignored.

use mio::Token;

/// Low bits of a token hold the slab key, high bits the generation.
#[cfg(target_pointer_width = "64")]
const KEY_BITS: u32 = 32;
#[cfg(not(target_pointer_width = "64"))]
const KEY_BITS: u32 = 24;

const KEY_MASK: usize = (1 << KEY_BITS) - 1;
const GENERATION_MASK: usize = usize::MAX >> KEY_BITS;

/// The largest key plus one. The all-ones key is never used, so no
/// registration token can equal [`WAKER_TOKEN`].
pub(super) const MAX_KEYS: usize = KEY_MASK;

/// The token reserved for the reactor's `mio::Waker`.
pub(super) const WAKER_TOKEN: Token = Token(usize::MAX);

/// The generation stored for a registration; wraps around silently, since a
/// reused (key, generation) pair can only cause a spurious wake-up.
pub(super) fn next_generation(previous: usize) -> usize {
    previous.wrapping_add(1) & GENERATION_MASK
}

/// Packs a key (below [`MAX_KEYS`]) and a generation into a token.
pub(super) fn encode(key: usize, generation: usize) -> Token {
    debug_assert!(key < MAX_KEYS);
    Token(((generation & GENERATION_MASK) << KEY_BITS) | (key & KEY_MASK))
}

/// Splits a token into (key, generation).
pub(super) fn decode(token: Token) -> (usize, usize) {
    (token.0 & KEY_MASK, token.0 >> KEY_BITS)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_never_collides_with_the_waker() {
        for (key, generation) in [(0, 0), (7, 3), (MAX_KEYS - 1, GENERATION_MASK)] {
            let token = encode(key, generation);
            assert_eq!(decode(token), (key, generation));
            assert_ne!(token, WAKER_TOKEN);
        }
    }

    #[test]
    fn generation_wraps_within_its_bits() {
        assert_eq!(next_generation(GENERATION_MASK), 0);
        assert_eq!(next_generation(4), 5);
    }
}
