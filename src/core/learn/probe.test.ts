import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { adjustmentBias, logPrior } from './logitAdjust.ts';
import { matMulForTraining, probeModel, trainProbe } from './probe.ts';
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

describe('trainProbe', () => {
  it('separates well-separated classes almost perfectly, and the loss falls', async () => {
    // 4 classes in 5-D, means 8σ apart along the axes.
    const means = [0, 1, 2, 3].map((k) => Array.from({ length: 5 }, (_, j) => (j === k ? 8 : 0)));
    const train = mixture(400, [0.25, 0.25, 0.25, 0.25], means, 1, 1);
    const test = mixture(400, [0.25, 0.25, 0.25, 0.25], means, 1, 2);
    const epochs: number[] = [];
    const probe = await trainProbe(train.x, train.y, 5, {
      numClasses: 4,
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
    const opts = { numClasses: 3, epochs: 30, batchSize: 500, learningRate: 0.05, seed: 3 };

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
    await trainProbe(train.x, train.y, 2, { numClasses: 2, epochs: 3, batchSize: 16, loss: 'logitAdjusted', l2: 1e-3 });
    expect(tf.memory().numTensors).toBe(before);

    const controller = new AbortController();
    const run = trainProbe(train.x, train.y, 2, {
      numClasses: 2,
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
    const o = { numClasses: 2, epochs: 2, batchSize: 32, seed: 9 };
    const a = await trainProbe(train.x, train.y, 2, o);
    const b = await trainProbe(train.x, train.y, 2, o);
    expect([...b.weights]).toEqual([...a.weights]);
    // Trained on the minority class's rows only, class 1 is every target: its bias ends above
    // class 0's (on all rows the 0.6 majority would put class 0's above).
    const ones = Int32Array.from({ length: 300 }, (_, i) => i).filter((i) => train.y[i] === 1);
    const c = await trainProbe(train.x, train.y, 2, { ...o, rows: ones });
    expect(c.bias[1]).toBeGreaterThan(c.bias[0]);
    expect(a.bias[0]).toBeGreaterThan(a.bias[1]);
    await expect(trainProbe(train.x, Int32Array.from(train.y, () => 2), 2, o)).rejects.toThrow(RangeError);
  });
});

describe('probeModel', () => {
  it('by hand: W [D×C] becomes rows of classes, logits = xW + b', async () => {
    // D = 2, C = 3: W = [[1, 2, 3], [4, 5, 6]], b = (0.5, 0, −1); x = (1, −1): xW = (−3, −3, −3).
    const model = probeModel({ dim: 2, numClasses: 3, weights: Float32Array.from([1, 2, 3, 4, 5, 6]), bias: Float32Array.from([0.5, 0, -1]), losses: [] });
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
