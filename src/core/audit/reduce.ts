/**
 * Rows too many to hold at full width (840k × 1,280 float32 is 4.3 GB) are searched in a narrower
 * space: their projection on the top axes of the uncentred second moment E[xxᵀ] (the directions
 * that keep the most of ‖x‖², so of the dot products), renormalised. A pair's cosine there is
 * close to, not equal to, its true one: the search keeps pairs a margin below the floor, and the
 * worker checks each one found on the full rows.
 */

import { normalizeRows } from '../project/knn.ts';
import { CovarianceAccumulator, symmetricEigen } from '../project/pca.ts';
import { jsBlockDot, type BlockDot } from './blockDot.ts';

/** Top-k axes of E[xxᵀ] of the rows the accumulator saw: [k×D] unit rows, and the share of E‖x‖² they keep. */
export function secondMomentAxes(acc: CovarianceAccumulator, k: number): { axes: Float32Array; k: number; kept: number } {
  const d = acc.dim;
  const n = acc.count;
  const { mean, covariance } = acc.result();
  const m = new Float64Array(d * d);
  const scale = n > 1 ? (n - 1) / n : 1;
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) m[a * d + b] = covariance[a * d + b] * scale + mean[a] * mean[b];
  const { values, vectors } = symmetricEigen(m, d);
  const axes = Math.min(k, d);
  let total = 0;
  let kept = 0;
  for (let j = 0; j < d; j++) total += Math.max(0, values[j]);
  for (let j = 0; j < axes; j++) kept += Math.max(0, values[j]);
  return { axes: Float32Array.from(vectors.subarray(0, axes * d)), k: axes, kept: total > 0 ? kept / total : 1 };
}

/** rows [count×D] → [count×k] on the axes (one block of dot products), each made unit length (a zero row stays zero). */
export async function projectUnit(axes: Float32Array, k: number, rows: Float32Array, count: number, d: number, dot: BlockDot = jsBlockDot): Promise<Float32Array> {
  const out = Float32Array.from(await dot(rows, count, axes, k, d));
  return normalizeRows(out, count, k);
}
