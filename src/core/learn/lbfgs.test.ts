import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { cubicMinimum, minimizeLbfgs, type Vector } from './lbfgs.ts';

/** f(x) = ½(x − a)ᵀA(x − a) with A = QΛQᵀ, Λ = 1..κ (log-spaced), Q a product of random Givens rotations. */
function quadratic(n: number, kappa: number, seed: number) {
  const rand = mulberry32(seed);
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? kappa ** (i / (n - 1)) : 0)));
  for (let r = 0; r < 3 * n; r++) {
    const p = Math.floor(rand() * n);
    const q = (p + 1 + Math.floor(rand() * (n - 1))) % n;
    const th = 2 * Math.PI * rand();
    const c = Math.cos(th);
    const s = Math.sin(th);
    // A ← G A Gᵀ with G the rotation in the (p, q) plane.
    for (let k = 0; k < n; k++) [A[p][k], A[q][k]] = [c * A[p][k] - s * A[q][k], s * A[p][k] + c * A[q][k]];
    for (let k = 0; k < n; k++) [A[k][p], A[k][q]] = [c * A[k][p] - s * A[k][q], s * A[k][p] + c * A[k][q]];
  }
  const a = Array.from({ length: n }, () => 4 * rand() - 2);
  const objective = (x: Vector) => {
    const r = Array.from(x, (v, i) => v - a[i]);
    const grad = A.map((row) => row.reduce((s, v, j) => s + v * r[j], 0));
    return { loss: 0.5 * r.reduce((s, v, i) => s + v * grad[i], 0), grad };
  };
  return { a, objective };
}

/** The n-dimensional Rosenbrock function Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², minimum 0 at (1, …, 1). */
function rosenbrock(x: Vector) {
  const n = x.length;
  const grad = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n - 1; i++) {
    const u = x[i + 1] - x[i] * x[i];
    const v = 1 - x[i];
    loss += 100 * u * u + v * v;
    grad[i] += -400 * x[i] * u - 2 * v;
    grad[i + 1] += 200 * u;
  }
  return { loss, grad };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('minimizeLbfgs', () => {
  it('finds the minimum of an ill-conditioned quadratic (κ = 1000, 20-D)', async () => {
    const { a, objective } = quadratic(20, 1000, 1);
    const r = await minimizeLbfgs(objective, new Float64Array(20), { gradientTolerance: 1e-9, tolerance: 0, maxIterations: 1000 });
    expect(r.converged).toBe(true);
    expect(r.stopReason).toBe('gradient');
    expect(r.gradNorm).toBeLessThanOrEqual(1e-9);
    expect(maxDiff(r.x, a)).toBeLessThan(1e-8); // ‖x − a‖ ≤ ‖g‖/λ_min
    // scipy's L-BFGS-B takes 262 iterations on such a problem (m = 10, gtol 1e-9), 116 with m = 25.
    expect(r.iterations).toBeLessThan(400);
    const more = await minimizeLbfgs(objective, new Float64Array(20), { memory: 25, gradientTolerance: 1e-9, tolerance: 0, maxIterations: 1000 });
    expect(more.stopReason).toBe('gradient');
    expect(more.iterations).toBeLessThan(r.iterations / 1.5);
  });

  it('finds the minimum of the 2-D Rosenbrock function from (−1.2, 1)', async () => {
    const r = await minimizeLbfgs(rosenbrock, [-1.2, 1], { gradientTolerance: 1e-10, tolerance: 0 });
    expect(r.stopReason).toBe('gradient');
    expect(maxDiff(r.x, [1, 1])).toBeLessThan(1e-8);
    expect(r.loss).toBeLessThan(1e-15);
    // The loss falls at every iteration (a line search with sufficient decrease).
    for (let k = 1; k < r.losses.length; k++) expect(r.losses[k]).toBeLessThan(r.losses[k - 1]);
    expect(r.losses.length).toBe(r.iterations + 1);
    expect(r.iterations).toBeLessThan(60); // 30-40 for L-BFGS(10) with a Wolfe line search
  });

  it('finds the minimum of the 10-D Rosenbrock function, with m = 5 and in float32', async () => {
    const x0 = Array.from({ length: 10 }, (_, i) => (i % 2 ? 1 : -1.2));
    const r64 = await minimizeLbfgs(rosenbrock, x0, { memory: 5, gradientTolerance: 1e-8, tolerance: 0 });
    expect(r64.stopReason).toBe('gradient');
    expect(maxDiff(r64.x, new Float64Array(10).fill(1))).toBeLessThan(1e-8);
    const r32 = await minimizeLbfgs(rosenbrock, x0, { memory: 5, float32: true, gradientTolerance: 1e-4, tolerance: 0 });
    expect(r32.x).toBeInstanceOf(Float32Array);
    expect(r32.converged).toBe(true);
    expect(maxDiff(r32.x, new Float64Array(10).fill(1))).toBeLessThan(1e-4);
  });

  it('stops on the loss criterion, at the cap, and at once when started at the optimum', async () => {
    const { a, objective } = quadratic(10, 100, 2);
    const byLoss = await minimizeLbfgs(objective, new Float64Array(10), { gradientTolerance: 0, tolerance: 1e-6 });
    expect(byLoss.stopReason).toBe('loss');
    expect(byLoss.converged).toBe(true);
    const capped = await minimizeLbfgs(objective, new Float64Array(10), { maxIterations: 3 });
    expect(capped).toMatchObject({ stopReason: 'maxIterations', converged: false, iterations: 3 });
    expect(capped.losses.length).toBe(4);
    const seen: number[] = [];
    const atOptimum = await minimizeLbfgs(objective, a, { onIteration: (k) => seen.push(k) });
    expect(atOptimum).toMatchObject({ stopReason: 'gradient', iterations: 0, evaluations: 1 });
    expect(seen).toEqual([0]);
  });

  it('reports every iteration, the start included', async () => {
    const calls: [number, number, number][] = [];
    const r = await minimizeLbfgs(rosenbrock, [-1.2, 1], { onIteration: (k, f, gn) => calls.push([k, f, gn]) });
    expect(calls.map((c) => c[0])).toEqual([...Array(r.iterations + 1).keys()]);
    expect(calls.map((c) => c[1])).toEqual(r.losses);
    expect(calls[calls.length - 1][2]).toBe(r.gradNorm);
  });

  it('backs off a step into a region where the loss is not finite', async () => {
    // f = (x − 0.9)², +∞ from x = 1 on: the first unit-length step lands exactly on x = 1.
    const objective = (x: Vector) => (x[0] >= 1 ? { loss: Infinity, grad: [NaN] } : { loss: (x[0] - 0.9) ** 2, grad: [2 * (x[0] - 0.9)] });
    const r = await minimizeLbfgs(objective, [0], { gradientTolerance: 1e-10 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(0.9, 9);
  });

  it('with lossNoise, keeps going where a rounded loss can no longer tell two points apart', async () => {
    // The loss is known to 1e-7 only (as a float32 sum would be), the gradient exactly.
    const { a, objective } = quadratic(20, 1000, 3);
    const caps = { gradientTolerance: 1e-10, tolerance: 0, maxIterations: 1000 };
    const rounded = (x: Vector) => {
      const e = objective(x);
      return { loss: 10 + Math.round(e.loss * 1e7) / 1e7, grad: e.grad };
    };
    const plain = await minimizeLbfgs(rounded, new Float64Array(20), caps);
    const noisy = await minimizeLbfgs(rounded, new Float64Array(20), { ...caps, lossNoise: 1e-7 });
    expect(plain.stopReason).toBe('lineSearch'); // stuck where the rounding hides the decrease
    expect(plain.gradNorm).toBeGreaterThan(1e-8);
    expect(noisy.stopReason).toBe('gradient');
    expect(maxDiff(noisy.x, a)).toBeLessThan(1e-9);
  });

  it('rejects with the signal’s reason when aborted', async () => {
    const controller = new AbortController();
    const run = minimizeLbfgs(rosenbrock, [-1.2, 1], { gradientTolerance: 0, tolerance: 0, onIteration: (k) => k === 3 && controller.abort() , signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('throws on a loss that is not finite at the start, and on a gradient of the wrong length', async () => {
    await expect(minimizeLbfgs(() => ({ loss: NaN, grad: [0] }), [0])).rejects.toThrow(RangeError);
    await expect(minimizeLbfgs(() => ({ loss: 1, grad: [0, 0] }), [0])).rejects.toThrow(RangeError);
  });
});

describe('cubicMinimum', () => {
  it('is exact for a cubic, and falls back to the middle without a minimum', () => {
    // p(t) = t³ − 3t: minimum at t = 1; p(0) = 0, p'(0) = −3; p(2) = 2, p'(2) = 9.
    expect(cubicMinimum(0, 0, -3, 2, 2, 9, 0, 2)).toBeCloseTo(1, 12);
    expect(cubicMinimum(2, 2, 9, 0, 0, -3, 0, 2)).toBeCloseTo(1, 12); // either order
    expect(cubicMinimum(0, 0, -3, 2, 2, 9, 1.5, 2)).toBe(1.5); // clamped
    // A parabola (t − 0.3)²: a cubic fit finds its vertex.
    expect(cubicMinimum(0, 0.09, -0.6, 1, 0.49, 1.4, 0, 1)).toBeCloseTo(0.3, 12);
    expect(cubicMinimum(0, 0, 1, 1, Infinity, NaN, 0, 1)).toBe(0.5);
  });
});
