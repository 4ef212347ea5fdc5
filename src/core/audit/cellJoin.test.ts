import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { normalizeRows } from '../project/knn.ts';
import { jsBlockDot } from './blockDot.ts';
import { bruteForcePairs, cellJoin, type CellJoinInput } from './cellJoin.ts';

/** Clustered unit rows (as embeddings are), with `planted` near-copies of earlier rows at the end. */
function clustered(count: number, dim: number, clusters: number, planted: number, seed: number) {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres = Float32Array.from({ length: clusters * dim }, gauss);
  const rows = new Float32Array(count * dim);
  const copies: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    if (i >= count - planted) {
      const of = Math.floor(random() * (count - planted));
      for (let j = 0; j < dim; j++) rows[i * dim + j] = rows[of * dim + j] + 0.02 * gauss();
      copies.push([of, i]);
      continue;
    }
    const c = Math.floor(random() * clusters);
    for (let j = 0; j < dim; j++) rows[i * dim + j] = centres[c * dim + j] + 0.6 * gauss();
  }
  normalizeRows(rows, count, dim);
  return { rows, copies };
}

function flags(count: number, testFrom: number): Pick<CellJoinInput, 'inDatabase' | 'wantNeighbours'> {
  const inDatabase = new Uint8Array(count);
  const wantNeighbours = new Uint8Array(count);
  for (let i = 0; i < count; i++) (i < testFrom ? inDatabase : wantNeighbours)[i] = 1;
  return { inDatabase, wantNeighbours };
}

describe('cellJoin', () => {
  const count = 2400;
  const dim = 24;
  const { rows, copies } = clustered(count, dim, 30, 60, 7);
  // Test images are a stretch in the middle, so planted copies fall in both splits.
  const inDatabase = new Uint8Array(count).fill(1);
  const wantNeighbours = new Uint8Array(count);
  for (let i = 1500; i < 1900; i++) {
    inDatabase[i] = 0;
    wantNeighbours[i] = 1;
  }
  const input: CellJoinInput = { rows, count, dim, inDatabase, wantNeighbours };

  it('finds the pairs above the floor that brute force finds, with the same cosines, and nothing else', async () => {
    const floor = 0.95;
    const exact = bruteForcePairs(input, floor);
    const found = await cellJoin(input, { floor, seed: 3 });
    const key = (a: number, b: number) => a * count + b;
    const exactCos = new Map<number, number>();
    for (let i = 0; i < exact.a.length; i++) exactCos.set(key(exact.a[i], exact.b[i]), exact.cosine[i]);
    // Every planted copy whose pair may be reported is among the exact pairs (the data is as meant).
    const reportable = copies.filter(([a, b]) => inDatabase[a] || inDatabase[b]);
    expect(reportable.length).toBeGreaterThan(40);
    for (const [a, b] of reportable) expect(exactCos.has(key(Math.min(a, b), Math.max(a, b)))).toBe(true);
    let hits = 0;
    for (let i = 0; i < found.pairs.a.length; i++) {
      const k = key(found.pairs.a[i], found.pairs.b[i]);
      expect(found.pairs.a[i]).toBeLessThan(found.pairs.b[i]);
      expect(exactCos.get(k)).toBeCloseTo(found.pairs.cosine[i], 5);
      hits++;
    }
    expect(hits / exact.a.length).toBeGreaterThanOrEqual(0.99);
    // Sorted by cosine, highest first, each pair once.
    for (let i = 1; i < found.pairs.a.length; i++) expect(found.pairs.cosine[i]).toBeLessThanOrEqual(found.pairs.cosine[i - 1]);
    expect(new Set(Array.from(found.pairs.a, (a, i) => key(a, found.pairs.b[i]))).size).toBe(found.pairs.a.length);
    // Far fewer dot products than brute force.
    expect(found.comparisons).toBeLessThan((count * count) / 2);
  });

  it('never pairs two test images, and gives each test image its k-th nearest labelled cosine (exact where its cells hold them)', async () => {
    const k = 5;
    const found = await cellJoin(input, { floor: 0.9, k, seed: 1, probe: 30, cells: 30 });
    for (let i = 0; i < found.pairs.a.length; i++) expect(inDatabase[found.pairs.a[i]] || inDatabase[found.pairs.b[i]]).toBeTruthy();
    // With every cell probed the search is exhaustive: the k-th cosine equals brute force's.
    const s = jsBlockDot(rows, count, rows, count, dim) as Float32Array;
    for (let q = 1500; q < 1900; q += 37) {
      const sims: number[] = [];
      for (let d = 0; d < count; d++) if (inDatabase[d]) sims.push(s[q * count + d]);
      sims.sort((x, y) => y - x);
      expect(found.kthCosine[q]).toBeCloseTo(sims[k - 1], 5);
      expect(found.nearestCosine[q]).toBeCloseTo(sims[0], 5);
      expect(s[q * count + found.nearestIndex[q]]).toBeCloseTo(sims[0], 5);
    }
    expect(Number.isNaN(found.kthCosine[0])).toBe(true);
  });

  it('keeps at most maxPairs, raising the floor to the last one kept', async () => {
    const exact = bruteForcePairs(input, 0.9);
    const found = await cellJoin(input, { floor: 0.9, maxPairs: 10, seed: 3, probe: 30, cells: 30 });
    expect(found.pairs.a.length).toBe(10);
    expect(Array.from(found.pairs.cosine)).toEqual(Array.from(exact.cosine.slice(0, 10)));
    expect(found.floor).toBeCloseTo(exact.cosine[9], 6);
  });

  it('goes on from a snapshot to the same result as a join never stopped', async () => {
    const whole = await cellJoin(input, { floor: 0.9, seed: 4 });
    const snapshots: import('./cellJoin.ts').CellJoinSnapshot[] = [];
    await cellJoin(input, { floor: 0.9, seed: 4, snapshotMs: 0, onSnapshot: (s) => void snapshots.push(structuredClone(s)) });
    const middle = snapshots[Math.floor(snapshots.length / 2)];
    expect(middle.nextCell).toBeGreaterThan(0);
    expect(middle.nextCell).toBeLessThan(whole.cells);
    const resumed = await cellJoin(input, { floor: 0.9, seed: 4, resume: middle });
    expect(Array.from(resumed.pairs.a)).toEqual(Array.from(whole.pairs.a));
    expect(Array.from(resumed.pairs.b)).toEqual(Array.from(whole.pairs.b));
    expect(Array.from(resumed.kthCosine)).toEqual(Array.from(whole.kthCosine));
    expect(Array.from(resumed.nearestIndex)).toEqual(Array.from(whole.nearestIndex));
    expect(resumed.comparisons).toBe(whole.comparisons);
    // A snapshot of other settings is not used.
    const other = await cellJoin(input, { floor: 0.9, seed: 4, probe: 2, resume: middle });
    expect(other.probe).toBe(2);
  });

  it('is the same for the same seed, and handles no database rows', async () => {
    const a = await cellJoin(input, { floor: 0.95, seed: 9 });
    const b = await cellJoin(input, { floor: 0.95, seed: 9 });
    expect(Array.from(a.pairs.a)).toEqual(Array.from(b.pairs.a));
    const none = await cellJoin({ ...input, ...flags(count, 0) }, { floor: 0.9 });
    expect(none.pairs.a.length).toBe(0);
    expect(none.cells).toBe(0);
  });
});
