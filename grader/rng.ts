/**
 * Seeded randomness. Every random input the grader makes comes from a `Rng` derived from the run's
 * seed and a label (the check id), so `--seed N` reproduces a run exactly, and running one check
 * alone gives it the same inputs it gets in a full run.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Buffer;
  shuffle<T>(items: T[]): T[];
  /** A lower-case word of the given length range, handy for readable test data. */
  word(minLen?: number, maxLen?: number): string;
}

/** FNV-1a, to turn a label into 32 bits. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for test inputs (not for secrets). */
export function createRng(seed: number, label = ''): Rng {
  let a = (seed ^ hash32(label)) >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)]!,
    bytes(n) {
      const out = Buffer.allocUnsafe(n);
      let i = 0;
      for (; i + 4 <= n; i += 4) out.writeUInt32LE(Math.floor(next() * 4294967296), i);
      for (; i < n; i++) out[i] = int(0, 255);
      return out;
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(0, i);
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      return items;
    },
    word(minLen = 3, maxLen = 8) {
      const len = int(minLen, maxLen);
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(97 + int(0, 25));
      return s;
    },
  };
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 1_000_000_000);
}
