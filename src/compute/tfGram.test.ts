import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsGram, projectMeans } from '../core/learn/lda.ts';
import { quadraticForm } from '../core/learn/linalg.ts';
import { mulberry32 } from '../core/random.mjs';
import { tfGram, tfProjectMeans, tfQuadraticForms } from './tfGram.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('tfGram', () => {
  it('adds the upper triangle of vᵀv as the JavaScript reference does, and leaves no tensor behind', async () => {
    const rand = mulberry32(3);
    const d = 7;
    const rows = 33;
    const v = Float32Array.from({ length: rows * d }, () => rand() - 0.5);
    const want = new Float64Array(d * d).fill(0.25);
    const got = new Float64Array(d * d).fill(0.25);
    jsGram(v, rows, d, want);
    const before = tf.memory().numTensors;
    await tfGram(v, rows, d, got);
    expect(tf.memory().numTensors).toBe(before);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        if (b < a) expect(got[a * d + b]).toBe(0.25);
        else expect(got[a * d + b]).toBeCloseTo(want[a * d + b], 5);
      }
  });

  it('tfProjectMeans equals the JavaScript projection', async () => {
    const rand = mulberry32(4);
    const c = 5;
    const d = 6;
    const means = Float32Array.from({ length: c * d }, () => rand());
    const p = new Float64Array(d * d);
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) p[a * d + b] = p[b * d + a] = a === b ? 2 : rand() - 0.5;
    const want = projectMeans(means, c, d, p);
    const got = await tfProjectMeans(means, c, d, p);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
  });

  it('tfQuadraticForms equals xᵀPx row by row', async () => {
    const rand = mulberry32(6);
    const d = 5;
    const rows = 9;
    const x = Float32Array.from({ length: rows * d }, () => rand() - 0.5);
    const p = new Float64Array(d * d);
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) p[a * d + b] = p[b * d + a] = a === b ? 1.5 : rand() - 0.5;
    const got = await tfQuadraticForms(x, rows, d, p);
    for (let r = 0; r < rows; r++) expect(got[r]).toBeCloseTo(quadraticForm(p, d, x, r * d), 5);
  });
});
