import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { intervalsOverlap, macroF1OfCounts, metricOfCounts, stratifiedBootstrap } from './bootstrap.ts';
import { classificationMetrics } from './metrics.ts';

describe('stratifiedBootstrap', () => {
  it('the estimate is the metric of the data as given, inside its interval', () => {
    const yTrue = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2]);
    const yPred = Int32Array.from([0, 1, 0, 1, 2, 2, 2, 0, 2]);
    const iv = stratifiedBootstrap(yTrue, yPred, 3, macroF1OfCounts, { replicates: 400, seed: 1 });
    expect(iv.estimate).toBeCloseTo(classificationMetrics(yTrue, yPred, 3, new Uint8Array(3)).macroF1, 12);
    expect(iv.low).toBeLessThanOrEqual(iv.estimate);
    expect(iv.high).toBeGreaterThanOrEqual(iv.estimate);
    expect(iv.low).toBeLessThan(iv.high);
  });

  it('a perfect classifier has a zero-width interval at 1', () => {
    const y = Int32Array.from([0, 1, 1, 2, 2, 2]);
    const iv = stratifiedBootstrap(y, y, 3, macroF1OfCounts, { replicates: 50 });
    expect([iv.low, iv.estimate, iv.high]).toEqual([1, 1, 1]);
  });

  it('covers the true balanced accuracy at about its nominal 95% (simulation)', () => {
    // 12 classes of 5..60 validated images; class c is recognised with a known probability p_c,
    // so the true balanced accuracy is mean(p_c). Each simulated validation set gets an interval.
    const c = 12;
    const sizes = Array.from({ length: c }, (_, k) => 5 + 5 * k);
    const p = Array.from({ length: c }, (_, k) => 0.3 + 0.05 * k);
    const truth = p.reduce((a, b) => a + b, 0) / c;
    const rand = mulberry32(99);
    const trials = 300;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const yTrue: number[] = [];
      const yPred: number[] = [];
      sizes.forEach((n, k) => {
        for (let i = 0; i < n; i++) {
          yTrue.push(k);
          yPred.push(rand() < p[k] ? k : (k + 1 + Math.floor(rand() * (c - 1))) % c);
        }
      });
      const iv = stratifiedBootstrap(Int32Array.from(yTrue), Int32Array.from(yPred), c, metricOfCounts('balancedAccuracy'), { replicates: 300, seed: t });
      if (iv.low <= truth && truth <= iv.high) covered++;
    }
    // Binomial(300, 0.95): 2 standard deviations are ±0.025; percentile intervals run a little narrow.
    expect(covered / trials).toBeGreaterThan(0.89);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it('weights count as repeated images', () => {
    const yTrue = Int32Array.from([0, 0, 1, 1, 1]);
    const yPred = Int32Array.from([0, 1, 1, 0, 1]);
    const w = Float64Array.from([2, 1, 1, 3, 1]);
    const rep = (a: Int32Array) => Int32Array.from(Array.from(a).flatMap((v, i) => new Array(w[i]).fill(v)));
    const direct = classificationMetrics(rep(yTrue), rep(yPred), 2, new Uint8Array(2)).macroF1;
    expect(stratifiedBootstrap(yTrue, yPred, 2, macroF1OfCounts, { weights: w, replicates: 10 }).estimate).toBeCloseTo(direct, 12);
  });

  it('macro-F1 with a few images a class: the replicates sit below the estimate, the interval still holds it', () => {
    // 3,000 classes of 4 validated images, each recognised with probability 0.6, wrong answers
    // spread over the other classes: F1 is not linear in the counts, and resampling 4 images a
    // class lowers it on average, so the plain percentile interval misses its own estimate.
    const rand = mulberry32(5);
    const c = 3000;
    const yTrue: number[] = [];
    const yPred: number[] = [];
    for (let k = 0; k < c; k++)
      for (let i = 0; i < 4; i++) {
        yTrue.push(k);
        yPred.push(rand() < 0.6 ? k : (k + 1 + Math.floor(rand() * (c - 1))) % c);
      }
    const iv = stratifiedBootstrap(Int32Array.from(yTrue), Int32Array.from(yPred), c, macroF1OfCounts, { replicates: 200, seed: 2 });
    // The replicates' median is further below the estimate than their spread: the plain 95%
    // percentile interval would lie wholly below it.
    expect(-iv.replicateShift).toBeGreaterThan((iv.high - iv.low) / 2);
    expect(iv.low).toBeLessThan(iv.estimate);
    expect(iv.high).toBeGreaterThan(iv.estimate);
  });

  it('intervalsOverlap', () => {
    expect(intervalsOverlap({ low: 0.1, high: 0.3 }, { low: 0.25, high: 0.4 })).toBe(true);
    expect(intervalsOverlap({ low: 0.1, high: 0.2 }, { low: 0.25, high: 0.4 })).toBe(false);
  });
});
