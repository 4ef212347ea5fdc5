import { describe, expect, it } from 'vitest';
import { rowsWhere, stratifiedSplit } from './split.ts';

/** Class sizes 10, 1, 5, 2, 0, 3 (class 4 has no image), rows interleaved so classes are not contiguous. */
function labelsOfSizes(sizes: number[]): Int32Array {
  const out: number[] = [];
  const left = sizes.slice();
  while (left.some((n) => n > 0)) for (let c = 0; c < left.length; c++) if (left[c]-- > 0) out.push(c);
  return Int32Array.from(out);
}

describe('stratifiedSplit', () => {
  const sizes = [10, 1, 5, 2, 0, 3];
  const labels = labelsOfSizes(sizes);

  it('holds out round(0.2·n) of each class, never the last image', () => {
    const s = stratifiedSplit(labels, 6, 0.2, 1);
    // 10 → round(2) = 2; 1 → 0 (singleton); 5 → 1; 2 → round(0.4) = 0; 0 → 0; 3 → round(0.6) = 1.
    expect([...s.heldoutPerClass]).toEqual([2, 0, 1, 0, 0, 1]);
    expect([...s.trainPerClass]).toEqual([8, 1, 4, 2, 0, 2]);
    expect(s.heldoutCount).toBe(4);
    expect(s.trainCount).toBe(17);
    // The mask agrees with the counts, class by class.
    const perClass = new Array(6).fill(0);
    for (let i = 0; i < labels.length; i++) perClass[labels[i]] += s.heldout[i];
    expect(perClass).toEqual([2, 0, 1, 0, 0, 1]);
  });

  it('keeps one-image classes in train and lists them', () => {
    const s = stratifiedSplit(labels, 6, 0.9, 3);
    expect([...s.singletonClasses]).toEqual([1]);
    // 0.9·n rounds to n for n = 10, 5, 3, 2: capped at n − 1, so one train image is left in each.
    expect([...s.trainPerClass]).toEqual([1, 1, 1, 1, 0, 1]);
    const singletonRow = labels.indexOf(1);
    expect(s.heldout[singletonRow]).toBe(0);
  });

  it('fraction 0 holds out nothing, fraction 1 all but one per class', () => {
    expect(stratifiedSplit(labels, 6, 0, 5).heldoutCount).toBe(0);
    expect(stratifiedSplit(labels, 6, 1, 5).heldoutCount).toBe(9 + 0 + 4 + 1 + 0 + 2);
  });

  it('is deterministic for a seed, and another seed picks other images', () => {
    const big = labelsOfSizes([200, 150, 80]);
    const a = stratifiedSplit(big, 3, 0.2, 42);
    const b = stratifiedSplit(big, 3, 0.2, 42);
    const c = stratifiedSplit(big, 3, 0.2, 43);
    expect([...a.heldout]).toEqual([...b.heldout]);
    expect([...a.heldout]).not.toEqual([...c.heldout]);
    // Same per-class counts whatever the seed: only the choice of images moves.
    expect([...c.heldoutPerClass]).toEqual([40, 30, 16]);
  });

  it('draws held-out images roughly uniformly within a class', () => {
    // Over 400 seeds, each of a class's 10 images is held out about 2/10 of the time.
    const tenOfOne = new Int32Array(10);
    const hits = new Array(10).fill(0);
    for (let seed = 0; seed < 400; seed++) {
      const s = stratifiedSplit(tenOfOne, 1, 0.2, seed);
      for (let i = 0; i < 10; i++) hits[i] += s.heldout[i];
    }
    // Expected 80 each; binomial sd = sqrt(400·0.2·0.8) = 8, so ±40 is five sd.
    for (const h of hits) expect(Math.abs(h - 80)).toBeLessThan(40);
  });

  it('rejects labels outside the class table', () => {
    expect(() => stratifiedSplit(Int32Array.from([0, 3]), 3)).toThrow(RangeError);
    expect(() => stratifiedSplit(Int32Array.from([-1]), 3)).toThrow(RangeError);
  });
});

describe('rowsWhere', () => {
  it('lists the rows with a mask value', () => {
    const mask = Uint8Array.from([0, 1, 1, 0, 1]);
    expect([...rowsWhere(mask, 1)]).toEqual([1, 2, 4]);
    expect([...rowsWhere(mask, 0)]).toEqual([0, 3]);
  });
});
