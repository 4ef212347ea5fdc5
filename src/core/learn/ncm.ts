/**
 * Nearest class mean (NCM): each class is its prototype μ_y, and
 *   cosine:    logit_y = s·cos(x, μ_y) + log π_y
 *   euclidean: logit_y = −s·‖x − μ_y‖²/2 + log π_y
 * Both are linear in x (the euclidean one after dropping −s‖x‖²/2, the same for every class),
 * so they reuse the chunked scorer; the temperature s sets how much the similarity counts
 * against the prior and is fitted on train rows by maximum likelihood.
 */

import { mulberry32 } from '../random.mjs';
import { l2Normalize } from './prototypes.ts';
import type { ClassMeanData, ClassMeanMethod } from './classMeans.ts';
import { forEachScoreChunk, type LinearModel } from './scoring.ts';

export type NcmMetric = 'cosine' | 'euclidean';

/**
 * The linear form of NCM with temperature `scale` and no prior (add log π, or (1−τ)·log π, as the
 * scorer's extra bias: see logitAdjust.ts). Classes whose `counts` is 0 have no mean and get bias
 * −Infinity: they are never predicted (a zero "prototype" would otherwise score cos = 0).
 */
export function ncmModel(prototypes: Float32Array, dim: number, metric: NcmMetric, scale: number, counts?: ArrayLike<number>): LinearModel {
  if (prototypes.length % dim !== 0) throw new RangeError(`${prototypes.length} prototype values are not whole rows of ${dim}`);
  if (!(scale > 0)) throw new RangeError(`the temperature must be positive, not ${scale}`);
  const numClasses = prototypes.length / dim;
  if (counts && counts.length !== numClasses) throw new RangeError(`counts has ${counts.length} classes, the prototypes ${numClasses}`);
  const bias = new Float32Array(numClasses);
  let weights: Float32Array;
  if (metric === 'cosine') {
    weights = l2Normalize(prototypes, dim);
    for (let i = 0; i < weights.length; i++) weights[i] *= scale;
  } else {
    // −s‖x−μ‖²/2 = s·x·μ − s‖μ‖²/2 − s‖x‖²/2.
    weights = new Float32Array(prototypes.length);
    for (let c = 0; c < numClasses; c++) {
      let sq = 0;
      for (let j = 0; j < dim; j++) {
        const v = prototypes[c * dim + j];
        weights[c * dim + j] = scale * v;
        sq += v * v;
      }
      bias[c] = (-scale * sq) / 2;
    }
  }
  if (counts) for (let c = 0; c < numClasses; c++) if (!(counts[c] > 0)) bias[c] = -Infinity;
  return {
    dim,
    numClasses,
    weights,
    bias,
    normalizeQueries: metric === 'cosine',
    normPenalty: metric === 'euclidean' ? scale / 2 : 0,
  };
}

export interface ScaleFitOptions {
  metric: NcmMetric;
  /** [C] log π (logitAdjust.logPrior of the train counts). */
  logPrior: Float32Array;
  /** The rows the prototypes were averaged over (the train rows of the split); the sample is drawn from them. */
  rows: Int32Array;
  /** Rows in the sample (default 1,024), lowered so that sample × C ≤ maxScores. */
  sampleSize?: number;
  /** Cap on the sample's score matrix (default 2²³ floats = 32 MB: 541 rows at 15,501 classes). */
  maxScores?: number;
  seed?: number;
  /**
   * Score each sampled row against its own class's mean without that row (default true). A train
   * row is part of its own prototype: a 2-image class's mean sits halfway to it and a 1-image
   * class's mean is the row itself (cos = 1), which would inflate s; and since s trades similarity
   * against the prior, an inflated s also under-weights the prior. Rows of 1-image classes have
   * no leave-one-out mean and are left out of the sample.
   */
  leaveOneOut?: boolean;
  /** Stop when the bracket in log s is narrower than this (default 1e-3, i.e. s to 0.1%). */
  tolerance?: number;
}

export interface ScaleFit {
  scale: number;
  /** Mean log-likelihood of the sample at `scale` (prior included). */
  meanLogLikelihood: number;
  /** The rows it was fitted on. */
  sampleRows: Int32Array;
  evaluations: number;
  /** The search interval of s. */
  bracket: [number, number];
  /** The optimum is at an end of the bracket (e.g. separable data: the likelihood keeps rising with s). */
  atBound: boolean;
}

/**
 * Fits s by maximising the mean log-likelihood L(s) = mean_i log softmax(s·a_i + log π)_{y_i}
 * over a seeded sample of train rows, where a_ic is cos(x_i, μ_c) or −‖x_i − μ_c‖²/2.
 *
 * Why golden-section search over log s: L is concave in s (log-sum-exp is convex and the logits
 * are affine in s), hence unimodal in log s, so golden-section finds the maximum without
 * derivatives; searching log s gives relative precision over the orders of magnitude s can span
 * (cosine wants s ≈ 10–100, euclidean depends on the embedding's scale). The bracket is set from
 * the data: s·σ ∈ [10⁻², 10⁴], σ the mean over sampled rows of the spread (sd over classes) of
 * a_i, so it fits both metrics and any embedding scale. The sample's a (M×C) is computed once;
 * each evaluation then costs M·C exp, ~25 evaluations for the default tolerance.
 */
export async function fitNcmScale(
  embeddings: Float32Array,
  labels: Int32Array,
  prototypes: Float32Array,
  counts: ArrayLike<number>,
  dim: number,
  options: ScaleFitOptions,
): Promise<ScaleFit> {
  const numClasses = prototypes.length / dim;
  const { metric, logPrior } = options;
  const leaveOneOut = options.leaveOneOut ?? true;
  const tolerance = options.tolerance ?? 1e-3;
  if (logPrior.length !== numClasses) throw new RangeError(`the prior has ${logPrior.length} classes, the prototypes ${numClasses}`);

  // The sample: a seeded partial shuffle of the eligible rows.
  const minCount = leaveOneOut ? 2 : 1;
  const eligible = options.rows.filter((i) => counts[labels[i]] >= minCount);
  const cap = Math.max(1, Math.floor((options.maxScores ?? 1 << 23) / numClasses));
  const m = Math.min(options.sampleSize ?? 1024, cap, eligible.length);
  if (m === 0) throw new RangeError('no train row to fit the temperature on (every class has fewer than 2 train images?)');
  const rand = mulberry32(options.seed ?? 0);
  for (let j = 0; j < m; j++) {
    const r = j + Math.floor(rand() * (eligible.length - j));
    const t = eligible[j];
    eligible[j] = eligible[r];
    eligible[r] = t;
  }
  const sampleRows = eligible.slice(0, m);

  // a_ic at s = 1, without the prior.
  const a = new Float32Array(m * numClasses);
  await forEachScoreChunk(embeddings, ncmModel(prototypes, dim, metric, 1, counts), { rows: sampleRows }, (scores, first, count) => {
    a.set(scores.subarray(0, count * numClasses), first * numClasses);
  });
  const own = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const row = sampleRows[i];
    const y = labels[row];
    own[i] = y;
    if (!leaveOneOut) continue;
    const n = counts[y];
    let xm = 0;
    let xx = 0;
    let mm = 0;
    for (let j = 0; j < dim; j++) {
      const x = embeddings[row * dim + j];
      const mu = prototypes[y * dim + j];
      xm += x * mu;
      xx += x * x;
      mm += mu * mu;
    }
    if (metric === 'euclidean') {
      // μ' = (nμ − x)/(n−1) ⇒ x − μ' = n/(n−1)·(x − μ): the squared distance grows by (n/(n−1))².
      const f = n / (n - 1);
      a[i * numClasses + y] = (-(f * f) * (xx - 2 * xm + mm)) / 2;
    } else {
      // x·μ' = (n·x·μ − ‖x‖²)/(n−1); ‖μ'‖² = (n²‖μ‖² − 2n·x·μ + ‖x‖²)/(n−1)².
      const dot = (n * xm - xx) / (n - 1);
      const norm2 = Math.max(0, n * n * mm - 2 * n * xm + xx) / ((n - 1) * (n - 1));
      a[i * numClasses + y] = xx > 0 && norm2 > 0 ? dot / Math.sqrt(xx * norm2) : 0;
    }
  }

  const fit = maximumLikelihoodScale(a, m, numClasses, own, logPrior, { tolerance });
  return { ...fit, sampleRows };
}

export interface ScaleSearch {
  scale: number;
  meanLogLikelihood: number;
  evaluations: number;
  bracket: [number, number];
  atBound: boolean;
}

/**
 * The temperature s maximising mean_i log softmax(s·a_i + log π)_{own_i} over M rows of class
 * scores a (M×C, −∞ for a class that cannot be predicted), by golden-section search over log s
 * (see fitNcmScale for why). `ownLogPrior[i]`, when given, replaces log π of row i's own class
 * (a leave-one-out row: its class was counted without it).
 */
export function maximumLikelihoodScale(
  a: Float32Array,
  m: number,
  numClasses: number,
  own: Int32Array,
  logPrior: Float32Array,
  options: { tolerance?: number; ownLogPrior?: Float32Array } = {},
): ScaleSearch {
  const tolerance = options.tolerance ?? 1e-3;
  const ownLogPrior = options.ownLogPrior;
  if (m === 0) throw new RangeError('no row to fit the temperature on');
  // The data's spread, for the bracket.
  let spread = 0;
  for (let i = 0; i < m; i++) {
    let n = 0;
    let sum = 0;
    let sum2 = 0;
    for (let c = 0; c < numClasses; c++) {
      const v = a[i * numClasses + c];
      if (v === -Infinity) continue;
      n++;
      sum += v;
      sum2 += v * v;
    }
    if (n > 1) spread += Math.sqrt(Math.max(0, sum2 / n - (sum / n) ** 2));
  }
  spread /= m;
  if (!(spread > 0 && Number.isFinite(spread))) spread = 1;

  let evaluations = 0;
  const meanLogLikelihood = (s: number): number => {
    evaluations++;
    let total = 0;
    for (let i = 0; i < m; i++) {
      const o = i * numClasses;
      const y = own[i];
      const lpOwn = ownLogPrior ? ownLogPrior[i] : logPrior[y];
      let max = -Infinity;
      for (let c = 0; c < numClasses; c++) {
        const z = s * a[o + c] + (c === y ? lpOwn : logPrior[c]);
        if (z > max) max = z;
      }
      let sum = 0;
      for (let c = 0; c < numClasses; c++) {
        const v = a[o + c];
        if (v !== -Infinity) sum += Math.exp(s * v + (c === y ? lpOwn : logPrior[c]) - max);
      }
      total += s * a[o + y] + lpOwn - max - Math.log(sum);
    }
    return total / m;
  };

  const lo = Math.log(1e-2 / spread);
  const hi = Math.log(1e4 / spread);
  const g = (Math.sqrt(5) - 1) / 2;
  let left = lo;
  let right = hi;
  let u1 = right - g * (right - left);
  let u2 = left + g * (right - left);
  let f1 = meanLogLikelihood(Math.exp(u1));
  let f2 = meanLogLikelihood(Math.exp(u2));
  while (right - left > tolerance) {
    if (f1 < f2) {
      left = u1;
      u1 = u2;
      f1 = f2;
      u2 = left + g * (right - left);
      f2 = meanLogLikelihood(Math.exp(u2));
    } else {
      right = u2;
      u2 = u1;
      f2 = f1;
      u1 = right - g * (right - left);
      f1 = meanLogLikelihood(Math.exp(u1));
    }
  }
  const u = f1 >= f2 ? u1 : u2;
  return {
    scale: Math.exp(u),
    meanLogLikelihood: Math.max(f1, f2),
    evaluations,
    bracket: [Math.exp(lo), Math.exp(hi)],
    atBound: u - lo < 2 * tolerance || hi - u < 2 * tolerance,
  };
}

/** ‖S_c‖² and the means of class sums (float64), shared by the class-mean methods. */
export function meansOf(data: ClassMeanData): { means: Float32Array; sumNorm2: Float64Array } {
  const { dim, numClasses, sums, counts } = data;
  const means = new Float32Array(numClasses * dim);
  const sumNorm2 = new Float64Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    const n = counts[c];
    let sq = 0;
    for (let j = 0; j < dim; j++) {
      const v = sums[c * dim + j];
      sq += v * v;
      if (n > 0) means[c * dim + j] = v / n;
    }
    sumNorm2[c] = sq;
  }
  return { means, sumNorm2 };
}

/**
 * cos(x, S − x): the cosine of x with a group's mean taken without x (S the group's sum over its
 * images, x among them; the 1/(n−1) scale does not change a cosine). 0 when nothing is left.
 */
export function leaveOutCosine(x: Float32Array, xo: number, sums: Float64Array, so: number, sumNorm2: number, dim: number): number {
  let xs = 0;
  let xx = 0;
  for (let j = 0; j < dim; j++) {
    const v = x[xo + j];
    xs += v * sums[so + j];
    xx += v * v;
  }
  const rest2 = sumNorm2 - 2 * xs + xx;
  return xx > 0 && rest2 > 1e-12 * Math.max(1, sumNorm2) ? (xs - xx) / Math.sqrt(xx * rest2) : 0;
}

/** Cosine NCM as a class-mean method: one setting, the own class's cosine taken leave-one-out. */
export function ncmCosineMethod(data: ClassMeanData): ClassMeanMethod {
  const { dim, sums, counts } = data;
  const { means, sumNorm2 } = meansOf(data);
  const model = ncmModel(means, dim, 'cosine', 1, counts);
  return {
    components: model,
    settings: ['cosine'],
    leaveOut(x, xo, y, a, o) {
      if (counts[y] >= 2) a[o + y] = leaveOutCosine(x, xo, sums, y * dim, sumNorm2[y], dim);
    },
    blend(_s, a, o, out, oo) {
      out.set(a.subarray(o, o + data.numClasses), oo);
    },
    model: () => model,
  };
}
