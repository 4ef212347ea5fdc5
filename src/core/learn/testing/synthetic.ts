/** Seeded synthetic embeddings for the learn tests: Gaussian classes around given means. */

import { mulberry32 } from '../../random.mjs';

export function gaussianSource(seed: number): () => number {
  const rand = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export interface Sample {
  x: Float32Array;
  labels: Int32Array;
  n: number;
}

/** sizes[c] images of class c: means[c] + noise·N(0, I) (+ a correlated term along `shared` when given). */
export function sampleClasses(means: number[][], sizes: number[], noise: number, seed: number, shared?: { direction: number[]; sd: number }): Sample {
  const gauss = gaussianSource(seed);
  const dim = means[0].length;
  const n = sizes.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  let i = 0;
  sizes.forEach((size, c) => {
    for (let k = 0; k < size; k++, i++) {
      labels[i] = c;
      const t = shared ? shared.sd * gauss() : 0;
      for (let j = 0; j < dim; j++) x[i * dim + j] = means[c][j] + noise * gauss() + (shared ? t * shared.direction[j] : 0);
    }
  });
  return { x, labels, n };
}

/** Random class means: c points of `dim` coordinates, each N(0, spread²) (+ offset on every coordinate). */
export function randomMeans(c: number, dim: number, spread: number, seed: number, offset = 0): number[][] {
  const gauss = gaussianSource(seed);
  return Array.from({ length: c }, () => Array.from({ length: dim }, () => offset + spread * gauss()));
}

/** Sizes decaying from `max` to `min` geometrically over c classes (the CIFAR-LT protocol). */
export function longTailSizes(c: number, max: number, min: number): number[] {
  return Array.from({ length: c }, (_, k) => Math.max(1, Math.round(max * (min / max) ** (k / Math.max(1, c - 1)))));
}
