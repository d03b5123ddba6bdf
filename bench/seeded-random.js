// A seeded PRNG (mulberry32) for the bench log generators: same seed, same bytes.
export function seededRandom(seedArg) {
  let seed = (Number(seedArg ?? 7) >>> 0) ^ 0x9e3779b9;
  return function rand() {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
