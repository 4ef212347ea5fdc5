/**
 * A linear probe: softmax regression logits = xW + b on fixed embeddings, trained with
 * TensorFlow.js (whatever backend is set: webgpu/webgl/wasm in the app, cpu in tests) by
 * mini-batch Adam. Options for the long tail: the logit-adjusted loss of Menon et al. (ICLR 2021,
 * eq. 10: softmax cross-entropy on f(x) + τ·log π) and class-balanced sampling. The result is
 * plain Float32Arrays, so scoring reuses the chunked scorer (scoring.ts) and nothing stays on the GPU.
 */

import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../random.mjs';
import { logPrior as logPriorOf } from './logitAdjust.ts';
import type { LinearModel } from './scoring.ts';

export interface ProbeOptions {
  numClasses: number;
  /** The train rows of `embeddings` (default: all rows). */
  rows?: Int32Array;
  /** Default 20. */
  epochs?: number;
  /** Default 256. */
  batchSize?: number;
  /**
   * Adam's step size, default 0.01: the problem is convex and small next to a network, so the
   * usual 0.001 for deep nets only slows it down; lower it for unscaled features with large values.
   */
  learningRate?: number;
  /** L2 penalty λ/2·‖W‖² added to the mean loss (default 0: plain cross-entropy). */
  l2?: number;
  /**
   * 'crossEntropy' (default) or 'logitAdjusted': train on xW + b + τ·log π, so that xW + b itself
   * learns the balanced logits (use it as is: do not adjust again after training).
   */
  loss?: 'crossEntropy' | 'logitAdjusted';
  /** τ of the logit-adjusted loss (default 1). */
  tau?: number;
  /** log π for the logit-adjusted loss (default: from the train rows' class counts, logitAdjust.logPrior). */
  logPrior?: Float32Array;
  /**
   * 'instance' (default): each epoch visits every train row once, in a seeded shuffle.
   * 'classBalanced': each example draws a class uniformly (among classes with train rows), then
   * one of its rows, with replacement; an epoch is as many examples as there are train rows.
   */
  sampling?: 'instance' | 'classBalanced';
  seed?: number;
  /** After each epoch: the mean training loss over its examples (for a loss curve). */
  onEpoch?: (epoch: number, loss: number) => void;
  /** Aborting stops before the next batch; the promise rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
}

export interface ProbeResult {
  dim: number;
  numClasses: number;
  /** [D×C] row-major (tfjs's layout: logits = xW + b). */
  weights: Float32Array;
  /** [C]. */
  bias: Float32Array;
  /** Mean training loss of each epoch. */
  losses: number[];
}

/**
 * x·W for training, with a gradient that multiplies explicitly transposed operands: tfjs's WASM
 * matmul runs XNNPACK only when neither operand is transposed, and the default gradient
 * (xᵀ·dy as matMul(x, dy, transposeA)) fell back to a scalar loop: 0.68 s of a 0.93 s step at
 * 15,501 classes (bench:classify), against 0.03 s transposed first. x is data, not a variable:
 * its gradient is never used, so it is zeros rather than another D·C·B product.
 */
export const matMulForTraining = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => [tf.zerosLike(saved[0]), tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), dy)],
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** Lets messages (a cancel) in: a macrotask, not a microtask. */
const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function trainProbe(embeddings: Float32Array, labels: Int32Array, dim: number, options: ProbeOptions): Promise<ProbeResult> {
  const c = options.numClasses;
  const rows = options.rows ?? Int32Array.from({ length: labels.length }, (_, i) => i);
  const epochs = options.epochs ?? 20;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 256));
  const l2 = options.l2 ?? 0;
  const signal = options.signal;
  const n = rows.length;
  if (n === 0) throw new RangeError('no train row for the probe');
  if (embeddings.length % dim !== 0 || embeddings.length / dim < labels.length)
    throw new RangeError(`${embeddings.length} values are not ${labels.length} rows of ${dim}`);
  for (let k = 0; k < n; k++) {
    const y = labels[rows[k]];
    if (!(y >= 0 && y < c)) throw new RangeError(`label ${y} of row ${rows[k]} is outside 0..${c - 1}`);
  }
  if (signal?.aborted) throw abortReason(signal);

  // Train rows grouped by class, for class-balanced sampling.
  const start = new Int32Array(c + 1);
  for (let k = 0; k < n; k++) start[labels[rows[k]] + 1]++;
  for (let k = 0; k < c; k++) start[k + 1] += start[k];
  const fill = start.slice(0, c);
  const byClass = new Int32Array(n);
  for (let k = 0; k < n; k++) byClass[fill[labels[rows[k]]]++] = rows[k];
  const present = Int32Array.from({ length: c }, (_, k) => k).filter((k) => start[k + 1] > start[k]);

  let shift: Float32Array | null = null;
  if (options.loss === 'logitAdjusted') {
    const lp = options.logPrior ?? logPriorOf(Int32Array.from({ length: c }, (_, k) => start[k + 1] - start[k]));
    if (lp.length !== c) throw new RangeError(`the prior has ${lp.length} classes, not ${c}`);
    const tau = options.tau ?? 1;
    shift = Float32Array.from(lp, (v) => tau * v);
  }

  const rand = mulberry32(options.seed ?? 0);
  const order = rows.slice();
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const xs = new Float32Array(batchSize * dim);
  const ys = new Int32Array(batchSize);
  const losses: number[] = [];

  // Zeros are a fine start: the loss is convex, and zeros make the run depend on the seed only.
  // (In a tidy: tf.variable keeps the data but not the zeros tensor it was made from.)
  const w = tf.tidy(() => tf.variable(tf.zeros([dim, c]), true));
  const b = tf.tidy(() => tf.variable(tf.zeros([c]), true));
  const shiftT = shift ? tf.tensor1d(shift) : null;
  const optimizer = tf.train.adam(options.learningRate ?? 0.01);
  let epochLoss: tf.Scalar = tf.scalar(0);
  try {
    let lastYield = performance.now();
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (options.sampling !== 'classBalanced') {
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          const t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
      }
      epochLoss.dispose();
      epochLoss = tf.scalar(0);
      for (let step = 0; step < stepsPerEpoch; step++) {
        if (signal?.aborted) throw abortReason(signal);
        const size = options.sampling === 'classBalanced' ? batchSize : Math.min(batchSize, n - step * batchSize);
        for (let r = 0; r < size; r++) {
          let row: number;
          if (options.sampling === 'classBalanced') {
            const k = present[Math.floor(rand() * present.length)];
            row = byClass[start[k] + Math.floor(rand() * (start[k + 1] - start[k]))];
          } else row = order[step * batchSize + r];
          xs.set(embeddings.subarray(row * dim, (row + 1) * dim), r * dim);
          ys[r] = labels[row];
        }
        const next = tf.tidy(() => {
          const x = tf.tensor2d(xs.subarray(0, size * dim), [size, dim]);
          const y = tf.oneHot(tf.tensor1d(ys.subarray(0, size), 'int32'), c);
          const cost = optimizer.minimize(
            () => {
              let logits = tf.add(matMulForTraining(x, w as tf.Tensor2D), b);
              if (shiftT) logits = tf.add(logits, shiftT);
              const ce = tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
              return l2 > 0 ? tf.add(ce, tf.mul(l2 / 2, tf.sum(tf.square(w)))) : ce;
            },
            true,
            [w, b],
          ) as tf.Scalar;
          // Summed on the device: one read per epoch (or per yield), not one stall per batch.
          return tf.add(epochLoss, tf.mul(cost, size)) as tf.Scalar;
        });
        epochLoss.dispose();
        epochLoss = next;
        if (performance.now() - lastYield > 50) {
          await epochLoss.data(); // also lets a GPU backend's queue drain
          await macrotask();
          lastYield = performance.now();
        }
      }
      const examples = options.sampling === 'classBalanced' ? stepsPerEpoch * batchSize : n;
      const loss = (await epochLoss.data())[0] / examples;
      losses.push(loss);
      options.onEpoch?.(epoch, loss);
    }
    if (signal?.aborted) throw abortReason(signal);
    const [weights, bias] = await Promise.all([w.data(), b.data()]);
    return { dim, numClasses: c, weights: weights as Float32Array, bias: bias as Float32Array, losses };
  } finally {
    epochLoss.dispose();
    w.dispose();
    b.dispose();
    shiftT?.dispose();
    optimizer.dispose();
  }
}

/** The probe as a LinearModel for the chunked scorer: W transposed to [C×D], logits = x·W + b. */
export function probeModel(probe: ProbeResult): LinearModel {
  const { dim, numClasses: c, weights } = probe;
  const t = new Float32Array(c * dim);
  for (let d = 0; d < dim; d++) for (let k = 0; k < c; k++) t[k * dim + d] = weights[d * c + k];
  return { dim, numClasses: c, weights: t, bias: Float32Array.from(probe.bias), normalizeQueries: false, normPenalty: 0 };
}
