/**
 * The audit's one heavy operation, a block of dot products a·bᵀ, behind a kernel the caller
 * picks: this plain JavaScript one (tests, Node), or a tfjs matmul in the worker
 * (src/compute/tfBlockDot.ts: ~11 G multiply-adds/s on WASM against ~0.7 here, measured with a
 * 1,024 × 96 by 96 × 2,048 product on the 2-core machine).
 */

import { dotAt } from '../project/knn.ts';

/** out[i·bRows + j] = a_i · b_j for rows a [aRows×dim], b [bRows×dim]. */
export type BlockDot = (a: Float32Array, aRows: number, b: Float32Array, bRows: number, dim: number) => Promise<Float32Array> | Float32Array;

export const jsBlockDot: BlockDot = (a, aRows, b, bRows, dim) => {
  const out = new Float32Array(aRows * bRows);
  for (let i = 0; i < aRows; i++) for (let j = 0; j < bRows; j++) out[i * bRows + j] = dotAt(a, i * dim, b, j * dim, dim);
  return out;
};
