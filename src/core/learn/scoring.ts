/**
 * Linear scoring in chunks: logits = x·Wᵀ + b for every class, one chunk of query rows at a time,
 * keeping only what is needed per row (top-k, or whatever a visitor accumulates). At Herbarium
 * scale the full matrix (210,407 test rows × 15,501 classes × 4 bytes = 13 GB) never exists.
 *
 * Both classifiers are linear in this sense: nearest class mean (cosine: normalised prototypes
 * times s; euclidean: s·μ with bias −s‖μ‖²/2, see ncm.ts) and the linear probe (probe.ts).
 */

export interface LinearModel {
  dim: number;
  numClasses: number;
  /** [C×D] row-major: class c's weight vector is weights[c·D, (c+1)·D). */
  weights: Float32Array;
  /** [C] the model's own per-class term (zeros for cosine NCM; the priors are added separately). */
  bias: Float32Array;
  /** Scale each query to unit length before the dot products (cosine NCM). */
  normalizeQueries: boolean;
  /**
   * Subtract normPenalty·‖x‖² from each row's scores (euclidean NCM: s/2), so that the scores are
   * the exact logits −s‖x−μ‖²/2 + b. A per-row constant: rankings and softmax do not change.
   */
  normPenalty: number;
}

export interface ScoreOptions {
  /** Rows of `queries` to score, in this order (default: all rows). */
  rows?: Int32Array;
  /** [C] added to every row's scores on top of model.bias: log π for NCM, −τ·log π to adjust, … */
  bias?: Float32Array;
  /** Rows per chunk (default: defaultChunkRows(C)); the scratch holds chunkRows × C scores. */
  chunkRows?: number;
  /** Computes the dot products (default: jsDotKernel of the model); it must be built for this model. */
  kernel?: DotKernel;
}

/**
 * The scores of a chunk of query rows against every class's weights:
 * out[r·C + c] = q[r]·w[c] + bias[c] for r < rows. Asynchronous so that a GPU backend can read its
 * result back without blocking. The plain JavaScript one (jsDotKernel) is the reference; a
 * tfjs matmul on WASM (XNNPACK, SIMD, threads) or a GPU is the fast path (src/compute/tfDotKernel.ts).
 */
export interface DotKernel {
  dot(q: Float32Array, rows: number, bias: Float32Array, out: Float32Array): Promise<void>;
  /**
   * Optional: each row's best class without handing its C scores to JavaScript (a tfjs kernel
   * takes the argmax on its backend and reads back a few numbers a row). For r < rows:
   * outIndex[r] = the smallest c with the largest score q[r]·w[c] + bias[c] (NaN scores never
   * win), outScore[r] = that score; −1 and −Infinity when no class scores above −Infinity. The
   * same as the argmax of `dot`'s scores, up to float32 summation order. scoreTopK uses it for
   * k = 1 when the kernel has it.
   */
  top1?(q: Float32Array, rows: number, bias: Float32Array, outIndex: Int32Array, outScore: Float32Array): Promise<void>;
  /** Rows per top1 chunk when the caller gives none (default: defaultChunkRows): its scores stay in the kernel's backend, not in a JS scratch. */
  top1ChunkRows?(numClasses: number): number;
  dispose(): void;
}

/** Dot products in plain JavaScript (dotBlock), on the calling thread. */
export function jsDotKernel(model: LinearModel): DotKernel {
  return {
    dot: async (q, rows, bias, out) => dotBlock(q, rows, model.dim, model.weights, model.numClasses, bias, out),
    dispose: () => {},
  };
}

/** About 2 M scores (8 MB) per chunk: 135 rows at 15,501 classes, capped at 1,024 rows. */
export function defaultChunkRows(numClasses: number): number {
  return Math.max(2, Math.min(1024, Math.floor((1 << 21) / Math.max(1, numClasses))));
}

/** Checks the shapes of a scoring call; returns the number of rows it scores. */
function checkedRowCount(queries: Float32Array, model: LinearModel, options: ScoreOptions): number {
  const { dim, numClasses, weights } = model;
  if (weights.length !== numClasses * dim) throw new RangeError(`weights hold ${weights.length} values, not ${numClasses}×${dim}`);
  if (model.bias.length !== numClasses) throw new RangeError(`bias has ${model.bias.length} values, not ${numClasses}`);
  if (queries.length % dim !== 0) throw new RangeError(`${queries.length} query values are not whole rows of ${dim}`);
  if (options.bias && options.bias.length !== numClasses) throw new RangeError(`extra bias has ${options.bias.length} values, not ${numClasses}`);
  return options.rows ? options.rows.length : queries.length / dim;
}

/** model.bias + options.bias, in float32 (what every kernel adds to the dot products). */
function combinedBias(model: LinearModel, options: ScoreOptions): Float32Array {
  const bias = Float32Array.from(model.bias);
  if (options.bias) for (let c = 0; c < model.numClasses; c++) bias[c] += options.bias[c];
  return bias;
}

/**
 * Gathers rows first..first+count−1 of the row order into one contiguous block `q` (cheap next to
 * the dot products: D per row against C·D), normalising on the way when the model wants unit
 * queries; rowSquares[r] gets each row's ‖x‖² as scored (1 or 0 when normalised).
 */
function gatherRows(queries: Float32Array, model: LinearModel, rows: Int32Array | undefined, first: number, count: number, q: Float32Array, rowSquares: Float64Array): void {
  const dim = model.dim;
  for (let r = 0; r < count; r++) {
    const src = (rows ? rows[first + r] : first + r) * dim;
    if (src + dim > queries.length || src < 0) throw new RangeError(`row ${src / dim} is outside the ${queries.length / dim} query rows`);
    const dst = r * dim;
    let sq = 0;
    for (let j = 0; j < dim; j++) {
      const v = queries[src + j];
      q[dst + j] = v;
      sq += v * v;
    }
    if (model.normalizeQueries) {
      const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
      for (let j = 0; j < dim; j++) q[dst + j] *= inv;
      sq = sq > 0 ? 1 : 0;
    }
    rowSquares[r] = sq;
  }
}

/**
 * Scores a chunk at a time: `visit(scores, first, count)` gets scores[r·C + c] for rows
 * first..first+count−1 of the row order (the scratch is reused: copy what you keep).
 */
export async function forEachScoreChunk(
  queries: Float32Array,
  model: LinearModel,
  options: ScoreOptions,
  visit: (scores: Float32Array, first: number, count: number) => void,
): Promise<void> {
  const { dim, numClasses } = model;
  const total = checkedRowCount(queries, model, options);
  const chunk = Math.max(1, Math.floor(options.chunkRows ?? defaultChunkRows(numClasses)));
  const bias = combinedBias(model, options);
  const q = new Float32Array(Math.min(chunk, total) * dim);
  const scores = new Float32Array(Math.min(chunk, total) * numClasses);
  const rowSquares = new Float64Array(Math.min(chunk, total));
  const kernel = options.kernel ?? jsDotKernel(model);
  for (let first = 0; first < total; first += chunk) {
    const count = Math.min(chunk, total - first);
    gatherRows(queries, model, options.rows, first, count, q, rowSquares);
    await kernel.dot(q, count, bias, scores);
    if (model.normPenalty !== 0) {
      for (let r = 0; r < count; r++) {
        const p = model.normPenalty * rowSquares[r];
        const o = r * numClasses;
        for (let c = 0; c < numClasses; c++) scores[o + c] -= p;
      }
    }
    visit(count === chunk ? scores : scores.subarray(0, count * numClasses), first, count);
  }
}

/**
 * Top-1 through the kernel's own top1 (the argmax on its backend): per chunk only each row's
 * index and score come back. The norm penalty is a per-row constant, subtracted from the score
 * only: it cannot move the argmax (the JavaScript scan subtracts it from every float32 score
 * first, which can round two near-equal scores into a tie; then the two paths may differ).
 */
async function scoreTop1InKernel(
  queries: Float32Array,
  model: LinearModel,
  options: ScoreOptions,
  kernel: DotKernel & Required<Pick<DotKernel, 'top1'>>,
  indexes: Int32Array,
  topScores: Float32Array,
): Promise<void> {
  const { dim, numClasses } = model;
  const total = indexes.length;
  const chunk = Math.max(1, Math.floor(options.chunkRows ?? kernel.top1ChunkRows?.(numClasses) ?? defaultChunkRows(numClasses)));
  const bias = combinedBias(model, options);
  const q = new Float32Array(Math.min(chunk, total) * dim);
  const rowSquares = new Float64Array(Math.min(chunk, total));
  for (let first = 0; first < total; first += chunk) {
    const count = Math.min(chunk, total - first);
    gatherRows(queries, model, options.rows, first, count, q, rowSquares);
    const outScore = topScores.subarray(first, first + count);
    await kernel.top1(q, count, bias, indexes.subarray(first, first + count), outScore);
    if (model.normPenalty !== 0) for (let r = 0; r < count; r++) outScore[r] -= model.normPenalty * rowSquares[r];
  }
}

/**
 * out[r·C + c] = bias[c] + q[r]·w[c] for `rows` contiguous query rows.
 *
 * Register-blocked: 2 query rows × 4 classes per pass over D, so each loaded value feeds 4 (or 2)
 * multiply-adds instead of 1 (8 accumulators + 6 loads fit x64's 16 float registers; 4×4 spilled
 * and was no faster), and cache-blocked over classes so a block of weight rows (≈64 kB) stays in
 * L2 while every row of the chunk passes over it. Sums are in float64 (JS numbers), stored as float32.
 *
 * Measured (Node 20 / V8, 2-core x64 dev box shared with other jobs, so ±40%; median of 5 calls of
 * scoreTopK, k = 1, 15,501 classes): D = 1,280 with 135-row chunks 2.0–2.8 GFLOP/s, D = 96 1.4–2.4;
 * the plain triple loop 0.25–0.8. So Herbarium's test set (210,407 × 15,501 × 1,280 × 2 = 8.3
 * TFLOP) takes about an hour on one core at D = 1,280 and ~5 min at the 96-d default layer: a GPU
 * matmul is the fast path, this is the everywhere fallback and the reference.
 */
function dotBlock(
  q: Float32Array,
  rows: number,
  dim: number,
  w: Float32Array,
  numClasses: number,
  bias: Float32Array,
  out: Float32Array,
): void {
  const block = Math.max(4, (Math.floor(16384 / dim) >> 2) << 2);
  for (let c0 = 0; c0 < numClasses; c0 += block) {
    const c1 = Math.min(numClasses, c0 + block);
    let r = 0;
    for (; r + 1 < rows; r += 2) {
      const qa = r * dim;
      const qb = qa + dim;
      const oa = r * numClasses;
      const ob = oa + numClasses;
      let c = c0;
      for (; c + 3 < c1; c += 4) {
        const w0 = c * dim;
        const w1 = w0 + dim;
        const w2 = w1 + dim;
        const w3 = w2 + dim;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0; // prettier-ignore
        for (let d = 0; d < dim; d++) {
          const x = q[qa + d];
          const y = q[qb + d];
          const u0 = w[w0 + d];
          const u1 = w[w1 + d];
          const u2 = w[w2 + d];
          const u3 = w[w3 + d];
          a0 += x * u0;
          a1 += x * u1;
          a2 += x * u2;
          a3 += x * u3;
          b0 += y * u0;
          b1 += y * u1;
          b2 += y * u2;
          b3 += y * u3;
        }
        out[oa + c] = a0 + bias[c];
        out[oa + c + 1] = a1 + bias[c + 1];
        out[oa + c + 2] = a2 + bias[c + 2];
        out[oa + c + 3] = a3 + bias[c + 3];
        out[ob + c] = b0 + bias[c];
        out[ob + c + 1] = b1 + bias[c + 1];
        out[ob + c + 2] = b2 + bias[c + 2];
        out[ob + c + 3] = b3 + bias[c + 3];
      }
      for (; c < c1; c++) {
        const w0 = c * dim;
        let a = 0;
        let b = 0;
        for (let d = 0; d < dim; d++) {
          const u = w[w0 + d];
          a += q[qa + d] * u;
          b += q[qb + d] * u;
        }
        out[oa + c] = a + bias[c];
        out[ob + c] = b + bias[c];
      }
    }
    if (r < rows) {
      // The odd last row.
      const qa = r * dim;
      const oa = r * numClasses;
      for (let c = c0; c < c1; c++) {
        const w0 = c * dim;
        let a = 0;
        for (let d = 0; d < dim; d++) a += q[qa + d] * w[w0 + d];
        out[oa + c] = a + bias[c];
      }
    }
  }
}

export interface TopK {
  k: number;
  /** [N×k] class indexes per scored row, best first (ties: the smaller class index first); −1 pads when fewer than k classes have a finite score. */
  indexes: Int32Array;
  /** [N×k] their scores (−Infinity pads). */
  scores: Float32Array;
}

/**
 * The k best classes of every query row and their logits, chunk by chunk: memory is
 * N×k + chunkRows×C, never N×C. With k = 1 `indexes` is the prediction; when the kernel has
 * `top1` (tfDotKernel: the argmax on the tfjs backend), k = 1 goes through it and no row's C
 * scores reach JavaScript.
 */
export async function scoreTopK(queries: Float32Array, model: LinearModel, k = 1, options: ScoreOptions = {}): Promise<TopK> {
  if (!(k >= 1)) throw new RangeError(`k must be at least 1, not ${k}`);
  const total = checkedRowCount(queries, model, options);
  const indexes = new Int32Array(total * k).fill(-1);
  const topScores = new Float32Array(total * k).fill(-Infinity);
  const c = model.numClasses;
  const kernel = options.kernel;
  if (k === 1 && kernel?.top1) {
    await scoreTop1InKernel(queries, model, options, kernel as DotKernel & Required<Pick<DotKernel, 'top1'>>, indexes, topScores);
    return { k, indexes, scores: topScores };
  }
  await forEachScoreChunk(queries, model, options, (scores, first, count) => {
    for (let r = 0; r < count; r++) {
      const o = r * c;
      const t = (first + r) * k;
      if (k === 1) {
        let best = -Infinity;
        let arg = -1;
        for (let j = 0; j < c; j++) {
          const v = scores[o + j];
          if (v > best) {
            best = v;
            arg = j;
          }
        }
        indexes[t] = arg;
        topScores[t] = best;
        continue;
      }
      // Insertion into a sorted list of k: only scores above the current k-th are inserted,
      // and strictly above, so among equal scores the smaller class index stays ahead.
      let worst = -Infinity;
      for (let j = 0; j < c; j++) {
        const v = scores[o + j];
        if (!(v > worst)) continue;
        let p = k - 1;
        while (p > 0 && v > topScores[t + p - 1]) {
          topScores[t + p] = topScores[t + p - 1];
          indexes[t + p] = indexes[t + p - 1];
          p--;
        }
        topScores[t + p] = v;
        indexes[t + p] = j;
        worst = topScores[t + k - 1];
      }
    }
  });
  return { k, indexes, scores: topScores };
}

/** The prediction (top-1 class) of each row: scoreTopK with k = 1. */
export async function predict(queries: Float32Array, model: LinearModel, options: ScoreOptions = {}): Promise<Int32Array> {
  return (await scoreTopK(queries, model, 1, options)).indexes;
}
