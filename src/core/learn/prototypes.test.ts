import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { ClassSums, l2Normalize } from './prototypes.ts';

describe('ClassSums', () => {
  it('means by hand, with an empty class reported', () => {
    const s = new ClassSums(3, 2);
    s.add([1, 2], 0);
    s.add([3, 6], 0);
    s.add([5, -1], 2);
    const m = s.means();
    // Class 0: ((1+3)/2, (2+6)/2) = (2, 4); class 1: no image → zeros; class 2: (5, −1).
    expect([...m.prototypes]).toEqual([2, 4, 0, 0, 5, -1]);
    expect([...m.counts]).toEqual([2, 0, 1]);
    expect([...m.emptyClasses]).toEqual([1]);
  });

  it('reads rows of an N×D matrix at an offset, all rows or a subset', () => {
    const emb = Float32Array.from([1, 1, 2, 2, 10, 10, 4, 4]); // 4 rows of 2
    const labels = Int32Array.from([0, 0, 1, 0]);
    const all = new ClassSums(2, 2);
    all.addRows(emb, labels);
    // Class 0 = rows 0, 1, 3: ((1+2+4)/3, …) = 7/3.
    expect(all.means().prototypes[0]).toBeCloseTo(7 / 3, 6);
    expect(all.means().prototypes[2]).toBe(10);
    const some = new ClassSums(2, 2);
    some.addRows(emb, labels, Int32Array.from([1, 3]));
    expect([...some.means().prototypes]).toEqual([3, 3, 0, 0]);
    expect([...some.counts]).toEqual([2, 0]);
  });

  it('merging two halves equals adding everything to one', () => {
    const rand = mulberry32(9);
    const d = 5;
    const n = 60;
    const emb = Float32Array.from({ length: n * d }, () => rand() * 2 - 1);
    const labels = Int32Array.from({ length: n }, () => Math.floor(rand() * 4));
    const one = new ClassSums(4, d);
    one.addRows(emb, labels);
    const a = new ClassSums(4, d);
    const b = new ClassSums(4, d);
    for (let i = 0; i < n; i++) (i % 2 ? a : b).add(emb, labels[i], i * d);
    a.merge(b);
    expect([...a.counts]).toEqual([...one.counts]);
    const ma = a.means().prototypes;
    const mo = one.means().prototypes;
    for (let i = 0; i < ma.length; i++) expect(ma[i]).toBeCloseTo(mo[i], 6);
  });

  it('round-trips through its transferable data, and refuses mismatched shapes', () => {
    const s = new ClassSums(2, 3);
    s.add([1, 2, 3], 1);
    const back = ClassSums.fromData(s.toData());
    expect([...back.means().prototypes]).toEqual([0, 0, 0, 1, 2, 3]);
    expect(() => new ClassSums(2, 4, s.toData())).toThrow(RangeError);
    expect(() => s.merge(new ClassSums(3, 3))).toThrow(RangeError);
    expect(() => s.add([1, 2, 3], 2)).toThrow(RangeError);
    expect(() => s.add([1, 2], 0)).toThrow(RangeError);
  });
});

describe('l2Normalize', () => {
  it('scales rows to unit length and leaves zero rows at zero', () => {
    const out = l2Normalize(Float32Array.from([3, 4, 0, 0, 0, -2]), 2);
    // (3, 4) / 5; (0, 0) stays; (0, −2) / 2.
    expect([...out].map((v) => Number(v.toFixed(6)))).toEqual([0.6, 0.8, 0, 0, 0, -1]);
  });

  it('works in place', () => {
    const rows = Float32Array.from([1, 1, 1, 1]);
    expect(l2Normalize(rows, 4, rows)).toBe(rows);
    expect(rows[0]).toBeCloseTo(0.5, 7);
  });
});
