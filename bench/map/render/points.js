// The page side shared by both renderer pages: the synthetic map (typed arrays), the app's own
// selection passes over them, and the frame waits. Plain JS so that run.mjs can import it in Node
// too (the counts are checked there against an independent pass).
import { mulberry32 } from '../../../src/core/random.mjs';

export const BLOBS = 2000;
export const CATEGORIES = 20;

/**
 * `n` points in 2,000 Gaussian blobs, already in [-1, 1] (regl-scatterplot draws normalised
 * device coordinates; plotly gets the same numbers). Blob sizes are long-tailed (weights u³) and
 * their spreads vary, so that some regions are dense and some sparse, like an embedding.
 * Sorted by category, so that each category is one contiguous run: plotly's one trace per
 * category then takes subarrays, not copies. Returns columns, never one object per point.
 */
export function generatePoints(n, seed = 13) {
  const rand = mulberry32(seed);
  const cx = new Float32Array(BLOBS);
  const cy = new Float32Array(BLOBS);
  const sd = new Float32Array(BLOBS);
  const blobCategory = new Uint8Array(BLOBS);
  const cumulative = new Float64Array(BLOBS);
  let total = 0;
  for (let b = 0; b < BLOBS; b++) {
    cx[b] = -0.9 + 1.8 * rand();
    cy[b] = -0.9 + 1.8 * rand();
    sd[b] = 0.005 + 0.03 * rand();
    blobCategory[b] = Math.floor(rand() * CATEGORIES);
    total += rand() ** 3 + 1e-3;
    cumulative[b] = total;
  }
  // Points per blob from the weights, then per category, so that points can be written in
  // category order in one pass.
  const perBlob = new Uint32Array(BLOBS);
  for (let i = 0; i < n; i++) {
    const u = rand() * total;
    let lo = 0;
    let hi = BLOBS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    perBlob[lo]++;
  }
  const categoryStart = new Uint32Array(CATEGORIES + 1);
  for (let b = 0; b < BLOBS; b++) categoryStart[blobCategory[b] + 1] += perBlob[b];
  for (let c = 0; c < CATEGORIES; c++) categoryStart[c + 1] += categoryStart[c];
  const next = categoryStart.slice(0, CATEGORIES);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const category = new Uint8Array(n);
  for (let b = 0; b < BLOBS; b++) {
    const c = blobCategory[b];
    for (let k = 0; k < perBlob[b]; k++) {
      // Box–Muller: two normals from two uniforms.
      const r = Math.sqrt(-2 * Math.log(1 - rand())) * sd[b];
      const t = 2 * Math.PI * rand();
      const i = next[c]++;
      x[i] = Math.max(-1, Math.min(1, cx[b] + r * Math.cos(t)));
      y[i] = Math.max(-1, Math.min(1, cy[b] + r * Math.sin(t)));
      category[i] = c;
    }
  }
  return { x, y, category, categoryStart };
}

/** The box selection both renderers are asked for: the left third of the square, all heights. */
export const SELECTION_BOX = { x0: -1, x1: -1 / 3, y0: -1, y1: 1 };

/**
 * A 20-vertex lasso around the centre, alternately at radius 0.6 and 0.72 (a star-ish outline,
 * not convex, as a hand-drawn lasso is), covering about a third of the square.
 */
export function lassoPolygon(vertices = 20) {
  const poly = [];
  for (let i = 0; i < vertices; i++) {
    const a = (2 * Math.PI * i) / vertices;
    const r = i % 2 ? 0.72 : 0.6;
    poly.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return poly;
}

/** Indices of the points inside the box (edges included), written into `out`; returns the count. */
export function pointsInRect(x, y, { x0, x1, y0, y1 }, out) {
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    const px = x[i];
    const py = y[i];
    if (px >= x0 && px <= x1 && py >= y0 && py <= y1) out[k++] = i;
  }
  return k;
}

/**
 * Indices of the points inside `polygon` ([[x, y], …], closed implicitly) by the even–odd rule
 * (a horizontal ray crossing the edges), after a bounding-box test that rejects most points
 * cheaply; written into `out`; returns the count.
 */
export function pointsInPolygon(x, y, polygon, out) {
  const m = polygon.length;
  const vx = new Float64Array(m);
  const vy = new Float64Array(m);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let j = 0; j < m; j++) {
    vx[j] = polygon[j][0];
    vy[j] = polygon[j][1];
    minX = Math.min(minX, vx[j]);
    maxX = Math.max(maxX, vx[j]);
    minY = Math.min(minY, vy[j]);
    maxY = Math.max(maxY, vy[j]);
  }
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    const px = x[i];
    const py = y[i];
    if (px < minX || px > maxX || py < minY || py > maxY) continue;
    let inside = false;
    for (let a = 0, b = m - 1; a < m; b = a++) {
      if (vy[a] > py !== vy[b] > py && px < ((vx[b] - vx[a]) * (py - vy[a])) / (vy[b] - vy[a]) + vx[a]) inside = !inside;
    }
    if (inside) out[k++] = i;
  }
  return k;
}

/** Resolves after two animation frames: the one that draws, and the next (the draw was shown). */
export const twoFrames = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

/**
 * Blocks until every command sent to these WebGL contexts has run (a 1-pixel readPixels cannot
 * return before), and returns how long that took: the GPU (SwiftShader) work still queued.
 */
export function glSyncMs(gls) {
  const t = performance.now();
  const px = new Uint8Array(4);
  for (const gl of gls) gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
  return performance.now() - t;
}

export const medianOf = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The app's own selection on the typed arrays, `repeats` times each: the box and the 20-vertex
 * lasso. Medians in ms, and the counts (checked in Node against an independent pass).
 */
export function timeSelectionPasses(x, y, repeats = 5) {
  const out = new Uint32Array(x.length);
  const lasso = lassoPolygon();
  const rect = [];
  const poly = [];
  let rectCount = 0;
  let lassoCount = 0;
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    rectCount = pointsInRect(x, y, SELECTION_BOX, out);
    rect.push(performance.now() - t);
    t = performance.now();
    lassoCount = pointsInPolygon(x, y, lasso, out);
    poly.push(performance.now() - t);
  }
  return { rectMs: medianOf(rect), lassoMs: medianOf(poly), rectCount, lassoCount, repeats };
}

/** Wall time of two frames with nothing to draw: the floor under every "+ two frames" figure. */
export async function frameFloorMs(samples = 5) {
  const ts = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await twoFrames();
    ts.push(performance.now() - t);
  }
  return medianOf(ts);
}

/** Camera centres of the 30 pan steps: a slow circle of radius 0.2 around the middle. */
export function panCentres(steps = 30) {
  const out = [];
  for (let i = 1; i <= steps; i++) {
    const a = (2 * Math.PI * i) / steps;
    out.push([0.2 * Math.cos(a), 0.2 * Math.sin(a)]);
  }
  return out;
}

/** Categorical colours (20, tab20-like) shared by both pages. */
export const PALETTE = [
  '#1f77b4', '#aec7e8', '#ff7f0e', '#ffbb78', '#2ca02c', '#98df8a', '#d62728', '#ff9896', '#9467bd', '#c5b0d5',
  '#8c564b', '#c49c94', '#e377c2', '#f7b6d2', '#7f7f7f', '#c7c7c7', '#bcbd22', '#dbdb8d', '#17becf', '#9edae5',
];
