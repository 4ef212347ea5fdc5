import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { adjustmentBias, logPrior } from './logitAdjust.ts';
import { createProbeObjective, DEFAULT_L2, matMulForTraining, probeModel, tauNormalize, tauNormalizedProbe, trainProbe, type ProbeResult } from './probe.ts';
import { forEachScoreChunk, predict } from './scoring.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function gaussianSampler(seed: number) {
  const rand = mulberry32(seed);
  return { rand, gauss: () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()) };
}

/** n points in `dim` dims: class drawn from `priors`, x = means[y] + N(0, σ²I). */
function mixture(n: number, priors: number[], means: number[][], sigma: number, seed: number) {
  const { rand, gauss } = gaussianSampler(seed);
  const dim = means[0].length;
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let u = rand();
    let k = 0;
    while (k < priors.length - 1 && u >= priors[k]) u -= priors[k++];
    y[i] = k;
    for (let j = 0; j < dim; j++) x[i * dim + j] = means[k][j] + sigma * gauss();
  }
  return { x, y };
}

describe('trainProbe with Adam', () => {
  it('separates well-separated classes almost perfectly, and the loss falls', async () => {
    // 4 classes in 5-D, means 8σ apart along the axes.
    const means = [0, 1, 2, 3].map((k) => Array.from({ length: 5 }, (_, j) => (j === k ? 8 : 0)));
    const train = mixture(400, [0.25, 0.25, 0.25, 0.25], means, 1, 1);
    const test = mixture(400, [0.25, 0.25, 0.25, 0.25], means, 1, 2);
    const epochs: number[] = [];
    const probe = await trainProbe(train.x, train.y, 5, {
      numClasses: 4,
      solver: 'adam',
      epochs: 15,
      batchSize: 100,
      learningRate: 0.1,
      onEpoch: (e) => epochs.push(e),
    });
    expect(epochs).toEqual([...Array(15).keys()]);
    expect(probe.losses[14]).toBeLessThan(probe.losses[0] / 4);
    const pred = await predict(test.x, probeModel(probe));
    let right = 0;
    for (let i = 0; i < 400; i++) right += pred[i] === test.y[i] ? 1 : 0;
    expect(right / 400).toBeGreaterThanOrEqual(0.99);
  });

  describe('on 2-D Gaussian classes with priors 0.8 / 0.15 / 0.05 (shared covariance σ²I)', () => {
    // The posterior is exactly a softmax of linear functions here, so the probe can learn it.
    const means = [
      [0, 0],
      [2, 0],
      [0, 2],
    ];
    const priors = [0.8, 0.15, 0.05];
    const sigma = 1;
    const train = mixture(4000, priors, means, sigma, 11);
    // Fresh points from every class equally: the tail's boundaries get as many points as the head's.
    const fresh = mixture(3000, [1 / 3, 1 / 3, 1 / 3], means, sigma, 12);
    const logLik = (i: number, k: number) =>
      -((fresh.x[2 * i] - means[k][0]) ** 2 + (fresh.x[2 * i + 1] - means[k][1]) ** 2) / (2 * sigma * sigma);
    const bayes = (weighted: boolean) =>
      Int32Array.from({ length: 3000 }, (_, i) => {
        let best = 0;
        for (let k = 1; k < 3; k++) {
          const a = logLik(i, k) + (weighted ? Math.log(priors[k]) : 0);
          const b = logLik(i, best) + (weighted ? Math.log(priors[best]) : 0);
          if (a > b) best = k;
        }
        return best;
      });
    const balancedBayes = bayes(false);
    const priorBayes = bayes(true);
    const agreement = (a: Int32Array, b: Int32Array) => a.reduce((s, v, i) => s + (v === b[i] ? 1 : 0), 0) / a.length;
    const counts = [0, 0, 0];
    for (const k of train.y) counts[k]++;
    const lp = logPrior(counts);
    const opts = { numClasses: 3, solver: 'adam', epochs: 30, batchSize: 500, learningRate: 0.05, seed: 3 } as const;

    it('the two Bayes rules really differ on these points (so agreeing with one is informative)', async () => {
      expect(agreement(balancedBayes, priorBayes)).toBeLessThan(0.7); // 0.654 with these seeds
    });

    it('unadjusted: agrees with argmax π_y·p(x|y) on ≥ 95%; adjusted with τ = 1: with argmax p(x|y)', async () => {
      const probe = await trainProbe(train.x, train.y, 2, opts);
      const model = probeModel(probe);
      const plain = await predict(fresh.x, model);
      const adjusted = await predict(fresh.x, model, { bias: adjustmentBias(lp, 1) });
      expect(agreement(plain, priorBayes)).toBeGreaterThanOrEqual(0.95);
      expect(agreement(adjusted, balancedBayes)).toBeGreaterThanOrEqual(0.95);
      // And not the other way round.
      expect(agreement(plain, balancedBayes)).toBeLessThan(0.9);
    });

    it('the logit-adjusted loss (τ = 1) learns the balanced rule directly', async () => {
      const probe = await trainProbe(train.x, train.y, 2, { ...opts, loss: 'logitAdjusted' });
      expect(agreement(await predict(fresh.x, probeModel(probe)), balancedBayes)).toBeGreaterThanOrEqual(0.95);
    });

    it('class-balanced sampling leans the same way: toward argmax p(x|y)', async () => {
      const probe = await trainProbe(train.x, train.y, 2, { ...opts, sampling: 'classBalanced' });
      const pred = await predict(fresh.x, probeModel(probe));
      expect(agreement(pred, balancedBayes)).toBeGreaterThanOrEqual(0.95);
      expect(agreement(pred, balancedBayes)).toBeGreaterThan(agreement(pred, priorBayes));
    });
  });

  it('leaves no tensor behind, after a full run and after a cancel', async () => {
    const train = mixture(200, [0.5, 0.5], [[0, 0], [3, 3]], 1, 5); // prettier-ignore
    const before = tf.memory().numTensors;
    await trainProbe(train.x, train.y, 2, { numClasses: 2, solver: 'adam', epochs: 3, batchSize: 16, loss: 'logitAdjusted', l2: 1e-3 });
    expect(tf.memory().numTensors).toBe(before);

    const controller = new AbortController();
    const run = trainProbe(train.x, train.y, 2, {
      numClasses: 2,
      solver: 'adam',
      epochs: 50,
      batchSize: 16,
      onEpoch: (e) => e === 1 && controller.abort(),
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic for a seed; train rows restrict what it sees', async () => {
    const train = mixture(300, [0.6, 0.4], [[0, 0], [2, 1]], 1, 6); // prettier-ignore
    const o = { numClasses: 2, solver: 'adam', epochs: 2, batchSize: 32, seed: 9 } as const;
    const a = await trainProbe(train.x, train.y, 2, o);
    const b = await trainProbe(train.x, train.y, 2, o);
    expect([...b.weights]).toEqual([...a.weights]);
    expect(a).toMatchObject({ solver: 'adam', iterations: 2, evaluations: 2, converged: false, stopReason: 'maxIterations' });
    expect(a.losses.length).toBe(2);
    // Trained on the minority class's rows only, class 1 is every target: its bias ends above
    // class 0's (on all rows the 0.6 majority would put class 0's above).
    const ones = Int32Array.from({ length: 300 }, (_, i) => i).filter((i) => train.y[i] === 1);
    const c = await trainProbe(train.x, train.y, 2, { ...o, rows: ones });
    expect(c.bias[1]).toBeGreaterThan(c.bias[0]);
    expect(a.bias[0]).toBeGreaterThan(a.bias[1]);
    await expect(trainProbe(train.x, Int32Array.from(train.y, () => 2), 2, o)).rejects.toThrow(RangeError);
  });
});

/**
 * The probe's objective in plain JS doubles, for checking the tfjs one: θ = [W (D×C) row-major,
 * b (C)], loss = Σ_r w_r·CE(x_r W + b + shift, y_r) + λ/2·‖W‖², w_r = 1/N unless given.
 */
interface JsProblem {
  x: Float32Array;
  y: Int32Array;
  dim: number;
  c: number;
  l2: number;
  shift?: ArrayLike<number>;
  rowWeights?: Float64Array;
}

function jsObjective(p: JsProblem, theta: ArrayLike<number>, hessian = false) {
  const { x, y, dim, c, l2 } = p;
  const n = y.length;
  const size = dim * c + c;
  const grad = new Float64Array(size);
  const H = hessian ? Array.from({ length: size }, () => new Float64Array(size)) : null;
  // Parameter (d, k), d = dim standing for the bias.
  const at = (d: number, k: number) => (d < dim ? d * c + k : dim * c + k);
  let loss = 0;
  const z = new Float64Array(c);
  const xt = new Float64Array(dim + 1);
  for (let r = 0; r < n; r++) {
    const w = p.rowWeights ? p.rowWeights[r] : 1 / n;
    for (let d = 0; d < dim; d++) xt[d] = x[r * dim + d];
    xt[dim] = 1;
    let max = -Infinity;
    for (let k = 0; k < c; k++) {
      let s = theta[dim * c + k] + (p.shift ? p.shift[k] : 0);
      for (let d = 0; d < dim; d++) s += xt[d] * theta[d * c + k];
      z[k] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let k = 0; k < c; k++) sum += Math.exp(z[k] - max);
    const lse = max + Math.log(sum);
    loss += w * (lse - z[y[r]]);
    const prob = Array.from(z, (v) => Math.exp(v - lse));
    for (let k = 0; k < c; k++) {
      const dz = prob[k] - (k === y[r] ? 1 : 0);
      for (let d = 0; d <= dim; d++) grad[at(d, k)] += w * dz * xt[d];
    }
    if (H)
      for (let k = 0; k < c; k++)
        for (let k2 = 0; k2 < c; k2++) {
          const h = w * ((k === k2 ? prob[k] : 0) - prob[k] * prob[k2]);
          for (let d = 0; d <= dim; d++) for (let d2 = 0; d2 <= dim; d2++) H[at(d, k)][at(d2, k2)] += h * xt[d] * xt[d2];
        }
  }
  for (let i = 0; i < dim * c; i++) {
    loss += (l2 / 2) * theta[i] * theta[i];
    grad[i] += l2 * theta[i];
    if (H) H[i][i] += l2;
  }
  return { loss, grad, H };
}

/** Solves A·v = b by Gaussian elimination with partial pivoting (A is copied). */
function solve(A: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r][col]) > Math.abs(M[piv][col])) piv = r;
    [M[col], M[piv]] = [M[piv], M[col]];
    for (let r = col + 1; r < n; r++) {
      const f = M[r][col] / M[col][col];
      for (let k = col; k <= n; k++) M[r][k] -= f * M[col][k];
    }
  }
  const v = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * v[k];
    v[r] = s / M[r][r];
  }
  return v;
}

/**
 * Damped Newton's method with backtracking (full steps once ‖∇‖∞ < 1e-6), from zeros, until ‖∇‖∞ < 1e-12: the optimum in doubles.
 * (The bias has a null direction, all biases + const; the 1e-10 damping handles it, and from zeros
 * the biases keep summing to 0.)
 */
function newton(p: JsProblem): Float64Array {
  const size = p.dim * p.c + p.c;
  let theta = new Float64Array(size);
  for (let it = 0; it < 100; it++) {
    const { loss, grad, H } = jsObjective(p, theta, true);
    const gradNorm = Math.max(...Array.from(grad, Math.abs));
    if (gradNorm < 1e-12) return theta;
    for (let i = 0; i < size; i++) H![i][i] += 1e-10;
    const step = solve(H!, grad);
    const slope = grad.reduce((s, g, i) => s + g * step[i], 0);
    let t = 1;
    let next = theta.map((v, i) => v - t * step[i]);
    // Close in, full steps (quadratic convergence): the decrease there is below the doubles' resolution of the loss.
    while (gradNorm > 1e-6 && jsObjective(p, next).loss > loss - 1e-4 * t * slope && t > 1e-10) {
      t /= 2;
      next = theta.map((v, i) => v - t * step[i]);
    }
    theta = next;
  }
  throw new Error('Newton did not converge');
}

const flat = (probe: ProbeResult) => Float64Array.from([...probe.weights, ...probe.bias]);
/** Biases are determined up to a common constant: compare them centred. */
function centredBias(b: ArrayLike<number>) {
  const mean = Array.from(b).reduce((s, v) => s + v, 0) / b.length;
  return Array.from(b, (v) => v - mean);
}
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function expectSameOptimum(probe: ProbeResult, theta: Float64Array, tol: number) {
  const { dim, numClasses: c } = probe;
  expect(maxAbsDiff(probe.weights, theta.subarray(0, dim * c))).toBeLessThan(tol);
  expect(maxAbsDiff(centredBias(probe.bias), centredBias(theta.subarray(dim * c)))).toBeLessThan(tol);
}

describe.each(['cpu', 'wasm'])('createProbeObjective on the %s backend', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  // 9 rows, 3-D, 4 classes (counts 3, 2, 3, 1), in 3 chunks of ≤ 4 rows.
  const { rand, gauss } = gaussianSampler(21);
  const dim = 3;
  const c = 4;
  const y = Int32Array.from([0, 1, 2, 0, 2, 3, 1, 0, 2]);
  const x = Float32Array.from({ length: 9 * dim }, () => gauss());
  const theta = Float64Array.from({ length: dim * c + c }, () => 2 * rand() - 1);
  const lp = Float32Array.from([-0.5, -1.2, -0.7, -2.1]);
  const counts = [3, 2, 3, 1];
  const variants = [
    { name: 'cross-entropy, instance weights', options: { l2: 0.3 }, shift: undefined, rowWeights: undefined },
    {
      name: 'logit-adjusted (τ = 0.7), class-balanced',
      options: { l2: 0.05, loss: 'logitAdjusted', tau: 0.7, logPrior: lp, sampling: 'classBalanced' } as const,
      shift: Array.from(lp, (v) => 0.7 * v),
      rowWeights: Float64Array.from(y, (k) => 1 / (c * counts[k])),
    },
  ];

  it.each(variants)('$name: loss and gradient match plain JS in doubles, and central differences', async ({ options, shift, rowWeights }) => {
    const before = tf.memory().numTensors;
    const objective = createProbeObjective(x, y, dim, { numClasses: c, chunkRows: 4, ...options });
    expect(objective.chunkRows).toBe(4);
    expect(objective.size).toBe(dim * c + c);
    const { loss, grad } = await objective.evaluate(theta);
    const js = jsObjective({ x, y, dim, c, l2: options.l2, shift, rowWeights }, Float32Array.from(theta));
    expect(Math.abs(loss - js.loss)).toBeLessThan(1e-6 * js.loss);
    expect(maxAbsDiff(grad, js.grad)).toBeLessThan(1e-6);
    // Central differences of the tfjs loss itself (float32: h = 1e-2 balances rounding and curvature).
    const h = 1e-2;
    const fd = new Float64Array(theta.length);
    for (let i = 0; i < theta.length; i++) {
      const plus = Float64Array.from(theta);
      const minus = Float64Array.from(theta);
      plus[i] += h;
      minus[i] -= h;
      fd[i] = ((await objective.evaluate(plus)).loss - (await objective.evaluate(minus)).loss) / (2 * h);
    }
    expect(maxAbsDiff(grad, fd)).toBeLessThan(2e-4);
    expect(maxAbs(grad)).toBeGreaterThan(0.05); // not a trivially flat point
    objective.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the same loss and gradient whatever the chunk size', async () => {
    const whole = createProbeObjective(x, y, dim, { numClasses: c });
    const rows = createProbeObjective(x, y, dim, { numClasses: c, chunkRows: 1 });
    const a = await whole.evaluate(theta);
    const b = await rows.evaluate(theta);
    expect(whole.chunkRows).toBe(9);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-6);
    expect(maxAbsDiff(a.grad, b.grad)).toBeLessThan(1e-6);
    whole.dispose();
    rows.dispose();
  });

  it('L-BFGS on it agrees with Newton’s method in doubles', async () => {
    const data = mixture(300, [0.6, 0.3, 0.1], [[0, 0], [2, 0], [0, 2]], 1, 34); // prettier-ignore
    const probe = await trainProbe(data.x, data.y, 2, { numClasses: 3, l2: 1e-2, chunkRows: 128 });
    expect(probe.converged).toBe(true);
    expectSameOptimum(probe, newton({ x: data.x, y: data.y, dim: 2, c: 3, l2: 1e-2 }), 1e-3);
  });
});

describe('trainProbe with L-BFGS (the default)', () => {
  // 3 classes in 2-D with priors 0.6 / 0.3 / 0.1, overlapping (σ = 1): a finite optimum even at small λ.
  const means = [
    [0, 0],
    [2, 0],
    [0, 2],
  ];
  const data = mixture(600, [0.6, 0.3, 0.1], means, 1, 31);
  const counts = [0, 0, 0];
  for (const k of data.y) counts[k]++;
  const l2 = 1e-2;

  it('reaches the optimum: the gradient, recomputed in doubles, is below the tolerance', async () => {
    const iterations: number[] = [];
    const probe = await trainProbe(data.x, data.y, 2, { numClasses: 3, l2, gradientTolerance: 1e-6, onIteration: (k) => iterations.push(k) });
    expect(probe).toMatchObject({ solver: 'lbfgs', converged: true, stopReason: 'gradient' });
    expect(probe.gradNorm).toBeLessThanOrEqual(1e-6);
    expect(iterations).toEqual([...Array(probe.iterations + 1).keys()]);
    expect(probe.losses.length).toBe(probe.iterations + 1);
    expect(probe.evaluations).toBeGreaterThan(probe.iterations);
    const js = jsObjective({ x: data.x, y: data.y, dim: 2, c: 3, l2 }, flat(probe));
    expect(maxAbs(js.grad)).toBeLessThan(2e-6);
    expect(Math.abs(js.loss - probe.losses[probe.losses.length - 1])).toBeLessThan(1e-6);
  });

  it('agrees with Newton’s method in doubles (weights within 1e-3), and its loss falls at every iteration', async () => {
    const theta = newton({ x: data.x, y: data.y, dim: 2, c: 3, l2 });
    const probe = await trainProbe(data.x, data.y, 2, { numClasses: 3, l2 });
    expect(probe.converged).toBe(true);
    expectSameOptimum(probe, theta, 1e-3);
    for (let k = 1; k < probe.losses.length; k++) expect(probe.losses[k]).toBeLessThanOrEqual(probe.losses[k - 1] + 1e-6);
    // The default λ too.
    const byDefault = await trainProbe(data.x, data.y, 2, { numClasses: 3 });
    expectSameOptimum(byDefault, newton({ x: data.x, y: data.y, dim: 2, c: 3, l2: DEFAULT_L2 }), 1e-3);
  });

  it('the logit-adjusted loss is plain cross-entropy on logits shifted by τ·log π (against Newton on the shifted logits)', async () => {
    const lp = logPrior(counts);
    const tau = 1.5;
    const probe = await trainProbe(data.x, data.y, 2, { numClasses: 3, l2, loss: 'logitAdjusted', tau });
    const theta = newton({ x: data.x, y: data.y, dim: 2, c: 3, l2, shift: Array.from(lp, (v) => tau * v) });
    expectSameOptimum(probe, theta, 1e-3);
    // And it really moved: the head's bias is lower than with plain cross-entropy.
    const plain = newton({ x: data.x, y: data.y, dim: 2, c: 3, l2 });
    expect(centredBias(probe.bias)[0]).toBeLessThan(centredBias(plain.subarray(6))[0] - 0.5);
  });

  it('class-balanced sampling is the class-weighted loss (against Newton with weights 1/(C·n_y))', async () => {
    const probe = await trainProbe(data.x, data.y, 2, { numClasses: 3, l2, sampling: 'classBalanced' });
    const rowWeights = Float64Array.from(data.y, (k) => 1 / (3 * counts[k]));
    expectSameOptimum(probe, newton({ x: data.x, y: data.y, dim: 2, c: 3, l2, rowWeights }), 1e-3);
  });

  it('with L2 = 0 on separable data, the loss goes toward 0', async () => {
    const sep = mixture(200, [0.5, 0.5], [[-3, 0], [3, 0]], 0.5, 32); // prettier-ignore
    const probe = await trainProbe(sep.x, sep.y, 2, { numClasses: 2, l2: 0, maxIterations: 100 });
    const last = probe.losses[probe.losses.length - 1];
    expect(probe.losses[0]).toBeCloseTo(Math.log(2), 5);
    expect(last).toBeLessThan(1e-4);
    for (let k = 1; k < probe.losses.length; k++) expect(probe.losses[k]).toBeLessThanOrEqual(probe.losses[k - 1]);
    // The weights grow without bound; with a penalty they stop.
    const penalised = await trainProbe(sep.x, sep.y, 2, { numClasses: 2, l2: 1e-2 });
    expect(penalised.converged).toBe(true);
    expect(maxAbs(probe.weights)).toBeGreaterThan(2 * maxAbs(penalised.weights));
  });

  it('a warm start at the optimum stops within an iteration', async () => {
    const theta = newton({ x: data.x, y: data.y, dim: 2, c: 3, l2 });
    const init = { weights: Float32Array.from(theta.subarray(0, 6)), bias: Float32Array.from(theta.subarray(6)) };
    const warm = await trainProbe(data.x, data.y, 2, { numClasses: 3, l2, init });
    expect(warm.converged).toBe(true);
    expect(warm.iterations).toBeLessThanOrEqual(1);
    const cold = await trainProbe(data.x, data.y, 2, { numClasses: 3, l2 });
    expect(cold.iterations).toBeGreaterThan(5);
    const again = await trainProbe(data.x, data.y, 2, { numClasses: 3, l2, init: cold });
    expect(again.iterations).toBeLessThanOrEqual(1);
    await expect(trainProbe(data.x, data.y, 2, { numClasses: 3, init: { weights: new Float32Array(5), bias: new Float32Array(3) } })).rejects.toThrow(RangeError);
  });

  it('a class without train rows gets bias −∞ and zero weights; the others are fitted as if it did not exist', async () => {
    // Labels 0, 1, 2 become 0, 1, 3 of 4 classes: class 2 has no row.
    const y4 = Int32Array.from(data.y, (k) => (k === 2 ? 3 : k));
    const probe = await trainProbe(data.x, y4, 2, { numClasses: 4, l2 });
    expect(probe.bias[2]).toBe(-Infinity);
    expect([probe.weights[2], probe.weights[6]]).toEqual([0, 0]);
    const theta = newton({ x: data.x, y: data.y, dim: 2, c: 3, l2 });
    const keep = [0, 1, 3];
    const w3 = Float32Array.from({ length: 6 }, (_, i) => probe.weights[Math.floor(i / 3) * 4 + keep[i % 3]]);
    expect(maxAbsDiff(w3, theta.subarray(0, 6))).toBeLessThan(1e-3);
    expect(maxAbsDiff(centredBias(keep.map((k) => probe.bias[k])), centredBias(theta.subarray(6)))).toBeLessThan(1e-3);
    // Train rows of one class only: nothing to separate.
    const ones = Int32Array.from({ length: 600 }, (_, i) => i).filter((i) => data.y[i] === 1);
    const one = await trainProbe(data.x, data.y, 2, { numClasses: 3, rows: ones });
    expect([...one.bias]).toEqual([-Infinity, 0, -Infinity]);
    expect(one.converged).toBe(true);
  });

  it('learns the balanced Bayes rule with the logit-adjusted loss (as Adam does)', async () => {
    const train = mixture(4000, [0.8, 0.15, 0.05], means, 1, 11);
    const fresh = mixture(3000, [1 / 3, 1 / 3, 1 / 3], means, 1, 12);
    const probe = await trainProbe(train.x, train.y, 2, { numClasses: 3, loss: 'logitAdjusted' });
    const pred = await predict(fresh.x, probeModel(probe));
    let agree = 0;
    for (let i = 0; i < 3000; i++) {
      const ll = means.map((m) => -((fresh.x[2 * i] - m[0]) ** 2 + (fresh.x[2 * i + 1] - m[1]) ** 2));
      agree += pred[i] === ll.indexOf(Math.max(...ll)) ? 1 : 0;
    }
    expect(agree / 3000).toBeGreaterThanOrEqual(0.97);
  });

  it('leaves no tensor behind, after a full run and after a cancel; a timer fires mid-run (it yields)', async () => {
    const before = tf.memory().numTensors;
    await trainProbe(data.x, data.y, 2, { numClasses: 3, loss: 'logitAdjusted', sampling: 'classBalanced', chunkRows: 100 });
    expect(tf.memory().numTensors).toBe(before);

    const controller = new AbortController();
    const run = trainProbe(data.x, data.y, 2, { numClasses: 3, onIteration: (k) => k === 2 && controller.abort(), signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);

    // Long enough to run for seconds without the abort (no tolerance stops it before 300 iterations).
    const big = mixture(20000, [0.25, 0.25, 0.25, 0.25], [0, 1, 2, 3].map((k) => [k, -k, 0.5 * k]), 2, 33);
    const timed = new AbortController();
    const t0 = performance.now();
    setTimeout(() => timed.abort(), 20);
    const long = trainProbe(big.x, big.y, 3, { numClasses: 4, l2: 0, tolerance: 0, gradientTolerance: 0, maxIterations: 300, chunkRows: 2000, signal: timed.signal });
    await expect(long).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('tauNormalize', () => {
  // D = 2, C = 3: columns (3, 4) of norm 5, (0, 0), (1, −1) of norm √2.
  const w = Float32Array.from([3, 0, 1, 4, 0, -1]);

  it('divides each class column by its norm to the power γ (by hand)', () => {
    expect([...tauNormalize(w, 2, 3, 0)]).toEqual([...w]);
    const unit = tauNormalize(w, 2, 3, 1);
    [0.6, 0, Math.SQRT1_2, 0.8, 0, -Math.SQRT1_2].forEach((v, i) => expect(unit[i]).toBeCloseTo(v, 6));
    const half = tauNormalize(w, 2, 3, 0.5);
    [3 / Math.sqrt(5), 0, 1 / 2 ** 0.25, 4 / Math.sqrt(5), 0, -1 / 2 ** 0.25].forEach((v, i) => expect(half[i]).toBeCloseTo(v, 6));
    expect(unit).not.toBe(w);
    expect(() => tauNormalize(w, 2, 2, 1)).toThrow(RangeError);
  });

  it('tauNormalizedProbe drops the bias as Kang et al. do, keeping −∞ (or all of it on request)', () => {
    const probe = { dim: 2, numClasses: 3, weights: w, bias: Float32Array.from([0.5, -Infinity, -1]) };
    const dropped = tauNormalizedProbe(probe, 1);
    expect([...dropped.bias]).toEqual([0, -Infinity, 0]);
    expect([...dropped.weights]).toEqual([...tauNormalize(w, 2, 3, 1)]);
    expect([...tauNormalizedProbe(probe, 1, { bias: 'keep' }).bias]).toEqual([0.5, -Infinity, -1]);
  });
});

describe('probeModel', () => {
  it('by hand: W [D×C] becomes rows of classes, logits = xW + b', async () => {
    // D = 2, C = 3: W = [[1, 2, 3], [4, 5, 6]], b = (0.5, 0, −1); x = (1, −1): xW = (−3, −3, −3).
    const model = probeModel({ dim: 2, numClasses: 3, weights: Float32Array.from([1, 2, 3, 4, 5, 6]), bias: Float32Array.from([0.5, 0, -1]) });
    expect([...model.weights]).toEqual([1, 4, 2, 5, 3, 6]);
    const out: number[] = [];
    await forEachScoreChunk(Float32Array.from([1, -1]), model, {}, (s) => out.push(...s));
    expect(out).toEqual([-2.5, -3, -4]);
  });
});

describe('matMulForTraining', () => {
  it('the value and the weight gradient of tf.matMul, computed with explicit transposes', () => {
    const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([5, 11], 0, 1, 'float32', 2) as tf.Tensor2D;
    const target = tf.randomNormal([7, 11], 0, 1, 'float32', 3);
    const loss = (mm: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) => (v: tf.Tensor) => tf.sum(tf.square(tf.sub(mm(x, v as tf.Tensor2D), target)));
    const plain = tf.grad(loss((a, b) => tf.matMul(a, b)))(w);
    const custom = tf.grad(loss(matMulForTraining))(w);
    expect(Array.from(matMulForTraining(x, w).dataSync())).toEqual(Array.from(tf.matMul(x, w).dataSync()));
    const p = plain.dataSync();
    const q = custom.dataSync();
    let worst = 0;
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - q[i]) / (1 + Math.abs(p[i])));
    expect(worst).toBeLessThan(1e-5);
    // It is a real gradient, not zeros.
    expect(Math.max(...Array.from(q, Math.abs))).toBeGreaterThan(0.1);
    tf.dispose([x, w, target, plain, custom]);
  });
});
