/**
 * Label-issue candidates by confident learning (Northcutt, Jiang & Chuang, JAIR 2021; cleanlab's
 * `find_label_issues(filter_by='confident_learning')`): with out-of-sample probabilities p(j|x),
 * each class j gets a threshold t_j, the mean p(j|x) over the images labelled j (how confident the
 * model is, on average, in a class where it should be). An image counts as belonging to the
 * class j with the highest p(j|x) among those with p(j|x) ≥ t_j; where that class is not its
 * given one it is a candidate, and the candidates are ranked by self-confidence, 1 − p(given|x)
 * (cleanlab's default `rank_by='self_confidence'`).
 *
 * The probabilities are the nearest-class-mean classifier's (cosine, a fitted temperature and the
 * train prior), out of sample without a refit: a train image is scored against its own class's
 * mean taken without it, (S_c − x)/(n_c − 1), and its class counted once less in the prior
 * (classMeans.ts); held-out images are scored as they are. Images of a class with one fitting
 * image have no such mean and are not assessed.
 */

import type { ClassMeanData } from '../learn/classMeans.ts';
import { leaveOneOutLogPrior } from '../learn/classMeans.ts';
import { leaveOutCosine, meansOf, ncmCosineMethod } from '../learn/ncm.ts';
import { l2Normalize } from '../learn/prototypes.ts';
import { forEachScoreChunk, type LinearModel } from '../learn/scoring.ts';
import { dotAt } from '../project/knn.ts';

/** Classes kept per image besides its given one: see confidentLearning on why 10 is enough in practice, and when it is exact. */
export const LABEL_TOP_K = 10;

/** Out-of-sample probabilities, one row per assessed image: its given class's and its top k. */
export interface ImageProbabilities {
  numClasses: number;
  k: number;
  labels: Int32Array;
  /** p(given | x). */
  given: Float32Array;
  /** [rows × k] classes by probability, highest first (ties: smaller class), and their probabilities. */
  topClass: Int32Array;
  topProb: Float32Array;
}

export interface ProbabilityBlock {
  /** [rows × D] embeddings (any length; cosine uses their direction). */
  x: Float32Array;
  labels: Int32Array;
  /** These images are among the class sums (scored leave-one-out). */
  inFit: boolean;
}

/**
 * For rows of a block, over every class but the row's own (its label): log Σ_j exp(logit_j) and
 * the k largest logits, logit_j = s·cos(x, μ_j) + log π_j (−∞ for a class with no fitting image).
 * The own class is left out here because only it changes when the image is left out of its
 * class's mean; the pass adds it back exactly. Only k + 1 numbers a row come back, never C.
 */
export interface OtherClasses {
  logZ: Float32Array;
  /** [rows × k], highest first (ties: smaller class); −1 and −∞ pad when fewer classes are finite. */
  topClass: Int32Array;
  topLogit: Float32Array;
}

export interface OtherClassesKernel {
  k: number;
  others(x: Float32Array, rows: number, labels: Int32Array): Promise<OtherClasses>;
  dispose(): void;
}

/** The scaled model and bias an OtherClassesKernel scores with: the NCM cosine components times s, bias log π (and −∞ for empty classes). */
export function otherClassesModel(data: ClassMeanData, scale: number, logPrior: Float32Array): { model: LinearModel; bias: Float32Array } {
  const components = ncmCosineMethod(data).components;
  const model = { ...components, weights: Float32Array.from(components.weights, (v) => v * scale) };
  const bias = Float32Array.from(components.bias, (b, j) => b + logPrior[j]);
  return { model, bias };
}

/** The reference kernel: the chunked JavaScript scorer, each row's C logits read through. */
export function jsOtherClassesKernel(data: ClassMeanData, scale: number, logPrior: Float32Array, k: number): OtherClassesKernel {
  const { model } = otherClassesModel(data, scale, logPrior);
  const c = data.numClasses;
  return {
    k,
    async others(x, rows, labels) {
      const logZ = new Float32Array(rows);
      const topClass = new Int32Array(rows * k).fill(-1);
      const topLogit = new Float32Array(rows * k).fill(-Infinity);
      const row = new Float64Array(c);
      await forEachScoreChunk(x.subarray(0, rows * data.dim), model, { bias: logPrior }, (scores, start, count) => {
        for (let r = 0; r < count; r++) {
          const i = start + r;
          let max = -Infinity;
          for (let j = 0; j < c; j++) {
            row[j] = j === labels[i] ? -Infinity : scores[r * c + j];
            if (row[j] > max) max = row[j];
          }
          let z = 0;
          // exp(−40) ≈ 4e-18 of the largest term: leaving such terms out changes no float32 sum.
          if (max > -Infinity) for (let j = 0; j < c; j++) if (row[j] - max > -40) z += Math.exp(row[j] - max);
          logZ[i] = max + Math.log(z);
          topOf(row, c, k, topClass, topLogit, i * k);
        }
      });
      return { logZ, topClass, topLogit };
    },
    dispose: () => {},
  };
}

/** The k largest of v[0, c) (ties to the smaller index), finite ones only → classes and values at offset o. */
function topOf(v: Float64Array, c: number, k: number, outClass: Int32Array, outValue: Float32Array, o: number): void {
  let kept = 0;
  const worse = (a: number, b: number) => v[a] < v[b] || (v[a] === v[b] && a > b);
  for (let j = 0; j < c; j++) {
    if (v[j] === -Infinity) continue;
    if (kept === k && !worse(outClass[o + k - 1], j)) continue;
    let p = kept < k ? kept++ : k - 1;
    while (p > 0 && worse(outClass[o + p - 1], j)) {
      outClass[o + p] = outClass[o + p - 1];
      p--;
    }
    outClass[o + p] = j;
  }
  for (let t = 0; t < kept; t++) outValue[o + t] = v[outClass[o + t]];
}

/**
 * p(j|x) = softmax_j(s · cos(x, μ_j) + log π_j), μ_j and π_j leave-one-out for a fitting image's
 * own class; returns each block's rows in order. The other classes come from `others` (a tfjs
 * matmul, log-sum-exp and top-k in the worker; jsOtherClassesKernel by default); the own class's
 * logit is computed here, left out of its mean where the image is in it.
 */
export async function nearestMeanProbabilities(
  blocks: AsyncIterable<ProbabilityBlock> | Iterable<ProbabilityBlock>,
  data: ClassMeanData,
  scale: number,
  logPrior: Float32Array,
  options: { k?: number; others?: OtherClassesKernel; onBlock?: () => Promise<void> } = {},
): Promise<ImageProbabilities> {
  const { dim, numClasses: c, counts } = data;
  const k = Math.min(c, options.k ?? LABEL_TOP_K);
  const others = options.others ?? jsOtherClassesKernel(data, scale, logPrior, k);
  if (others.k < k) throw new RangeError(`the kernel keeps ${others.k} classes, ${k} are wanted`);
  const { means, sumNorm2 } = meansOf(data);
  const unitMeans = l2Normalize(means, dim);
  const labels: Int32Array[] = [];
  const given: Float32Array[] = [];
  const topClass: Int32Array[] = [];
  const topProb: Float32Array[] = [];
  const ok = others.k;
  try {
    for await (const block of blocks) {
      const rows = block.labels.length;
      const o = await others.others(block.x, rows, block.labels);
      const g = new Float32Array(rows);
      const tc = new Int32Array(rows * k);
      const tp = new Float32Array(rows * k);
      for (let i = 0; i < rows; i++) {
        const y = block.labels[i];
        const xo = i * dim;
        let ownLogit = -Infinity;
        if (block.inFit) {
          if (counts[y] >= 2) ownLogit = scale * leaveOutCosine(block.x, xo, data.sums, y * dim, sumNorm2[y], dim) + leaveOneOutLogPrior(logPrior, counts, y);
        } else if (counts[y] > 0) {
          let xx = 0;
          for (let j = 0; j < dim; j++) xx += block.x[xo + j] * block.x[xo + j];
          const cos = xx > 0 ? dotAt(block.x, xo, unitMeans, y * dim, dim) / Math.sqrt(xx) : 0;
          ownLogit = scale * cos + logPrior[y];
        }
        const zo = o.logZ[i];
        const max = Math.max(zo, ownLogit);
        const logZ = max === -Infinity ? 0 : max + Math.log(Math.exp(zo - max) + Math.exp(ownLogit - max));
        g[i] = Math.exp(ownLogit - logZ);
        // The own class goes into the others' top list where it belongs.
        let t = 0;
        let placed = false;
        for (let r = 0; r < k; r++) {
          const j = o.topClass[i * ok + t];
          const v = t < ok ? o.topLogit[i * ok + t] : -Infinity;
          if (!placed && (ownLogit > v || (ownLogit === v && ownLogit > -Infinity && y < j) || j < 0) && ownLogit > -Infinity) {
            tc[i * k + r] = y;
            tp[i * k + r] = g[i];
            placed = true;
            continue;
          }
          tc[i * k + r] = j;
          tp[i * k + r] = j >= 0 ? Math.exp(v - logZ) : 0;
          t++;
        }
      }
      labels.push(block.labels);
      given.push(g);
      topClass.push(tc);
      topProb.push(tp);
      await options.onBlock?.();
    }
  } finally {
    if (!options.others) others.dispose();
  }
  return { numClasses: c, k, labels: concat(labels, Int32Array), given: concat(given, Float32Array), topClass: concat(topClass, Int32Array), topProb: concat(topProb, Float32Array) };
}

function concat<T extends Int32Array | Float32Array>(parts: T[], Kind: { new (n: number): T }): T {
  const out = new Kind(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface LabelIssues {
  /** Rows of the probabilities that are candidates, most suspicious first (score, then row). */
  row: Int32Array;
  /** The class confident learning assigns them to. */
  suggested: Int32Array;
  /** 1 − p(given | x). */
  score: Float32Array;
  /** Per class, t_j (NaN for a class with no assessed image: it can take no image). */
  thresholds: Float64Array;
  /**
   * Rows where a class outside the kept top k could have passed its threshold (p of the k-th kept
   * class ≥ the smallest threshold, and none of the kept classes passed): 0 means the list is
   * exactly cleanlab's on the full probability matrix.
   */
  unsure: number;
}

/** cleanlab compares p ≥ t − 1e-6, so an image exactly at its class's mean confidence counts. */
const THRESHOLD_SLACK = 1e-6;

export function confidentLearning(p: ImageProbabilities): LabelIssues {
  const { numClasses: c, k, labels, given, topClass, topProb } = p;
  const n = labels.length;
  const sum = new Float64Array(c);
  const count = new Int32Array(c);
  for (let i = 0; i < n; i++) {
    sum[labels[i]] += given[i];
    count[labels[i]]++;
  }
  const thresholds = Float64Array.from(sum, (s, j) => (count[j] > 0 ? s / count[j] : NaN));
  let minThreshold = Infinity;
  for (const t of thresholds) if (t < minThreshold) minThreshold = t;
  const rows: number[] = [];
  const suggested: number[] = [];
  let unsure = 0;
  const passes = (j: number, prob: number) => count[j] > 0 && prob >= thresholds[j] - THRESHOLD_SLACK;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    // The kept classes are in descending probability: the first that passes is the argmax of those that do.
    let assigned = -1;
    let assignedProb = -Infinity;
    for (let t = 0; t < k; t++) {
      const j = topClass[i * k + t];
      if (j >= 0 && passes(j, topProb[i * k + t])) {
        assigned = j;
        assignedProb = topProb[i * k + t];
        break;
      }
    }
    // The given class may lie outside the kept ones.
    if (passes(y, given[i]) && given[i] > assignedProb) assigned = y;
    if (assigned < 0) {
      if (k < c && topProb[i * k + k - 1] >= minThreshold - THRESHOLD_SLACK) unsure++;
      continue;
    }
    if (assigned !== y) {
      rows.push(i);
      suggested.push(assigned);
    }
  }
  const order = Int32Array.from(rows.keys()).sort((a, b) => given[rows[a]] - given[rows[b]] || rows[a] - rows[b]);
  return {
    row: Int32Array.from(order, (t) => rows[t]),
    suggested: Int32Array.from(order, (t) => suggested[t]),
    score: Float32Array.from(order, (t) => 1 - given[rows[t]]),
    thresholds,
    unsure,
  };
}
