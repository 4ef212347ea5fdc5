/**
 * The classifiers' dot products as one tfjs matmul per chunk, on tfjs's current backend: XNNPACK
 * with SIMD and threads on WASM (about 8× the plain JavaScript kernel per core), or the GPU. The
 * class weights are uploaded once per fitted model; each chunk uploads its query rows and reads
 * its scores back asynchronously (a GPU backend's synchronous read blocks the worker).
 *
 * Top-1 (`top1`, what scoreTopK uses for k = 1) takes the arg-max on the backend too, so a row's C
 * scores never reach JavaScript: at Herbarium scale (15,501 classes) reading them back and
 * arg-maxing them in JavaScript was half of the test set's scoring time (bench:classify). On
 * WASM it runs in two stages (blockedTop1: XNNPACK's vectorised max pooling over blocks of
 * classes, then tf.argMax over the blocks), in larger chunks than the dot path (tfTop1ChunkRows).
 * Ties go to the smaller class and NaN scores never win, as in scoreTopK's JavaScript scan.
 */

import * as tf from '@tensorflow/tfjs';
import type { DotKernel, LinearModel } from '../core/learn/scoring.ts';

/**
 * Backends whose ArgMax kernel scans each row from class 0 and keeps a value only when strictly
 * greater (tfjs-backend-wasm's ArgMax.cc, tfjs-backend-cpu's argMax): the first maximum, as the
 * JavaScript scan. Elsewhere the first maximum is found exactly by other means (firstMaxIndex):
 * WebGPU's ArgMax reduces in parallel (64 threads striding over the classes, then a tree), so a
 * tie can go to a later class; WebGL's was not checked.
 */
const firstMaxArgMaxBackends = new Set(['wasm', 'cpu']);

/**
 * The smallest index of each row's maximum, on any backend, exactly: max over the classes with
 * the row's maximum of (C − c) (a max is order-independent; C − c is exact in float32 below 2²⁴),
 * so C − that is the first maximum. Rows whose maximum is NaN come out as C (none equal it).
 */
export function firstMaxIndex(scores: tf.Tensor2D, numClasses: number): tf.Tensor1D {
  return tf.tidy(() => {
    const best = tf.max(scores, 1, true);
    const reversed = tf.sub(tf.scalar(numClasses, 'float32'), tf.range(0, numClasses, 1, 'float32'));
    const last = tf.max(tf.mul(tf.cast(tf.equal(scores, best), 'float32'), reversed), 1);
    return tf.cast(tf.sub(tf.scalar(numClasses, 'float32'), last), 'int32') as tf.Tensor1D;
  });
}

/** Same length and the same value everywhere (−∞ equals −∞; a NaN never matches: uploaded again). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface TfDotKernelOptions {
  /**
   * Take the top-1 with tf.argMax (default: on the backends in firstMaxArgMaxBackends) or with
   * firstMaxIndex (elsewhere). For tests: the second path on the cpu and wasm backends.
   */
  backendArgMax?: boolean;
  /**
   * Classes per block for the two-stage top-1 (see blockedTop1) on the tf.argMax backends;
   * 0: one tf.argMax over all the classes. Default TOP1_BLOCK when there are at least 4 blocks.
   */
  top1Block?: number;
}

/** Classes per block of the two-stage top-1 (bench:classify: see top1Block). */
export const TOP1_BLOCK = 16;

/**
 * Rows per top-1 chunk: about 16 M scores (64 MB in the backend), capped at 1,024 rows (1,024 at
 * 15,501 classes, a classifySubmission block). The two-stage top-1 gains from larger chunks (fewer
 * small ops a row; its max pooling streams, so the chunk need not stay in cache): measured
 * (bench:classify, tfjs WASM, 4,096 test rows, interleaved) on a loaded machine 135 rows 0.46 s,
 * 270 and 512 0.43 s, 1,024 0.39 s (the matmul alone 0.41 → 0.35 s); on a quiet one 0.25 s at
 * 135 rows and 0.24 s at 1,024. One tf.argMax over all the classes instead wants its chunk in
 * cache: 0.32 s at 135 rows, 0.36 s at 1,024.
 */
export function tfTop1ChunkRows(numClasses: number): number {
  return Math.max(2, Math.min(1024, Math.floor((1 << 24) / Math.max(1, numClasses))));
}

/**
 * The weights [D×C'] for the two-stage top-1, C' = G·k (G blocks of k classes): column j·G + g
 * holds class g·k + j (zeros past the last class). A [R×C'] chunk of scores, seen as NHWC
 * [1, R, k, G], then max-pools over k into [R, G]: G channels side by side, the layout XNNPACK's
 * max pooling vectorises, and block g's maximum is that of classes g·k … g·k + k − 1.
 */
function blockedLayout(model: LinearModel, k: number, groups: number): Float32Array {
  const { dim, numClasses, weights } = model;
  const width = k * groups;
  const out = new Float32Array(dim * width);
  for (let g = 0; g < groups; g++)
    for (let j = 0; j < k; j++) {
      const c = g * k + j;
      if (c >= numClasses) break;
      const p = j * groups + g;
      for (let d = 0; d < dim; d++) out[d * width + p] = weights[c * dim + d];
    }
  return out;
}

/** The bias in blockedLayout's column order (−∞ past the last class: the padding never wins). */
function blockedBias(bias: Float32Array, k: number, groups: number): Float32Array {
  const out = new Float32Array(k * groups).fill(-Infinity);
  for (let c = 0; c < bias.length; c++) out[(c % k) * groups + Math.floor(c / k)] = bias[c];
  return out;
}

/** The largest |x| of the first n values; NaN when one is NaN or ±∞. */
function maxAbs(x: Float32Array, n = x.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[i]);
    if (a > m) m = a;
    else if (a !== a) return NaN;
  }
  return m === Infinity ? NaN : m;
}

export function tfDotKernel(model: LinearModel, options: TfDotKernelOptions = {}): DotKernel {
  const { dim, numClasses } = model;
  // Stored [D×C], transposed once: tfjs WASM's matmul with transposeB ran ~10× slower per chunk
  // (bench:classify: 4,096 rows 12 s against 1.1 s).
  const weights = tf.tidy(() => tf.transpose(tf.tensor2d(model.weights, [numClasses, dim])));
  // The bias rides in the matmul (one pass less in JavaScript); uploaded again only when its
  // values change, not when the same values come in a new array: scoreTopK builds its bias per
  // call, classifySubmission calls it per 1,024-row block, and tfjs-backend-wasm keys its XNNPACK
  // operator on the bias tensor, so a new tensor packs the weights again (about 10 ms a block at
  // 15,501 classes, bench:classify).
  let bias: { values: Float32Array; tensor: tf.Tensor1D } | null = null;
  const biasTensor = (values: Float32Array): tf.Tensor1D => {
    if (!bias || !sameValues(bias.values, values)) {
      bias?.tensor.dispose();
      bias = { values: Float32Array.from(values), tensor: tf.tensor1d(values) };
    }
    return bias.tensor;
  };
  const scoresOf = (q: Float32Array, rows: number, biasValues: Float32Array): tf.Tensor2D => {
    const b = biasTensor(biasValues);
    return tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(q.subarray(0, rows * dim), [rows, dim]), b: weights, bias: b }) as tf.Tensor2D);
  };

  // The two-stage top-1's state: built on its first use (a second copy of the weights).
  const k = options.top1Block ?? (numClasses >= 4 * TOP1_BLOCK ? TOP1_BLOCK : 0);
  const groups = k > 0 ? Math.ceil(numClasses / k) : 0;
  let blocked: {
    weights: tf.Tensor2D;
    maxAbsWeight: number;
    bias: { values: Float32Array; tensor: tf.Tensor1D; maxAbs: number } | null;
    /** Per chunk size R: [R×k] int32, r·C' + j·G (the flat position of row r's j-th class of block 0). */
    columns: Map<number, tf.Tensor2D>;
  } | null = null;

  /**
   * Top-1 in two stages, exactly the first maximum: XNNPACK max-pools each block of k classes
   * (vectorised, one pass over the scores), tf.argMax over the G block maxima finds the first
   * block holding the row's maximum (blocks are contiguous runs of classes: the first class with
   * the maximum lies in the first block with it), and the k scores of that block come back for
   * a JavaScript scan. tf.argMax's plain loop over all C scores was a quarter of top-1's time at
   * 15,501 classes. Returns false (nothing written) when a NaN could appear among the scores —
   * XNNPACK's max of a NaN is not the JavaScript scan's — so the caller takes the one-stage path.
   */
  const blockedTop1 = async (q: Float32Array, rows: number, biasValues: Float32Array, outIndex: Int32Array, outScore: Float32Array): Promise<boolean> => {
    if (!blocked) {
      const values = blockedLayout(model, k, groups);
      blocked = { weights: tf.tensor2d(values, [dim, k * groups]), maxAbsWeight: maxAbs(model.weights), bias: null, columns: new Map() };
    }
    const state = blocked;
    if (!state.bias || !sameValues(state.bias.values, biasValues)) {
      state.bias?.tensor.dispose();
      let biasMax = 0;
      for (const v of biasValues) {
        if (v !== v || v === Infinity) biasMax = NaN;
        else if (v !== -Infinity && Math.abs(v) > biasMax) biasMax = Math.abs(v);
      }
      state.bias = { values: Float32Array.from(biasValues), tensor: tf.tensor1d(blockedBias(biasValues, k, groups)), maxAbs: biasMax };
    }
    // Finite queries, weights and bias (−∞ allowed) with no float32 overflow: no NaN anywhere.
    const bound = maxAbs(q, rows * dim) * state.maxAbsWeight * dim + state.bias.maxAbs;
    if (!(bound < 1e37)) return false;
    const width = k * groups;
    let columns = state.columns.get(rows);
    if (!columns) {
      const at = new Int32Array(rows * k);
      for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) at[r * k + j] = r * width + j * groups;
      columns = tf.tensor2d(at, [rows, k], 'int32');
      // A few chunk sizes recur (full chunks, a call's last one): keep the latest four.
      if (state.columns.size >= 4) {
        const [oldest, t] = state.columns.entries().next().value!;
        t.dispose();
        state.columns.delete(oldest);
      }
      state.columns.set(rows, columns);
    }
    const cols = columns;
    const b = state.bias.tensor;
    const [block, values] = tf.tidy(() => {
      const scores = tf.fused.matMul({ a: tf.tensor2d(q.subarray(0, rows * dim), [rows, dim]), b: state.weights, bias: b });
      const maxima = tf.maxPool(tf.reshape(scores, [1, rows, k, groups]) as tf.Tensor4D, [1, k], [1, k], 'valid');
      const best = tf.argMax(tf.reshape(maxima, [rows, groups]), 1);
      const at = tf.add(cols, tf.reshape(best, [rows, 1]));
      return [best, tf.gather(tf.reshape(scores, [rows * width]), tf.reshape(at, [rows * k]))];
    });
    let blockValues: Int32Array;
    let scoreValues: Float32Array;
    try {
      [blockValues, scoreValues] = (await Promise.all([block.data(), values.data()])) as [Int32Array, Float32Array];
    } finally {
      tf.dispose([block, values]);
    }
    for (let r = 0; r < rows; r++) {
      let arg = -1;
      let top = -Infinity;
      for (let j = 0; j < k; j++) {
        const v = scoreValues[r * k + j];
        if (v > top) {
          top = v;
          arg = j;
        }
      }
      outIndex[r] = arg < 0 ? -1 : blockValues[r] * k + arg;
      outScore[r] = top;
    }
    return true;
  };

  return {
    async dot(q, rows, biasValues, out) {
      const scores = scoresOf(q, rows, biasValues);
      try {
        out.set((await scores.data()) as Float32Array);
      } finally {
        scores.dispose();
      }
    },

    async top1(q, rows, biasValues, outIndex, outScore) {
      const exactArgMax = options.backendArgMax ?? firstMaxArgMaxBackends.has(tf.getBackend());
      if (exactArgMax && k > 0 && (await blockedTop1(q, rows, biasValues, outIndex, outScore))) return;
      const scores = scoresOf(q, rows, biasValues);
      try {
        const [index, best] = tf.tidy(() => {
          const i = exactArgMax ? (tf.argMax(scores, 1) as tf.Tensor1D) : firstMaxIndex(scores, numClasses);
          // Each row's score at its index: a gather from the flat scores, not another pass over them
          // (firstMaxIndex's C for a NaN row is kept in range here and redone below).
          const at = tf.add(exactArgMax ? i : tf.minimum(i, tf.scalar(numClasses - 1, 'int32')), tf.range(0, rows * numClasses, numClasses, 'int32'));
          return [i, tf.gather(tf.reshape(scores, [rows * numClasses]), at)];
        });
        let indexValues: Int32Array;
        let bestValues: Float32Array;
        try {
          [indexValues, bestValues] = (await Promise.all([index.data(), best.data()])) as [Int32Array, Float32Array];
        } finally {
          tf.dispose([index, best]);
        }
        for (let r = 0; r < rows; r++) {
          const i = indexValues[r];
          const v = bestValues[r];
          if (v === v && i >= 0 && i < numClasses) {
            // ArgMax answers 0 for a row of −∞ (nothing beats the first): no class then, as the JS scan.
            outIndex[r] = v === -Infinity ? -1 : i;
            outScore[r] = v;
            continue;
          }
          // A NaN at the first class stops the backend's scan (nothing compares greater than NaN);
          // the JS scan skips NaNs. Rare: redo the row from its scores.
          const slice = tf.slice(scores, [r, 0], [1, numClasses]);
          let row: Float32Array;
          try {
            row = (await slice.data()) as Float32Array;
          } finally {
            slice.dispose();
          }
          let arg = -1;
          let top = -Infinity;
          for (let c = 0; c < numClasses; c++) {
            if (row[c] > top) {
              top = row[c];
              arg = c;
            }
          }
          outIndex[r] = arg;
          outScore[r] = top;
        }
      } finally {
        scores.dispose();
      }
    },

    top1ChunkRows: tfTop1ChunkRows,

    dispose: () => {
      weights.dispose();
      bias?.tensor.dispose();
      if (blocked) {
        blocked.weights.dispose();
        blocked.bias?.tensor.dispose();
        for (const t of blocked.columns.values()) t.dispose();
        blocked = null;
      }
    },
  };
}
