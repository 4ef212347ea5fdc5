import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { ncmModel } from '../core/learn/ncm.ts';
import { scoreTopK, type DotKernel, type LinearModel } from '../core/learn/scoring.ts';
import { mulberry32 } from '../core/random.mjs';
import { firstMaxIndex, tfDotKernel } from './tfDotKernel.ts';

describe.each(['cpu', 'wasm'])('tfDotKernel on the %s backend', (backend) => {
  it('scores like the plain JavaScript kernel (float64 sums), chunk by chunk, and frees its tensors', async () => {
    await tf.setBackend(backend);
    const rand = mulberry32(5);
    const c = 211;
    const d = 37;
    const n = 150;
    const protos = Float32Array.from({ length: c * d }, () => rand() * 2 - 1);
    const q = Float32Array.from({ length: n * d }, () => rand() * 2 - 1);
    const lp = Float32Array.from({ length: c }, (_, k) => -Math.log(k + 2));
    for (const metric of ['cosine', 'euclidean'] as const) {
      const model = ncmModel(protos, d, metric, 7);
      const before = tf.memory().numTensors;
      const kernel = tfDotKernel(model);
      const rows = Int32Array.from({ length: 90 }, (_, i) => (i * 11) % n);
      const fast = await scoreTopK(q, model, 3, { bias: lp, rows, chunkRows: 32, kernel });
      kernel.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const reference = await scoreTopK(q, model, 3, { bias: lp, rows, chunkRows: 32 });
      let sameTop1 = 0;
      for (let i = 0; i < rows.length * 3; i++) expect(Math.abs(fast.scores[i] - reference.scores[i])).toBeLessThan(1e-4 * (1 + Math.abs(reference.scores[i])));
      for (let r = 0; r < rows.length; r++) if (fast.indexes[r * 3] === reference.indexes[r * 3]) sameTop1++;
      // float32 accumulation order can only swap exact near-ties.
      expect(sameTop1).toBeGreaterThanOrEqual(rows.length - 1);
    }
  });
});

/** Small integers: every dot product is exact in float32 and float64, so ties are exact ties in every kernel. */
function integerData(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo + 1)));
}

/** Brute force in plain JS: each row's first maximum (NaN never wins) and its score; −1 / −∞ when none beats −∞. */
function bruteTop1(q: Float32Array, m: LinearModel, extra: Float32Array, rows: Int32Array): { index: number[]; score: number[] } {
  const index: number[] = [];
  const score: number[] = [];
  for (const i of rows) {
    let sq = 0;
    for (let j = 0; j < m.dim; j++) sq += q[i * m.dim + j] ** 2;
    let best = -Infinity;
    let arg = -1;
    for (let c = 0; c < m.numClasses; c++) {
      let s = m.bias[c] + extra[c];
      for (let j = 0; j < m.dim; j++) s += q[i * m.dim + j] * m.weights[c * m.dim + j];
      s = Math.fround(Math.fround(s) - m.normPenalty * sq);
      if (s > best) {
        best = s;
        arg = c;
      }
    }
    index.push(arg);
    score.push(best);
  }
  return { index, score };
}

describe.each([
  // tf.argMax backends: two stages (blocks of 16 classes; of 3: padding in most tests), and one tf.argMax.
  ['cpu', true, undefined],
  ['cpu', true, 3],
  ['cpu', true, 0],
  ['wasm', true, undefined],
  ['wasm', true, 3],
  ['wasm', true, 0],
  // As on a GPU: firstMaxIndex.
  ['cpu', false, undefined],
  ['wasm', false, undefined],
])('tfDotKernel.top1 on the %s backend (tf.argMax: %s; blocks of %s classes)', (backend, backendArgMax, top1Block) => {
  it('predicts what brute force does, ties to the smaller class, −∞ classes never, across chunks', async () => {
    await tf.setBackend(backend);
    const rand = mulberry32(11);
    for (const [n, c, d, chunkRows, penalty] of [
      [150, 211, 7, 32, 0],
      [97, 64, 3, 10, 0.5], // few distinct scores: ties in most rows
      [5, 1, 4, 2, 0],
      [300, 1031, 5, 135, 0],
    ]) {
      const weights = integerData(rand, c * d, -2, 2);
      // Duplicated classes score alike in every row: exact ties the kernel must give to the first.
      for (let k = 1; k < c; k += 3) weights.copyWithin(k * d, (k - 1) * d, k * d);
      const bias = integerData(rand, c, -1, 1);
      const extra = integerData(rand, c, -2, 0);
      for (let k = 0; k < c; k += 5) extra[k] = -Infinity; // class 0 too: the backend scan starts there
      const m: LinearModel = { dim: d, numClasses: c, weights, bias, normalizeQueries: false, normPenalty: penalty };
      const q = integerData(rand, n * d, -3, 3);
      const rows = Int32Array.from({ length: n + 7 }, (_, i) => (i * 13) % n);
      const before = tf.memory().numTensors;
      const kernel = tfDotKernel(m, { backendArgMax, top1Block });
      let calls = 0;
      const counting: DotKernel = { ...kernel, top1: (...a) => (calls++, kernel.top1!(...a)) };
      const fast = await scoreTopK(q, m, 1, { bias: extra, rows, chunkRows, kernel: counting });
      kernel.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(calls).toBe(Math.ceil(rows.length / chunkRows));
      const brute = bruteTop1(q, m, extra, rows);
      const js = await scoreTopK(q, m, 1, { bias: extra, rows, chunkRows });
      expect([...fast.indexes]).toEqual(brute.index);
      expect([...fast.scores]).toEqual(brute.score);
      expect([...js.indexes]).toEqual(brute.index);
      expect([...js.scores]).toEqual(brute.score);
    }
  });

  it('keeps one bias tensor while the values stay the same, and follows a bias changed in place', async () => {
    await tf.setBackend(backend);
    const m: LinearModel = { dim: 2, numClasses: 3, weights: Float32Array.from([1, 0, 0, 1, 1, 1]), bias: new Float32Array(3), normalizeQueries: false, normPenalty: 0 };
    const kernel = tfDotKernel(m, { backendArgMax, top1Block });
    const q = Float32Array.from([1, 2]);
    const b = Float32Array.from([0, 0, 0]);
    const out = new Float32Array(3);
    const index = new Int32Array(1);
    const score = new Float32Array(1);
    await kernel.dot(q, 1, b, out);
    await kernel.top1!(q, 1, b, index, score);
    const tensors = tf.memory().numTensors;
    await kernel.dot(q, 1, Float32Array.from(b), out); // equal values in a new array: no new tensor
    await kernel.top1!(q, 1, Float32Array.from(b), index, score);
    expect(tf.memory().numTensors).toBe(tensors);
    expect([index[0], score[0]]).toEqual([2, 3]);
    b[0] = 5; // in place
    await kernel.top1!(q, 1, b, index, score);
    expect([index[0], score[0]]).toEqual([0, 6]);
    await kernel.dot(q, 1, b, out);
    expect([...out]).toEqual([6, 2, 3]);
    kernel.dispose();
  });

  it('holds a bounded number of tensors over many chunk sizes, and none after dispose', async () => {
    await tf.setBackend(backend);
    const rand = mulberry32(3);
    const m: LinearModel = { dim: 4, numClasses: 70, weights: integerData(rand, 280, -2, 2), bias: new Float32Array(70), normalizeQueries: false, normPenalty: 0 };
    const q = integerData(rand, 40 * 4, -2, 2);
    const before = tf.memory().numTensors;
    const kernel = tfDotKernel(m, { backendArgMax, top1Block });
    const counts: number[] = [];
    for (let rows = 1; rows <= 8; rows++) {
      const top = await scoreTopK(q, m, 1, { chunkRows: rows, kernel });
      expect([...top.indexes]).toEqual([...(await scoreTopK(q, m, 1, { chunkRows: rows })).indexes]);
      counts.push(tf.memory().numTensors);
    }
    expect(counts[7]).toBeLessThanOrEqual(counts[4]);
    kernel.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a row with nothing above −∞ gets −1; NaN scores never win, also at class 0', async () => {
    await tf.setBackend(backend);
    const d = 3;
    const c = 6;
    const q = Float32Array.from([1, 0, 0, 0, 1, 0, NaN, 0, 0, 0, 0, 1]);
    const rows = Int32Array.from([0, 1, 2, 3]);
    const none = Float32Array.from({ length: c }, () => -Infinity);
    // Class 0's weights hold a NaN: its score is NaN in every row (the backend's scan starts there).
    const weights = Float32Array.from([NaN, 1, 1, 1, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 3, 0, 2, 3]);
    const m: LinearModel = { dim: d, numClasses: c, weights, bias: new Float32Array(c), normalizeQueries: false, normPenalty: 0 };
    for (const extra of [new Float32Array(c), none]) {
      const kernel = tfDotKernel(m, { backendArgMax, top1Block });
      const fast = await scoreTopK(q, m, 1, { bias: extra, rows, kernel });
      kernel.dispose();
      const js = await scoreTopK(q, m, 1, { bias: extra, rows });
      expect([...fast.indexes]).toEqual([...js.indexes]);
      expect([...fast.scores]).toEqual([...js.scores]);
    }
    const js = await scoreTopK(q, m, 1, { rows });
    // Row 0: classes 1 and 2 tie at 1 → 1; row 1: class 3 (2; class 5 ties); row 2 is all NaN; row 3: classes 4 and 5 tie at 3 → 4.
    expect([...js.indexes]).toEqual([1, 3, -1, 4]);
    expect([...(await scoreTopK(q, m, 1, { bias: none, rows })).indexes]).toEqual([-1, -1, -1, -1]);
  });

  it('firstMaxIndex (the path for backends whose ArgMax may break ties otherwise) finds the first maximum', async () => {
    await tf.setBackend(backend);
    const x = tf.tensor2d([
      [1, 3, 3, 0],
      [-Infinity, -Infinity, -Infinity, -Infinity],
      [2, NaN, 2, 5],
      [7, 7, 7, 7],
      [NaN, NaN, NaN, NaN],
    ]);
    const i = firstMaxIndex(x, 4);
    // A row whose maximum is NaN (the backend's max may propagate NaN) answers C: top1 redoes it from its scores.
    const got = [...(await i.data())];
    tf.dispose([x, i]);
    expect([got[0], got[1], got[3]]).toEqual([1, 0, 0]);
    expect([3, 4]).toContain(got[2]);
    expect([0, 4]).toContain(got[4]);
  });
});
