import { describe, expect, it } from 'vitest';
import { ldaMethod, ledoitWolf, precisionOf, ResidualScatter } from './lda.ts';
import { cholesky, inverseSpd, quadraticForm } from './linalg.ts';
import { ClassSums } from './prototypes.ts';
import { predict } from './scoring.ts';
import { gaussianSource, sampleClasses } from './testing/synthetic.ts';

async function fitted(x: Float32Array, labels: Int32Array, dim: number, c: number) {
  const sums = new ClassSums(c, dim);
  sums.addRows(x, labels);
  const scatter = new ResidualScatter(dim, sums.means().prototypes);
  await scatter.add(x, labels);
  const data = { dim, numClasses: c, sums: sums.sums, counts: sums.counts };
  return { data, scatter };
}

describe('linalg', () => {
  it('Cholesky and the inverse reproduce a known SPD matrix', () => {
    const a = Float64Array.from([4, 2, 0.4, 2, 3, 0.5, 0.4, 0.5, 2]);
    const l = cholesky(a, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let v = 0;
        for (let k = 0; k < 3; k++) v += l[i * 3 + k] * l[j * 3 + k];
        expect(v).toBeCloseTo(a[i * 3 + j], 12);
      }
    const inv = inverseSpd(a, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let v = 0;
        for (let k = 0; k < 3; k++) v += a[i * 3 + k] * inv[k * 3 + j];
        expect(v).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    expect(quadraticForm(a, 3, [1, -1, 2])).toBeCloseTo(4 + 3 + 8 - 4 + 1.6 - 2, 12);
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/positive definite/);
  });
});

describe('shrinkage LDA', () => {
  it('a hand-worked 2-D case: pooled covariance 0.75·I, boundary at x = 3', async () => {
    // Class A: (0,0), (2,2), (2,0), (0,2): mean (1,1), residuals (±1, ±1): Σrrᵀ = 4·I.
    // Class B: (4,0), (6,0), (5,1), (5,−1): mean (5,0), residuals (±1,0), (0,±1): Σrrᵀ = 2·I.
    // S = 6·I / 8 = 0.75·I; its correlation matrix is I, so δ² = 0 and λ = 1 (nothing to shrink).
    const x = Float32Array.from([0, 0, 2, 2, 2, 0, 0, 2, 4, 0, 6, 0, 5, 1, 5, -1]);
    const labels = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const { data, scatter } = await fitted(x, labels, 2, 2);
    const cov = ledoitWolf(scatter);
    expect(cov.shrinkage).toBe(1);
    expect(cov.covariance[0]).toBeCloseTo(0.75, 5);
    expect(cov.covariance[3]).toBeCloseTo(0.75, 5);
    expect(cov.covariance[1]).toBe(0);
    // Equal priors and a spherical Σ: the Bayes rule is the perpendicular bisector of the means
    // (1,1)–(5,0): points p with ‖p − (1,1)‖ = ‖p − (5,0)‖, i.e. 8x − 2y = 23.
    const model = ldaMethod(data, precisionOf(cov)).model(0);
    const q = Float32Array.from([2.8, 0, 3.0, 0, 2.9, 1, 3.1, 1]);
    // 8·2.8 = 22.4 < 23 → A; 8·3 = 24 > 23 → B; 8·2.9 − 2 = 21.2 → A; 8·3.1 − 2 = 22.8 → A.
    expect(Array.from(await predict(q, model))).toEqual([0, 1, 0, 0]);
  });

  it('the Ledoit–Wolf λ equals the formula evaluated on the rows directly', async () => {
    const dim = 4;
    const s = sampleClasses(
      [
        [0, 0, 0, 0],
        [2, 1, 0, -1],
        [1, -1, 2, 0],
      ],
      [12, 7, 5],
      1,
      3,
      { direction: [1, 0.5, -0.5, 0.2], sd: 1.5 },
    );
    const { scatter } = await fitted(s.x, s.labels, dim, 3);
    const cov = ledoitWolf(scatter);
    // Brute force: residuals, S, standardised z, then (1/n²)·Σ‖z zᵀ − R‖²_F and ‖R − I‖²_F.
    const means = [0, 1, 2].map((c) => {
      const m = new Array(dim).fill(0);
      let n = 0;
      for (let i = 0; i < s.n; i++) if (s.labels[i] === c) (n++, m.forEach((_, j) => (m[j] += s.x[i * dim + j])));
      return m.map((v) => v / n);
    });
    const r = Array.from({ length: s.n }, (_, i) => means[s.labels[i]].map((m, j) => s.x[i * dim + j] - m));
    const S = Array.from({ length: dim }, (_, a) => Array.from({ length: dim }, (_, b) => r.reduce((t, v) => t + v[a] * v[b], 0) / s.n));
    const z = r.map((v) => v.map((t, j) => t / Math.sqrt(S[j][j])));
    const R = S.map((row, a) => row.map((v, b) => v / Math.sqrt(S[a][a] * S[b][b])));
    let delta2 = 0;
    for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) delta2 += (R[a][b] - (a === b ? 1 : 0)) ** 2;
    let beta = 0;
    for (const v of z) for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) beta += (v[a] * v[b] - R[a][b]) ** 2;
    beta /= s.n * s.n;
    const lambda = Math.min(beta, delta2) / delta2;
    expect(cov.shrinkage).toBeGreaterThan(0);
    expect(cov.shrinkage).toBeCloseTo(lambda, 6);
    for (let a = 0; a < dim; a++)
      for (let b = 0; b < dim; b++) expect(cov.covariance[a * dim + b]).toBeCloseTo(a === b ? S[a][a] : (1 - lambda) * S[a][b], 4);
  });

  it('agrees with the Bayes rule of Gaussian classes with a shared covariance on ≥ 95% of sampled points', async () => {
    const dim = 5;
    const c = 4;
    // Shared covariance A·Aᵀ with strong correlation; known means and priors.
    const a = [
      [1.2, 0, 0, 0, 0],
      [0.9, 0.5, 0, 0, 0],
      [0.3, -0.4, 0.8, 0, 0],
      [0, 0.6, 0.2, 0.7, 0],
      [0.5, 0, -0.3, 0.2, 0.4],
    ];
    const means = [
      [0, 0, 0, 0, 0],
      [1.5, 1, 0, 0.5, 0],
      [0, 1.2, 1.4, 0, 0.8],
      [1, -0.5, 0.5, 1.5, 0.2],
    ];
    const sizes = [400, 200, 100, 50];
    const gauss = gaussianSource(7);
    const draw = (sz: number[]) => {
      const n = sz.reduce((p, q) => p + q, 0);
      const x = new Float32Array(n * dim);
      const labels = new Int32Array(n);
      let i = 0;
      sz.forEach((size, k) => {
        for (let t = 0; t < size; t++, i++) {
          labels[i] = k;
          const e = Array.from({ length: dim }, () => gauss());
          for (let j = 0; j < dim; j++) x[i * dim + j] = means[k][j] + a[j].reduce((s, v, m) => s + v * e[m], 0);
        }
      });
      return { x, labels, n };
    };
    const train = draw(sizes);
    const test = draw([500, 500, 500, 500]);
    const { data, scatter } = await fitted(train.x, train.labels, dim, c);
    const model = ldaMethod(data, precisionOf(ledoitWolf(scatter))).model(0);
    const total = sizes.reduce((p, q) => p + q, 0);
    const lp = Float32Array.from(sizes, (n) => Math.log(n / total));
    const mine = await predict(test.x, model, { bias: lp });
    // The true Bayes rule: argmax −½(x − μ)ᵀΣ⁻¹(x − μ) + log π with the true Σ = AAᵀ.
    const sigma = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) sigma[i * dim + j] = a[i].reduce((s, v, m) => s + v * a[j][m], 0);
    const p = inverseSpd(sigma, dim);
    let agree = 0;
    for (let i = 0; i < test.n; i++) {
      let best = -Infinity;
      let arg = -1;
      for (let k = 0; k < c; k++) {
        const r = Array.from({ length: dim }, (_, j) => test.x[i * dim + j] - means[k][j]);
        const v = -quadraticForm(p, dim, r) / 2 + Math.log(sizes[k] / total);
        if (v > best) {
          best = v;
          arg = k;
        }
      }
      if (arg === mine[i]) agree++;
    }
    expect(agree / test.n).toBeGreaterThanOrEqual(0.95);
  });
});
