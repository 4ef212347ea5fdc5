// mulberry32: a tiny seeded PRNG, so that generated data, samples and randomized tests reproduce.
// Plain JS so that the Node scripts (fixture, demo, benchmark data) share it with the app.
export function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
