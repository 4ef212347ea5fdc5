/**
 * Class prototypes: the mean train embedding of each class, from running sums that the embed
 * pipeline fills batch by batch (and can checkpoint, transfer and merge across workers).
 */

/** The transferable form of ClassSums (two buffers, for postMessage and the OPFS checkpoint). */
export interface ClassSumsData {
  numClasses: number;
  dim: number;
  /** [C×D] row-major. */
  sums: Float64Array;
  counts: Int32Array;
}

export interface Prototypes {
  /** [C×D] row-major means; a class with count 0 has a zero row. */
  prototypes: Float32Array;
  /** Images averaged per class (0 = no train image: its row is zeros, not a mean). */
  counts: Int32Array;
  /** Classes with count 0, ascending. */
  emptyClasses: Int32Array;
}

export class ClassSums {
  readonly numClasses: number;
  readonly dim: number;
  /**
   * Float64 because a float32 running sum of a few hundred rows loses low bits at every add and
   * the checkpoint/merge order would then change the prototypes; float64 makes them order-free
   * to float32 precision (C×D×8 bytes: 159 MB at 15,501 × 1,280, 12 MB at the 96-d default).
   */
  readonly sums: Float64Array;
  readonly counts: Int32Array;

  constructor(numClasses: number, dim: number, data?: ClassSumsData) {
    this.numClasses = numClasses;
    this.dim = dim;
    if (data) {
      if (data.numClasses !== numClasses || data.dim !== dim || data.sums.length !== numClasses * dim || data.counts.length !== numClasses)
        throw new RangeError(`class sums of ${data.numClasses}×${data.dim} do not fit ${numClasses}×${dim}`);
      this.sums = data.sums;
      this.counts = data.counts;
    } else {
      this.sums = new Float64Array(numClasses * dim);
      this.counts = new Int32Array(numClasses);
    }
  }

  static fromData(data: ClassSumsData): ClassSums {
    return new ClassSums(data.numClasses, data.dim, data);
  }

  toData(): ClassSumsData {
    return { numClasses: this.numClasses, dim: this.dim, sums: this.sums, counts: this.counts };
  }

  /** Adds one embedding, read from `source[offset .. offset + D)` (a row of an N×D matrix without a subarray). */
  add(source: ArrayLike<number>, cls: number, offset = 0): void {
    if (!(cls >= 0 && cls < this.numClasses)) throw new RangeError(`class ${cls} is outside 0..${this.numClasses - 1}`);
    if (offset + this.dim > source.length) throw new RangeError(`row at ${offset} runs past the ${source.length} values given`);
    const d = this.dim;
    const base = cls * d;
    const sums = this.sums;
    for (let j = 0; j < d; j++) sums[base + j] += source[offset + j];
    this.counts[cls]++;
  }

  /** Takes one embedding added before back out (the audit's "drop these from train"). */
  remove(source: ArrayLike<number>, cls: number, offset = 0): void {
    if (!(cls >= 0 && cls < this.numClasses)) throw new RangeError(`class ${cls} is outside 0..${this.numClasses - 1}`);
    if (this.counts[cls] === 0) throw new RangeError(`class ${cls} has no embedding to remove`);
    const d = this.dim;
    const base = cls * d;
    for (let j = 0; j < d; j++) this.sums[base + j] -= source[offset + j];
    // The last one out leaves exact zeros, not float64 residue.
    if (--this.counts[cls] === 0) this.sums.fill(0, base, base + d);
  }

  /** Adds rows of an N×D matrix: all of them, or those listed in `rows` (e.g. the train rows of a split). */
  addRows(embeddings: Float32Array, labels: Int32Array, rows?: Int32Array): void {
    const n = rows ? rows.length : labels.length;
    for (let k = 0; k < n; k++) {
      const i = rows ? rows[k] : k;
      this.add(embeddings, labels[i], i * this.dim);
    }
  }

  /** Adds another accumulator's sums and counts (another worker's share, a checkpoint). */
  merge(other: ClassSums): void {
    if (other.numClasses !== this.numClasses || other.dim !== this.dim)
      throw new RangeError(`cannot merge ${other.numClasses}×${other.dim} sums into ${this.numClasses}×${this.dim}`);
    for (let i = 0; i < this.sums.length; i++) this.sums[i] += other.sums[i];
    for (let c = 0; c < this.numClasses; c++) this.counts[c] += other.counts[c];
  }

  /** The means, as float32 (the prototypes.npz layout). */
  means(): Prototypes {
    const { numClasses: c, dim: d, sums, counts } = this;
    const prototypes = new Float32Array(c * d);
    const empty: number[] = [];
    for (let k = 0; k < c; k++) {
      const n = counts[k];
      if (n === 0) {
        empty.push(k);
        continue;
      }
      const base = k * d;
      for (let j = 0; j < d; j++) prototypes[base + j] = sums[base + j] / n;
    }
    return { prototypes, counts: counts.slice(), emptyClasses: Int32Array.from(empty) };
  }
}

/**
 * Scales each D-long row to unit Euclidean length, into `out` (which may be `rows` itself).
 * A zero row stays zero: it has no direction, and NaNs would poison every score it touches.
 */
export function l2Normalize(rows: Float32Array, dim: number, out: Float32Array = new Float32Array(rows.length)): Float32Array {
  if (rows.length % dim !== 0) throw new RangeError(`${rows.length} values are not whole rows of ${dim}`);
  for (let base = 0; base < rows.length; base += dim) {
    let sq = 0;
    for (let j = 0; j < dim; j++) sq += rows[base + j] * rows[base + j];
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let j = 0; j < dim; j++) out[base + j] = rows[base + j] * inv;
  }
  return out;
}
