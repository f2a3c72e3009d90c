//! A tiny deterministic generator (a 64-bit LCG), so that randomised tests replay the same
//! inputs on every run and need no crate.

pub struct Lcg(pub u64);

impl Lcg {
    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}
