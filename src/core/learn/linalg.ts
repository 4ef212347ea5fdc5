/** Small dense linear algebra for D×D matrices (D ≤ a few thousand), row-major Float64Array. */

/**
 * The Cholesky factor L (lower triangular, A = L·Lᵀ) of a symmetric positive definite n×n
 * matrix, as a new array. Throws when A is not positive definite (a pivot ≤ 0).
 */
export function cholesky(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new RangeError(`${a.length} values are not a ${n}×${n} matrix`);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(sum > 0)) throw new RangeError(`the matrix is not positive definite (pivot ${sum} at ${i})`);
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j];
    }
  }
  return l;
}

/** A⁻¹ of a symmetric positive definite matrix, through its Cholesky factor (symmetric to rounding, then symmetrised). */
export function inverseSpd(a: Float64Array, n: number): Float64Array {
  const l = cholesky(a, n);
  // L⁻¹ by forward substitution, column by column; then A⁻¹ = L⁻ᵀ·L⁻¹.
  const li = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    li[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum -= l[i * n + k] * li[k * n + j];
      li[i * n + j] = sum / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = i; k < n; k++) sum += li[k * n + i] * li[k * n + j];
      inv[i * n + j] = sum;
      inv[j * n + i] = sum;
    }
  }
  return inv;
}

/** xᵀ·A·x for a symmetric n×n A and x = v[o, o + n). */
export function quadraticForm(a: Float64Array, n: number, v: ArrayLike<number>, o = 0): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xi = v[o + i];
    if (xi === 0) continue;
    let row = 0;
    const base = i * n;
    for (let j = 0; j < n; j++) row += a[base + j] * v[o + j];
    total += xi * row;
  }
  return total;
}
