/** A seeded pseudo-random source: `next()` returns a float in [0, 1). */
export interface Rng {
  next(): number;
}

/**
 * mulberry32 (Tommy Ettinger): 32 bits of state, fast, and good enough for
 * shuffles and synthetic workloads. Used instead of Math.random so that every
 * simulation and property test replays exactly from its seed.
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** An integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng.next() * n);
}

/** Shuffles `items` in place (Fisher–Yates): every order equally likely. */
export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** A standard normal variate (Box–Muller). */
export function randomNormal(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
