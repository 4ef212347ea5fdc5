/**
 * Classification metrics from per-class counts (never a C×C matrix: 15,501² cells would be 1 GB):
 * top-1 accuracy, macro-F1 (the Kaggle Herbarium metric), balanced accuracy, many/medium/few-shot
 * accuracy, per-class recall, and the most confused (true, predicted) pairs.
 */

import { bandOf, type BandLimits } from '../stats/classStats.ts';

/** Band codes of a class, as in `classBand` arrays. */
export const BAND_MANY = 0;
export const BAND_MEDIUM = 1;
export const BAND_FEW = 2;

/** The band code of each class from its (train) size, with the Overview's limits. */
export function classBandCodes(sizes: ArrayLike<number>, limits: BandLimits): Uint8Array {
  const out = new Uint8Array(sizes.length);
  for (let c = 0; c < sizes.length; c++) {
    const band = bandOf(sizes[c], limits);
    out[c] = band === 'many' ? BAND_MANY : band === 'medium' ? BAND_MEDIUM : BAND_FEW;
  }
  return out;
}

/** Per-class tallies: image counts, or sums of image weights (weightedConfusionCounts). */
export type ClassTally = Int32Array | Float64Array;

/**
 * The three numbers per class that every metric here needs (fp = predicted − tp, fn = support − tp).
 * Weighted counts (each image counting its weight, e.g. 1/n of its class to score a validation
 * set as if it were balanced) give the same metrics of the reweighted set.
 */
export interface ConfusionCounts {
  numClasses: number;
  /** Images counted (or their total weight). */
  total: number;
  /** Per class: true images (tp + fn). */
  support: ClassTally;
  /** Per class: images predicted as it (tp + fp). */
  predicted: ClassTally;
  truePositives: ClassTally;
}

export function emptyConfusionCounts(numClasses: number): ConfusionCounts {
  return {
    numClasses,
    total: 0,
    support: new Int32Array(numClasses),
    predicted: new Int32Array(numClasses),
    truePositives: new Int32Array(numClasses),
  };
}

/** Adds (true, predicted) pairs to running counts (so chunks of a large set can be counted as they come). */
export function addToConfusion(counts: ConfusionCounts, yTrue: ArrayLike<number>, yPred: ArrayLike<number>): ConfusionCounts {
  if (yTrue.length !== yPred.length) throw new RangeError(`${yTrue.length} true labels but ${yPred.length} predictions`);
  const c = counts.numClasses;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (!(t >= 0 && t < c)) throw new RangeError(`true label ${t} at ${i} is outside 0..${c - 1}`);
    if (!(p >= 0 && p < c)) throw new RangeError(`prediction ${p} at ${i} is outside 0..${c - 1}`);
    counts.support[t]++;
    counts.predicted[p]++;
    if (t === p) counts.truePositives[t]++;
  }
  counts.total += yTrue.length;
  return counts;
}

/** Empty counts that take weights (Float64 tallies). */
export function weightedConfusionCounts(numClasses: number): ConfusionCounts {
  return { numClasses, total: 0, support: new Float64Array(numClasses), predicted: new Float64Array(numClasses), truePositives: new Float64Array(numClasses) };
}

/** Adds (true, predicted) pairs, pair i counting weights[i] (counts made by weightedConfusionCounts). */
export function addWeightedToConfusion(counts: ConfusionCounts, yTrue: ArrayLike<number>, yPred: ArrayLike<number>, weights: ArrayLike<number>): ConfusionCounts {
  if (yTrue.length !== yPred.length || weights.length !== yTrue.length) throw new RangeError(`${yTrue.length} true labels, ${yPred.length} predictions, ${weights.length} weights`);
  if (!(counts.support instanceof Float64Array)) throw new TypeError('weighted pairs need weightedConfusionCounts');
  const c = counts.numClasses;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    const w = weights[i];
    if (!(t >= 0 && t < c)) throw new RangeError(`true label ${t} at ${i} is outside 0..${c - 1}`);
    if (!(p >= 0 && p < c)) throw new RangeError(`prediction ${p} at ${i} is outside 0..${c - 1}`);
    counts.support[t] += w;
    counts.predicted[p] += w;
    if (t === p) counts.truePositives[t] += w;
    counts.total += w;
  }
  return counts;
}

export function confusionCounts(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): ConfusionCounts {
  return addToConfusion(emptyConfusionCounts(numClasses), yTrue, yPred);
}

export interface BandValues {
  many: number;
  medium: number;
  few: number;
}

export interface ClassificationMetrics {
  images: number;
  /** Correct / images (NaN for no image). */
  top1: number;
  /**
   * Mean F1 over the classes present in y_true or in y_pred, as sklearn's
   * f1_score(average='macro') (which the Kaggle Herbarium metric is): a class with true images but
   * never predicted counts F1 = 0, a class predicted but absent from the held-out set counts F1 = 0,
   * and a class that is neither is left out of the mean (it says nothing about the classifier).
   */
  macroF1: number;
  /** Classes in the macro-F1 mean. */
  f1Classes: number;
  /** Mean recall over the classes present in y_true (sklearn's balanced_accuracy_score). */
  balancedAccuracy: number;
  /** Classes with at least one true image. */
  presentClasses: number;
  /**
   * Per band, the mean recall of its classes present in y_true (NaN when none is). In the
   * long-tail literature (Kang et al. 2020; Liu et al. 2019, OLTR) band accuracy is the top-1
   * accuracy over the band's test images, which on their balanced test sets equals the mean
   * per-class recall; a held-out split of a long-tailed train set is itself long-tailed, so the
   * image-level number would again be dominated by the band's biggest classes: the per-class mean
   * is what the published numbers measure.
   */
  bandAccuracy: BandValues;
  /** Per band, classes present in y_true. */
  bandClasses: BandValues;
  /** Per class: tp / support, NaN when the class has no true image. */
  recall: Float64Array;
  /** Per class: tp / predicted, NaN when never predicted. */
  precision: Float64Array;
  /** Per class: 2tp / (2tp + fp + fn), NaN for classes outside the macro-F1 mean. */
  f1: Float64Array;
  support: ClassTally;
  predicted: ClassTally;
  truePositives: ClassTally;
}

/** The scalar metrics at one τ (no per-class arrays): what the page keeps and compares. */
export interface MetricSummary {
  tau: number;
  images: number;
  top1: number;
  macroF1: number;
  balancedAccuracy: number;
  many: number;
  medium: number;
  few: number;
  presentClasses: number;
}

export function metricSummary(tau: number, m: ClassificationMetrics): MetricSummary {
  return {
    tau,
    images: m.images,
    top1: m.top1,
    macroF1: m.macroF1,
    balancedAccuracy: m.balancedAccuracy,
    many: m.bandAccuracy.many,
    medium: m.bandAccuracy.medium,
    few: m.bandAccuracy.few,
    presentClasses: m.presentClasses,
  };
}

export function metricsFromCounts(counts: ConfusionCounts, classBand: Uint8Array): ClassificationMetrics {
  const { numClasses: c, support, predicted, truePositives: tp } = counts;
  if (classBand.length !== c) throw new RangeError(`classBand has ${classBand.length} classes, the counts ${c}`);
  const recall = new Float64Array(c).fill(NaN);
  const precision = new Float64Array(c).fill(NaN);
  const f1 = new Float64Array(c).fill(NaN);
  let correct = 0;
  let f1Sum = 0;
  let f1Classes = 0;
  let recallSum = 0;
  let present = 0;
  const bandSum = [0, 0, 0];
  const bandN = [0, 0, 0];
  for (let k = 0; k < c; k++) {
    correct += tp[k];
    if (predicted[k] > 0) precision[k] = tp[k] / predicted[k];
    if (support[k] > 0) {
      recall[k] = tp[k] / support[k];
      recallSum += recall[k];
      present++;
      const b = classBand[k];
      if (b <= 2) {
        bandSum[b] += recall[k];
        bandN[b]++;
      }
    }
    if (support[k] > 0 || predicted[k] > 0) {
      // 2tp / (2tp + fp + fn) with fp + fn = predicted + support − 2tp.
      f1[k] = (2 * tp[k]) / (predicted[k] + support[k]);
      f1Sum += f1[k];
      f1Classes++;
    }
  }
  const mean = (s: number, n: number) => (n > 0 ? s / n : NaN);
  return {
    images: counts.total,
    top1: mean(correct, counts.total),
    macroF1: mean(f1Sum, f1Classes),
    f1Classes,
    balancedAccuracy: mean(recallSum, present),
    presentClasses: present,
    bandAccuracy: { many: mean(bandSum[0], bandN[0]), medium: mean(bandSum[1], bandN[1]), few: mean(bandSum[2], bandN[2]) },
    bandClasses: { many: bandN[0], medium: bandN[1], few: bandN[2] },
    recall,
    precision,
    f1,
    support,
    predicted,
    truePositives: tp,
  };
}

export function classificationMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
  classBand: Uint8Array,
): ClassificationMetrics {
  return metricsFromCounts(confusionCounts(yTrue, yPred, numClasses), classBand);
}

export interface ConfusedPair {
  trueClass: number;
  predictedClass: number;
  count: number;
  /** rowIds[i] of the first row with this mistake, when rowIds were given (e.g. the image, to show it). */
  example?: number;
}

/**
 * The `n` most frequent mistakes (true ≠ predicted), most first; ties by true class, then
 * predicted class. Counted in a Map keyed by true·C + predicted (exact below 2⁵³, i.e. for any C
 * under 94 million), so memory grows with the distinct mistakes, not with C².
 */
export function confusedPairs(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number, n = 20, rowIds?: ArrayLike<number>): ConfusedPair[] {
  if (yTrue.length !== yPred.length) throw new RangeError(`${yTrue.length} true labels but ${yPred.length} predictions`);
  if (rowIds && rowIds.length !== yTrue.length) throw new RangeError(`${rowIds.length} row ids for ${yTrue.length} rows`);
  const counts = new Map<number, number>();
  const first = new Map<number, number>();
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (t === p) continue;
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) throw new RangeError(`pair (${t}, ${p}) at ${i} is outside 0..${numClasses - 1}`);
    const key = t * numClasses + p;
    const count = counts.get(key) ?? 0;
    if (count === 0 && rowIds) first.set(key, rowIds[i]);
    counts.set(key, count + 1);
  }
  const entries = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return entries.slice(0, n).map(([key, count]) => ({
    trueClass: Math.floor(key / numClasses),
    predictedClass: key % numClasses,
    count,
    ...(rowIds ? { example: first.get(key)! } : {}),
  }));
}
