/**
 * A linear probe: softmax regression logits = xW + b on fixed embeddings, trained with
 * TensorFlow.js (whatever backend is set: webgpu/webgl/wasm in the app, cpu in tests).
 *
 * The objective is mean cross-entropy over the train rows plus λ/2·‖W‖² (the bias is not
 * penalised). Two solvers:
 *  - 'lbfgs' (the default): full-batch L-BFGS (lbfgs.ts) run until the gradient's max-norm or the
 *    loss's decrease per iteration falls below its tolerance: the optimum of that objective, so
 *    the result does not depend on a step size, a seed or an epoch count.
 *  - 'adam': mini-batch Adam for a fixed number of epochs (stops wherever the epochs run out).
 * Options for the long tail: the logit-adjusted loss of Menon et al. (ICLR 2021, eq. 10: softmax
 * cross-entropy on f(x) + τ·log π) and class-balanced sampling (for L-BFGS, its expectation: every
 * class with train rows weighs the same in the loss). The result is plain Float32Arrays, so scoring
 * reuses the chunked scorer (scoring.ts) and nothing stays on the GPU.
 */

import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../random.mjs';
import { abortReason, macrotask, minimizeLbfgs, type LbfgsStopReason, type Vector } from './lbfgs.ts';
import { logPrior as logPriorOf } from './logitAdjust.ts';
import type { LinearModel } from './scoring.ts';

/**
 * The default L2 strength λ (the penalty is λ/2·‖W‖² on the *mean* loss). 1e-4 is a light ridge for
 * unit-scale embeddings: in scikit-learn's terms (C on the summed loss) it is C = 1/(λ·N), i.e.
 * sklearn's default C = 1 at N = 10,000 train rows. It keeps the optimum finite on separable data
 * (which, at hundreds of classes in a 1,280-d embedding, the train rows usually are) without
 * pulling the weights much; the best λ depends on the data, so choose it by k-fold on held-out
 * balanced accuracy from a log grid such as 1e-6 … 1e-1 (a warm start from the neighbouring λ's
 * weights, `init`, makes the grid cheap).
 */
export const DEFAULT_L2 = 1e-4;

export interface ProbeOptions {
  numClasses: number;
  /** The train rows of `embeddings` (default: all rows). */
  rows?: Int32Array;
  /** 'lbfgs' (default) or 'adam'. */
  solver?: 'lbfgs' | 'adam';
  /** L2 penalty λ/2·‖W‖² added to the mean loss, the bias unpenalised (default DEFAULT_L2 = 1e-4; see there). */
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
   * 'instance' (default): every train row weighs the same. 'classBalanced': every class with train
   * rows weighs the same. Adam: each epoch visits every train row once in a seeded shuffle, or
   * (class-balanced) each example draws a class uniformly among classes with train rows, then one
   * of its rows, with replacement, as many examples as there are train rows. L-BFGS: the
   * expectation of that sampling, row weights 1/(#classes · n_class) in the full-batch loss.
   */
  sampling?: 'instance' | 'classBalanced';
  /** A start [D×C] / [C] (default zeros), e.g. class means, or the weights fitted at a neighbouring λ. Non-finite entries start at 0. */
  init?: { weights: Float32Array; bias: Float32Array };
  /** Aborting stops before the next batch or row chunk; the promise rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;

  // L-BFGS only.
  /** Default 200. */
  maxIterations?: number;
  /** Stop when an iteration lowers the loss by less than tolerance·max(loss, 1), default 1e-9 (0: off). */
  tolerance?: number;
  /** Stop when the gradient's max-norm is ≤ this, default 1e-5 (0: off). */
  gradientTolerance?: number;
  /**
   * Curvature pairs kept, default 10, fewer when 2·m parameter-sized vectors would pass 256 MiB
   * (never below 3): at 1,280-d × 15,501 classes (19.8M parameters, Float32) that is m = 3. The
   * minimiser holds 2m + 8 such vectors in all (Float64 up to 2¹⁸ parameters, Float32 beyond).
   */
  memory?: number;
  /** Train rows per tfjs matmul (default: ≤ 2²¹/C, so no rows×C tensor passes 8 MB, and ≤ 2²⁶/(D·C) multiply-adds a matmul; but ≥ 128). */
  chunkRows?: number;
  /** Iteration 0 is the start, then one call per iteration: the objective and ‖∇‖∞ there. */
  onIteration?: (iteration: number, loss: number, gradNorm: number) => void;

  // Adam only.
  /** Default 20. */
  epochs?: number;
  /** Default 256. */
  batchSize?: number;
  /**
   * Adam's step size, default 0.01: the problem is convex and small next to a network, so the
   * usual 0.001 for deep nets only slows it down; lower it for unscaled features with large values.
   */
  learningRate?: number;
  seed?: number;
  /** After each epoch: the mean training loss over its examples (for a loss curve). Not called by L-BFGS (see onIteration). */
  onEpoch?: (epoch: number, loss: number) => void;
}

export type ProbeStopReason = LbfgsStopReason;

/** The weights alone: what probeModel and tauNormalizedProbe need. */
export interface ProbeWeights {
  dim: number;
  numClasses: number;
  /** [D×C] row-major (tfjs's layout: logits = xW + b). */
  weights: Float32Array;
  /** [C]. L-BFGS: −∞ for a class without train rows (its optimum; its weights are 0). */
  bias: Float32Array;
}

export interface ProbeResult extends ProbeWeights {
  solver: 'lbfgs' | 'adam';
  /**
   * L-BFGS: the objective (mean loss + λ/2·‖W‖²) at the start (losses[0]) and after every
   * iteration. Adam: the mean training loss of each epoch, averaged over its batches as it went.
   */
  losses: number[];
  /** L-BFGS iterations; Adam's epochs. */
  iterations: number;
  /** Passes over the train rows computing loss and gradient: L-BFGS's evaluations (≥ iterations + 1), Adam's epochs. */
  evaluations: number;
  /** L-BFGS: stopped on the gradient or the loss tolerance. Adam: false (it stops when the epochs run out). */
  converged: boolean;
  /** Adam: 'maxIterations'. */
  stopReason: ProbeStopReason;
  /** L-BFGS: ‖∇‖∞ of the objective at the returned weights. Adam: NaN (not computed). */
  gradNorm: number;
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

/** What both solvers check and derive from the options: the train rows, grouped by class, and the logit shift. */
interface Prepared {
  c: number;
  rows: Int32Array;
  /** Train rows grouped by class: byClass[start[k] .. start[k+1]) are class k's. */
  start: Int32Array;
  byClass: Int32Array;
  /** Classes with train rows, ascending. */
  present: Int32Array;
  /** τ·log π [C] for the logit-adjusted loss, else null. */
  shift: Float32Array | null;
  l2: number;
}

function prepare(embeddings: Float32Array, labels: Int32Array, dim: number, options: ProbeOptions): Prepared {
  const c = options.numClasses;
  const rows = options.rows ?? Int32Array.from({ length: labels.length }, (_, i) => i);
  const n = rows.length;
  if (n === 0) throw new RangeError('no train row for the probe');
  if (embeddings.length % dim !== 0 || embeddings.length / dim < labels.length)
    throw new RangeError(`${embeddings.length} values are not ${labels.length} rows of ${dim}`);
  for (let k = 0; k < n; k++) {
    const y = labels[rows[k]];
    if (!(y >= 0 && y < c)) throw new RangeError(`label ${y} of row ${rows[k]} is outside 0..${c - 1}`);
  }
  const l2 = options.l2 ?? DEFAULT_L2;
  if (!(l2 >= 0)) throw new RangeError(`the L2 strength must be ≥ 0, not ${l2}`);
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
  if (options.init) {
    if (options.init.weights.length !== dim * c || options.init.bias.length !== c)
      throw new RangeError(`the start has ${options.init.weights.length} weights and ${options.init.bias.length} biases, not ${dim}×${c} and ${c}`);
  }
  return { c, rows, start, byClass, present, shift, l2 };
}

export async function trainProbe(embeddings: Float32Array, labels: Int32Array, dim: number, options: ProbeOptions): Promise<ProbeResult> {
  const solver = options.solver ?? 'lbfgs';
  if (solver !== 'lbfgs' && solver !== 'adam') throw new RangeError(`unknown solver ${String(solver)}`);
  const prepared = prepare(embeddings, labels, dim, options);
  if (options.signal?.aborted) throw abortReason(options.signal);
  return solver === 'lbfgs' ? trainLbfgs(embeddings, labels, dim, options, prepared) : trainAdam(embeddings, labels, dim, options, prepared);
}

/**
 * The full-batch objective over the classes with train rows (`classes`, ascending: C' of them),
 * on tfjs: x = [W (D×C') row-major, b (C')], `size` = D·C' + C' values. `evaluate` returns the
 * mean (or class-balanced) cross-entropy + λ/2·‖W‖² and its gradient, in row chunks: the train
 * rows stay on the backend as [chunk×(D+1)] tensors (a 1 appended: the bias rides in the matmul)
 * until `dispose`, and no tensor has more than chunkRows×C' values. Per chunk: one matmul for the
 * logits, a softmax, one matmul for the gradient; the loss comes back row by row and is summed in
 * doubles. Classes without train rows are left out: their optimum is b = −∞.
 */
export interface ProbeObjective {
  classes: Int32Array;
  size: number;
  chunkRows: number;
  evaluate(x: Vector): Promise<{ loss: number; grad: Float32Array }>;
  dispose(): void;
}

export function createProbeObjective(embeddings: Float32Array, labels: Int32Array, dim: number, options: ProbeOptions): ProbeObjective {
  return probeObjective(embeddings, labels, dim, options, prepare(embeddings, labels, dim, options));
}

function probeObjective(embeddings: Float32Array, labels: Int32Array, dim: number, options: ProbeOptions, p: Prepared): ProbeObjective {
  const { rows, start, present: classes, l2 } = p;
  const n = rows.length;
  const cp = classes.length;
  const compact = new Int32Array(p.c).fill(-1);
  classes.forEach((k, j) => (compact[k] = j));
  const dc = dim * cp;
  const size = dc + cp;
  const signal = options.signal;
  const balanced = options.sampling === 'classBalanced';
  // Balanced: row weight 1/(C'·n_y), summing to 1. Instance: 1/N, applied once at the end.
  const rowWeight = (y: number) => 1 / (cp * (start[y + 1] - start[y]));
  const scale = balanced ? 1 : 1 / n;
  const chunkRows = Math.max(1, Math.min(n, Math.floor(options.chunkRows ?? Math.max(128, Math.min(2 ** 21 / cp, 2 ** 26 / (dim * cp))))));

  // The bias rides in the matmul: rows are x̃ = [x, 1] and x = [W; b] is already the [(D+1)×C'] matrix W̃ row-major.
  const da = dim + 1;
  interface Chunk {
    /** [chunk×(D+1)]: the rows with a 1 appended. */
    x: tf.Tensor2D;
    /** r·C' + y_r: the label logits in the flattened [chunk×C'] logits. */
    at: tf.Tensor1D;
    /** [chunk×1] row weights (class-balanced only), and the same in JS for the loss. */
    w: tf.Tensor2D | null;
    wJs: Float32Array | null;
  }
  const chunks: Chunk[] = [];
  // ∂CE/∂W̃ = Σ_r w_r·x̃_r(softmax(z_r) − e_y)ᵀ: the e_y part, Σ_r w_r·x̃_r e_yᵀ (the weighted class sums), is the same at
  // every evaluation: summed here once, in doubles, so that each chunk needs only x̃ᵀ·(w⊙softmax) and no one-hot.
  const classSums = new Float64Array(da * cp);
  try {
    for (let r0 = 0; r0 < n; r0 += chunkRows) {
      const k = Math.min(chunkRows, n - r0);
      const xs = new Float32Array(k * da);
      const at = new Int32Array(k);
      const ws = balanced ? new Float32Array(k) : null;
      for (let r = 0; r < k; r++) {
        const row = rows[r0 + r];
        const y = compact[labels[row]];
        const wr = balanced ? rowWeight(labels[row]) : 1;
        for (let d = 0; d < dim; d++) {
          const v = embeddings[row * dim + d];
          xs[r * da + d] = v;
          classSums[d * cp + y] += wr * v;
        }
        xs[r * da + dim] = 1;
        classSums[dim * cp + y] += wr;
        at[r] = r * cp + y;
        if (ws) ws[r] = wr;
      }
      chunks.push({ x: tf.tensor2d(xs, [k, da]), at: tf.tensor1d(at, 'int32'), w: ws ? tf.tensor2d(ws, [k, 1]) : null, wJs: ws });
    }
  } catch (e) {
    for (const ch of chunks) tf.dispose([ch.x, ch.at, ...(ch.w ? [ch.w] : [])]);
    throw e;
  }
  const shift = p.shift ? Float32Array.from(classes, (k) => p.shift![k]) : null;

  let scratch: Float32Array | null = null;
  let lastYield = performance.now();
  let disposed = false;

  async function evaluate(x: Vector): Promise<{ loss: number; grad: Float32Array }> {
    if (disposed) throw new Error('the probe objective is disposed');
    if (x.length !== size) throw new RangeError(`${x.length} parameters, not ${size}`);
    if (signal?.aborted) throw abortReason(signal);
    if (cp === 1) {
      // One class: every row is right whatever the logits, so only the penalty is left.
      const grad = new Float32Array(size);
      let penalty = 0;
      for (let i = 0; i < dc; i++) {
        penalty += x[i] * x[i];
        grad[i] = l2 * x[i];
      }
      return { loss: (l2 / 2) * penalty, grad };
    }
    // A view is safe: the tensor made from it is disposed before this returns, and the caller leaves x alone till then.
    let wt: Float32Array;
    if (x instanceof Float32Array && !shift) wt = x;
    else {
      scratch ??= new Float32Array(size);
      scratch.set(x);
      if (shift) for (let j = 0; j < cp; j++) scratch[dc + j] += shift[j];
      wt = scratch;
    }
    const w = tf.tensor2d(wt, [da, cp]);
    const rowLosses: tf.Tensor1D[] = [];
    let g: tf.Tensor | null = null;
    try {
      for (const ch of chunks) {
        const [rowLoss, gc] = tf.tidy(() => {
          const k = ch.x.shape[0];
          const z = tf.matMul(ch.x, w);
          const m = tf.max(z, 1, true);
          const e = tf.exp(tf.sub(z, m));
          const s = tf.sum(e, 1, true);
          // CE = log Σ exp z − z_y, the max taken out.
          const ce = tf.sub(tf.reshape(tf.add(m, tf.log(s)), [k]), tf.gather(tf.reshape(z, [-1]), ch.at)) as tf.Tensor1D;
          // w ⊙ softmax(z), and x̃ᵀ·that with x̃ᵀ made explicitly (tfjs-wasm's transposed matmul is a scalar loop; see matMulForTraining).
          const pw = tf.mul(e, ch.w ? tf.div(ch.w, s) : tf.reciprocal(s));
          return [ce, tf.matMul(tf.transpose(ch.x), pw)];
        });
        rowLosses.push(rowLoss as tf.Tensor1D);
        if (g) {
          const next: tf.Tensor = tf.add(g, gc);
          tf.dispose([g, gc]);
          g = next;
        } else g = gc;
        if (performance.now() - lastYield > 50) {
          await rowLoss.data(); // also lets a GPU backend's queue drain
          await macrotask();
          lastYield = performance.now();
          if (signal?.aborted) throw abortReason(signal);
        }
      }
      // Per-row losses come back and are summed in doubles: the line search compares losses that differ in their 7th digit.
      const lossRows = (await Promise.all(rowLosses.map((t) => t.data()))) as Float32Array[];
      const gs = (await g!.data()) as Float32Array;
      let loss = 0;
      lossRows.forEach((vals, i) => {
        const wj = chunks[i].wJs;
        if (wj) for (let r = 0; r < vals.length; r++) loss += wj[r] * vals[r];
        else for (let r = 0; r < vals.length; r++) loss += vals[r];
      });
      loss *= scale;
      const grad = new Float32Array(size);
      let penalty = 0;
      for (let i = 0; i < dc; i++) {
        const v = x[i];
        penalty += v * v;
        grad[i] = (gs[i] - classSums[i]) * scale + l2 * v;
      }
      for (let i = dc; i < size; i++) grad[i] = (gs[i] - classSums[i]) * scale;
      return { loss: loss + (l2 / 2) * penalty, grad };
    } finally {
      tf.dispose([w, ...rowLosses]);
      if (g) (g as tf.Tensor).dispose();
    }
  }

  return {
    classes,
    size,
    chunkRows,
    evaluate,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const ch of chunks) tf.dispose([ch.x, ch.at, ...(ch.w ? [ch.w] : [])]);
    },
  };
}

const HISTORY_BYTES = 256 * 2 ** 20;

async function trainLbfgs(embeddings: Float32Array, labels: Int32Array, dim: number, options: ProbeOptions, p: Prepared): Promise<ProbeResult> {
  const c = p.c;
  const objective = probeObjective(embeddings, labels, dim, options, p);
  try {
    const { classes, size } = objective;
    const cp = classes.length;
    const dc = dim * cp;
    const x0 = new Float64Array(size);
    if (options.init) {
      const finite = (v: number) => (Number.isFinite(v) ? v : 0);
      const { weights, bias } = options.init;
      for (let d = 0; d < dim; d++) for (let j = 0; j < cp; j++) x0[d * cp + j] = finite(weights[d * c + classes[j]]);
      for (let j = 0; j < cp; j++) x0[dc + j] = finite(bias[classes[j]]);
    }
    // Doubles while small (x then moves by steps below float32's resolution); Float32 for large problems.
    const float32 = size > 2 ** 18;
    const bytes = float32 ? 4 : 8;
    const memory = options.memory ?? Math.max(3, Math.min(10, Math.floor(HISTORY_BYTES / (2 * size * bytes))));
    const r = await minimizeLbfgs(objective.evaluate, x0, {
      memory,
      maxIterations: options.maxIterations ?? 200,
      tolerance: options.tolerance ?? 1e-9,
      gradientTolerance: options.gradientTolerance ?? 1e-5,
      // The loss is a sum of float32 row losses: below this relative difference two are judged by their slopes.
      lossNoise: 1e-5,
      float32,
      onIteration: options.onIteration,
      signal: options.signal,
    });
    const weights = new Float32Array(dim * c);
    const bias = new Float32Array(c).fill(-Infinity);
    for (let d = 0; d < dim; d++) for (let j = 0; j < cp; j++) weights[d * c + classes[j]] = r.x[d * cp + j];
    for (let j = 0; j < cp; j++) bias[classes[j]] = r.x[dc + j];
    return {
      dim,
      numClasses: c,
      weights,
      bias,
      solver: 'lbfgs',
      losses: r.losses,
      iterations: r.iterations,
      evaluations: r.evaluations,
      converged: r.converged,
      stopReason: r.stopReason,
      gradNorm: r.gradNorm,
    };
  } finally {
    objective.dispose();
  }
}

async function trainAdam(embeddings: Float32Array, labels: Int32Array, dim: number, options: ProbeOptions, p: Prepared): Promise<ProbeResult> {
  const { c, rows, start, byClass, present, shift, l2 } = p;
  const epochs = options.epochs ?? 20;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 256));
  const signal = options.signal;
  const n = rows.length;
  const rand = mulberry32(options.seed ?? 0);
  const order = rows.slice();
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const xs = new Float32Array(batchSize * dim);
  const ys = new Int32Array(batchSize);
  const losses: number[] = [];

  // Zeros (unless `init`) are a fine start: the loss is convex, and zeros make the run depend on the seed only.
  // (In a tidy: tf.variable keeps the data but not the tensor it was made from.)
  const init = options.init;
  const finite = (a: Float32Array) => Float32Array.from(a, (v) => (Number.isFinite(v) ? v : 0));
  const w = tf.tidy(() => tf.variable(init ? tf.tensor2d(finite(init.weights), [dim, c]) : tf.zeros([dim, c]), true));
  const b = tf.tidy(() => tf.variable(init ? tf.tensor1d(finite(init.bias)) : tf.zeros([c]), true));
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
    return {
      dim,
      numClasses: c,
      weights: weights as Float32Array,
      bias: bias as Float32Array,
      solver: 'adam',
      losses,
      iterations: epochs,
      evaluations: epochs,
      converged: false,
      stopReason: 'maxIterations',
      gradNorm: NaN,
    };
  } finally {
    epochLoss.dispose();
    w.dispose();
    b.dispose();
    shiftT?.dispose();
    optimizer.dispose();
  }
}

/**
 * Kang et al.'s τ-normalisation ("Decoupling representation and classifier for long-tailed
 * recognition", ICLR 2020, eq. 4): each class's weight column w_c ← w_c / ‖w_c‖^γ (their τ; here
 * γ, since τ is the logit adjustment's). γ = 0 leaves the weights as they are, γ = 1 gives every
 * class a unit-norm column: on long-tailed data the head's columns grow longer, and shrinking
 * them evens out the classes' scales. A zero column (a class without train rows) stays zero.
 * `weights` is [D×C] row-major as in ProbeResult; a new array is returned. The bias is not
 * touched here: see tauNormalizedProbe.
 */
export function tauNormalize(weights: Float32Array, dim: number, numClasses: number, gamma: number): Float32Array {
  if (weights.length !== dim * numClasses) throw new RangeError(`${weights.length} weights are not ${dim}×${numClasses}`);
  if (!Number.isFinite(gamma)) throw new RangeError(`γ must be finite, not ${gamma}`);
  const c = numClasses;
  const norm = new Float64Array(c);
  for (let d = 0; d < dim; d++) for (let k = 0; k < c; k++) norm[k] += weights[d * c + k] ** 2;
  const factor = Float64Array.from(norm, (s) => (s > 0 ? Math.sqrt(s) ** -gamma : 0));
  const out = new Float32Array(weights.length);
  for (let d = 0; d < dim; d++) for (let k = 0; k < c; k++) out[d * c + k] = weights[d * c + k] * factor[k];
  return out;
}

/**
 * The probe with τ-normalised weights (tauNormalize) and, as Kang et al. do, without the bias:
 * logits = x·W̃. The bias learnt alongside the unnormalised columns is on their scale, not the new
 * one, and mostly carries the train prior, which τ-normalisation is meant to take out. A −∞ bias
 * (a class without train rows) stays −∞, so that class still never wins. `bias: 'keep'` keeps it
 * all (e.g. to sweep γ on a logit-adjusted probe whose bias is already balanced).
 */
export function tauNormalizedProbe(probe: ProbeWeights, gamma: number, options: { bias?: 'drop' | 'keep' } = {}): ProbeWeights {
  const keep = options.bias === 'keep';
  return {
    dim: probe.dim,
    numClasses: probe.numClasses,
    weights: tauNormalize(probe.weights, probe.dim, probe.numClasses, gamma),
    bias: Float32Array.from(probe.bias, (v) => (keep || v === -Infinity ? v : 0)),
  };
}

/** The probe as a LinearModel for the chunked scorer: W transposed to [C×D], logits = x·W + b. */
export function probeModel(probe: ProbeWeights): LinearModel {
  const { dim, numClasses: c, weights } = probe;
  const t = new Float32Array(c * dim);
  for (let d = 0; d < dim; d++) for (let k = 0; k < c; k++) t[k * dim + d] = weights[d * c + k];
  return { dim, numClasses: c, weights: t, bias: Float32Array.from(probe.bias), normalizeQueries: false, normPenalty: 0 };
}
