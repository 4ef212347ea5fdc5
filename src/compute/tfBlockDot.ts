/**
 * The audit's blocks of dot products (src/core/audit/blockDot.ts) as one tfjs matmul each, b
 * transposed first: tfjs-wasm's matmul with transposeB runs a scalar loop (tfDotKernel.ts).
 * Measured on the 2-core machine, 1,024 × 96 by 96 × 2,048: ~11 G multiply-adds/s on WASM
 * against ~0.7 for the JavaScript loop.
 */

import * as tf from '@tensorflow/tfjs';
import type { BlockDot } from '../core/audit/blockDot.ts';

export const tfBlockDot: BlockDot = async (a, aRows, b, bRows, dim) => {
  if (aRows === 0 || bRows === 0) return new Float32Array(0);
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a.subarray(0, aRows * dim), [aRows, dim]), tf.transpose(tf.tensor2d(b.subarray(0, bRows * dim), [bRows, dim]))));
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
};
