import { describe, expect, it } from 'vitest';
import { recallByTrainCount, seededSample } from './evaluate.ts';

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
