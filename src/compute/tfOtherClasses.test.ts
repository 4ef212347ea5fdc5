import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { jsOtherClassesKernel, nearestMeanProbabilities } from '../core/audit/labelIssues.ts';
import { logPrior as logPriorOf } from '../core/learn/logitAdjust.ts';
import { mulberry32 } from '../core/random.mjs';
import { tfOtherClassesKernel } from './tfOtherClasses.ts';

describe('tfOtherClassesKernel', () => {
  it("gives the JavaScript kernel's log-sum-exp and top-k, and the same probabilities through the pass", async () => {
    await tf.setBackend('cpu');
    const rand = mulberry32(8);
    const dim = 12;
    const c = 40;
    const n = 300;
    const labels = Int32Array.from({ length: n }, () => Math.floor(rand() * (c - 3)));
    const x = Float32Array.from({ length: n * dim }, (_, i) => labels[Math.floor(i / dim)] * 0.1 * Math.sin(i) + rand() - 0.5);
    const sums = new Float64Array(c * dim);
    const counts = new Int32Array(c);
    labels.forEach((y, i) => {
      counts[y]++;
      for (let j = 0; j < dim; j++) sums[y * dim + j] += x[i * dim + j];
    });
    // The last three classes have no image: −∞, never in a top list.
    const data = { dim, numClasses: c, sums, counts };
    const prior = logPriorOf(counts);
    const js = jsOtherClassesKernel(data, 7, prior, 5);
    const gpu = tfOtherClassesKernel(data, 7, prior, 5);
    const a = await js.others(x, n, labels);
    const b = await gpu.others(x, n, labels);
    for (let i = 0; i < n; i++) {
      expect(b.logZ[i]).toBeCloseTo(a.logZ[i], 4);
      for (let t = 0; t < 5; t++) {
        expect(b.topClass[i * 5 + t]).toBe(a.topClass[i * 5 + t]);
        expect(b.topLogit[i * 5 + t]).toBeCloseTo(a.topLogit[i * 5 + t], 4);
        expect(b.topClass[i * 5 + t]).not.toBe(labels[i]);
        expect(b.topClass[i * 5 + t]).toBeLessThan(c - 3);
      }
    }
    const viaJs = await nearestMeanProbabilities([{ x, labels, inFit: true }], data, 7, prior, { k: 5 });
    const viaTf = await nearestMeanProbabilities([{ x, labels, inFit: true }], data, 7, prior, { k: 5, others: gpu });
    for (let i = 0; i < n; i++) expect(viaTf.given[i]).toBeCloseTo(viaJs.given[i], 5);
    expect(Array.from(viaTf.topClass)).toEqual(Array.from(viaJs.topClass));
    gpu.dispose();
  });
});
