//! Deterministic identifiers: instance ids, Content-IDs and boundaries come
//! from a seeded generator so runs (and tests) are reproducible.

/// SplitMix64's finalizer: a cheap, well-mixed 64-bit permutation.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded source of short tokens.
#[derive(Debug, Clone)]
pub(crate) struct IdSource {
    state: u64,
}

impl IdSource {
    pub(crate) fn new(seed: u64) -> Self {
        IdSource { state: seed }
    }

    /// A 10-character lower-case token (like the RFC's "juwigmtboe").
    pub(crate) fn token(&mut self) -> String {
        self.state = self.state.wrapping_add(1);
        let mut x = mix(self.state);
        let mut s = String::with_capacity(10);
        for _ in 0..10 {
            s.push(char::from(b'a' + (x % 26) as u8));
            x /= 26;
        }
        s
    }
}
