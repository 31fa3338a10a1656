//! The seeded random source of `synth`: SplitMix64, derived per purpose so that the same seed
//! gives the same bytes whatever order the generator asks in.
//!
//! Why not `rand`: its generators are free to change between versions, and a synthetic corpus
//! must stay byte-identical for a given seed across builds.

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    #[cfg(test)]
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for one purpose (`"attack"`, a technique id, a round number…): the same
    /// seed and keys always give the same stream, independent of any other stream.
    pub fn derive(seed: u64, keys: &[&str]) -> Rng {
        let mut h = xxhash_rust::xxh3::Xxh3::with_seed(seed);
        for k in keys {
            h.update(k.as_bytes());
            // A separator, so that ("ab", "c") and ("a", "bc") differ.
            h.update(&[0xff]);
        }
        Rng(h.digest())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (0 when `n` is 0); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// A value in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice (the first when empty is impossible by construction).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.below(items.len() as u64) as usize;
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }

    /// A GUID in braces, lowercase, as Sysmon writes them.
    pub fn guid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{{{}-{}-{}-{}-{}}}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_stable_and_independent() {
        let a: Vec<u64> = (0..3).map(|_| Rng::derive(7, &["x"]).next_u64()).collect();
        assert!(a.iter().all(|v| *v == a[0]));
        assert_ne!(
            Rng::derive(7, &["ab", "c"]).next_u64(),
            Rng::derive(7, &["a", "bc"]).next_u64()
        );
        let mut r = Rng::new(1);
        assert_eq!(r.below(0), 0);
        let g = r.guid();
        assert_eq!(g.len(), 38);
        assert!((5..=9).contains(&r.between(5, 9)));
    }
}
