import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { defaultChunkRows, forEachScoreChunk, jsDotKernel, predict, scoreTopK, type DotKernel, type LinearModel } from './scoring.ts';

function randomArray(n: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

function model(weights: Float32Array, bias: Float32Array, dim: number, extra: Partial<LinearModel> = {}): LinearModel {
  return { dim, numClasses: bias.length, weights, bias, normalizeQueries: false, normPenalty: 0, ...extra };
}

/** The naive reference: the whole N×C matrix, one plain dot product per cell. */
function bruteForce(q: Float32Array, m: LinearModel, extra?: Float32Array): number[][] {
  const n = q.length / m.dim;
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    let x = Array.from(q.subarray(i * m.dim, (i + 1) * m.dim));
    const sq = x.reduce((s, v) => s + v * v, 0);
    if (m.normalizeQueries && sq > 0) x = x.map((v) => v / Math.sqrt(sq));
    const row: number[] = [];
    for (let c = 0; c < m.numClasses; c++) {
      let s = m.bias[c] + (extra ? extra[c] : 0);
      for (let j = 0; j < m.dim; j++) s += x[j] * m.weights[c * m.dim + j];
      s -= m.normPenalty * (m.normalizeQueries ? (sq > 0 ? 1 : 0) : sq);
      row.push(s);
    }
    out.push(row);
  }
  return out;
}

describe('scoreTopK against a brute-force N×C matrix', () => {
  // Odd sizes on purpose: rows, classes and D not multiples of the 2×4 register block.
  for (const [n, c, d, chunk] of [
    [7, 9, 5, 3],
    [13, 4, 1, 4],
    [1, 23, 33, 8],
    [40, 37, 70, 6],
  ]) {
    it(`N=${n} C=${c} D=${d}, chunks of ${chunk}`, async () => {
      const rand = mulberry32(n * 1000 + c);
      const q = randomArray(n * d, rand);
      const m = model(randomArray(c * d, rand), randomArray(c, rand), d);
      const extra = randomArray(c, rand);
      const ref = bruteForce(q, m, extra);
      const k = Math.min(3, c);
      const top = await scoreTopK(q, m, k, { bias: extra, chunkRows: chunk });
      for (let i = 0; i < n; i++) {
        const order = ref[i].map((v, j) => [v, j]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
        for (let r = 0; r < k; r++) {
          expect(top.indexes[i * k + r]).toBe(order[r][1]);
          expect(top.scores[i * k + r]).toBeCloseTo(order[r][0], 5);
        }
      }
      // The per-chunk visitor sees every score.
      let visited = 0;
      await forEachScoreChunk(q, m, { bias: extra, chunkRows: chunk }, (scores, first, count) => {
        for (let r = 0; r < count; r++)
          for (let j = 0; j < c; j++) expect(scores[r * c + j]).toBeCloseTo(ref[first + r][j], 5);
        visited += count;
      });
      expect(visited).toBe(n);
    });
  }

  it('scores a subset of rows in the given order', async () => {
    const rand = mulberry32(3);
    const q = randomArray(10 * 4, rand);
    const m = model(randomArray(6 * 4, rand), new Float32Array(6), 4);
    const all = await predict(q, m);
    const some = await predict(q, m, { rows: Int32Array.from([9, 2, 2, 5]), chunkRows: 3 });
    expect([...some]).toEqual([all[9], all[2], all[2], all[5]]);
  });

  it('normalises queries and subtracts the norm penalty like the definition', async () => {
    const rand = mulberry32(4);
    const q = randomArray(9 * 6, rand);
    q.fill(0, 6, 12); // a zero row stays zero when normalised
    for (const extra of [{ normalizeQueries: true }, { normPenalty: 0.75 }]) {
      const m = model(randomArray(5 * 6, rand), randomArray(5, rand), 6, extra);
      const ref = bruteForce(q, m);
      await forEachScoreChunk(q, m, { chunkRows: 4 }, (scores, first, count) => {
        for (let r = 0; r < count; r++) for (let j = 0; j < 5; j++) expect(scores[r * 5 + j]).toBeCloseTo(ref[first + r][j], 5);
      });
    }
  });

  it('by hand: ties go to the smaller class, −Infinity classes are never picked', async () => {
    // Query (1, 0). Classes: (1, 0) → 1, (0, 1) → 0, (1, 0) → 1, bias −∞ → −∞.
    const m = model(Float32Array.from([1, 0, 0, 1, 1, 0, 5, 5]), Float32Array.from([0, 0, 0, -Infinity]), 2);
    const top = await scoreTopK(Float32Array.from([1, 0]), m, 4);
    expect([...top.indexes]).toEqual([0, 2, 1, -1]);
    expect([...top.scores]).toEqual([1, 1, 0, -Infinity]);
    expect([...await predict(Float32Array.from([1, 0]), m)]).toEqual([0]);
  });

  it('rejects shapes that do not fit', async () => {
    const m = model(new Float32Array(6), new Float32Array(3), 2);
    await expect(scoreTopK(new Float32Array(5), m)).rejects.toThrow(RangeError);
    await expect(scoreTopK(new Float32Array(4), m, 0)).rejects.toThrow(RangeError);
    await expect(scoreTopK(new Float32Array(4), m, 1, { rows: Int32Array.from([2]) })).rejects.toThrow(RangeError);
    await expect(scoreTopK(new Float32Array(4), m, 1, { bias: new Float32Array(2) })).rejects.toThrow(RangeError);
    await expect(scoreTopK(new Float32Array(4), { ...m, weights: new Float32Array(5) })).rejects.toThrow(RangeError);
  });

  it('chunks hold about 2 M scores', async () => {
    // 2²¹ / 15,501 = 135.3 → 135 rows; tiny C is capped at 1,024 rows.
    expect(defaultChunkRows(15501)).toBe(135);
    expect(defaultChunkRows(99)).toBe(1024);
  });

  it('k = 1 goes through a kernel\'s top1 when it has one: same predictions and scores, rows, chunks, normalisation and norm penalty included', async () => {
    const rand = mulberry32(8);
    const d = 5;
    const c = 29;
    const n = 23;
    // Small integers: exact sums, so brute force, the JS scan and any kernel agree to the bit, ties included.
    const ints = (len: number, lo: number, hi: number) => Float32Array.from({ length: len }, () => lo + Math.floor(rand() * (hi - lo + 1)));
    const q = ints(n * d, -2, 2);
    const weights = ints(c * d, -1, 1);
    for (const extra of [{}, { normPenalty: 0.5 }, { normalizeQueries: true }]) {
      const m = model(weights, ints(c, -1, 1), d, extra);
      const bias = ints(c, -1, 0);
      bias[0] = -Infinity;
      bias[7] = -Infinity;
      // A top1 from the JS kernel's scores: what a backend's argmax must answer.
      const js = jsDotKernel(m);
      const chunks: number[] = [];
      const kernel: DotKernel = {
        ...js,
        async top1(block, rows, b, outIndex, outScore) {
          chunks.push(rows);
          const scores = new Float32Array(rows * c);
          await js.dot(block, rows, b, scores);
          for (let r = 0; r < rows; r++) {
            let best = -Infinity;
            let arg = -1;
            for (let j = 0; j < c; j++) if (scores[r * c + j] > best) [best, arg] = [scores[r * c + j], j];
            outIndex[r] = arg;
            outScore[r] = best;
          }
        },
      };
      const rows = Int32Array.from([4, 0, 22, 4, 9, 13, 1, 2, 3, 17, 5]);
      const fast = await scoreTopK(q, m, 1, { bias, rows, chunkRows: 4, kernel });
      expect(chunks).toEqual([4, 4, 3]);
      const reference = await scoreTopK(q, m, 1, { bias, rows, chunkRows: 4 });
      const ref = bruteForce(q, m, bias);
      expect([...fast.indexes]).toEqual([...reference.indexes]);
      expect([...fast.scores]).toEqual([...reference.scores]);
      // Unit queries are not exact in float32: there the JS scan above is the reference.
      for (let i = 0; i < rows.length && !extra.normalizeQueries; i++) {
        const row = ref[rows[i]];
        const best = Math.max(...row);
        expect(fast.indexes[i]).toBe(row.indexOf(best));
        expect(fast.scores[i]).toBe(best);
      }
      // Without chunkRows, the kernel's own top1 chunk size.
      chunks.length = 0;
      await scoreTopK(q, m, 1, { bias, rows, kernel: { ...kernel, top1ChunkRows: (classes) => (classes === c ? 5 : 1) } });
      expect(chunks).toEqual([5, 5, 1]);
      // k > 1 and kernels without top1 keep the JS scan.
      chunks.length = 0;
      await scoreTopK(q, m, 2, { bias, rows, chunkRows: 4, kernel });
      expect(chunks).toEqual([]);
    }
  });
});
