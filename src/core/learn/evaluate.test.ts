import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { predictAtTaus, recallByTrainCount, seededSample } from './evaluate.ts';
import { logPrior } from './logitAdjust.ts';
import { ncmModel } from './ncm.ts';
import { sweepTau } from './tauSweep.ts';
import { classificationMetrics } from './metrics.ts';

function randomData(n: number, c: number, d: number, seed: number) {
  const rand = mulberry32(seed);
  const x = Float32Array.from({ length: n * d }, () => rand() * 2 - 1);
  const labels = Int32Array.from({ length: n }, () => Math.floor(rand() * c));
  const protos = Float32Array.from({ length: c * d }, () => rand() * 2 - 1);
  const counts = Int32Array.from({ length: c }, (_, k) => (k === c - 1 ? 0 : 1 + Math.floor(rand() * 30)));
  return { x, labels, protos, counts };
}

describe('predictAtTaus', () => {
  it('by hand: two classes, priors 0.8 / 0.2, τ = 0 and τ = 1', async () => {
    // Identity weights, no model bias: logits = x + baseBias − τ·log π.
    const model = { dim: 2, numClasses: 2, weights: Float32Array.from([1, 0, 0, 1]), bias: new Float32Array(2), normalizeQueries: false, normPenalty: 0 };
    const lp = logPrior([8, 2]); // (−0.223, −1.609)
    const x = Float32Array.from([0.5, 0.2, 1.0, -0.5]);
    const [p1, p0] = await predictAtTaus(x, model, { logPrior: lp, baseBias: lp, taus: [1, 0] });
    // τ = 0: (0.277, −1.409) → 0; (0.777, −2.109) → 0. τ = 1: (0.5, 0.2) → 0; (1.0, −0.5) → 0.
    expect([...p0]).toEqual([0, 0]);
    expect([...p1]).toEqual([0, 0]);
    const [p2] = await predictAtTaus(x, model, { logPrior: lp, taus: [1] });
    // No base: (0.723, 1.809) → 1; (1.223, 1.109) → 0.
    expect([...p2]).toEqual([1, 0]);
  });

  it('gives exactly the metrics the τ sweep reports at the same τ (rows subset, small chunks)', async () => {
    const { x, labels, protos, counts } = randomData(300, 7, 5, 3);
    const lp = logPrior(counts);
    const model = ncmModel(protos, 5, 'cosine', 4, counts);
    const rows = Int32Array.from({ length: 150 }, (_, i) => 2 * i + 1);
    const sweep = await sweepTau(x, model, labels, { logPrior: lp, baseBias: lp, rows, classBand: new Uint8Array(7), chunkRows: 17 });
    const taus = [0, 0.7, 1.3, 2];
    const preds = await predictAtTaus(x, model, { logPrior: lp, baseBias: lp, rows, taus, chunkRows: 5 });
    const yTrue = Int32Array.from(rows, (r) => labels[r]);
    taus.forEach((tau, t) => {
      const m = classificationMetrics(yTrue, preds[t], 7, new Uint8Array(7));
      const point = sweep.points.find((p) => Math.abs(p.tau - tau) < 1e-9)!;
      expect(m.top1).toBe(point.top1);
      expect(m.macroF1).toBe(point.macroF1);
      expect(m.balancedAccuracy).toBe(point.balancedAccuracy);
    });
    // The empty class (count 0, bias −∞) is never predicted.
    for (const p of preds) expect(p.includes(6)).toBe(false);
  });
});

describe('recallByTrainCount', () => {
  it('averages recall per train count, leaving out classes without held-out images', async () => {
    const r = recallByTrainCount([1, 0, NaN, 0.5, 1], [3, 3, 3, 10, 1]);
    expect(r).toEqual([
      { trainCount: 1, classes: 1, meanRecall: 1 },
      { trainCount: 3, classes: 2, meanRecall: 0.5 },
      { trainCount: 10, classes: 1, meanRecall: 0.5 },
    ]);
    expect(() => recallByTrainCount([1], [1, 2])).toThrow(RangeError);
  });
});

describe('seededSample', () => {
  it('draws distinct members, reproducibly, at most m', async () => {
    const a = seededSample([10, 11, 12, 13, 14, 15], 3, 7);
    expect(a.length).toBe(3);
    expect(new Set(a).size).toBe(3);
    for (const v of a) expect(v >= 10 && v <= 15).toBe(true);
    expect([...seededSample([10, 11, 12, 13, 14, 15], 3, 7)]).toEqual([...a]);
    expect([...seededSample([1, 2], 5, 0)].sort()).toEqual([1, 2]);
  });
});
