/**
 * The held-out split: a stratified, seeded partition of the train images into the part that builds
 * prototypes / trains the probe and the part that τ and the metrics are measured on.
 */

import { mulberry32 } from '../random.mjs';

export interface StratifiedSplit {
  /** Per image: 0 = train, 1 = held out. */
  heldout: Uint8Array;
  trainCount: number;
  heldoutCount: number;
  /** Per class: images kept for training / held out. */
  trainPerClass: Int32Array;
  heldoutPerClass: Int32Array;
  /** Classes with exactly one image: kept wholly in train (a prototype needs it), ascending. */
  singletonClasses: Int32Array;
}

/**
 * Per class, a seeded shuffle holds out round(fraction·n) of its n images, but never all of them:
 * at least one stays in train, so every class that has images gets a prototype and probe examples.
 * Classes with one image therefore stay wholly in train and are listed; a class of 2 at the
 * default 0.2 holds out round(0.4) = 0 (Math.round, halves round up: n = 5 at 0.1 holds out 1).
 *
 * One generator runs through the classes in index order, and each class's images are visited in
 * row order before its shuffle, so the mask depends only on (labels, numClasses, fraction, seed).
 */
export function stratifiedSplit(labels: Int32Array, numClasses: number, fraction = 0.2, seed = 0): StratifiedSplit {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`held-out fraction ${fraction} is outside [0, 1]`);
  const n = labels.length;
  const { start, rows } = rowsByClass(labels, numClasses);

  const rand = mulberry32(seed);
  const heldout = new Uint8Array(n);
  const trainPerClass = new Int32Array(numClasses);
  const heldoutPerClass = new Int32Array(numClasses);
  const singletons: number[] = [];
  let heldoutCount = 0;
  for (let c = 0; c < numClasses; c++) {
    const lo = start[c];
    const size = start[c + 1] - lo;
    if (size === 1) singletons.push(c);
    const k = Math.min(Math.round(fraction * size), size - 1);
    // Partial Fisher–Yates: the first k slots become a uniform random k-subset.
    for (let j = 0; j < k; j++) {
      const r = j + Math.floor(rand() * (size - j));
      const t = rows[lo + j];
      rows[lo + j] = rows[lo + r];
      rows[lo + r] = t;
      heldout[rows[lo + j]] = 1;
    }
    heldoutPerClass[c] = Math.max(0, k);
    trainPerClass[c] = size - heldoutPerClass[c];
    heldoutCount += heldoutPerClass[c];
  }
  return {
    heldout,
    trainCount: n - heldoutCount,
    heldoutCount,
    trainPerClass,
    heldoutPerClass,
    singletonClasses: Int32Array.from(singletons),
  };
}

/**
 * Rows grouped by class with a counting sort (columns, no per-class arrays): class c's rows are
 * rows[start[c], start[c + 1]), in row order.
 */
export function rowsByClass(labels: ArrayLike<number>, numClasses: number): { start: Int32Array; rows: Int32Array } {
  const n = labels.length;
  const start = new Int32Array(numClasses + 1);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < numClasses)) throw new RangeError(`label ${y} of row ${i} is outside 0..${numClasses - 1}`);
    start[y + 1]++;
  }
  for (let c = 0; c < numClasses; c++) start[c + 1] += start[c];
  const fill = start.slice(0, numClasses);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[fill[labels[i]]++] = i;
  return { start, rows };
}

/** Indexes of the rows whose mask equals `value` (e.g. the train rows: `rowsWhere(split.heldout, 0)`), ascending. */
export function rowsWhere(mask: Uint8Array, value: number): Int32Array {
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === value) count++;
  const out = new Int32Array(count);
  for (let i = 0, k = 0; i < mask.length; i++) if (mask[i] === value) out[k++] = i;
  return out;
}
