import { describe, expect, it } from 'vitest';
import { softmaxTop } from './softmax.ts';

describe('softmaxTop', () => {
  it('gives the softmax of the top classes, worked by hand', () => {
    // exp(0), exp(ln 2), exp(ln 5): 1, 2, 5 of 8.
    const top = softmaxTop([0, Math.log(2), Math.log(5)], 2);
    expect(top.map((t) => t.classIndex)).toEqual([2, 1]);
    expect(top[0].probability).toBeCloseTo(5 / 8, 12);
    expect(top[1].probability).toBeCloseTo(2 / 8, 12);
  });
  it('stays finite for large logits, breaks ties by the smaller class, and ignores NaN', () => {
    const top = softmaxTop([1000, 1000, NaN, 999], 3);
    expect(top.map((t) => t.classIndex)).toEqual([0, 1, 3]);
    const e = Math.exp(-1);
    expect(top[0].probability).toBeCloseTo(1 / (2 + e), 12);
    expect(top[2].probability).toBeCloseTo(e / (2 + e), 12);
  });
});
