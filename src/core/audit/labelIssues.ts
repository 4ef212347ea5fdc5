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
import { ncmCosineMethod } from '../learn/ncm.ts';
import { forEachScoreChunk, type DotKernel } from '../learn/scoring.ts';

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
 * p(j|x) = softmax_j(s · cos(x, μ_j) + log π_j), μ_j and π_j leave-one-out for a fitting image's
 * own class; returns each block's rows in order. `kernel` computes the cosines (a tfjs matmul in
 * the worker).
 */
export async function nearestMeanProbabilities(
  blocks: AsyncIterable<ProbabilityBlock> | Iterable<ProbabilityBlock>,
  data: ClassMeanData,
  scale: number,
  logPrior: Float32Array,
  options: { k?: number; kernel?: DotKernel; onBlock?: () => Promise<void> } = {},
): Promise<ImageProbabilities> {
  const c = data.numClasses;
  const k = Math.min(c, options.k ?? LABEL_TOP_K);
  const method = ncmCosineMethod(data);
  const labels: Int32Array[] = [];
  const given: Float32Array[] = [];
  const topClass: Int32Array[] = [];
  const topProb: Float32Array[] = [];
  const logits = new Float64Array(c);
  const comp = new Float32Array(c);
  for await (const block of blocks) {
    const rows = block.labels.length;
    const g = new Float32Array(rows);
    const tc = new Int32Array(rows * k);
    const tp = new Float32Array(rows * k);
    await forEachScoreChunk(block.x, method.components, { kernel: options.kernel }, (scores, start, count) => {
      for (let r = 0; r < count; r++) {
        const i = start + r;
        const y = block.labels[i];
        comp.set(scores.subarray(r * c, (r + 1) * c));
        if (block.inFit) method.leaveOut(block.x, i * data.dim, y, comp, 0);
        let max = -Infinity;
        for (let j = 0; j < c; j++) {
          logits[j] = scale * comp[j] + logPrior[j];
          if (logits[j] > max) max = logits[j];
        }
        if (block.inFit) {
          logits[y] += leaveOneOutLogPrior(logPrior, data.counts, y) - logPrior[y];
          max = Math.max(max, logits[y]);
        }
        // exp(−40) ≈ 4e-18 of the largest term: leaving such terms out changes no float32 probability.
        let z = 0;
        for (let j = 0; j < c; j++) {
          const u = logits[j] - max;
          if (u > -40) z += Math.exp(u);
        }
        const logZ = max + Math.log(z);
        g[i] = Math.exp(logits[y] - logZ);
        topOf(logits, c, k, tc, tp, i * k, logZ);
      }
    });
    labels.push(block.labels);
    given.push(g);
    topClass.push(tc);
    topProb.push(tp);
    await options.onBlock?.();
  }
  return { numClasses: c, k, labels: concat(labels, Int32Array), given: concat(given, Float32Array), topClass: concat(topClass, Int32Array), topProb: concat(topProb, Float32Array) };
}

/** The k largest of v[0, c) (ties to the smaller index) → classes and exp(v − logZ), at offset o. */
function topOf(v: Float64Array, c: number, k: number, outClass: Int32Array, outProb: Float32Array, o: number, logZ: number): void {
  let kept = 0;
  const worse = (a: number, b: number) => v[a] < v[b] || (v[a] === v[b] && a > b);
  for (let j = 0; j < c; j++) {
    if (kept === k && !worse(outClass[o + k - 1], j)) continue;
    let p = kept < k ? kept++ : k - 1;
    while (p > 0 && worse(outClass[o + p - 1], j)) {
      outClass[o + p] = outClass[o + p - 1];
      p--;
    }
    outClass[o + p] = j;
  }
  for (let t = 0; t < k; t++) outProb[o + t] = Math.exp(v[outClass[o + t]] - logZ);
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
