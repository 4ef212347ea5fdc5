/**
 * Shrinkage linear discriminant analysis: Gaussian classes with one shared covariance Σ, so the
 * class logit is −½(x − μ_c)ᵀΣ⁻¹(x − μ_c) + log π_c = x·Σ⁻¹μ_c − ½μ_cᵀΣ⁻¹μ_c + log π_c + (a term
 * every class shares): linear in x, scored by the same chunked scorer as NCM. Σ is the pooled
 * within-class covariance shrunk toward its diagonal by the Ledoit–Wolf formula, computed on
 * standardised residuals as scikit-learn's LinearDiscriminantAnalysis(shrinkage='auto') does: with
 * a few images per class and D = 96…1,280 the raw covariance is singular or nearly so, and the
 * formula picks the shrinkage in closed form (no search, no refit).
 *
 * Everything comes from per-class sums (the means) and two D×D accumulators over the residuals
 * r = x − μ_y: Σ rrᵀ and Σ (r∘r)(r∘r)ᵀ (the fourth moments the formula needs). Nearest class
 * mean with the euclidean metric is the same classifier with Σ = I.
 */

import type { ClassMeanData, ClassMeanMethod } from './classMeans.ts';
import { inverseSpd, quadraticForm } from './linalg.ts';
import { meansOf } from './ncm.ts';
import type { LinearModel } from './scoring.ts';

/**
 * out[a·D + b] += Σ_r v[r·D + a]·v[r·D + b] for a ≤ b (the upper triangle of vᵀv) over `rows`
 * rows of v [rows×D]. The plain-JavaScript one is the reference; a tfjs matmul does it at high D
 * (src/compute/tfGram.ts), where D² per image in JavaScript would take minutes.
 */
export type GramKernel = (v: Float32Array, rows: number, dim: number, out: Float64Array) => void | Promise<void>;

export const jsGram: GramKernel = (v, rows, d, out) => {
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    for (let a = 0; a < d; a++) {
      const va = v[o + a];
      if (va === 0) continue;
      const base = a * d;
      for (let b = a; b < d; b++) out[base + b] += va * v[o + b];
    }
  }
};

/** Running sums over residuals from the class means: Σ rrᵀ and Σ (r∘r)(r∘r)ᵀ (upper triangles). */
export class ResidualScatter {
  readonly dim: number;
  rows = 0;
  /** [D×D] Σ rrᵀ (upper triangle). */
  readonly scatter: Float64Array;
  /** [D×D] Σ (r∘r)(r∘r)ᵀ (upper triangle). */
  readonly fourth: Float64Array;
  private readonly means: Float32Array;
  private readonly gram: GramKernel;

  /** `means` [C×D]: the class means of the fitting images (the residuals are taken from them). */
  constructor(dim: number, means: Float32Array, gram: GramKernel = jsGram) {
    this.dim = dim;
    this.means = means;
    this.gram = gram;
    this.scatter = new Float64Array(dim * dim);
    this.fourth = new Float64Array(dim * dim);
  }

  /** Adds rows of x [n×D] with their classes (the rows listed in `rows`, or all). */
  async add(x: Float32Array, labels: ArrayLike<number>, rows?: ArrayLike<number>): Promise<void> {
    const d = this.dim;
    const n = rows ? rows.length : labels.length;
    const r = new Float32Array(n * d);
    const r2 = new Float32Array(n * d);
    for (let k = 0; k < n; k++) {
      const i = rows ? rows[k] : k;
      const y = labels[i];
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j] - this.means[y * d + j];
        r[k * d + j] = v;
        r2[k * d + j] = v * v;
      }
    }
    await this.gram(r, n, d, this.scatter);
    await this.gram(r2, n, d, this.fourth);
    this.rows += n;
  }
}

export interface ShrunkCovariance {
  dim: number;
  /** [D×D] (1 − λ)·S + λ·diag(S), S the pooled within-class covariance (divided by N). */
  covariance: Float64Array;
  /** The Ledoit–Wolf shrinkage λ ∈ [0, 1]. */
  shrinkage: number;
  rows: number;
}

/**
 * The Ledoit–Wolf (2004) shrinkage of the pooled covariance, on standardised residuals
 * z = D^{-1/2} r (D = diag S): with R = D^{-1/2} S D^{-1/2} and target I,
 *   δ² = ‖R − I‖²_F,  β̄² = (1/N²) Σ_i ‖z_i z_iᵀ − R‖²_F = (Σ_i ‖z_i‖⁴ / N − ‖R‖²_F) / N,
 *   λ = min(β̄², δ²) / δ²,
 * and Σ_i ‖z_i‖⁴ = Σ_jk [Σ_i r_ij² r_ik²] / (d_j d_k) from the fourth-moment accumulator.
 * `lambda` overrides the formula (e.g. a value chosen by leave-one-out). A tiny ridge
 * (10⁻⁶ × the mean variance) keeps a feature that never varies from making Σ singular.
 */
export function ledoitWolf(acc: ResidualScatter, lambda?: number): ShrunkCovariance {
  const d = acc.dim;
  const n = acc.rows;
  if (n < 2) throw new RangeError(`a covariance needs at least 2 images, not ${n}`);
  const s = new Float64Array(d * d);
  const m4 = new Float64Array(d * d);
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      s[a * d + b] = s[b * d + a] = acc.scatter[a * d + b] / n;
      m4[a * d + b] = m4[b * d + a] = acc.fourth[a * d + b];
    }
  let meanVar = 0;
  for (let j = 0; j < d; j++) meanVar += s[j * d + j];
  meanVar /= d;
  const floor = Math.max(1e-300, 1e-12 * meanVar);
  const diag = Float64Array.from({ length: d }, (_, j) => Math.max(floor, s[j * d + j]));
  let shrinkage = lambda ?? 0;
  if (lambda === undefined) {
    let delta2 = 0;
    let r2 = 0;
    let z4 = 0;
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        const rab = s[a * d + b] / Math.sqrt(diag[a] * diag[b]);
        r2 += rab * rab;
        const t = rab - (a === b ? 1 : 0);
        delta2 += t * t;
        z4 += m4[a * d + b] / (diag[a] * diag[b]);
      }
    const beta2 = Math.max(0, (z4 / n - r2) / n);
    shrinkage = delta2 > 0 ? Math.min(beta2, delta2) / delta2 : 1;
  }
  if (!(shrinkage >= 0 && shrinkage <= 1)) throw new RangeError(`shrinkage ${shrinkage} is outside [0, 1]`);
  const covariance = new Float64Array(d * d);
  const ridge = 1e-6 * (meanVar > 0 ? meanVar : 1);
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++) covariance[a * d + b] = a === b ? diag[a] + ridge : (1 - shrinkage) * s[a * d + b];
  return { dim: d, covariance, shrinkage, rows: n };
}

/**
 * LDA (or, with `precision` = I, euclidean NCM) as a class-mean method: w_c = Pμ_c, b_c = −½μ_cᵀPμ_c
 * with P = Σ⁻¹ (the logit without the −½xᵀPx every class shares). Leave-one-out: the own class's
 * mean moves to μ' with x − μ' = n/(n−1)·(x − μ), so its Mahalanobis term grows by (n/(n−1))².
 */
/** xᵀPx of each of `rows` images of x [rows×D] (e.g. one tfjs matmul: src/compute/tfGram.ts). */
export type QuadraticForms = (x: Float32Array, rows: number, dim: number, precision: Float64Array) => Promise<Float64Array>;

export function ldaMethod(
  data: ClassMeanData,
  precision: Float64Array,
  name = 'shrinkage LDA',
  projected?: Float32Array,
  quadraticForms?: QuadraticForms,
): ClassMeanMethod {
  const { dim: d, numClasses: c, counts } = data;
  if (precision.length !== d * d) throw new RangeError(`the precision has ${precision.length} values, not ${d}×${d}`);
  if (projected && projected.length !== c * d) throw new RangeError(`the projected means hold ${projected.length} values, not ${c}×${d}`);
  const { means } = meansOf(data);
  // w_c = Pμ_c: C·D² multiply-adds, given by the caller where a matmul does them faster (1,280-d).
  const weights = projected ? projected.slice() : projectMeans(means, c, d, precision);
  const bias = new Float32Array(c);
  const selfTerm = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    if (!(counts[k] > 0)) {
      weights.fill(0, k * d, (k + 1) * d);
      bias[k] = -Infinity;
      continue;
    }
    let m = 0;
    for (let a = 0; a < d; a++) m += weights[k * d + a] * means[k * d + a];
    selfTerm[k] = m;
    bias[k] = -m / 2;
  }
  const model: LinearModel = { dim: d, numClasses: c, weights, bias, normalizeQueries: false, normPenalty: 0 };
  let blockQ: Float64Array | null = null;
  let blockX: Float32Array | null = null;
  return {
    components: model,
    settings: [name],
    prepareBlock: quadraticForms
      ? async (x, rows) => {
          blockQ = await quadraticForms(x, rows, d, precision);
          blockX = x;
        }
      : undefined,
    leaveOut(x, xo, y, a, o) {
      const n = counts[y];
      if (n < 2) return;
      const q = blockQ && blockX === x ? blockQ[xo / d] : quadraticForm(precision, d, x, xo);
      let xw = 0;
      for (let j = 0; j < d; j++) xw += x[xo + j] * weights[y * d + j];
      const f = n / (n - 1);
      a[o + y] = (-(f * f) * (q - 2 * xw + selfTerm[y])) / 2 + q / 2;
    },
    blend(_s, a, o, out, oo) {
      out.set(a.subarray(o, o + c), oo);
    },
    model: () => model,
  };
}

/** means [C×D] times the symmetric precision P [D×D]: row c is Pμ_c. */
export function projectMeans(means: Float32Array, c: number, d: number, precision: Float64Array): Float32Array {
  const out = new Float32Array(c * d);
  const row = new Float64Array(d);
  for (let k = 0; k < c; k++) {
    row.fill(0);
    for (let b = 0; b < d; b++) {
      const m = means[k * d + b];
      if (m === 0) continue;
      const base = b * d;
      for (let a = 0; a < d; a++) row[a] += precision[base + a] * m;
    }
    for (let a = 0; a < d; a++) out[k * d + a] = row[a];
  }
  return out;
}

/** The identity matrix, the precision that makes ldaMethod euclidean NCM. */
export function identity(d: number): Float64Array {
  const m = new Float64Array(d * d);
  for (let j = 0; j < d; j++) m[j * d + j] = 1;
  return m;
}

/** The precision Σ⁻¹ of a shrunk covariance. */
export function precisionOf(cov: ShrunkCovariance): Float64Array {
  return inverseSpd(cov.covariance, cov.dim);
}
