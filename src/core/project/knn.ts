/**
 * Exact cosine k-nearest neighbours by a scan: the worker reads the store block by block and
 * offers each block to one collector, which keeps the k best in a bounded heap. On unit-length
 * rows the cosine is the dot product.
 */

export interface Neighbours {
  /** Nearest first (highest cosine), ties to the smaller index; length = min(k, accepted rows). */
  indexes: Int32Array;
  cosines: Float32Array;
}

/** Scales each of `count` rows of dim `dim` to unit length in place (a zero row stays zero); returns rows. */
export function normalizeRows(rows: Float32Array, count: number, dim: number): Float32Array {
  if (rows.length < count * dim) throw new RangeError(`${rows.length} values hold fewer than ${count} rows of ${dim}`);
  for (let r = 0; r < count; r++) {
    const o = r * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += rows[o + j] * rows[o + j];
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < dim; j++) rows[o + j] *= inv;
    }
  }
  return rows;
}

/** a[ao … ao+dim) · b[bo … bo+dim), 4-way unrolled (independent partial sums the CPU can overlap). */
export function dotAt(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    s0 += a[ao + j] * b[bo + j];
    s1 += a[ao + j + 1] * b[bo + j + 1];
    s2 += a[ao + j + 2] * b[bo + j + 2];
    s3 += a[ao + j + 3] * b[bo + j + 3];
  }
  for (; j < dim; j++) s0 += a[ao + j] * b[bo + j];
  return s0 + s1 + s2 + s3;
}

/**
 * Keeps the k best (index, cosine) offered, with a bounded binary heap whose root is the worst
 * kept (lowest cosine; on equal cosines the larger index), so a candidate is one comparison
 * against the root unless it gets in.
 */
export class NearestCollector {
  readonly k: number;
  /** Heap storage (heap order, not sorted): the first `size` entries are the kept neighbours. */
  readonly indexes: Int32Array;
  readonly cosines: Float64Array;
  private n = 0;

  constructor(k: number) {
    if (!(Number.isInteger(k) && k >= 0)) throw new RangeError(`k = ${k} is not a non-negative integer`);
    this.k = k;
    this.indexes = new Int32Array(k);
    this.cosines = new Float64Array(k);
  }

  /** How many are kept (≤ k). */
  get size(): number {
    return this.n;
  }

  /** Forgets everything kept (to reuse the collector for the next query). */
  reset(): void {
    this.n = 0;
  }

  /**
   * Offers rows [count×dim] (already unit length) against `query` (unit length); row r is index
   * firstIndex + r; rows with accept(index) false are skipped.
   */
  scan(rows: Float32Array, count: number, dim: number, query: Float32Array, firstIndex: number, accept?: (index: number) => boolean): void {
    if (rows.length < count * dim) throw new RangeError(`${rows.length} values hold fewer than ${count} rows of ${dim}`);
    if (query.length < dim) throw new RangeError(`the query has ${query.length} values, not ${dim}`);
    const k = this.k;
    if (k === 0) return;
    const cosines = this.cosines;
    const indexes = this.indexes;
    for (let r = 0; r < count; r++) {
      const index = firstIndex + r;
      if (accept && !accept(index)) continue;
      const c = dotAt(rows, r * dim, query, 0, dim);
      if (this.n < k) this.push(index, c);
      else if (c > cosines[0] || (c === cosines[0] && index < indexes[0])) this.replaceRoot(index, c);
    }
  }

  offer(index: number, cosine: number): void {
    if (this.k === 0 || Number.isNaN(cosine)) return;
    if (this.n < this.k) this.push(index, cosine);
    else if (cosine > this.cosines[0] || (cosine === this.cosines[0] && index < this.indexes[0])) this.replaceRoot(index, cosine);
  }

  /** The kept neighbours, nearest first (ties to the smaller index). */
  result(): Neighbours {
    const n = this.n;
    const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => this.cosines[q] - this.cosines[p] || this.indexes[p] - this.indexes[q]);
    const indexes = new Int32Array(n);
    const cosines = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      indexes[i] = this.indexes[order[i]];
      cosines[i] = this.cosines[order[i]];
    }
    return { indexes, cosines };
  }

  /** Whether entry p is worse than entry q (lower cosine, or equal and a larger index). */
  private worse(p: number, q: number): boolean {
    const cp = this.cosines[p];
    const cq = this.cosines[q];
    return cp < cq || (cp === cq && this.indexes[p] > this.indexes[q]);
  }

  private swap(p: number, q: number): void {
    const c = this.cosines[p];
    this.cosines[p] = this.cosines[q];
    this.cosines[q] = c;
    const i = this.indexes[p];
    this.indexes[p] = this.indexes[q];
    this.indexes[q] = i;
  }

  private push(index: number, cosine: number): void {
    if (Number.isNaN(cosine)) return;
    let i = this.n++;
    this.indexes[i] = index;
    this.cosines[i] = cosine;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private replaceRoot(index: number, cosine: number): void {
    this.indexes[0] = index;
    this.cosines[0] = cosine;
    const n = this.n;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const w = r < n && this.worse(r, l) ? r : l;
      if (!this.worse(w, i)) break;
      this.swap(w, i);
      i = w;
    }
  }
}

/** One scan over all rows. */
export function nearestByCosine(rows: Float32Array, count: number, dim: number, query: Float32Array, k: number, accept?: (index: number) => boolean): Neighbours {
  const collector = new NearestCollector(k);
  collector.scan(rows, count, dim, query, 0, accept);
  return collector.result();
}
