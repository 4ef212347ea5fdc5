import { describe, expect, it } from 'vitest';
import { boxStats, classShareHolding, cumulativeShare, gini, groupSpread, imagesByClass, sizesDescending } from './distribution.ts';

/** The definition, pair by pair: Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² μ). */
function giniByPairs(x: number[]): number {
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  let sum = 0;
  for (const a of x) for (const b of x) sum += Math.abs(a - b);
  return sum / (2 * n * n * mean);
}

describe('Gini coefficient', () => {
  it('is 0 for equal classes and (n−1)/n when one class holds everything', () => {
    expect(gini([5, 5, 5, 5])).toBe(0);
    expect(gini([0, 0, 0, 12])).toBeCloseTo(3 / 4, 12);
  });

  it('worked by hand: [1, 2, 3, 4] → Σ|xᵢ−xⱼ| = 20, 20 / (2·16·2.5) = 0.25', () => {
    expect(gini([4, 1, 3, 2])).toBeCloseTo(0.25, 12);
  });

  it('agrees with the pairwise definition on long-tailed sizes', () => {
    const sizes = Array.from({ length: 200 }, (_, i) => Math.max(1, Math.round(500 / (i + 1) ** 1.1)));
    expect(gini(sizes)).toBeCloseTo(giniByPairs(sizes), 10);
  });
});

describe('shares', () => {
  // Sizes 50, 30, 10, 5, 5 (100 images, 5 classes).
  const desc = sizesDescending(Int32Array.from([5, 0, 50, 10, 30, 5]));

  it('sorts the non-empty sizes, largest first', () => {
    expect([...desc]).toEqual([50, 30, 10, 5, 5]);
  });

  it('the cumulative share curve, by hand', () => {
    const { classShare, imageShare } = cumulativeShare(desc);
    expect([...classShare]).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect([...imageShare].map((v) => Number(v.toFixed(10)))).toEqual([0, 0.5, 0.8, 0.9, 0.95, 1]);
  });

  it('50% of the images are in 20% of the classes, 80% in 40%, all in 100%', () => {
    expect(classShareHolding(desc, 0.5)).toBe(0.2);
    expect(classShareHolding(desc, 0.8)).toBe(0.4);
    expect(classShareHolding(desc, 0.81)).toBe(0.6);
    expect(classShareHolding(desc, 1)).toBe(1);
  });
});

describe('imagesByClass', () => {
  it('groups image indices by class, keeping metadata order', () => {
    const g = imagesByClass(Int32Array.from([2, 0, 2, 1, 0, 2]), 4);
    expect([...g.start]).toEqual([0, 2, 3, 6, 6]);
    expect([...g.images]).toEqual([1, 4, 3, 0, 2, 5]);
  });
});

describe('box statistics', () => {
  it('quartiles by NumPy\'s linear rule, fences clipped to the data', () => {
    // numpy.quantile([1, 2, 3, 4, 100], [.25, .5, .75]) = [2, 3, 4]; IQR 2, so 100 > 4 + 3 is an
    // outlier: the upper fence is the largest value ≤ 7, i.e. 4; the lower one the smallest ≥ −1.
    expect(boxStats([100, 3, 1, 4, 2])).toEqual({ q1: 2, median: 3, q3: 4, lowerFence: 1, upperFence: 4, count: 5 });
    // [1, 2, 4, 8]: q1 at position 0.75 → 1.75, median 3, q3 at 2.25 → 4 + 0.25·4 = 5;
    // IQR 3.25, limits −3.125 and 9.875 take in every value.
    expect(boxStats([8, 4, 2, 1])).toEqual({ q1: 1.75, median: 3, q3: 5, lowerFence: 1, upperFence: 8, count: 4 });
  });

  it('groupSpread: the largest groups first, their non-empty classes only', () => {
    // Group 0 holds classes 0 and 2 (5 + 7 images), group 1 classes 1 and 3 (1 + 0), group 2 class 4 (3).
    const spread = groupSpread(Int32Array.from([0, 1, 0, 1, 2]), Int32Array.from([12, 1, 3]), Int32Array.from([5, 1, 7, 0, 3]), 2);
    expect(spread.groups).toEqual([0, 2]);
    expect(spread.boxes[0]).toEqual({ q1: 5.5, median: 6, q3: 6.5, lowerFence: 5, upperFence: 7, count: 2 });
    expect(spread.boxes[1]).toEqual({ q1: 3, median: 3, q3: 3, lowerFence: 3, upperFence: 3, count: 1 });
  });
});
