import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { groupPoints } from './colorGroups.ts';

describe('groupPoints', () => {
  it('orders the points by group, keeps the largest groups and pools the rest (by hand)', () => {
    // Codes 0..4 with counts 1, 3, 0, 2, 2: keep 3 groups → the two largest (1, then 3 before 4 by code) + other.
    const codes = Int32Array.from([1, 0, 3, 1, 4, 3, 1, 4]);
    const g = groupPoints({ codes, names: ['a', 'b', 'c', 'd', 'e'] }, 3);
    expect(g.names).toEqual(['b', 'd', 'other (2 more)']);
    expect([...g.codes]).toEqual([1, 3, -1]);
    expect([...g.starts]).toEqual([0, 3, 5, 8]);
    expect([...g.order]).toEqual([0, 3, 6, 2, 5, 1, 4, 7]);
  });

  it('with every code kept and a mask, each group holds exactly the masked points of its code (brute force)', () => {
    const rand = mulberry32(3);
    const n = 5000;
    const codes = Int32Array.from({ length: n }, () => Math.floor(rand() * 7));
    const only = Uint8Array.from({ length: n }, () => (rand() < 0.3 ? 1 : 0));
    const g = groupPoints({ codes, names: ['0', '1', '2', '3', '4', '5', '6'] }, 20, only);
    for (let k = 0; k < g.codes.length; k++) {
      const got = [...g.order.subarray(g.starts[k], g.starts[k + 1])];
      const want = [...Array(n).keys()].filter((i) => only[i] && codes[i] === g.codes[k]);
      expect(got).toEqual(want);
    }
    expect(g.order.length).toBe(only.reduce((a, b) => a + b, 0));
  });
});
