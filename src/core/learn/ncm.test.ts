import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { logPrior } from './logitAdjust.ts';
import { fitNcmScale, ncmModel, type NcmMetric } from './ncm.ts';
import { ClassSums } from './prototypes.ts';
import { forEachScoreChunk, predict } from './scoring.ts';

async function allScores(queries: Float32Array, model: ReturnType<typeof ncmModel>, bias?: Float32Array): Promise<number[][]> {
  const out: number[][] = [];
  await forEachScoreChunk(queries, model, { bias }, (s, _first, count) => {
    for (let r = 0; r < count; r++) out.push(Array.from(s.subarray(r * model.numClasses, (r + 1) * model.numClasses)));
  });
  return out;
}

describe('ncmModel', () => {
  // Prototypes (2, 0), (0, 3), (1, 1); query (3, 4).
  const protos = Float32Array.from([2, 0, 0, 3, 1, 1]);
  const query = Float32Array.from([3, 4]);

  it('cosine by hand: s·cos(x, μ) + extra bias', async () => {
    // cos to (2,0) = 3/5 = 0.6; to (0,3) = 4/5 = 0.8; to (1,1) = 7/(5√2) = 0.98995. With s = 10.
    const lp = Float32Array.from([Math.log(0.7), Math.log(0.2), Math.log(0.1)]);
    const [row] = await allScores(query, ncmModel(protos, 2, 'cosine', 10), lp);
    expect(row[0]).toBeCloseTo(6 + Math.log(0.7), 5);
    expect(row[1]).toBeCloseTo(8 + Math.log(0.2), 5);
    expect(row[2]).toBeCloseTo((10 * 7) / (5 * Math.SQRT2) + Math.log(0.1), 5);
  });

  it('euclidean by hand: −s‖x − μ‖²/2, exact (the ‖x‖² term included)', async () => {
    // ‖(3,4) − (2,0)‖² = 1 + 16 = 17; − (0,3): 9 + 1 = 10; − (1,1): 4 + 9 = 13. With s = 0.5: −s·d²/2.
    const [row] = await allScores(query, ncmModel(protos, 2, 'euclidean', 0.5));
    expect(row[0]).toBeCloseTo(-17 / 4, 5);
    expect(row[1]).toBeCloseTo(-10 / 4, 5);
    expect(row[2]).toBeCloseTo(-13 / 4, 5);
    expect([...await predict(query, ncmModel(protos, 2, 'euclidean', 0.5))]).toEqual([1]);
  });

  it('a class with no train image is never predicted', async () => {
    // Class 2's "prototype" is the zero row; the query (−1, −1) has negative cosine to both others.
    const p = Float32Array.from([1, 0, 0, 1, 0, 0]);
    const q = Float32Array.from([-1, -1]);
    expect([...await predict(q, ncmModel(p, 2, 'cosine', 5))]).toEqual([2]);
    expect([...await predict(q, ncmModel(p, 2, 'cosine', 5, [3, 4, 0]))]).toEqual([0]);
    expect(() => ncmModel(p, 2, 'cosine', 0)).toThrow(RangeError);
    expect(() => ncmModel(p, 2, 'cosine', 1, [1, 2])).toThrow(RangeError);
  });
});

/** Gaussian classes in D dims: class c has mean 1.5·e_c (+ offset) and `sizes[c]` rows of unit noise. */
function gaussianData(sizes: number[], dim: number, seed: number, spread = 1.5) {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const n = sizes.reduce((a, b) => a + b, 0);
  const emb = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  let i = 0;
  sizes.forEach((size, c) => {
    for (let k = 0; k < size; k++, i++) {
      labels[i] = c;
      for (let j = 0; j < dim; j++) emb[i * dim + j] = (j === c % dim ? spread : 0) + 2 + gauss();
    }
  });
  return { emb, labels, n };
}

/** The objective computed the slow way: each row's own-class mean recomputed without it. */
function naiveLogLikelihood(
  emb: Float32Array,
  labels: Int32Array,
  rows: Int32Array,
  sample: Int32Array,
  numClasses: number,
  dim: number,
  metric: NcmMetric,
  lp: Float32Array,
  s: number,
): number {
  let total = 0;
  for (const i of sample) {
    const x = Array.from(emb.subarray(i * dim, (i + 1) * dim));
    const z: number[] = [];
    for (let c = 0; c < numClasses; c++) {
      const mean = new Array(dim).fill(0);
      let n = 0;
      for (const r of rows) {
        if (labels[r] !== c || r === i) continue;
        n++;
        for (let j = 0; j < dim; j++) mean[j] += emb[r * dim + j];
      }
      if (n === 0) continue;
      for (let j = 0; j < dim; j++) mean[j] /= n;
      let a: number;
      if (metric === 'cosine') {
        const dot = x.reduce((t, v, j) => t + v * mean[j], 0);
        a = dot / Math.hypot(...x) / Math.hypot(...mean);
      } else {
        a = -x.reduce((t, v, j) => t + (v - mean[j]) ** 2, 0) / 2;
      }
      z[c] = s * a + lp[c];
    }
    const max = Math.max(...z.filter((v) => v !== undefined));
    const lse = max + Math.log(z.reduce((t, v) => (v === undefined ? t : t + Math.exp(v - max)), 0));
    total += z[labels[i]] - lse;
  }
  return total / sample.length;
}

describe('fitNcmScale', () => {
  const sizes = [40, 15, 6, 3, 1];
  const dim = 6;
  const { emb, labels, n } = gaussianData(sizes, dim, 21);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const sums = new ClassSums(sizes.length, dim);
  sums.addRows(emb, labels, rows);
  const { prototypes, counts } = sums.means();
  const lp = logPrior(counts);

  for (const metric of ['cosine', 'euclidean'] as const) {
    it(`${metric}: finds the maximum that a grid over the naive leave-one-out objective finds`, async () => {
      const fit = await fitNcmScale(emb, labels, prototypes, counts, dim, { metric, logPrior: lp, rows, sampleSize: 30, seed: 5 });
      expect(fit.sampleRows.length).toBe(30);
      // The 1-image class has no leave-one-out mean: its row is never sampled.
      for (const r of fit.sampleRows) expect(labels[r]).not.toBe(4);
      expect(fit.atBound).toBe(false);
      const [lo, hi] = fit.bracket;
      let best = -Infinity;
      let bestS = NaN;
      for (let g = 0; g <= 600; g++) {
        const s = lo * (hi / lo) ** (g / 600);
        const l = naiveLogLikelihood(emb, labels, rows, fit.sampleRows, sizes.length, dim, metric, lp, s);
        if (l > best) {
          best = l;
          bestS = s;
        }
      }
      // Grid step in log s is ln(10⁶)/600 = 0.023; the fit must land within a step of the grid's best.
      expect(Math.abs(Math.log(fit.scale / bestS))).toBeLessThan(0.03);
      expect(fit.meanLogLikelihood).toBeGreaterThanOrEqual(best - 1e-4);
      expect(fit.meanLogLikelihood).toBeCloseTo(
        naiveLogLikelihood(emb, labels, rows, fit.sampleRows, sizes.length, dim, metric, lp, fit.scale),
        4,
      );
    });
  }

  it('is deterministic for a seed', async () => {
    const a = await fitNcmScale(emb, labels, prototypes, counts, dim, { metric: 'cosine', logPrior: lp, rows, sampleSize: 20, seed: 8 });
    const b = await fitNcmScale(emb, labels, prototypes, counts, dim, { metric: 'cosine', logPrior: lp, rows, sampleSize: 20, seed: 8 });
    expect(b.scale).toBe(a.scale);
    expect([...b.sampleRows]).toEqual([...a.sampleRows]);
  });

  it('without leave-one-out a few-shot train set looks more separable: s comes out larger', async () => {
    const few = gaussianData([3, 3, 2, 2, 3, 2], dim, 33, 0.8);
    const r = Int32Array.from({ length: few.n }, (_, i) => i);
    const cs = new ClassSums(6, dim);
    cs.addRows(few.emb, few.labels);
    const m = cs.means();
    const p = logPrior(m.counts);
    const opts = { metric: 'cosine' as const, logPrior: p, rows: r, seed: 1 };
    const loo = await fitNcmScale(few.emb, few.labels, m.prototypes, m.counts, dim, opts);
    const naive = await fitNcmScale(few.emb, few.labels, m.prototypes, m.counts, dim, { ...opts, leaveOneOut: false });
    expect(naive.scale).toBeGreaterThan(2 * loo.scale);
  });

  it('caps the sample so that its score matrix stays under maxScores, and says when no row qualifies', async () => {
    const fit = await fitNcmScale(emb, labels, prototypes, counts, dim, { metric: 'cosine', logPrior: lp, rows, maxScores: 5 * 7 });
    // ⌊35 / 5 classes⌋ = 7 rows.
    expect(fit.sampleRows.length).toBe(7);
    const singleton = Int32Array.from([n - 1]); // the 1-image class's row only
    await expect(fitNcmScale(emb, labels, prototypes, counts, dim, { metric: 'cosine', logPrior: lp, rows: singleton })).rejects.toThrow(RangeError);
  });
});
