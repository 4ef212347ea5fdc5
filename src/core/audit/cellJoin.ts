/**
 * Every pair of near-identical images, and each test image's distance to the train set, without
 * comparing all N² pairs: the labelled rows are clustered into cells (spherical k-means, as an
 * IVF index: FAISS's IndexIVFFlat), and each point is compared only with the labelled rows of the
 * `probe` cells whose centroids are nearest to it (its own first). The search runs a cell at a time
 * (as FAISS's search by inverted list): every point that probes cell c against c's labelled rows,
 * one block of dot products. Two images with a cosine near 1 almost always fall in cells near both;
 * the recall this costs is measured against brute force (cellJoin.test.ts, npm run bench:audit).
 * Probing by each point's own nearest centroids, not by its cell's neighbour cells, is what keeps
 * pairs on a cell border: at Herbarium scale every pair the cell-level probe missed was one whose
 * two cells were not among each other's nearest.
 *
 * With n labelled rows in k cells a point meets about probe · n / k rows, and assigning points to
 * cells costs k dot products each: k = √n keeps the two in balance (1,050,179 points and 839,772
 * labelled: 916 cells, ≈ 3,700 dot products per point where brute force needs 839,772).
 */

import { mulberry32 } from '../random.mjs';
import { updateCentroids } from '../project/place.ts';
import { jsBlockDot, type BlockDot } from './blockDot.ts';

export interface CellJoinInput {
  /** Unit-length rows [count × dim]. */
  rows: Float32Array;
  count: number;
  dim: number;
  /** 1 where a point can be another's neighbour (the labelled images); the cells are made from these. */
  inDatabase: Uint8Array;
  /** 1 where a point's k nearest database neighbours are wanted (the test images' novelty). */
  wantNeighbours: Uint8Array;
}

export interface CellJoinOptions {
  /** Pairs with a cosine at or above this are kept (the page's threshold can then be raised without a new search). */
  floor: number;
  /** Cells each point is compared with: those of its `probe` nearest centroids (default 4). */
  probe?: number;
  /** k-means cells (default √(database rows)). */
  cells?: number;
  /** Neighbours kept for wantNeighbours points (default 10). */
  k?: number;
  seed?: number;
  /** k-means iterations (default 8) on a sample of at most SAMPLE_PER_CELL rows per cell. */
  iterations?: number;
  /** Pairs kept at most: beyond it the floor rises to the cosine of the last one kept. */
  maxPairs?: number;
  dot?: BlockDot;
  progress?: (stage: string, done: number, total: number) => void;
  /** Awaited between blocks: lets a cancel in (throws when cancelled). */
  checkpoint?: () => Promise<void>;
  /** Given a snapshot of the same input and options, the join goes on from where it was taken. */
  resume?: CellJoinSnapshot | null;
  /** Called after a cell once `snapshotMs` (default 30 s) have passed since the last: what to store to resume. */
  onSnapshot?: (snapshot: CellJoinSnapshot) => Promise<void> | void;
  snapshotMs?: number;
}

/** Where a join is: its cells, the cells done, and what they found. */
export interface CellJoinSnapshot {
  count: number;
  cells: number;
  probe: number;
  k: number;
  centroids: Float32Array;
  /** Per point its `probe` nearest cells, nearest first [count × probe]: the first is its cell. */
  probedCells: Int32Array;
  nextCell: number;
  pairs: NearPairs;
  floor: number;
  /** Per point its k best cosines so far, ascending [count × k]. */
  bestK: Float32Array;
  nearestCosine: Float32Array;
  nearestIndex: Int32Array;
  comparisons: number;
}

export interface NearPairs {
  /** Point indexes, a < b, sorted by cosine (highest first), then a, then b. */
  a: Int32Array;
  b: Int32Array;
  cosine: Float32Array;
}

export interface CellJoinResult {
  pairs: NearPairs;
  /** Per point: the cosine of its k-th nearest database neighbour (NaN where not wanted, or fewer than k were met). */
  kthCosine: Float32Array;
  /** Per point: its nearest database neighbour's cosine and index (−1 where not wanted or none met). */
  nearestCosine: Float32Array;
  nearestIndex: Int32Array;
  /** The floor in the end (higher than asked when maxPairs was reached). */
  floor: number;
  cells: number;
  probe: number;
  k: number;
  /** Dot products computed, against count² / 2 for brute force. */
  comparisons: number;
}

export const DEFAULT_PROBE = 4;
export const DEFAULT_NEIGHBOURS = 10;
export const DEFAULT_MAX_PAIRS = 1_000_000;
/** k-means is fitted on at most this many rows per cell (FAISS warns below 39 and samples above 256). */
export const SAMPLE_PER_CELL = 64;
/** Rows × columns of one block of dot products (16 MB of float32). */
const BLOCK_VALUES = 1 << 22;

/** Spherical k-means on unit rows with every heavy step a block of dot products; seeded random start. */
export async function blockKMeans(
  rows: Float32Array,
  count: number,
  dim: number,
  cells: number,
  iterations: number,
  seed: number,
  dot: BlockDot,
  checkpoint?: () => Promise<void>,
): Promise<Float32Array> {
  const random = mulberry32(seed);
  // Distinct rows as the start (a partial Fisher–Yates draw).
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const centroids = new Float32Array(cells * dim);
  for (let c = 0; c < cells; c++) {
    const j = c + Math.floor(random() * (count - c));
    [order[c], order[j]] = [order[j], order[c]];
    centroids.set(rows.subarray(order[c] * dim, order[c] * dim + dim), c * dim);
  }
  const assignment = new Int32Array(count);
  const best = new Float32Array(count);
  for (let it = 0; it < iterations; it++) {
    await assignToCells(rows, count, dim, centroids, cells, dot, assignment, best, checkpoint);
    updateCentroids(rows, count, dim, assignment, best, centroids, cells);
  }
  return centroids;
}

/** Each row's nearest centroid (ties to the lower cell) and its cosine, a block of rows at a time. */
export async function assignToCells(
  rows: Float32Array,
  count: number,
  dim: number,
  centroids: Float32Array,
  cells: number,
  dot: BlockDot,
  assignment: Int32Array,
  bestCosine: Float32Array,
  checkpoint?: () => Promise<void>,
): Promise<void> {
  const block = Math.max(1, Math.floor(BLOCK_VALUES / cells));
  for (let first = 0; first < count; first += block) {
    const n = Math.min(block, count - first);
    const s = await dot(rows.subarray(first * dim, (first + n) * dim), n, centroids, cells, dim);
    for (let r = 0; r < n; r++) {
      let bestCell = 0;
      let bestValue = -Infinity;
      for (let c = 0, o = r * cells; c < cells; c++) if (s[o + c] > bestValue) {
        bestValue = s[o + c];
        bestCell = c;
      }
      assignment[first + r] = bestCell;
      bestCosine[first + r] = bestValue;
    }
    await checkpoint?.();
  }
}

/** Each row's `take` nearest centroids, nearest first (ties to the lower cell) [count × take]. */
export async function nearestCells(
  rows: Float32Array,
  count: number,
  dim: number,
  centroids: Float32Array,
  cells: number,
  take: number,
  dot: BlockDot,
  checkpoint?: () => Promise<void>,
): Promise<Int32Array> {
  const out = new Int32Array(count * take);
  const best = new Float32Array(take);
  const block = Math.max(1, Math.floor(BLOCK_VALUES / cells));
  for (let first = 0; first < count; first += block) {
    const n = Math.min(block, count - first);
    const s = await dot(rows.subarray(first * dim, (first + n) * dim), n, centroids, cells, dim);
    for (let r = 0; r < n; r++) {
      const o = r * cells;
      const at = (first + r) * take;
      best.fill(-Infinity);
      // Insertion into the descending `take` best: take is a handful, cells are hundreds.
      for (let c = 0; c < cells; c++) {
        const v = s[o + c];
        if (v <= best[take - 1]) continue;
        let p = take - 1;
        while (p > 0 && best[p - 1] < v) {
          best[p] = best[p - 1];
          out[at + p] = out[at + p - 1];
          p--;
        }
        best[p] = v;
        out[at + p] = c;
      }
    }
    await checkpoint?.();
  }
  return out;
}

/** A growable list of (a, b, cosine) with a rising floor once it holds more than `max`. */
class PairList {
  a = new Int32Array(1024);
  b = new Int32Array(1024);
  cosine = new Float32Array(1024);
  size = 0;
  constructor(
    public floor: number,
    private readonly max: number,
    from?: NearPairs,
  ) {
    if (from) for (let i = 0; i < from.a.length; i++) this.push(from.a[i], from.b[i], from.cosine[i]);
  }

  /** A copy of what is held (not compacted). */
  copy(): NearPairs {
    return { a: this.a.slice(0, this.size), b: this.b.slice(0, this.size), cosine: this.cosine.slice(0, this.size) };
  }

  push(a: number, b: number, cosine: number): void {
    if (this.size === this.a.length) {
      if (this.size >= 2 * this.max) this.compact();
      else this.grow();
    }
    this.a[this.size] = a;
    this.b[this.size] = b;
    this.cosine[this.size++] = cosine;
  }

  private grow(): void {
    const n = this.a.length * 2;
    const a = new Int32Array(n);
    const b = new Int32Array(n);
    const c = new Float32Array(n);
    a.set(this.a);
    b.set(this.b);
    c.set(this.cosine);
    [this.a, this.b, this.cosine] = [a, b, c];
  }

  /** Keeps the `max` best distinct pairs, and raises the floor to the last one kept. */
  compact(): void {
    const order = this.sortedDistinct();
    const keep = order.slice(0, Math.min(order.length, this.max));
    const a = Int32Array.from(keep, (i) => this.a[i]);
    const b = Int32Array.from(keep, (i) => this.b[i]);
    const c = Float32Array.from(keep, (i) => this.cosine[i]);
    if (order.length > this.max) this.floor = Math.max(this.floor, c[c.length - 1]);
    this.a.set(a);
    this.b.set(b);
    this.cosine.set(c);
    this.size = keep.length;
  }

  /**
   * Indexes of the distinct pairs, best first (cosine, then a, then b). A pair met from both of its
   * cells is kept once, with the higher of its two cosines (two matmuls may differ in the last bit).
   */
  private sortedDistinct(): Int32Array {
    const byPair = Int32Array.from({ length: this.size }, (_, i) => i).sort(
      (p, q) => this.a[p] - this.a[q] || this.b[p] - this.b[q] || this.cosine[q] - this.cosine[p],
    );
    const distinct: number[] = [];
    for (const i of byPair) {
      const prev = distinct.length ? distinct[distinct.length - 1] : -1;
      if (prev >= 0 && this.a[prev] === this.a[i] && this.b[prev] === this.b[i]) continue;
      distinct.push(i);
    }
    return Int32Array.from(distinct).sort((p, q) => this.cosine[q] - this.cosine[p] || this.a[p] - this.a[q] || this.b[p] - this.b[q]);
  }

  result(): NearPairs {
    this.compact();
    const n = this.size;
    return { a: this.a.slice(0, n), b: this.b.slice(0, n), cosine: this.cosine.slice(0, n) };
  }
}

export async function cellJoin(input: CellJoinInput, options: CellJoinOptions): Promise<CellJoinResult> {
  const { rows, count, dim, inDatabase, wantNeighbours } = input;
  if (rows.length < count * dim) throw new RangeError(`${rows.length} values hold fewer than ${count} rows of ${dim}`);
  if (inDatabase.length !== count || wantNeighbours.length !== count) throw new RangeError('per-point flags do not match the point count');
  const dot = options.dot ?? jsBlockDot;
  const k = options.k ?? DEFAULT_NEIGHBOURS;
  const progress = options.progress ?? (() => {});
  const checkpoint = options.checkpoint;

  const database: number[] = [];
  for (let i = 0; i < count; i++) if (inDatabase[i]) database.push(i);
  const n = database.length;
  const cells = Math.max(1, Math.min(n, options.cells ?? Math.round(Math.sqrt(n))));
  const probe = Math.max(1, Math.min(cells, options.probe ?? DEFAULT_PROBE));
  const r = options.resume;
  const resume =
    r && r.count === count && r.cells === cells && r.probe === probe && r.k === k && r.probedCells?.length === count * probe && r.bestK?.length === count * k && r.centroids.length === cells * dim ? r : null;
  const bestK = resume ? resume.bestK.slice() : new Float32Array(count * k).fill(-Infinity);
  const nearestCosine = resume ? resume.nearestCosine.slice() : new Float32Array(count).fill(NaN);
  const nearestIndex = resume ? resume.nearestIndex.slice() : new Int32Array(count).fill(-1);
  const pairs = new PairList(resume ? Math.max(options.floor, resume.floor) : options.floor, options.maxPairs ?? DEFAULT_MAX_PAIRS, resume?.pairs);
  const kthOf = () => Float32Array.from({ length: count }, (_, i) => (wantNeighbours[i] && bestK[i * k] > -Infinity ? bestK[i * k] : NaN));
  if (n === 0) return { pairs: pairs.result(), kthCosine: kthOf(), nearestCosine, nearestIndex, floor: pairs.floor, cells: 0, probe: 0, k, comparisons: 0 };

  let centroids: Float32Array;
  let probedCells: Int32Array;
  if (resume) {
    centroids = resume.centroids;
    probedCells = resume.probedCells;
  } else {
    // 1. Cells from a seeded sample of the database rows.
    progress('clustering the labelled images into cells', 0, 1);
    const random = mulberry32((options.seed ?? 0) ^ 0x5eed);
    const sampleSize = Math.min(n, cells * SAMPLE_PER_CELL);
    const pool = Int32Array.from(database);
    for (let i = 0; i < sampleSize; i++) {
      const j = i + Math.floor(random() * (n - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    const sample = new Float32Array(sampleSize * dim);
    for (let i = 0; i < sampleSize; i++) sample.set(rows.subarray(pool[i] * dim, pool[i] * dim + dim), i * dim);
    centroids = await blockKMeans(sample, sampleSize, dim, cells, options.iterations ?? 8, options.seed ?? 0, dot, checkpoint);

    // 2. Every point's nearest cells: the first is its own.
    progress('placing every image in its cell', 0, 1);
    probedCells = await nearestCells(rows, count, dim, centroids, cells, probe, dot, checkpoint);
  }
  // The database points of each cell, and the points (labelled or wanting neighbours) that probe it; ascending.
  const dbMembers = groupByCell(count, 1, (i) => (inDatabase[i] === 1 ? probedCells[i * probe] : -1), cells);
  const probers = groupByCell(count, probe, (i, p) => (inDatabase[i] === 1 || wantNeighbours[i] === 1 ? probedCells[i * probe + p] : -1), cells);

  // 3. The join, a cell at a time: the points that probe it against its labelled rows.
  let comparisons = resume?.comparisons ?? 0;
  const snapshotMs = options.snapshotMs ?? 30_000;
  let lastSnapshot = Date.now();
  for (let c = resume?.nextCell ?? 0; c < cells; c++) {
    if (options.onSnapshot && Date.now() - lastSnapshot >= snapshotMs) {
      await options.onSnapshot({ count, cells, probe, k, centroids, probedCells, nextCell: c, pairs: pairs.copy(), floor: pairs.floor, bestK, nearestCosine, nearestIndex, comparisons });
      lastSnapshot = Date.now();
    }
    progress('comparing images within and across neighbouring cells', c, cells);
    const queries = probers.of(c);
    const candidates = dbMembers.of(c);
    if (queries.length === 0 || candidates.length === 0) continue;
    const columnsPerBlock = Math.max(1, Math.min(candidates.length, Math.floor(BLOCK_VALUES / Math.min(queries.length, 1024))));
    for (let c0 = 0; c0 < candidates.length; c0 += columnsPerBlock) {
      const cols = candidates.subarray(c0, c0 + columnsPerBlock);
      const b = gather(rows, cols, dim);
      const rowsPerBlock = Math.max(1, Math.floor(BLOCK_VALUES / cols.length));
      for (let q0 = 0; q0 < queries.length; q0 += rowsPerBlock) {
        const qs = queries.subarray(q0, q0 + rowsPerBlock);
        const s = await dot(gather(rows, qs, dim), qs.length, b, cols.length, dim);
        comparisons += qs.length * cols.length;
        for (let r = 0; r < qs.length; r++) {
          const q = qs[r];
          const o = r * cols.length;
          const wants = wantNeighbours[q] === 1;
          const floor = pairs.floor;
          const ko = q * k;
          for (let j = 0; j < cols.length; j++) {
            const d = cols[j];
            if (d === q) continue;
            const cos = s[o + j];
            // A pair of two labelled rows is met from both sides when each probes the other's cell: the list keeps it once.
            if (cos >= floor) pairs.push(Math.min(q, d), Math.max(q, d), cos);
            if (wants && cos > bestK[ko]) {
              // Insert into the ascending k best.
              let p = 0;
              while (p + 1 < k && bestK[ko + p + 1] < cos) {
                bestK[ko + p] = bestK[ko + p + 1];
                p++;
              }
              bestK[ko + p] = cos;
              if (cos > nearestCosine[q] || Number.isNaN(nearestCosine[q])) {
                nearestCosine[q] = cos;
                nearestIndex[q] = d;
              }
            }
          }
        }
        await checkpoint?.();
      }
    }
  }
  progress('comparing images within and across neighbouring cells', cells, cells);
  const result = pairs.result();
  return { pairs: result, kthCosine: kthOf(), nearestCosine, nearestIndex, floor: pairs.floor, cells, probe, k, comparisons };
}

function gather(rows: Float32Array, indexes: ArrayLike<number>, dim: number): Float32Array {
  const out = new Float32Array(indexes.length * dim);
  for (let i = 0; i < indexes.length; i++) out.set(rows.subarray(indexes[i] * dim, indexes[i] * dim + dim), i * dim);
  return out;
}

/** Points by cell: point i is listed under cellOf(i, p) for p < per (−1: not listed); ascending within a cell; of(c) is a view. */
function groupByCell(count: number, per: number, cellOf: (i: number, p: number) => number, cells: number): { of(c: number): Int32Array } {
  const start = new Int32Array(cells + 1);
  for (let i = 0; i < count; i++) for (let p = 0; p < per; p++) {
    const c = cellOf(i, p);
    if (c >= 0) start[c + 1]++;
  }
  for (let c = 0; c < cells; c++) start[c + 1] += start[c];
  const next = start.slice(0, cells);
  const index = new Int32Array(start[cells]);
  for (let i = 0; i < count; i++) for (let p = 0; p < per; p++) {
    const c = cellOf(i, p);
    if (c >= 0) index[next[c]++] = i;
  }
  return { of: (c) => index.subarray(start[c], start[c + 1]) };
}

/** Brute force, for tests and the benchmark's check: every pair with cosine ≥ floor among the given flags (as cellJoin). */
export function bruteForcePairs(input: CellJoinInput, floor: number): NearPairs {
  const { rows, count, dim, inDatabase, wantNeighbours } = input;
  const list = new PairList(floor, Number.MAX_SAFE_INTEGER);
  const s = jsBlockDot(rows, count, rows, count, dim) as Float32Array;
  for (let a = 0; a < count; a++)
    for (let b = a + 1; b < count; b++) {
      const okAB = inDatabase[b] && (inDatabase[a] || wantNeighbours[a]);
      const okBA = inDatabase[a] && (inDatabase[b] || wantNeighbours[b]);
      if ((okAB || okBA) && s[a * count + b] >= floor) list.push(a, b, s[a * count + b]);
    }
  return list.result();
}
