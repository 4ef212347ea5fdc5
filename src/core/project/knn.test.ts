import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { NearestCollector, nearestByCosine, normalizeRows } from './knn.ts';

/** Random rows [n×d] with some exact duplicates (equal cosines, to exercise the tie rule) and a zero row. */
function rowsWithTies(n: number, d: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const rows = new Float32Array(n * d).map(() => 2 * rnd() - 1);
  for (let i = 5; i < n; i += 9) rows.copyWithin(i * d, (i - 5) * d, (i - 4) * d);
  rows.fill(0, 3 * d, 4 * d);
  return normalizeRows(rows, n, d);
}

/** The obvious answer: every accepted row's cosine (a plain loop), sorted, the first k. */
function bruteForce(rows: Float32Array, n: number, d: number, query: Float32Array, k: number, accept: (i: number) => boolean = () => true) {
  const all: { index: number; cosine: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (!accept(i)) continue;
    let c = 0;
    for (let j = 0; j < d; j++) c += rows[i * d + j] * query[j];
    all.push({ index: i, cosine: c });
  }
  all.sort((a, b) => b.cosine - a.cosine || a.index - b.index);
  return all.slice(0, k);
}

describe('normalizeRows', () => {
  it('scales rows to unit length in place and leaves a zero row zero', () => {
    const rows = Float32Array.of(3, 4, 0, 0, 0, 0, -1, 1, 1, 0, 0, 0.5);
    const out = normalizeRows(rows, 3, 4);
    expect(out).toBe(rows);
    expect(Array.from(rows.subarray(0, 4))).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
    expect(Array.from(rows.subarray(4, 8))).toEqual([0, 0, -Math.fround(1 / Math.SQRT2), Math.fround(1 / Math.SQRT2)]);
    expect(Array.from(rows.subarray(8, 12)).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.894427, 0, 0, 0.447214]);
    const zero = normalizeRows(new Float32Array(5), 1, 5);
    expect(Array.from(zero)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('NearestCollector', () => {
  const n = 317;
  const d = 13; // not a multiple of 4: the unrolled dot's tail counts
  const rows = rowsWithTies(n, d, 1);

  it('over uneven blocks with an accept filter, equals a brute-force sort (ties to the smaller index)', () => {
    const accept = (i: number) => i % 7 !== 2;
    for (let q = 0; q < 12; q++) {
      // Queries that are rows themselves hit the duplicates: equal cosines at several indexes.
      const query = rows.slice(q * d, q * d + d);
      const collector = new NearestCollector(9);
      const blocks = [1, 50, 0, 100, 33, n - 184];
      let first = 0;
      for (const size of blocks) {
        collector.scan(rows.subarray(first * d, (first + size) * d), size, d, query, first, accept);
        first += size;
      }
      const got = collector.result();
      const want = bruteForce(rows, n, d, query, 9, accept);
      expect(Array.from(got.indexes)).toEqual(want.map((w) => w.index));
      got.cosines.forEach((c, i) => expect(c).toBeCloseTo(want[i].cosine, 6));
      expect(collector.size).toBe(9);
    }
  });

  it('puts equal cosines in index order, whatever order they are offered in', () => {
    const collector = new NearestCollector(3);
    for (const index of [9, 4, 7, 1, 8]) collector.offer(index, 0.5);
    collector.offer(12, 0.25);
    collector.offer(13, Number.NaN);
    expect(Array.from(collector.result().indexes)).toEqual([1, 4, 7]);
    collector.offer(20, 0.75);
    expect(Array.from(collector.result().indexes)).toEqual([20, 1, 4]);
  });

  it('returns every accepted row, sorted, when k exceeds them', () => {
    const query = rows.slice(0, d);
    const accept = (i: number) => i < 6;
    const got = nearestByCosine(rows, n, d, query, 50, accept);
    expect(Array.from(got.indexes)).toEqual(bruteForce(rows, n, d, query, 50, accept).map((w) => w.index));
    expect(got.indexes.length).toBe(6);
    // Row 5 duplicates row 0: both at cosine 1, the smaller index first; zero row 3 at cosine 0.
    expect(Array.from(got.indexes.subarray(0, 2))).toEqual([0, 5]);
    expect(got.cosines[got.indexes.indexOf(3)]).toBe(0);
  });

  it('answers a zero query with cosines of 0, in index order; k = 0 with nothing', () => {
    const got = nearestByCosine(rows, n, d, new Float32Array(d), 4);
    expect(Array.from(got.indexes)).toEqual([0, 1, 2, 3]);
    expect(Array.from(got.cosines)).toEqual([0, 0, 0, 0]);
    expect(nearestByCosine(rows, n, d, rows.slice(0, d), 0).indexes.length).toBe(0);
  });

  it('forgets what it kept on reset', () => {
    const collector = new NearestCollector(2);
    collector.scan(rows, n, d, rows.slice(0, d), 0);
    collector.reset();
    expect(collector.size).toBe(0);
    collector.scan(rows, 10, d, rows.slice(d, 2 * d), 100);
    expect(collector.result().indexes[0]).toBe(101);
  });
});
