import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { trustworthiness } from './quality.ts';

const PYTHON = '/usr/bin/python3';

function sklearnMissing(): string | null {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn.manifold'], { stdio: 'ignore' });
    return null;
  } catch {
    return `${PYTHON} cannot import sklearn.manifold`;
  }
}
const missing = sklearnMissing();

function gaussOf(random: () => number) {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

interface Case {
  high: Float32Array;
  n: number;
  dim: number;
  x: Float32Array;
  y: Float32Array;
  k: number;
}

/** n points around `clusters` centres in dim-d; the "map" is a noisy random linear projection of them (so T is neither 1 nor chance). */
function projectedCase(n: number, dim: number, clusters: number, noise: number, k: number, seed: number): Case {
  const gauss = gaussOf(mulberry32(seed));
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => 3 * gauss()));
  const high = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) high[i * dim + j] = centres[i % clusters][j] + gauss();
  const px = Array.from({ length: dim }, gauss);
  const py = Array.from({ length: dim }, gauss);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sx = 0;
    let sy = 0;
    for (let j = 0; j < dim; j++) {
      sx += px[j] * high[i * dim + j];
      sy += py[j] * high[i * dim + j];
    }
    x[i] = sx + noise * gauss();
    y[i] = sy + noise * gauss();
  }
  return { high, n, dim, x, y, k };
}

/** sklearn.manifold.trustworthiness of each case, in one Python run (the data go by stdin as JSON; float32 values print exactly as doubles). */
function sklearnTrust(cases: Case[]): number[] {
  const script = [
    'import json, sys, numpy as np',
    'from sklearn.manifold import trustworthiness',
    'out = []',
    'for c in json.load(sys.stdin):',
    '    X = np.array(c["high"], dtype=np.float64).reshape(c["n"], c["dim"])',
    '    E = np.stack([np.array(c["x"], dtype=np.float64), np.array(c["y"], dtype=np.float64)], axis=1)',
    '    out.append(float(trustworthiness(X, E, n_neighbors=c["k"])))',
    'print(json.dumps(out))',
  ].join('\n');
  const input = JSON.stringify(cases.map((c) => ({ n: c.n, dim: c.dim, k: c.k, high: Array.from(c.high), x: Array.from(c.x), y: Array.from(c.y) })));
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input, encoding: 'utf8' }));
}

describe('trustworthiness', () => {
  it.skipIf(missing !== null)(`equals sklearn.manifold.trustworthiness${missing ? ` (skipped: ${missing})` : ''}`, () => {
    const cases = [
      projectedCase(150, 8, 5, 2, 5, 1),
      projectedCase(150, 8, 5, 2, 1, 2),
      projectedCase(200, 12, 4, 6, 10, 3),
      projectedCase(90, 5, 3, 0.5, 20, 4),
    ];
    const expected = sklearnTrust(cases);
    for (let c = 0; c < cases.length; c++) {
      const { high, n, dim, x, y, k } = cases[c];
      const got = trustworthiness(high, n, dim, x, y, k);
      expect(Math.abs(got - expected[c])).toBeLessThan(1e-9);
    }
    // The cases are not all trivially perfect or at chance.
    expect(Math.min(...expected)).toBeLessThan(0.95);
    expect(Math.max(...expected)).toBeGreaterThan(0.6);
  });

  it('is 1 for an isometric (or similar) embedding of 2-D data', () => {
    const gauss = gaussOf(mulberry32(7));
    const n = 300;
    const high = new Float32Array(2 * n);
    for (let i = 0; i < 2 * n; i++) high[i] = gauss();
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    // Rotation by 90° and scaling by 2: exact in float32, so no distance order changes.
    for (let i = 0; i < n; i++) {
      x[i] = -2 * high[2 * i + 1];
      y[i] = 2 * high[2 * i];
    }
    expect(trustworthiness(high, n, 2, x, y, 10)).toBe(1);
    // A generic rotation and shift (rounded in float32) keeps it at 1 too.
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    for (let i = 0; i < n; i++) {
      x[i] = c * high[2 * i] - s * high[2 * i + 1] + 5;
      y[i] = s * high[2 * i] + c * high[2 * i + 1] - 3;
    }
    expect(trustworthiness(high, n, 2, x, y, 10)).toBe(1);
  });

  it('is low for a random embedding of clustered data, high for one that keeps the clusters', () => {
    const random = mulberry32(11);
    const gauss = gaussOf(random);
    const n = 400;
    const dim = 16;
    const clusters = 8;
    const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => 10 * gauss()));
    const spots = Array.from({ length: clusters }, (_, c) => [10 * Math.cos((2 * Math.PI * c) / clusters), 10 * Math.sin((2 * Math.PI * c) / clusters)]);
    const high = new Float32Array(n * dim);
    const rx = new Float32Array(n);
    const ry = new Float32Array(n);
    const cx = new Float32Array(n);
    const cy = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % clusters;
      for (let j = 0; j < dim; j++) high[i * dim + j] = centres[c][j] + gauss();
      rx[i] = random();
      ry[i] = random();
      // Each cluster at its own spot, points scattered at random inside it.
      cx[i] = spots[c][0] + gauss();
      cy[i] = spots[c][1] + gauss();
    }
    const atRandom = trustworthiness(high, n, dim, rx, ry, 10);
    const byCluster = trustworthiness(high, n, dim, cx, cy, 10);
    // Chance is about 1 − (n − 2k)/(2n − 3k − 1) ≈ 0.5.
    expect(atRandom).toBeLessThan(0.6);
    expect(atRandom).toBeGreaterThan(0.4);
    expect(byCluster).toBeGreaterThan(0.85);
  });

  it('rejects k ≥ n/2', () => {
    const z = new Float32Array(10);
    expect(() => trustworthiness(z, 10, 1, z, z, 5)).toThrow(RangeError);
  });
});
