/**
 * The classifiers' dot products as one tfjs matmul per chunk, on tfjs's current backend: XNNPACK
 * with SIMD and threads on WASM (about 8× the plain JavaScript kernel per core), or the GPU. The
 * class weights are uploaded once per fitted model; each chunk uploads its query rows and reads
 * its scores back asynchronously (a GPU backend's synchronous read blocks the worker).
 */

import * as tf from '@tensorflow/tfjs';
import type { DotKernel, LinearModel } from '../core/learn/scoring.ts';

export function tfDotKernel(model: LinearModel): DotKernel {
  const { dim, numClasses } = model;
  // Stored [D×C], transposed once: tfjs WASM's matmul with transposeB ran ~10× slower per chunk
  // (bench:classify: 4,096 rows 12 s against 1.1 s).
  const weights = tf.tidy(() => tf.transpose(tf.tensor2d(model.weights, [numClasses, dim])));
  // The bias rides in the matmul (one pass less in JavaScript); uploaded again only when a
  // different array comes (once per scoring call, not per chunk).
  let bias: { values: Float32Array; tensor: tf.Tensor1D } | null = null;
  return {
    async dot(q, rows, biasValues, out) {
      if (bias?.values !== biasValues) {
        bias?.tensor.dispose();
        bias = { values: biasValues, tensor: tf.tensor1d(biasValues) };
      }
      const b = bias.tensor;
      const scores = tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(q.subarray(0, rows * dim), [rows, dim]), b: weights, bias: b }));
      try {
        out.set((await scores.data()) as Float32Array);
      } finally {
        scores.dispose();
      }
    },
    dispose: () => {
      weights.dispose();
      bias?.tensor.dispose();
    },
  };
}
