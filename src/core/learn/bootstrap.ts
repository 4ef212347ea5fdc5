/**
 * Bootstrap intervals for a validation estimate: images resampled with replacement within each
 * class (a stratified bootstrap: every replicate keeps each class's number of validated images, as
 * a fresh validation set of the same make-up would), the metric recomputed from per-class counts.
 */

import { mulberry32 } from '../random.mjs';
import { rowsByClass } from './split.ts';
import { metricsFromCounts, weightedConfusionCounts, type ClassificationMetrics, type ConfusionCounts } from './metrics.ts';

export interface BootstrapInterval {
  /** The metric on the data as given. */
  estimate: number;
  /** The replicates' 2.5% and 97.5% percentiles as distances from their median, around the estimate (for level 0.95). */
  low: number;
  high: number;
  level: number;
  replicates: number;
  /** The replicates' median minus the estimate (how far resampling itself moves the metric). */
  replicateShift: number;
}

export interface BootstrapOptions {
  /** Default 1,000. */
  replicates?: number;
  /** Default 0.95. */
  level?: number;
  seed?: number;
  /** Per row weight (default 1): the same weights as the estimate's counts. */
  weights?: ArrayLike<number>;
}

/** The metric a bootstrap recomputes, from counts (default: macro-F1). */
export type CountsMetric = (counts: ConfusionCounts) => number;

const noBands = new Map<number, Uint8Array>();
function bandsOf(c: number): Uint8Array {
  let b = noBands.get(c);
  if (!b) noBands.set(c, (b = new Uint8Array(c)));
  return b;
}

export const macroF1OfCounts: CountsMetric = (counts) => metricsFromCounts(counts, bandsOf(counts.numClasses)).macroF1;
export const metricOfCounts =
  (key: keyof Pick<ClassificationMetrics, 'macroF1' | 'top1' | 'balancedAccuracy'>): CountsMetric =>
  (counts) =>
    metricsFromCounts(counts, bandsOf(counts.numClasses))[key];

/** The q-quantile of sorted values, linear between order statistics (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * A 95% (`level`) interval of `metric` from stratified bootstrap replicates of the (true, predicted)
 * pairs. Cost: replicates × rows (each replicate redraws every row), plus the metric per replicate.
 */
export function stratifiedBootstrap(
  yTrue: Int32Array,
  yPred: Int32Array,
  numClasses: number,
  metric: CountsMetric = macroF1OfCounts,
  options: BootstrapOptions = {},
): BootstrapInterval {
  const n = yTrue.length;
  if (yPred.length !== n) throw new RangeError(`${n} true labels but ${yPred.length} predictions`);
  const replicates = Math.max(1, Math.floor(options.replicates ?? 1000));
  const level = options.level ?? 0.95;
  const weights = options.weights;
  if (weights && weights.length !== n) throw new RangeError(`${weights.length} weights for ${n} rows`);
  const { start, rows: byClass } = rowsByClass(yTrue, numClasses);

  const counts = weightedConfusionCounts(numClasses);
  const tally = (pick: (j: number, size: number) => number) => {
    counts.support.fill(0);
    counts.predicted.fill(0);
    counts.truePositives.fill(0);
    counts.total = 0;
    for (let c = 0; c < numClasses; c++) {
      const lo = start[c];
      const size = start[c + 1] - lo;
      for (let j = 0; j < size; j++) {
        const i = byClass[lo + pick(j, size)];
        const w = weights ? weights[i] : 1;
        const p = yPred[i];
        counts.support[c] += w;
        counts.predicted[p] += w;
        if (p === c) counts.truePositives[c] += w;
        counts.total += w;
      }
    }
    return metric(counts);
  };
  const estimate = tally((j) => j);
  const rand = mulberry32(options.seed ?? 0);
  const values = new Float64Array(replicates);
  for (let b = 0; b < replicates; b++) values[b] = tally((_j, size) => Math.floor(rand() * size));
  values.sort();
  // The replicates' spread, centred on the estimate. Macro-F1 is not linear in the counts: with a
  // few validated images per class, resampling them lowers it on average (at Herbarium scale, ~8
  // a class, every replicate lay below the estimate and the plain percentile interval missed it).
  // That shift is the resampling's, not the classifier's, so the interval takes the percentiles'
  // distances from the replicates' median and puts them around the estimate; for a metric the
  // resampling does not shift (balanced accuracy) this is the plain percentile interval.
  const alpha = (1 - level) / 2;
  const median = quantile(values, 0.5);
  return {
    estimate,
    low: estimate + quantile(values, alpha) - median,
    high: estimate + quantile(values, 1 - alpha) - median,
    level,
    replicates,
    replicateShift: median - estimate,
  };
}

/** Whether two intervals share a point: then the page calls their difference not resolved. */
export function intervalsOverlap(a: { low: number; high: number }, b: { low: number; high: number }): boolean {
  return a.low <= b.high && b.low <= a.high;
}
