//! xorshift64*: a small deterministic generator for the examples, so that corpora and fuzz
//! iterations are the same on every machine.

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    /// An index below `n` (0 when `n` is 0).
    #[allow(dead_code)]
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
}
