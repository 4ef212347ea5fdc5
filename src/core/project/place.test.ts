import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { NeighbourPlacer, sphericalKMeans } from './place.ts';

/** Rows [n×d] around `clusters` Gaussian centres (seeded), with a shared offset so cosines are not all near 0. */
function clustered(n: number, d: number, clusters: number, spread: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const centres = Array.from({ length: clusters }, () => Array.from({ length: d }, gauss));
  const rows = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(rnd() * clusters)];
    for (let j = 0; j < d; j++) rows[i * d + j] = 0.5 + c[j] + spread * gauss();
  }
  return rows;
}

/** Rows [n×d] around `clusters` 3-d Gaussians, each in its own random subspace (the layout fixed by one seed, the draws by `seed`), plus noise of 0.05. */
function manifoldClusters(n: number, d: number, clusters: number, seed: number): Float32Array {
  const gaussOf = (random: () => number) => () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const layout = gaussOf(mulberry32(99));
  const centres = Array.from({ length: clusters }, () => Array.from({ length: d }, layout));
  const axes = Array.from({ length: clusters }, () => Array.from({ length: 3 }, () => Array.from({ length: d }, () => 0.5 * layout())));
  const rnd = mulberry32(seed);
  const gauss = gaussOf(rnd);
  const rows = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rnd() * clusters);
    const z = [gauss(), gauss(), gauss()];
    for (let j = 0; j < d; j++) rows[i * d + j] = 0.5 + centres[c][j] + z[0] * axes[c][0][j] + z[1] * axes[c][1][j] + z[2] * axes[c][2][j] + 0.05 * gauss();
  }
  return rows;
}

/** Exact placement: plain-loop cosines to every fitted row, sorted (ties to the smaller index), the k best averaged. */
function bruteForcePlace(fitted: Float32Array, nf: number, d: number, x: Float32Array, y: Float32Array, rows: Float32Array, n: number, k: number) {
  const unit = (v: Float32Array, o: number) => {
    const norm = Math.hypot(...v.subarray(o, o + d));
    return Array.from(v.subarray(o, o + d), (t) => (norm > 0 ? t / norm : 0));
  };
  const fittedUnit = Array.from({ length: nf }, (_, i) => unit(fitted, i * d));
  const out: { x: number; y: number; nearest: number }[] = [];
  for (let i = 0; i < n; i++) {
    const q = unit(rows, i * d);
    const all = fittedUnit.map((f, index) => ({ index, cosine: f.reduce((s, v, j) => s + v * q[j], 0) }));
    all.sort((a, b) => b.cosine - a.cosine || a.index - b.index);
    let sw = 0;
    let sx = 0;
    let sy = 0;
    for (const { index, cosine } of all.slice(0, k)) {
      const w = Math.max(cosine, 0) + 1e-6;
      sw += w;
      sx += w * x[index];
      sy += w * y[index];
    }
    out.push({ x: sx / sw, y: sy / sw, nearest: all[0].index });
  }
  return out;
}

describe('NeighbourPlacer', () => {
  const d = 16;
  const nf = 600;
  const fitted = clustered(nf, d, 8, 0.8, 1);
  const rnd = mulberry32(2);
  const x = new Float32Array(nf).map(() => 10 * rnd());
  const y = new Float32Array(nf).map(() => 10 * rnd() - 5);
  const queries = clustered(150, d, 8, 0.8, 3);

  it('searching every cell (probe = cells) places exactly as a brute-force k-NN does', () => {
    const fittedCopy = fitted.slice();
    const queryCopy = queries.slice();
    const placer = new NeighbourPlacer(fitted, nf, d, x, y, { cells: 12, probe: 12, seed: 5 });
    expect(placer.cells).toBe(12);
    const outX = new Float32Array(152);
    const outY = new Float32Array(152);
    placer.place(queries, 150, outX, outY, 2);
    const want = bruteForcePlace(fitted, nf, d, x, y, queries, 150, 5);
    for (let i = 0; i < 150; i++) {
      expect(outX[2 + i]).toBeCloseTo(want[i].x, 4);
      expect(outY[2 + i]).toBeCloseTo(want[i].y, 4);
    }
    expect([outX[0], outX[1]]).toEqual([0, 0]);
    // Neither the fitted rows nor the queries are modified (both are normalised into copies).
    expect(fitted).toEqual(fittedCopy);
    expect(queries).toEqual(queryCopy);
  });

  it('with one cell per fitted row and probe 1, searches on until it has k rows (still exact)', () => {
    const small = 40;
    const placer = new NeighbourPlacer(fitted, small, d, x, y, { cells: small, probe: 1, k: 3, iterations: 2 });
    const outX = new Float32Array(30);
    const outY = new Float32Array(30);
    placer.place(queries, 30, outX, outY, 0);
    const want = bruteForcePlace(fitted, small, d, x, y, queries, 30, 3);
    for (let i = 0; i < 30; i++) {
      expect(outX[i]).toBeCloseTo(want[i].x, 4);
      expect(outY[i]).toBeCloseTo(want[i].y, 4);
    }
  });

  it('weights the k neighbours by max(cosine, 0) + 1e-6 (a case by hand)', () => {
    // Fitted at cosines 1, 0.6 and −0.8 from the query (1, 0): weights 1, 0.6 and 0 (+1e-6 each).
    const f = Float32Array.of(2, 0, 0.6, 0.8, -0.8, 0.6);
    const placer = new NeighbourPlacer(f, 3, 2, Float32Array.of(0, 16, 100), Float32Array.of(4, 0, 7), { k: 3, cells: 1 });
    const outX = new Float32Array(1);
    const outY = new Float32Array(1);
    placer.place(Float32Array.of(5, 0), 1, outX, outY, 0);
    const w = [1 + 1e-6, 0.6 + 1e-6, 1e-6];
    const sum = w[0] + w[1] + w[2];
    expect(outX[0]).toBeCloseTo((w[1] * 16 + w[2] * 100) / sum, 5);
    expect(outY[0]).toBeCloseTo((w[0] * 4 + w[2] * 7) / sum, 5);
  });

  /** The share of queries whose k = 1 placement names their true nearest fitted row. */
  function recallOfNearest(f: Float32Array, q: Float32Array, n: number, queries: number, dim: number): number {
    // Each fitted row's coordinates are its own index, so k = 1 placement names the neighbour found.
    const ids = Float32Array.from({ length: n }, (_, i) => i);
    const placer = new NeighbourPlacer(f, n, dim, ids, ids, { k: 1, seed: 3 });
    expect([placer.cells, placer.probe]).toEqual([63, 4]); // the defaults for 2,000 fitted rows
    const outX = new Float32Array(queries);
    placer.place(q, queries, outX, new Float32Array(queries), 0);
    const want = bruteForcePlace(f, n, dim, ids, ids, q, queries, 1);
    return want.filter((w, i) => outX[i] === w.nearest).length / queries;
  }

  it('finds the true nearest fitted row for ≥ 0.9 of queries with the defaults on 200 low-dimensional clusters in 32-d', () => {
    // Embeddings of a class lie near a low-dimensional manifold: each cluster here is a 3-d
    // Gaussian in its own random subspace plus a little noise. Measured: 0.952 of 500 (seeds 0–2: 0.95–0.958).
    const dim = 32;
    const n = 2000;
    const recall = recallOfNearest(manifoldClusters(n, dim, 200, 7), manifoldClusters(500, dim, 200, 8), n, 500, dim);
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });

  it('finds the true nearest fitted row for ≥ 0.85 of queries with the defaults on 20 isotropic Gaussian clusters in 32-d', () => {
    // The hard case for cells: in an isotropic 32-d blob the nearest row is nearly any row of the
    // blob, and k-means splits a blob into 1–7 cells of which 4 are probed. Measured: 0.892 of
    // 500 (k-means seeds 0–2: 0.874–0.898); probe 4 of √count = 45 cells gives 0.934.
    const dim = 32;
    const n = 2000;
    const recall = recallOfNearest(clustered(n, dim, 20, 0.5, 7), clustered(500, dim, 20, 0.5, 8), n, 500, dim);
    expect(recall).toBeGreaterThanOrEqual(0.85);
  });

  it('rejects having nothing fitted', () => {
    expect(() => new NeighbourPlacer(new Float32Array(0), 0, 4, new Float32Array(0), new Float32Array(0))).toThrow(RangeError);
  });
});

describe('sphericalKMeans', () => {
  it('puts every row in the cell of its most similar centroid, with unit centroids and no empty cell on separated data', () => {
    const d = 8;
    const n = 300;
    const rows = clustered(n, d, 6, 0.2, 11);
    for (let i = 0; i < n; i++) {
      const norm = Math.hypot(...rows.subarray(i * d, i * d + d));
      for (let j = 0; j < d; j++) rows[i * d + j] /= norm;
    }
    const { centroids, assignment } = sphericalKMeans(rows, n, d, 10, 6, 1);
    const sizes = new Array(10).fill(0);
    for (let i = 0; i < n; i++) {
      sizes[assignment[i]]++;
      const cos = (c: number) => Array.from({ length: d }, (_, j) => rows[i * d + j] * centroids[c * d + j]).reduce((s, v) => s + v, 0);
      const best = Math.max(...Array.from({ length: 10 }, (_, c) => cos(c)));
      expect(cos(assignment[i])).toBeCloseTo(best, 6);
    }
    for (let c = 0; c < 10; c++) expect(Math.hypot(...centroids.subarray(c * d, c * d + d))).toBeCloseTo(1, 5);
    expect(sizes.every((s) => s > 0)).toBe(true);
  });
});
