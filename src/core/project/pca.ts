/**
 * Principal component analysis for the map: a streaming mean and covariance over blocks of rows
 * (one pass over the store), a dense symmetric eigen-decomposition of the D×D covariance
 * (D = 96…1,280), and the projection of rows onto the top two axes.
 */

import { jsGram, type GramKernel } from '../learn/lda.ts';

/**
 * Streaming mean and covariance of rows, in float64, over blocks; rows are shifted by the first
 * block's mean before the Gram product (so float32 Gram kernels on a GPU/WASM stay accurate when
 * the mean is large). With s = x − shift: Σ = (Σ ssᵀ − n·s̄s̄ᵀ)/(n − 1), and s̄ is small, so the
 * subtraction loses little.
 */
export class CovarianceAccumulator {
  readonly dim: number;
  private readonly gram: GramKernel;
  private n = 0;
  private shift: Float64Array | null = null;
  /** Σ s over the rows so far (float64). */
  private readonly sum: Float64Array;
  /** Σ ssᵀ, upper triangle (filled by the Gram kernel). */
  private readonly scatter: Float64Array;
  /** Reused between blocks: the shifted rows handed to the kernel (adds are awaited in turn). */
  private shifted = new Float32Array(0);

  constructor(dim: number, gram: GramKernel = jsGram) {
    if (!(Number.isInteger(dim) && dim > 0)) throw new RangeError(`dimension ${dim} is not a positive integer`);
    this.dim = dim;
    this.gram = gram;
    this.sum = new Float64Array(dim);
    this.scatter = new Float64Array(dim * dim);
  }

  get count(): number {
    return this.n;
  }

  /** rows: count×dim row-major (may be longer than count·dim). Await each add before the next. */
  async add(rows: Float32Array, count: number): Promise<void> {
    const d = this.dim;
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`row count ${count} is not a non-negative integer`);
    if (rows.length < count * d) throw new RangeError(`${rows.length} values hold fewer than ${count} rows of ${d}`);
    if (count === 0) return;
    if (!this.shift) {
      const shift = new Float64Array(d);
      for (let r = 0; r < count; r++) for (let j = 0, o = r * d; j < d; j++) shift[j] += rows[o + j];
      // Rounded to float32, the grid the rows lie on: where the rows are close to the shift (the
      // large-mean case this is for), row − shift is then exact in float32 (Sterbenz's lemma).
      for (let j = 0; j < d; j++) shift[j] = Math.fround(shift[j] / count);
      this.shift = shift;
    }
    const shift = this.shift;
    if (this.shifted.length < count * d) this.shifted = new Float32Array(count * d);
    const s = this.shifted;
    const sum = this.sum;
    for (let r = 0; r < count; r++) {
      const o = r * d;
      for (let j = 0; j < d; j++) {
        const v = rows[o + j] - shift[j];
        sum[j] += v;
        s[o + j] = v;
      }
    }
    await this.gram(count * d === s.length ? s : s.subarray(0, count * d), count, d, this.scatter);
    this.n += count;
  }

  /** mean [D] and covariance [D×D] full symmetric, divided by (n − 1) (n when n = 1); zeros when no rows were added. */
  result(): { mean: Float64Array; covariance: Float64Array } {
    const d = this.dim;
    const n = this.n;
    const mean = new Float64Array(d);
    const covariance = new Float64Array(d * d);
    if (n === 0 || !this.shift) return { mean, covariance };
    const shiftedMean = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      shiftedMean[j] = this.sum[j] / n;
      mean[j] = this.shift[j] + shiftedMean[j];
    }
    const divisor = n > 1 ? n - 1 : 1;
    for (let a = 0; a < d; a++)
      for (let b = a; b < d; b++) {
        const c = (this.scatter[a * d + b] - n * shiftedMean[a] * shiftedMean[b]) / divisor;
        covariance[a * d + b] = c;
        covariance[b * d + a] = c;
      }
    return { mean, covariance };
  }
}

/** √(a² + b²) without Math.hypot's cost (its variadic form is slow in the QL inner loop). */
function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x > y) {
    const t = y / x;
    return x * Math.sqrt(1 + t * t);
  }
  if (y === 0) return 0;
  const t = x / y;
  return y * Math.sqrt(1 + t * t);
}

/**
 * Eigen-decomposition of a symmetric n×n matrix (Householder tridiagonalisation + implicit QL, as
 * JAMA/EISPACK tred2/tql2); values descending, vectors[k*n + j] = component j of eigenvector k.
 * The work matrix is JAMA's V stored transposed (u[c·n + r] = V[r][c]): every inner loop of tred2
 * and every QL rotation then runs along a contiguous row, and the eigenvectors end as rows.
 * Only the lower triangle of `a` is read; `a` is not modified.
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`matrix size ${n} is not a positive integer`);
  if (a.length < n * n) throw new RangeError(`${a.length} values are not a ${n}×${n} matrix`);
  // u[c·n + r] = V[r][c]; JAMA starts from V = A and reads its lower triangle V[r][c], r ≥ c.
  const u = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c <= r; c++) u[c * n + r] = a[r * n + c];
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(u, d, e, n);
  tql2(u, d, e, n);
  // Descending order (tql2 leaves them unsorted).
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => d[q] - d[p] || p - q);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    values[k] = d[order[k]];
    vectors.set(u.subarray(order[k] * n, order[k] * n + n), k * n);
  }
  return { values, vectors };
}

/** Householder reduction to tridiagonal form (JAMA tred2), on u = Vᵀ. */
function tred2(u: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = u[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = u[j * n + i - 1];
        u[j * n + i] = 0;
        u[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // Apply the similarity transformation to the remaining columns.
      for (let j = 0; j < i; j++) {
        f = d[j];
        u[i * n + j] = f;
        const row = j * n;
        g = e[j] + u[row + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const v = u[row + k];
          g += v * d[k];
          e[k] += v * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        const row = j * n;
        for (let k = j; k <= i - 1; k++) u[row + k] -= f * e[k] + g * d[k];
        d[j] = u[row + i - 1];
        u[row + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    u[i * n + n - 1] = u[i * n + i];
    u[i * n + i] = 1;
    const h = d[i + 1];
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = u[next + k] / h;
      for (let j = 0; j <= i; j++) {
        const row = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += u[next + k] * u[row + k];
        for (let k = 0; k <= i; k++) u[row + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) u[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = u[j * n + n - 1];
    u[j * n + n - 1] = 0;
  }
  u[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** Symmetric tridiagonal QL with implicit shifts (JAMA tql2), rotating rows of u = Vᵀ. */
function tql2(u: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 100) throw new Error(`symmetricEigen: no convergence at eigenvalue ${l} of ${n}`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          // Rotate eigenvector rows i and i + 1.
          const ri = i * n;
          const rj = ri + n;
          for (let k = 0; k < n; k++) {
            const vi = u[ri + k];
            const vj = u[rj + k];
            u[rj + k] = s * vi + c * vj;
            u[ri + k] = c * vi - s * vj;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

export interface PcaBasis {
  dim: number;
  mean: Float32Array;
  /** k×dim, unit rows. */
  components: Float32Array;
  /** k eigenvalues (the variance along each axis). */
  variance: Float64Array;
  /** The covariance's trace (the total variance). */
  totalVariance: number;
}

/**
 * Top-k principal axes; each axis's sign fixed so its largest-|value| entry is positive (the
 * first such entry on a tie), so the map does not flip between runs. k is capped at the dimension.
 */
export function pcaBasis(acc: CovarianceAccumulator, k = 2): PcaBasis {
  const d = acc.dim;
  if (!(Number.isInteger(k) && k > 0)) throw new RangeError(`axis count ${k} is not a positive integer`);
  const axes = Math.min(k, d);
  const { mean, covariance } = acc.result();
  const { values, vectors } = symmetricEigen(covariance, d);
  const components = new Float32Array(axes * d);
  const variance = new Float64Array(axes);
  for (let a = 0; a < axes; a++) {
    const o = a * d;
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(vectors[o + j]) > Math.abs(vectors[o + big])) big = j;
    const sign = vectors[o + big] < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[o + j] = sign * vectors[o + j];
    variance[a] = Math.max(0, values[a]);
  }
  let totalVariance = 0;
  for (let j = 0; j < d; j++) totalVariance += covariance[j * d + j];
  return { dim: d, mean: Float32Array.from(mean), components, variance, totalVariance };
}

/** x[offset+i], y[offset+i] = (row_i − mean)·component0, ·component1, for i < count (0 for an axis the basis lacks). */
export function projectRows(basis: PcaBasis, rows: Float32Array, count: number, x: Float32Array, y: Float32Array, offset: number): void {
  const d = basis.dim;
  if (rows.length < count * d) throw new RangeError(`${rows.length} values hold fewer than ${count} rows of ${d}`);
  if (x.length < offset + count || y.length < offset + count) throw new RangeError(`the outputs hold fewer than ${offset + count} points`);
  const { mean, components } = basis;
  const hasSecond = components.length >= 2 * d;
  for (let i = 0; i < count; i++) {
    const o = i * d;
    let px = 0;
    let py = 0;
    for (let j = 0; j < d; j++) {
      const v = rows[o + j] - mean[j];
      px += v * components[j];
      if (hasSecond) py += v * components[d + j];
    }
    x[offset + i] = px;
    y[offset + i] = py;
  }
}
