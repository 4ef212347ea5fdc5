import { describe, expect, it } from 'vitest';
import { classMeanPass, fitClassMeanScales, ValidationPredictions, type ClassMeanData, type ClassMeanMethod } from './classMeans.ts';
import { BACKOFF_GRID, hierarchicalMethod } from './hierarchical.ts';
import { identity, ldaMethod, ledoitWolf, precisionOf, ResidualScatter } from './lda.ts';
import { quadraticForm } from './linalg.ts';
import { logPrior } from './logitAdjust.ts';
import { ncmCosineMethod } from './ncm.ts';
import { ClassSums } from './prototypes.ts';
import { predict } from './scoring.ts';
import { tauGrid } from './tauSweep.ts';
import { longTailSizes, randomMeans, sampleClasses, type Sample } from './testing/synthetic.ts';

function dataOf(s: Sample, dim: number, c: number): ClassMeanData {
  const sums = new ClassSums(c, dim);
  sums.addRows(s.x, s.labels);
  return { dim, numClasses: c, sums: sums.sums, counts: sums.counts };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((t, v, j) => t + v * b[j], 0);
const cos = (a: number[], b: number[]) => {
  const na = Math.sqrt(dot(a, a));
  const nb = Math.sqrt(dot(b, b));
  return na > 0 && nb > 0 ? dot(a, b) / (na * nb) : 0;
};

/** Group means over all images but `skip`, recomputed from the rows (no sums reused). */
function meansWithout(s: Sample, dim: number, groups: number, groupOf: (row: number) => number, skip: number) {
  const sum = Array.from({ length: groups }, () => new Array(dim).fill(0));
  const n = new Array(groups).fill(0);
  for (let i = 0; i < s.n; i++) {
    if (i === skip) continue;
    const g = groupOf(i);
    n[g]++;
    for (let j = 0; j < dim; j++) sum[g][j] += s.x[i * dim + j];
  }
  return { mean: sum.map((v, g) => v.map((t) => (n[g] > 0 ? t / n[g] : 0))), n };
}

/** Brute-force leave-one-out predictions: refit without row i, score it, adjust by τ. */
function bruteForce(s: Sample, dim: number, c: number, score: (x: number[], i: number) => number[], scale: number, taus: Float64Array, rows: number[]) {
  return rows.map((i) => {
    const x = Array.from(s.x.subarray(i * dim, (i + 1) * dim));
    const { n } = meansWithout(s, dim, c, (r) => s.labels[r], i);
    const total = n.reduce((a: number, b: number) => a + b, 0);
    const raw = score(x, i);
    return Array.from(taus, (tau) => {
      let best = -Infinity;
      let arg = -1;
      for (let k = 0; k < c; k++) {
        if (n[k] === 0) continue;
        const lp = Math.log(n[k] / total);
        const v = scale * raw[k] + lp - tau * lp;
        if (v > best) {
          best = v;
          arg = k;
        }
      }
      return arg;
    });
  });
}

async function passPredictions(method: ClassMeanMethod, data: ClassMeanData, s: Sample, rows: number[], scales: number[], taus: Float64Array) {
  const dim = data.dim;
  const x = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => x.set(s.x.subarray(r * dim, (r + 1) * dim), k * dim));
  const labels = Int32Array.from(rows, (r) => s.labels[r]);
  const out = new ValidationPredictions(method.settings, taus, data.numClasses, labels, new Float64Array(rows.length).fill(1));
  // Two blocks, given out of order: the validation index places them.
  const half = Math.floor(rows.length / 2);
  await classMeanPass(
    method,
    data,
    [
      { x: x.subarray(half * dim), labels: labels.subarray(half), inFit: true, first: half },
      { x: x.subarray(0, half * dim), labels: labels.subarray(0, half), inFit: true, first: 0 },
    ],
    out,
    { logPrior: logPrior(data.counts), taus, scales },
  );
  return out;
}

/** argmax_c of scale·(x·w_c + b_c) + bias_c, in plain float64 loops (the scorer not used). */
function bruteArgmax(x: Float32Array, n: number, model: ReturnType<ClassMeanMethod['model']>, scale: number, bias: ArrayLike<number>): Int32Array {
  const { dim: d, numClasses: k, weights, bias: b, normalizeQueries } = model;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let norm = 1;
    if (normalizeQueries) {
      let sq = 0;
      for (let j = 0; j < d; j++) sq += x[i * d + j] ** 2;
      norm = Math.sqrt(sq) || 1;
    }
    let best = -Infinity;
    let arg = 0;
    for (let c = 0; c < k; c++) {
      let v = 0;
      for (let j = 0; j < d; j++) v += (x[i * d + j] / norm) * weights[c * d + j];
      v = scale * (v + b[c]) + bias[c];
      if (v > best) {
        best = v;
        arg = c;
      }
    }
    out[i] = arg;
  }
  return out;
}

function expectSame(out: ValidationPredictions, setting: number, brute: number[][], taus: Float64Array) {
  let mismatches = 0;
  for (let t = 0; t < taus.length; t++) for (let i = 0; i < brute.length; i++) if (out.predictions[setting][t][i] !== brute[i][t]) mismatches++;
  // float32 scores against float64 brute force can flip an exact near-tie; nothing more.
  expect(mismatches).toBeLessThanOrEqual(Math.ceil(0.002 * brute.length * taus.length));
}

const dim = 6;
const c = 7;
const sizes = [30, 14, 8, 5, 3, 2, 2];
const means = randomMeans(c, dim, 1.2, 5, 1);
const sample = sampleClasses(means, sizes, 1, 6);
const rows = Array.from({ length: sample.n }, (_, i) => i);
const taus = tauGrid(0, 2, 0.25);

describe('classMeanPass: exact leave-one-out equals refitting without each image', () => {
  const data = dataOf(sample, dim, c);

  it('cosine NCM', async () => {
    const out = await passPredictions(ncmCosineMethod(data), data, sample, rows, [7], taus);
    const brute = bruteForce(sample, dim, c, (x, i) => meansWithout(sample, dim, c, (r) => sample.labels[r], i).mean.map((m) => cos(x, m)), 7, taus, rows);
    expectSame(out, 0, brute, taus);
  });

  it('LDA with a given precision, and euclidean NCM (precision I)', async () => {
    const p = new Float64Array(dim * dim);
    for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) p[a * dim + b] = a === b ? 1.5 : 0.2 / (1 + Math.abs(a - b));
    for (const [precision, scale] of [
      [p, 0.8],
      [identity(dim), 1.3],
    ] as const) {
      const out = await passPredictions(ldaMethod(data, precision), data, sample, rows, [scale], taus);
      // The same with xᵀPx given per block (as a tfjs matmul does it at high D): same predictions.
      let blocks = 0;
      const batched = ldaMethod(data, precision, undefined, undefined, async (x, n, d, p) => {
        blocks++;
        return Float64Array.from({ length: n }, (_, r) => quadraticForm(p, d, x, r * d));
      });
      expect((await passPredictions(batched, data, sample, rows, [scale], taus)).predictions).toEqual(out.predictions);
      expect(blocks).toBe(2);
      const brute = bruteForce(
        sample,
        dim,
        c,
        (x, i) =>
          meansWithout(sample, dim, c, (r) => sample.labels[r], i).mean.map((m) => {
            const r = x.map((v, j) => v - m[j]);
            let q = 0;
            for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) q += r[a] * precision[a * dim + b] * r[b];
            return -q / 2;
          }),
        scale,
        taus,
        rows,
      );
      expectSame(out, 0, brute, taus);
    }
  });

  it('taxonomy back-off: species, genus and family means all leave the image out', async () => {
    const classGenus = Int32Array.from([0, 0, 1, 1, 1, 2, 3]);
    const classFamily = Int32Array.from([0, 0, 0, 0, 0, 1, 1]);
    const method = hierarchicalMethod(data, { classGenus, classFamily });
    const setting = BACKOFF_GRID.indexOf(4);
    const kappa = 4;
    const scales = method.settings.map(() => 6);
    const out = await passPredictions(method, data, sample, rows, scales, taus);
    const brute = bruteForce(
      sample,
      dim,
      c,
      (x, i) => {
        const sp = meansWithout(sample, dim, c, (r) => sample.labels[r], i);
        const ge = meansWithout(sample, dim, 4, (r) => classGenus[sample.labels[r]], i);
        const fa = meansWithout(sample, dim, 2, (r) => classFamily[sample.labels[r]], i).mean;
        return sp.mean.map((m, k) => {
          const w = sp.n[k] / (sp.n[k] + kappa);
          const g = classGenus[k];
          const v = ge.n[g] / (ge.n[g] + kappa);
          return w * cos(x, m) + (1 - w) * (v * cos(x, ge.mean[g]) + (1 - v) * cos(x, fa[classFamily[k]]));
        });
      },
      6,
      taus,
      rows,
    );
    expectSame(out, setting, brute, taus);
    // (0, 0) is cosine NCM.
    const ncm = await passPredictions(ncmCosineMethod(data), data, sample, rows, [6], taus);
    expect(out.predictions[0]).toEqual(ncm.predictions[0]);
  });

  it('the final model of a setting scores as its blend', async () => {
    const classGenus = Int32Array.from([0, 0, 1, 1, 1, 2, 3]);
    const classFamily = Int32Array.from([0, 0, 0, 0, 0, 1, 1]);
    const method = hierarchicalMethod(data, { classGenus, classFamily });
    const s = 3;
    const kappa = BACKOFF_GRID[s];
    const predicted = await predict(sample.x, method.model(s));
    const full = (groups: number, of: (r: number) => number) => meansWithout(sample, dim, groups, of, -1).mean;
    const sp = full(c, (r) => sample.labels[r]);
    const ge = full(4, (r) => classGenus[sample.labels[r]]);
    const w = (n: number) => n / (n + kappa);
    const genusCount = [0, 0, 0, 0];
    sizes.forEach((n, k) => (genusCount[classGenus[k]] += n));
    const fa = full(2, (r) => classFamily[sample.labels[r]]);
    let same = 0;
    for (let i = 0; i < sample.n; i++) {
      const x = Array.from(sample.x.subarray(i * dim, (i + 1) * dim));
      const scores = sp.map((m, k) => {
        const v = w(genusCount[classGenus[k]]);
        return w(sizes[k]) * cos(x, m) + (1 - w(sizes[k])) * (v * cos(x, ge[classGenus[k]]) + (1 - v) * cos(x, fa[classFamily[k]]));
      });
      if (scores.indexOf(Math.max(...scores)) === predicted[i]) same++;
    }
    expect(same).toBe(sample.n);
  });
});

describe('choosing τ by leave-one-out', () => {
  it('lands near the test optimum on Gaussian classes with known priors (balanced test)', async () => {
    const dimT = 8;
    const cT = 12;
    const tail = longTailSizes(cT, 120, 3);
    const m = randomMeans(cT, dimT, 0.9, 11, 0);
    const train = sampleClasses(m, tail, 1, 12);
    const test = sampleClasses(m, new Array(cT).fill(300), 1, 13);
    const data = dataOf(train, dimT, cT);
    const scatter = new ResidualScatter(dimT, new ClassSums(cT, dimT, { numClasses: cT, dim: dimT, sums: data.sums, counts: data.counts }).means().prototypes);
    await scatter.add(train.x, train.labels);
    const method = ldaMethod(data, precisionOf(ledoitWolf(scatter)));
    const lp = logPrior(data.counts);
    const grid = tauGrid(0, 2, 0.1);
    const [{ scale }] = await fitClassMeanScales(method, data, train.x, train.labels, lp);
    // Validation weighted as a balanced test: each image 1/n of its class.
    const weights = Float64Array.from(train.labels, (y) => 1 / data.counts[y]);
    const out = new ValidationPredictions(method.settings, grid, cT, train.labels, weights);
    out.scales = [scale];
    await classMeanPass(method, data, [{ x: train.x, labels: train.labels, inFit: true, first: 0 }], out, { logPrior: lp, taus: grid, scales: [scale] });
    const bands = new Uint8Array(cT);
    const chosen = out.choose(bands);
    // The test optimum, by brute force over the grid on 3,600 balanced test images.
    const f1s = Array.from(grid, (tau) => {
      const p = bruteArgmax(test.x, test.n, method.model(0), scale, Float32Array.from(lp, (v) => (1 - tau) * v));
      let f = 0;
      for (let k = 0; k < cT; k++) {
        let tp = 0;
        let pred = 0;
        let sup = 0;
        for (let i = 0; i < test.n; i++) {
          if (p[i] === k) pred++;
          if (test.labels[i] === k) sup++;
          if (p[i] === k && test.labels[i] === k) tp++;
        }
        f += (2 * tp) / (pred + sup);
      }
      return f / cT;
    });
    const best = Math.max(...f1s);
    const chosenTest = f1s[chosen.tauIndex];
    expect(best - chosenTest).toBeLessThan(0.02);
    expect(Math.abs(chosen.tau - grid[f1s.indexOf(best)])).toBeLessThanOrEqual(0.5);
    // And the balanced test wants the tail helped: τ well above 0.
    expect(chosen.tau).toBeGreaterThan(0.3);
  });
});

describe('taxonomy back-off', () => {
  it('raises few-shot recall on hierarchical Gaussians, κ chosen by leave-one-out', async () => {
    // 4 families × 3 genera × 3 species in 32-d: genus means N(family, 1²), species N(genus, 0.6²),
    // images N(species, 1.5²); one species per genus has 40 train images, the others 2.
    const [d, fs, gs, ss, noise] = [32, 2, 1.0, 0.6, 1.5];
    // 4 families × 3 genera × 3 species; genus means near their family's, species near their genus's.
    const famMeans = randomMeans(4, d, fs, 21);
    const speciesMeans: number[][] = [];
    const classGenus: number[] = [];
    const classFamily: number[] = [];
    const gauss = sampleClasses([new Array(d).fill(0)], [200], 1, 22).x;
    let gi = 0;
    let q = 0;
    for (let f = 0; f < 4; f++)
      for (let g = 0; g < 3; g++, gi++) {
        const gm = famMeans[f].map((v) => v + gs * gauss[q++ % gauss.length]);
        for (let s = 0; s < 3; s++) {
          speciesMeans.push(gm.map((v) => v + ss * gauss[q++ % gauss.length]));
          classGenus.push(gi);
          classFamily.push(f);
        }
      }
    const cH = speciesMeans.length;
    const trainSizes = speciesMeans.map((_, k) => (k % 3 === 0 ? 40 : 2));
    const shift = speciesMeans;
    const train = sampleClasses(shift, trainSizes, noise, 23);
    const test = sampleClasses(shift, new Array(cH).fill(200), noise, 24);
    const data = dataOf(train, d, cH);
    const method = hierarchicalMethod(data, { classGenus: Int32Array.from(classGenus), classFamily: Int32Array.from(classFamily) });
    const lp = logPrior(data.counts);
    const scales = (await fitClassMeanScales(method, data, train.x, train.labels, lp)).map((f) => f.scale);
    const grid = Float64Array.from([1]);
    const out = new ValidationPredictions(method.settings, grid, cH, train.labels, Float64Array.from(train.labels, (y) => 1 / data.counts[y]));
    await classMeanPass(method, data, [{ x: train.x, labels: train.labels, inFit: true, first: 0 }], out, { logPrior: lp, taus: grid, scales });
    const chosen = out.choose(new Uint8Array(cH));
    const fewRecall = async (setting: number) => {
      const p = bruteArgmax(test.x, test.n, method.model(setting), scales[setting], new Float32Array(cH));
      let hit = 0;
      let n = 0;
      for (let i = 0; i < test.n; i++)
        if (trainSizes[test.labels[i]] === 2) {
          n++;
          if (p[i] === test.labels[i]) hit++;
        }
      return hit / n;
    };
    expect(chosen.setting).toBeGreaterThan(0);
    // 4,800 few-shot test images: a standard error of about 0.007.
    expect(await fewRecall(chosen.setting)).toBeGreaterThan((await fewRecall(0)) + 0.008);
  });
});
