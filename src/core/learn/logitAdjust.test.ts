import { describe, expect, it } from 'vitest';
import { adjustLogits, adjustmentBias, logPrior } from './logitAdjust.ts';

describe('logPrior', () => {
  it('by hand: counts 6, 3, 1 → log(0.6), log(0.3), log(0.1)', () => {
    const lp = logPrior([6, 3, 1]);
    expect(lp[0]).toBeCloseTo(Math.log(0.6), 6);
    expect(lp[1]).toBeCloseTo(Math.log(0.3), 6);
    expect(lp[2]).toBeCloseTo(Math.log(0.1), 6);
  });

  it('an empty class counts as half an image, in its own log and in the total', () => {
    // Counts 3, 0, 1 → 3, 0.5, 1 over 4.5.
    const lp = logPrior(Int32Array.from([3, 0, 1]));
    expect(lp[1]).toBeCloseTo(Math.log(0.5 / 4.5), 6);
    expect(lp[0]).toBeCloseTo(Math.log(3 / 4.5), 6);
    expect(Number.isFinite(lp[1])).toBe(true);
    expect(logPrior([3, 0, 1], 0.01)[1]).toBeCloseTo(Math.log(0.01 / 4.01), 6);
  });

  it('rejects negative counts and a non-positive pseudo-count', () => {
    expect(() => logPrior([1, -1])).toThrow(RangeError);
    expect(() => logPrior([1, 0], 0)).toThrow(RangeError);
  });
});

describe('adjustment', () => {
  const lp = Float32Array.from([Math.log(0.5), Math.log(0.25), Math.log(0.25)]);

  it('the bias is base − τ·log π', () => {
    const b = adjustmentBias(lp, 2);
    // −2·log 0.5 = 2 log 2 = 1.3863; −2·log 0.25 = 4 log 2 = 2.7726.
    expect(b[0]).toBeCloseTo(2 * Math.LN2, 6);
    expect(b[1]).toBeCloseTo(4 * Math.LN2, 6);
    // NCM form: base = log π, so (1 − τ)·log π; τ = 1 cancels the prior.
    const ncm = adjustmentBias(lp, 1, lp);
    expect([...ncm]).toEqual([0, 0, 0]);
    expect(adjustmentBias(lp, 0.5, lp)[0]).toBeCloseTo(0.5 * Math.log(0.5), 6);
    expect(() => adjustmentBias(lp, 1, new Float32Array(2))).toThrow(RangeError);
  });

  it('adjusting logits in place moves the argmax from the head class to a tail class', () => {
    // Row logits (2.0, 1.5, 0.2): argmax 0. With τ = 1: 2 + 0.693 = 2.693, 1.5 + 1.386 = 2.886,
    // 0.2 + 1.386 = 1.586 → argmax 1.
    const logits = Float32Array.from([2, 1.5, 0.2, 0, 0, 0]);
    expect(adjustLogits(logits, lp, 1)).toBe(logits);
    expect(logits[0]).toBeCloseTo(2.693147, 5);
    expect(logits[1]).toBeCloseTo(2.886294, 5);
    expect(logits[2]).toBeCloseTo(1.586294, 5);
    expect(logits[3]).toBeCloseTo(Math.LN2, 6);
    expect(() => adjustLogits(new Float32Array(4), lp, 1)).toThrow(RangeError);
  });
});
