import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { trustworthiness } from './quality.ts';
import { fitUmap, stratifiedSample } from './umap.ts';
import { normalizeRows } from './knn.ts';

function gaussOf(random: () => number) {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('stratifiedSample', () => {
  it('draws every class at least once, the rest in proportion (counted by hand), without repeats, seeded', () => {
    // Classes: 0 ×100, 1 ×10, 2 ×1, unlabelled ×9 → 120 points; size 13 → 4 strata get 1 each, 9 shared
    // in proportion to (99, 9, 0, 8)/116 → 7.68, 0.70, 0, 0.62 → floors 7,0,0,0; the 2 left go to the
    // largest remainders (0.70, 0.68) → class 0: 1+7+1 = 9, class 1: 1+1 = 2, class 2: 1, unlabelled: 1.
    const classOf = new Int32Array(120);
    for (let i = 0; i < 100; i++) classOf[i] = 0;
    for (let i = 100; i < 110; i++) classOf[i] = 1;
    classOf[110] = 2;
    for (let i = 111; i < 120; i++) classOf[i] = -1;
    const sample = stratifiedSample(classOf, 13, 7);
    expect(sample.length).toBe(13);
    expect(new Set(sample).size).toBe(13);
    const counts = new Map<number, number>();
    for (const i of sample) counts.set(classOf[i], (counts.get(classOf[i]) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 0: 9, 1: 2, 2: 1, [-1]: 1 });
    for (let i = 1; i < sample.length; i++) expect(sample[i]).toBeGreaterThan(sample[i - 1]);
    expect(Array.from(stratifiedSample(classOf, 13, 7))).toEqual(Array.from(sample));
    expect(Array.from(stratifiedSample(classOf, 13, 8))).not.toEqual(Array.from(sample));
    expect(stratifiedSample(classOf, 500, 1).length).toBe(120);
  });
});

describe('fitUmap', () => {
  // 8 well-separated clusters of 60 points in 32-d: the map should keep neighbourhoods (sklearn's
  // trustworthiness, cross-checked in quality.test.ts) and put each point with its own cluster.
  const clusters = 8;
  const per = 60;
  const dim = 32;
  const n = clusters * per;
  const gauss = gaussOf(mulberry32(11));
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => 4 * gauss()));
  const rows = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) rows[i * dim + j] = centres[i % clusters][j] + gauss();

  it('keeps neighbourhoods (trustworthiness ≥ 0.9 at k = 10) and clusters (≥ 0.95 of 5-NN on the map share the cluster), reproducibly', async () => {
    const epochsSeen: number[] = [];
    const map = await fitUmap(rows, n, dim, { seed: 3, nEpochs: 200, onEpoch: (e) => void epochsSeen.push(e) });
    expect(epochsSeen.length).toBe(200);
    const unit = normalizeRows(rows.slice(), n, dim);
    const t = trustworthiness(unit, n, dim, map.x, map.y, 10);
    expect(t).toBeGreaterThan(0.9);
    // A random layout scores about 0.5: the bound is far from chance.
    const random = mulberry32(5);
    const rx = Float32Array.from({ length: n }, random);
    const ry = Float32Array.from({ length: n }, random);
    expect(trustworthiness(unit, n, dim, rx, ry, 10)).toBeLessThan(0.6);
    let same = 0;
    for (let i = 0; i < n; i++) {
      const d = Array.from({ length: n }, (_, j) => [(map.x[i] - map.x[j]) ** 2 + (map.y[i] - map.y[j]) ** 2, j]);
      d.sort((a, b) => a[0] - b[0]);
      for (let r = 1; r <= 5; r++) if (d[r][1] % clusters === i % clusters) same++;
    }
    expect(same / (5 * n)).toBeGreaterThan(0.95);
    const again = await fitUmap(rows, n, dim, { seed: 3, nEpochs: 200 });
    expect(Array.from(again.x)).toEqual(Array.from(map.x));
  }, 60_000);

  it('lays fewer than 4 points on a line without fitting', async () => {
    const map = await fitUmap(new Float32Array(6), 3, 2, { seed: 1 });
    expect(Array.from(map.x)).toEqual([0, 1, 2]);
    expect(Array.from(map.y)).toEqual([0, 0, 0]);
  });
});
