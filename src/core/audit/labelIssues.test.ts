import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { logPrior } from '../learn/logitAdjust.ts';
import { confidentLearning, nearestMeanProbabilities, type ImageProbabilities } from './labelIssues.ts';

/** Labelled clusters in `dim` dimensions, with the given labels of `flipped` rows changed to another class. */
function dataset(perClass: number[], dim: number, flipped: number[], seed: number) {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const c = perClass.length;
  const centres = Float32Array.from({ length: c * dim }, gauss);
  const truth: number[] = [];
  perClass.forEach((n, j) => {
    for (let i = 0; i < n; i++) truth.push(j);
  });
  const x = new Float32Array(truth.length * dim);
  truth.forEach((j, i) => {
    for (let d = 0; d < dim; d++) x[i * dim + d] = centres[j * dim + d] + 0.35 * gauss();
  });
  const labels = Int32Array.from(truth);
  for (const i of flipped) labels[i] = (labels[i] + 1 + Math.floor(random() * (c - 1))) % c;
  return { x, labels, truth: Int32Array.from(truth), numClasses: c };
}

function sumsOf(x: Float32Array, labels: Int32Array, c: number, dim: number) {
  const sums = new Float64Array(c * dim);
  const counts = new Int32Array(c);
  labels.forEach((y, i) => {
    counts[y]++;
    for (let d = 0; d < dim; d++) sums[y * dim + d] += x[i * dim + d];
  });
  return { sums, counts };
}

/** softmax(s·cos(x, μ_j) + log π_j) with the class means and prior recomputed without image `skip` (−1: none). */
function refitProbabilities(x: Float32Array, labels: Int32Array, c: number, dim: number, i: number, skip: number, scale: number): Float64Array {
  const keep = Int32Array.from(labels.keys()).filter((r) => r !== skip);
  const { sums, counts } = sumsOf(Float32Array.from(Array.from(keep).flatMap((r) => Array.from(x.subarray(r * dim, r * dim + dim)))), Int32Array.from(keep, (r) => labels[r]), c, dim);
  const prior = logPrior(counts);
  const xi = x.subarray(i * dim, i * dim + dim);
  const xn = Math.hypot(...xi);
  const logits = Array.from({ length: c }, (_, j) => {
    const m = sums.subarray(j * dim, j * dim + dim);
    const mn = Math.hypot(...m);
    const cos = mn > 0 ? m.reduce((s, v, d) => s + v * xi[d], 0) / (mn * xn) : 0;
    return scale * cos + prior[j];
  });
  const max = Math.max(...logits);
  const z = logits.reduce((s, l) => s + Math.exp(l - max), 0);
  return Float64Array.from(logits, (l) => Math.exp(l - max) / z);
}

describe('nearestMeanProbabilities', () => {
  it('equals a refit without each train image (leave-one-out), and the plain fit for held-out images', async () => {
    const dim = 6;
    const { x, labels, numClasses: c } = dataset([7, 4, 9, 2, 5], dim, [], 11);
    const { sums, counts } = sumsOf(x, labels, c, dim);
    const scale = 9;
    const p = await nearestMeanProbabilities([{ x, labels, inFit: true }], { dim, numClasses: c, sums, counts }, scale, logPrior(counts), { k: c });
    for (let i = 0; i < labels.length; i++) {
      const exact = refitProbabilities(x, labels, c, dim, i, i, scale);
      expect(p.given[i]).toBeCloseTo(exact[labels[i]], 5);
      for (let t = 0; t < c; t++) expect(p.topProb[i * c + t]).toBeCloseTo(exact[p.topClass[i * c + t]], 5);
      for (let t = 1; t < c; t++) expect(p.topProb[i * c + t]).toBeLessThanOrEqual(p.topProb[i * c + t - 1]);
    }
    // Held-out rows: nothing to leave out.
    const held = dataset([3, 3, 3, 3, 3], dim, [], 12);
    const q = await nearestMeanProbabilities([{ x: held.x, labels: held.labels, inFit: false }], { dim, numClasses: c, sums, counts }, scale, logPrior(counts), { k: 2 });
    for (let i = 0; i < held.labels.length; i++) {
      const xs = new Float32Array([...x, ...held.x.subarray(i * dim, i * dim + dim)]);
      const exact = refitProbabilities(xs, Int32Array.from([...labels, held.labels[i]]), c, dim, labels.length, labels.length, scale);
      expect(q.given[i]).toBeCloseTo(exact[held.labels[i]], 5);
      expect(q.topProb[i * 2]).toBeCloseTo(Math.max(...exact), 5);
    }
  });
});

/** cleanlab's rule on the full matrix, written out directly. */
function bruteConfidentLearning(probs: Float64Array[], labels: Int32Array, c: number) {
  const t = Array.from({ length: c }, (_, j) => {
    const mine = probs.filter((_, i) => labels[i] === j).map((p) => p[j]);
    return mine.length ? mine.reduce((a, b) => a + b, 0) / mine.length : NaN;
  });
  const issues: { row: number; suggested: number }[] = [];
  probs.forEach((p, i) => {
    let best = -1;
    for (let j = 0; j < c; j++) if (p[j] >= t[j] - 1e-6 && (best < 0 || p[j] > p[best])) best = j;
    if (best >= 0 && best !== labels[i]) issues.push({ row: i, suggested: best });
  });
  return issues;
}

describe('confidentLearning', () => {
  it('flags exactly the off-diagonal of the confident joint, most suspicious first, on a hand-worked case', () => {
    // Two classes; thresholds t0 = mean(0.9, 0.8, 0.2) = 0.6333, t1 = mean(0.7, 0.9) = 0.8.
    const given = [0.9, 0.8, 0.2, 0.7, 0.9];
    const labels = Int32Array.from([0, 0, 0, 1, 1]);
    const p: ImageProbabilities = {
      numClasses: 2,
      k: 2,
      labels,
      given: Float32Array.from(given),
      topClass: Int32Array.from([0, 1, 0, 1, 1, 0, 1, 0, 1, 0]),
      topProb: Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.8, 0.2, 0.7, 0.3, 0.9, 0.1]),
    };
    const found = confidentLearning(p);
    expect(found.thresholds[0]).toBeCloseTo(1.9 / 3, 6);
    expect(found.thresholds[1]).toBeCloseTo(0.8, 6);
    // Row 2 (labelled 0, p1 = 0.8 ≥ t1) moves to class 1; row 3 (labelled 1, p0 = 0.3 < t0, p1 = 0.7 < t1) is counted nowhere.
    expect(Array.from(found.row)).toEqual([2]);
    expect(Array.from(found.suggested)).toEqual([1]);
    expect(found.score[0]).toBeCloseTo(0.8, 6);
    expect(found.unsure).toBe(0);
  });

  it('agrees with the rule on the full matrix, and finds planted flips', async () => {
    const dim = 8;
    const perClass = [30, 22, 16, 12, 9, 7, 5, 4, 3, 3];
    const flipped = [3, 40, 61, 75, 90, 100];
    const { x, labels, truth, numClasses: c } = dataset(perClass, dim, flipped, 5);
    const { sums, counts } = sumsOf(x, labels, c, dim);
    const scale = 12;
    const full = await nearestMeanProbabilities([{ x, labels, inFit: true }], { dim, numClasses: c, sums, counts }, scale, logPrior(counts), { k: c });
    const probs = Array.from(labels, (_, i) => {
      const row = new Float64Array(c);
      for (let t = 0; t < c; t++) row[full.topClass[i * c + t]] = full.topProb[i * c + t];
      return row;
    });
    const exact = bruteConfidentLearning(probs, labels, c);
    const found = confidentLearning(full);
    expect(new Set(found.row)).toEqual(new Set(exact.map((e) => e.row)));
    for (let r = 0; r < found.row.length; r++) expect(found.suggested[r]).toBe(exact.find((e) => e.row === found.row[r])!.suggested);
    for (let r = 1; r < found.score.length; r++) expect(found.score[r]).toBeLessThanOrEqual(found.score[r - 1]);
    // The flips are found, and suggested back to their true class.
    for (const i of flipped) {
      const at = Array.from(found.row).indexOf(i);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(found.suggested[at]).toBe(truth[i]);
    }
    // With the top 3 only, the same list wherever nothing is unsure.
    const top3 = await nearestMeanProbabilities([{ x, labels, inFit: true }], { dim, numClasses: c, sums, counts }, scale, logPrior(counts), { k: 3 });
    const cut = confidentLearning(top3);
    if (cut.unsure === 0) expect(Array.from(cut.row)).toEqual(Array.from(found.row));
    else expect(cut.row.length).toBeGreaterThanOrEqual(found.row.length - cut.unsure);
  });
});
