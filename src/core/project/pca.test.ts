import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { GramKernel } from '../learn/lda.ts';
import { mulberry32 } from '../random.mjs';
import { CovarianceAccumulator, pcaBasis, projectRows, symmetricEigen } from './pca.ts';

const PYTHON = '/usr/bin/python3';
const hasNumpy = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** NumPy's eigenvalues of a symmetric matrix (numpy.linalg.eigh), descending. */
function numpyEigenvalues(a: Float64Array, n: number): number[] {
  const script = 'import sys, json, numpy as np\nn, a = json.load(sys.stdin)\nw = np.linalg.eigh(np.array(a).reshape(n, n))[0]\nprint(json.dumps(sorted(w.tolist(), reverse=True)))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input: JSON.stringify([n, Array.from(a)]) }).toString());
}

function randomSymmetric(n: number, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const v = 2 * rnd() - 1;
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  return a;
}

/** Checks A·v_k = λ_k·v_k (relative to the largest |λ|), VᵀV = I and descending order. */
function expectEigenSystem(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array, tol: number) {
  const scale = Math.max(...Array.from(values, Math.abs), 1e-300);
  for (let k = 0; k < n; k++) {
    if (k > 0) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[k * n + j];
      expect(Math.abs(av - values[k] * vectors[k * n + i]) / scale).toBeLessThan(tol);
    }
    for (let l = 0; l <= k; l++) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += vectors[k * n + j] * vectors[l * n + j];
      expect(Math.abs(dot - (k === l ? 1 : 0))).toBeLessThan(1e-12);
    }
  }
}

/** The vector up to sign: flipped so its first nonzero entry is positive. */
const canonical = (v: ArrayLike<number>) => {
  const first = Array.from(v).find((x) => Math.abs(x) > 1e-12) ?? 1;
  return Array.from(v, (x) => (first < 0 ? -x : x));
};

describe('symmetricEigen', () => {
  it('solves a 2×2 worked by hand: [[2,1],[1,2]] has 3 along (1,1)/√2 and 1 along (1,−1)/√2', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    const r = Math.SQRT1_2;
    canonical(vectors.subarray(0, 2)).forEach((v, j) => expect(v).toBeCloseTo([r, r][j], 14));
    canonical(vectors.subarray(2, 4)).forEach((v, j) => expect(v).toBeCloseTo([r, -r][j], 14));
  });

  it('solves a 3×3 worked by hand: diag(2) ⊕ [[3,4],[4,9]] has 11, 2, 1', () => {
    // [[3,4],[4,9]]: trace 12, determinant 11, so λ = 6 ± 5, with (1,2)/√5 and (2,−1)/√5.
    const a = Float64Array.of(2, 0, 0, 0, 3, 4, 0, 4, 9);
    const { values, vectors } = symmetricEigen(a, 3);
    [11, 2, 1].forEach((v, k) => expect(values[k]).toBeCloseTo(v, 13));
    const s = 1 / Math.sqrt(5);
    const expected = [
      [0, s, 2 * s],
      [1, 0, 0],
      [0, 2 * s, -s],
    ];
    for (let k = 0; k < 3; k++) canonical(vectors.subarray(3 * k, 3 * k + 3)).forEach((v, j) => expect(v).toBeCloseTo(expected[k][j], 13));
  });

  it('handles n = 1 and a repeated eigenvalue (an orthonormal basis of the eigenspace)', () => {
    const one = symmetricEigen(Float64Array.of(-4), 1);
    expect(Array.from(one.values)).toEqual([-4]);
    expect(Math.abs(one.vectors[0])).toBe(1);
    const a = Float64Array.of(5, 0, 0, 0, 5, 0, 0, 0, 1);
    const r = symmetricEigen(a, 3);
    expectEigenSystem(a, 3, r.values, r.vectors, 1e-14);
    expect(Array.from(r.values)).toEqual([5, 5, 1]);
    const zero = symmetricEigen(new Float64Array(16), 4);
    expectEigenSystem(new Float64Array(16), 4, zero.values, zero.vectors, 1e-14);
  });

  it('does not modify its input', () => {
    const a = randomSymmetric(7, 3);
    const copy = a.slice();
    symmetricEigen(a, 7);
    expect(a).toEqual(copy);
  });

  for (const n of [50, 200])
    it.skipIf(!hasNumpy)(`solves a random ${n}×${n} symmetric matrix: A·v = λ·v, V orthonormal, λ = numpy.linalg.eigh's`, () => {
      const a = randomSymmetric(n, n);
      const { values, vectors } = symmetricEigen(a, n);
      expectEigenSystem(a, n, values, vectors, 1e-9);
      const reference = numpyEigenvalues(a, n);
      const scale = Math.max(...reference.map(Math.abs));
      reference.forEach((v, k) => expect(Math.abs(values[k] - v) / scale).toBeLessThan(1e-9));
    });
  if (!hasNumpy) it.skip(`compares with NumPy: ${PYTHON} has no numpy`, () => {});
});

/** Rows [n×d], float32, with a mean offset and correlated columns. */
function correlatedRows(n: number, d: number, offset: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const rows = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const shared = gauss();
    for (let j = 0; j < d; j++) rows[i * d + j] = offset + j + (j % 3) * shared + (1 + j / d) * gauss();
  }
  return rows;
}

/** The textbook two-pass mean and covariance, in float64, straight from the rows. */
function twoPass(rows: Float32Array, n: number, d: number) {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) cov[a * d + b] += (rows[i * d + a] - mean[a]) * (rows[i * d + b] - mean[b]);
  for (let k = 0; k < d * d; k++) cov[k] /= n > 1 ? n - 1 : 1;
  return { mean, cov };
}

async function accumulate(rows: Float32Array, d: number, blocks: number[], gram?: GramKernel) {
  const acc = new CovarianceAccumulator(d, gram);
  let first = 0;
  for (const size of blocks) {
    // Each block handed over as a longer array than it needs (the tail must be ignored).
    const block = new Float32Array((size + 2) * d).fill(1e9);
    block.set(rows.subarray(first * d, (first + size) * d));
    await acc.add(block, size);
    first += size;
  }
  return acc;
}

/** A Gram kernel that sums in float32, as a GPU matmul would. */
const float32Gram: GramKernel = (v, rows, d, out) => {
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s = Math.fround(s + Math.fround(v[r * d + a] * v[r * d + b]));
      out[a * d + b] += s;
    }
};

describe('CovarianceAccumulator', () => {
  const d = 11;
  const blocks = [1, 7, 130, 0, 33, 64, 5];
  const n = blocks.reduce((s, b) => s + b, 0);

  it('equals the two-pass covariance over uneven blocks with a mean of 1e4, to 1e-9 relative', async () => {
    const rows = correlatedRows(n, d, 1e4, 1);
    const acc = await accumulate(rows, d, blocks);
    expect(acc.count).toBe(n);
    const { mean, covariance } = acc.result();
    const ref = twoPass(rows, n, d);
    for (let j = 0; j < d; j++) expect(Math.abs(mean[j] - ref.mean[j]) / Math.abs(ref.mean[j])).toBeLessThan(1e-12);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        const tol = 1e-9 * Math.sqrt(ref.cov[a * d + a] * ref.cov[b * d + b]);
        expect(Math.abs(covariance[a * d + b] - ref.cov[a * d + b])).toBeLessThan(tol);
      }
  });

  it('equals the two-pass covariance for rows about zero (the shift is rounded to float32: 1e-6)', async () => {
    const rows = correlatedRows(n, d, -5, 2);
    const { covariance } = (await accumulate(rows, d, blocks)).result();
    const ref = twoPass(rows, n, d);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) expect(Math.abs(covariance[a * d + b] - ref.cov[a * d + b])).toBeLessThan(1e-6 * Math.sqrt(ref.cov[a * d + a] * ref.cov[b * d + b]));
  });

  it('stays accurate with a float32 Gram kernel when the mean is large (the shift is what saves it)', async () => {
    const rows = correlatedRows(n, d, 1e4, 3);
    const { covariance } = (await accumulate(rows, d, blocks, float32Gram)).result();
    const ref = twoPass(rows, n, d);
    // Unshifted, Σx² ≈ n·1e8 summed in float32 would leave nothing of a variance of ~1.
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) expect(Math.abs(covariance[a * d + b] - ref.cov[a * d + b])).toBeLessThan(1e-4 * Math.sqrt(ref.cov[a * d + a] * ref.cov[b * d + b]));
  });

  it('divides by n for one row, and is zero with none', async () => {
    const acc = new CovarianceAccumulator(3);
    expect(acc.result().covariance).toEqual(new Float64Array(9));
    await acc.add(Float32Array.of(1, 2, 3), 1);
    const { mean, covariance } = acc.result();
    expect(Array.from(mean)).toEqual([1, 2, 3]);
    expect(covariance).toEqual(new Float64Array(9));
    await acc.add(Float32Array.of(3, 2, 1), 1);
    // Two rows: variance of {1, 3} with n − 1 = 1 is 2; covariance of columns 0 and 2 is −2.
    const two = acc.result().covariance;
    expect([two[0], two[4], two[8], two[2], two[6]]).toEqual([2, 0, 2, -2, -2]);
  });
});

/** Top two eigenpairs of a symmetric matrix by power iteration with deflation (the reference PCA). */
function powerTop2(c: Float64Array, d: number) {
  const m = c.slice();
  const pairs: { value: number; vector: Float64Array }[] = [];
  for (let k = 0; k < 2; k++) {
    let v = Float64Array.from({ length: d }, (_, j) => 1 + j);
    let value = 0;
    for (let it = 0; it < 3000; it++) {
      const w = new Float64Array(d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) w[i] += m[i * d + j] * v[j];
      const norm = Math.hypot(...w);
      value = norm;
      v = w.map((x) => x / norm);
    }
    pairs.push({ value, vector: v });
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m[i * d + j] -= value * v[i] * v[j];
  }
  return pairs;
}

describe('pcaBasis and projectRows', () => {
  const d = 6;
  const n = 400;
  // Independent axes of standard deviation 5, 3, 1, … rotated by a fixed orthogonal mix, offset by 3.
  const rows = (() => {
    const rnd = mulberry32(9);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const out = new Float32Array(n * d);
    const sd = [5, 3, 1, 0.8, 0.5, 0.2];
    for (let i = 0; i < n; i++) {
      const z = sd.map((s) => s * gauss());
      // A Givens mix of neighbouring axes, so no axis is a coordinate axis.
      for (let j = 0; j < d; j++) out[i * d + j] = 3 + 0.8 * z[j] + 0.6 * z[(j + 1) % d];
    }
    return out;
  })();

  it('projects onto the axes power iteration finds on the centred data (up to sign), with their variance', async () => {
    const acc = new CovarianceAccumulator(d);
    await acc.add(rows.subarray(0, 150 * d), 150);
    await acc.add(rows.subarray(150 * d), n - 150);
    const basis = pcaBasis(acc);
    const { mean, cov } = twoPass(rows, n, d);
    const ref = powerTop2(cov, d);
    let trace = 0;
    for (let j = 0; j < d; j++) trace += cov[j * d + j];
    // To 1e-6 relative: rows that straddle the shift lose their last bits when the shifted rows
    // are rounded to float32 for the Gram kernel (the rows' own precision).
    expect(Math.abs(basis.totalVariance - trace) / trace).toBeLessThan(1e-6);
    for (let k = 0; k < 2; k++) {
      expect(Math.abs(basis.variance[k] - ref[k].value) / ref[k].value).toBeLessThan(1e-6);
      expect(basis.variance[k] / basis.totalVariance).toBeCloseTo(ref[k].value / trace, 6);
    }
    const x = new Float32Array(n + 3);
    const y = new Float32Array(n + 3);
    projectRows(basis, rows, n, x, y, 3);
    for (const [k, out] of [x, y].entries()) {
      const v = ref[k].vector;
      const expected = Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let j = 0; j < d; j++) s += (rows[i * d + j] - mean[j]) * v[j];
        return s;
      });
      const sign = Math.sign(expected[0]) === Math.sign(out[3]) ? 1 : -1;
      for (let i = 0; i < n; i++) expect(Math.abs(out[3 + i] - sign * expected[i])).toBeLessThan(1e-4);
    }
    expect([x[0], x[1], x[2]]).toEqual([0, 0, 0]);
  });

  it('fixes each axis so its largest-|value| entry is positive, whichever way the data is split', async () => {
    const one = new CovarianceAccumulator(d);
    await one.add(rows, n);
    const many = new CovarianceAccumulator(d);
    for (let first = 0; first < n; first += 37) await many.add(rows.subarray(first * d), Math.min(37, n - first));
    const a = pcaBasis(one, 3);
    const b = pcaBasis(many, 3);
    expect(a.components.length).toBe(3 * d);
    for (let k = 0; k < 3; k++) {
      const axis = Array.from(a.components.subarray(k * d, k * d + d));
      const biggest = axis.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
      expect(biggest).toBeGreaterThan(0);
      expect(Math.hypot(...axis)).toBeCloseTo(1, 6);
      const other = Array.from(b.components.subarray(k * d, k * d + d));
      axis.forEach((v, j) => expect(v).toBeCloseTo(other[j], 5));
    }
    // Negating the data leaves the covariance, so the axes keep their signs.
    const negated = new CovarianceAccumulator(d);
    await negated.add(rows.map((v) => -v), n);
    const c = pcaBasis(negated, 3);
    Array.from(a.components).forEach((v, j) => expect(v).toBeCloseTo(c.components[j], 5));
  });

  it('caps k at the dimension and leaves y at 0 for one-dimensional rows', async () => {
    const acc = new CovarianceAccumulator(1);
    await acc.add(Float32Array.of(1, 2, 4), 3);
    const basis = pcaBasis(acc);
    expect(basis.components.length).toBe(1);
    const x = new Float32Array(3);
    const y = new Float32Array(3).fill(7);
    projectRows(basis, Float32Array.of(1, 2, 4), 3, x, y, 0);
    const m = 7 / 3;
    [1 - m, 2 - m, 4 - m].forEach((v, i) => expect(x[i]).toBeCloseTo(v, 5));
    expect(Array.from(y)).toEqual([0, 0, 0]);
  });
});
