/**
 * Summaries of per-class results small enough for the page at 15,501 classes (the page never
 * gets an N×C or C×C matrix, only per-class vectors and these aggregates), and seeded samples.
 */

import { mulberry32 } from '../random.mjs';

export interface CountRecallPoint {
  /** Train images of the classes in this point. */
  trainCount: number;
  /** Classes with this train count and at least one evaluated image. */
  classes: number;
  /** Mean recall of those classes. */
  meanRecall: number;
}

/**
 * Per-class recall against train count, aggregated by train count (Herbarium 2022's classes
 * have at most a few hundred distinct sizes, so 15,501 points become a few hundred). Classes
 * without an evaluated image (recall NaN) are left out.
 */
export function recallByTrainCount(recall: ArrayLike<number>, trainCounts: ArrayLike<number>): CountRecallPoint[] {
  if (recall.length !== trainCounts.length) throw new RangeError(`${recall.length} recalls for ${trainCounts.length} classes`);
  const groups = new Map<number, { n: number; sum: number }>();
  for (let k = 0; k < recall.length; k++) {
    const r = recall[k];
    if (!(r === r)) continue;
    const g = groups.get(trainCounts[k]);
    if (g) {
      g.n++;
      g.sum += r;
    } else groups.set(trainCounts[k], { n: 1, sum: r });
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([trainCount, g]) => ({ trainCount, classes: g.n, meanRecall: g.sum / g.n }));
}

/** Up to `m` of `candidates`, a seeded partial shuffle (the whole list, shuffled, when m ≥ its length). */
export function seededSample(candidates: ArrayLike<number>, m: number, seed = 0): Int32Array {
  const a = Int32Array.from(candidates);
  const k = Math.max(0, Math.min(m, a.length));
  const rand = mulberry32(seed);
  for (let j = 0; j < k; j++) {
    const r = j + Math.floor(rand() * (a.length - j));
    const t = a[j];
    a[j] = a[r];
    a[r] = t;
  }
  return a.slice(0, k);
}
