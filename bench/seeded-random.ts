// A seeded PRNG (mulberry32) so every run and every scenario draws the same workload: the
// streams picked, amounts and keys are data, not noise.

/** Returns a generator of floats in [0, 1) determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n) from `random`. */
export function pick(random: () => number, n: number): number {
  return Math.floor(random() * n);
}
