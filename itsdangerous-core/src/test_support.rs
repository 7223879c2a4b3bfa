//! Shared by the cargo tests and the ignored timing harnesses: a seedable
//! input generator and a per-call timer.

use std::time::Instant;

/// SplitMix64: small, seedable, good enough to spread test inputs.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

pub(crate) fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next() as u8).collect()
}

/// Short units repeated with a few edits: long matches, short distances,
/// and matches that break at varied places.
pub(crate) fn repetitive(rng: &mut Rng, len: usize) -> Vec<u8> {
    let unit_len = 1 + rng.below(40);
    let unit = random_bytes(rng, unit_len);
    let mut out: Vec<u8> = unit.iter().copied().cycle().take(len).collect();
    for _ in 0..rng.below(8) {
        if !out.is_empty() {
            let at = rng.below(out.len());
            out[at] = rng.next() as u8;
        }
    }
    out
}

/// Per-call time in ns over many short batches: (median, 10th percentile).
/// Short batches let the low percentile dodge preemption on a shared box.
pub(crate) fn per_call_ns(batches: usize, calls: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..calls * 10 {
        f(); // warm caches, thread_local state and allocator
    }
    let mut samples: Vec<f64> = (0..batches)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed().as_nanos() as f64 / calls as f64
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (samples[batches / 2], samples[batches / 10])
}
