/**
 * The label pass's other-class scores (src/core/audit/labelIssues.ts) on tfjs: per block one
 * matmul, the own class masked, a log-sum-exp and a top-k, so each row hands k + 1 numbers to
 * JavaScript instead of its C logits (15,501 at Herbarium scale, where reading and exponentiating
 * them in JavaScript was most of the pass). The weights are uploaded once, transposed (tfjs-wasm's
 * matmul with transposeB runs a scalar loop: tfDotKernel.ts).
 */

import * as tf from '@tensorflow/tfjs';
import { otherClassesModel, type OtherClassesKernel } from '../core/audit/labelIssues.ts';
import type { ClassMeanData } from '../core/learn/classMeans.ts';

/** Added to the own class's logit: far below any real one, still finite in float32 (an all −∞ row would make NaNs). */
const MASK = -1e30;

export function tfOtherClassesKernel(data: ClassMeanData, scale: number, logPrior: Float32Array, k: number): OtherClassesKernel {
  const { model, bias } = otherClassesModel(data, scale, logPrior);
  const { dim, numClasses } = model;
  const weights = tf.tidy(() => tf.transpose(tf.tensor2d(model.weights, [numClasses, dim])));
  // −∞ (an empty class) stays out of the sum and the top-k; MASK keeps the arithmetic finite.
  const biasTensor = tf.tensor1d(Float32Array.from(bias, (b) => (b === -Infinity ? MASK : b)));
  return {
    k,
    async others(x, rows, labels) {
      const [logZ, values, indices] = tf.tidy(() => {
        const q = tf.tensor2d(x.subarray(0, rows * dim), [rows, dim]);
        const norm = tf.maximum(tf.norm(q, 'euclidean', 1, true), 1e-30);
        const logits = tf.add(tf.matMul(tf.div(q, norm), weights), biasTensor);
        const masked = tf.add(logits, tf.mul(tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses), MASK));
        const top = tf.topk(masked, k);
        return [tf.logSumExp(masked, 1), top.values, top.indices];
      });
      try {
        const [z, v, i] = await Promise.all([logZ.data(), values.data(), indices.data()]);
        const topClass = Int32Array.from(i as Int32Array);
        const topLogit = Float32Array.from(v as Float32Array);
        // Masked and empty classes are −∞ and no class, as the JavaScript kernel pads.
        for (let t = 0; t < topLogit.length; t++)
          if (topLogit[t] <= MASK / 2) {
            topLogit[t] = -Infinity;
            topClass[t] = -1;
          }
        return { logZ: z as Float32Array, topClass, topLogit };
      } finally {
        logZ.dispose();
        values.dispose();
        indices.dispose();
      }
    },
    dispose() {
      weights.dispose();
      biasTensor.dispose();
    },
  };
}
