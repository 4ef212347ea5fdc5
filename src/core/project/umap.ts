/**
 * UMAP (umap-js) on a seeded, class-stratified sample. umap-js works on number[][], so only the
 * sample is converted, never the whole store. Every random draw in umap-js (random-projection
 * trees, nearest-neighbour descent, the uniform initial layout, negative sampling) goes through
 * its `random` option, and it has no spectral initialisation, so a seeded generator makes the
 * fit reproducible. It imports nothing from Node or the DOM (only ml-levenberg-marquardt,
 * ml-matrix, is-any-array), so it runs in a Web Worker and in Node.
 */

import { UMAP } from 'umap-js';
import { mulberry32 } from '../random.mjs';
import { normalizeRows } from './knn.ts';

/**
 * Up to `size` point indices, ascending, drawn seeded (mulberry32) and stratified by class: every
 * class with points gets at least one when size ≥ number of classes, the rest proportional to
 * class size (largest remainder), without replacement; points with classOf = −1 (unlabelled test
 * images; any negative value) form their own stratum. size ≥ count → all points.
 *
 * With S strata of sizes n_s and size ≥ S, stratum s gets 1 + R·(n_s − 1)/(count − S) of the
 * R = size − S left over: proportional to what each stratum has left after its first point, which
 * never asks a stratum for more points than it holds. With size < S, it gets size·n_s/count, so
 * small classes may get none. Ties between equal remainders are broken in a seeded random order,
 * not by class id, so low class ids are not favoured.
 */
export function stratifiedSample(classOf: Int32Array, size: number, seed: number): Int32Array {
  const count = classOf.length;
  size = Math.floor(size);
  if (!(size > 0)) return new Int32Array(0);
  if (size >= count) {
    const all = new Int32Array(count);
    for (let i = 0; i < count; i++) all[i] = i;
    return all;
  }
  // Stratum of a point: class + 1, so the unlabelled stratum is 0.
  let maxClass = -1;
  for (let i = 0; i < count; i++) if (classOf[i] > maxClass) maxClass = classOf[i];
  const slots = maxClass + 2;
  const start = new Int32Array(slots + 1);
  for (let i = 0; i < count; i++) start[(classOf[i] < 0 ? 0 : classOf[i] + 1) + 1]++;
  for (let s = 0; s < slots; s++) start[s + 1] += start[s];
  // Points grouped by stratum (a counting sort), ascending within each.
  const members = new Int32Array(count);
  const fill = start.slice(0, slots);
  for (let i = 0; i < count; i++) members[fill[classOf[i] < 0 ? 0 : classOf[i] + 1]++] = i;

  const strata: number[] = [];
  for (let s = 0; s < slots; s++) if (start[s + 1] > start[s]) strata.push(s);
  const S = strata.length;
  const random = mulberry32(seed);

  // Quotas by largest remainder.
  const base = size >= S ? 1 : 0;
  const spread = size - base * S; // points shared out in proportion
  const pool = count - base * S; // their weights' total
  const quota = new Float64Array(S);
  const remainder = new Float64Array(S);
  let given = 0;
  for (let t = 0; t < S; t++) {
    const exact = (spread * (start[strata[t] + 1] - start[strata[t]] - base)) / pool;
    const whole = Math.floor(exact);
    quota[t] = base + whole;
    remainder[t] = exact - whole;
    given += quota[t];
  }
  // Seeded random order as the tie-break (a Fisher–Yates shuffle), then a stable sort by remainder.
  const order = new Int32Array(S);
  for (let t = 0; t < S; t++) order[t] = t;
  for (let t = S - 1; t > 0; t--) {
    const u = Math.floor(random() * (t + 1));
    const tmp = order[t];
    order[t] = order[u];
    order[u] = tmp;
  }
  const byRemainder = Array.from(order).sort((a, b) => remainder[b] - remainder[a]);
  for (let r = 0; given < size; r++, given++) quota[byRemainder[r]]++;

  // Within each stratum, a partial Fisher–Yates shuffle of its members draws its quota.
  const sample = new Int32Array(size);
  let filled = 0;
  for (let t = 0; t < S; t++) {
    const lo = start[strata[t]];
    const n = start[strata[t] + 1] - lo;
    for (let k = 0; k < quota[t]; k++) {
      const u = k + Math.floor(random() * (n - k));
      const picked = members[lo + u];
      members[lo + u] = members[lo + k];
      members[lo + k] = picked;
      sample[filled++] = picked;
    }
  }
  return sample.sort();
}

export interface UmapOptions {
  seed: number;
  /** Neighbours in the fuzzy graph (15); capped at count − 1. */
  nNeighbors?: number;
  /** Least distance between points in the layout (0.1). */
  minDist?: number;
  /** Epochs of layout optimisation: umap-js's rule when unset (500 up to 2,500 points, 400 to 5,000, 300 to 7,500, else 200). */
  nEpochs?: number;
  /** Awaited after each epoch with (epochs done, 1…epochs; epochs): the worker checks for cancel and reports progress there. */
  onEpoch?: (epoch: number, epochs: number) => void | Promise<void>;
}

/** Fewer points than this: no fit, the points are laid on a line (umap-js needs more points than neighbours, and a graph to speak of). */
const LEAST_FIT = 4;

/**
 * UMAP of `count` rows [count×dim] (cosine: the rows are unit-normalised into a copy, then
 * umap-js's euclidean, whose order of neighbours is the cosine's), seeded: the same input and
 * seed give the same coordinates. Runs epochs with initializeFit + step so onEpoch is awaited
 * between them. The neighbour graph (initializeFit) is one synchronous call: it cannot be
 * cancelled part way.
 */
export async function fitUmap(rows: Float32Array, count: number, dim: number, options: UmapOptions): Promise<{ x: Float32Array; y: Float32Array }> {
  if (rows.length < count * dim) throw new RangeError(`${rows.length} values hold fewer than ${count} rows of ${dim}`);
  const x = new Float32Array(count);
  const y = new Float32Array(count);
  if (count < LEAST_FIT) {
    for (let i = 0; i < count; i++) x[i] = i;
    return { x, y };
  }
  const unit = normalizeRows(rows.slice(0, count * dim), count, dim);
  const data: number[][] = new Array(count);
  for (let i = 0; i < count; i++) data[i] = Array.from(unit.subarray(i * dim, (i + 1) * dim));
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(options.nNeighbors ?? 15, count - 1),
    minDist: options.minDist ?? 0.1,
    nEpochs: options.nEpochs,
    random: mulberry32(options.seed),
    distanceFn: squaredFree,
  });
  const epochs = umap.initializeFit(data);
  for (let epoch = 0; epoch < epochs; ) {
    epoch = umap.step();
    if (options.onEpoch) await options.onEpoch(epoch, epochs);
  }
  const embedding = umap.getEmbedding();
  for (let i = 0; i < count; i++) {
    x[i] = embedding[i][0];
    y[i] = embedding[i][1];
  }
  return { x, y };
}

/** Euclidean distance as umap-js's `euclidean`, with products in place of its Math.pow (the hot loop of the neighbour search). */
function squaredFree(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * How many points the map fits UMAP on at most (the rest are placed by their nearest fitted
 * neighbours elsewhere): chosen from measurements so a 96-d fit takes about a minute or less
 * on a 2-core machine (see /work/notes/helper13-umap.md).
 */
export const UMAP_FIT_LIMIT = 10_000;
