/**
 * Choosing τ on the held-out split: every τ of a grid is evaluated from one pass of dot products.
 * Per chunk of held-out rows the base logits (all classes) are computed once; each τ then only
 * takes an argmax of base − τ·log π (over the best class of each group of equal priors:
 * TauArgmax), and keeps per-class running counts (support, predicted, true positives: 3 × C
 * integers per τ) from which all the metrics follow.
 */

import {
  addToConfusion,
  emptyConfusionCounts,
  metricsFromCounts,
  type BandValues,
  type ClassificationMetrics,
  type ConfusionCounts,
} from './metrics.ts';
import { forEachScoreChunk, type DotKernel, type LinearModel } from './scoring.ts';

/**
 * The τ grid: min, min + step, …, max (each value rounded to 10 decimals so 0.1·3 reads 0.3).
 * Default 0, 0.1, …, 2 (21 values): 0 is the unadjusted classifier, 1 Menon et al.'s Bayes-optimal
 * value for the balanced error, and up to 2 because on heavy tails over-correcting often pays for
 * macro-F1 (their Fig. 2 sweeps a similar range); 0.1 is finer than the noise of a held-out split.
 */
export function tauGrid(min = 0, max = 2, step = 0.1): Float64Array {
  if (!(step > 0) || !(max >= min)) throw new RangeError(`bad τ grid ${min}..${max} step ${step}`);
  const n = Math.floor((max - min) / step + 1e-9) + 1;
  return Float64Array.from({ length: n }, (_, i) => Math.round((min + i * step) * 1e10) / 1e10);
}

export interface TauPoint {
  tau: number;
  top1: number;
  macroF1: number;
  balancedAccuracy: number;
  bandAccuracy: BandValues;
}

export interface TauSweepResult {
  points: TauPoint[];
  bestIndex: number;
  bestTau: number;
  /** All metrics (per-class arrays included) at the chosen τ. */
  best: ClassificationMetrics;
}

/**
 * The index of the best point: highest macro-F1 (the Kaggle metric); among ties (within 1e-12)
 * the τ nearest 1, the value the theory picks, and then the smaller τ (less correction).
 */
export function pickTau(points: TauPoint[]): number {
  let best = -1;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (!(p.macroF1 === p.macroF1)) continue; // NaN never wins
    if (best < 0) {
      best = i;
      continue;
    }
    const q = points[best];
    if (p.macroF1 > q.macroF1 + 1e-12) best = i;
    else if (Math.abs(p.macroF1 - q.macroF1) <= 1e-12) {
      const dp = Math.abs(p.tau - 1);
      const dq = Math.abs(q.tau - 1);
      if (dp < dq - 1e-12 || (Math.abs(dp - dq) <= 1e-12 && p.tau < q.tau)) best = i;
    }
  }
  return Math.max(0, best);
}

/**
 * The argmax of logits − τ·log π at each τ of a list, row by row, with ties to the smaller class
 * and a row of all −∞ to class 0 (as scoreTopK).
 *
 * Classes with the same log π (the same train count) get the same shift at every τ, so among
 * them the order never changes: only each group's best class (highest logit, smallest index on
 * ties) can win. One pass over the C classes finds the group bests, and each τ takes its argmax
 * over the G groups. Herbarium 2022 has train counts 1…80, so G ≤ 80 against C = 15,501: per row
 * C + T·G operations instead of T·C, and the result is exactly the full scan's.
 */
export class TauArgmax {
  readonly taus: Float64Array;
  readonly numClasses: number;
  /** Distinct log π values (groups of classes with equal priors). */
  readonly groups: number;
  private readonly groupOf: Int32Array;
  /** τ·log π of each group in float32, for every τ: the adjusted logit is logits[k] − shift[t·G + groupOf[k]]. */
  private readonly shift: Float32Array;
  private readonly bestLogit: Float64Array;
  private readonly bestClass: Int32Array;

  constructor(taus: ArrayLike<number>, logPrior: Float32Array) {
    this.taus = Float64Array.from(taus);
    if (this.taus.length === 0) throw new RangeError('no τ given');
    const c = (this.numClasses = logPrior.length);
    const groupIndex = new Map<number, number>();
    const values: number[] = [];
    this.groupOf = new Int32Array(c);
    for (let k = 0; k < c; k++) {
      let g = groupIndex.get(logPrior[k]);
      if (g === undefined) {
        g = values.length;
        groupIndex.set(logPrior[k], g);
        values.push(logPrior[k]);
      }
      this.groupOf[k] = g;
    }
    const n = (this.groups = values.length);
    this.shift = new Float32Array(this.taus.length * n);
    for (let t = 0; t < this.taus.length; t++) for (let g = 0; g < n; g++) this.shift[t * n + g] = this.taus[t] * values[g];
    this.bestLogit = new Float64Array(n);
    this.bestClass = new Int32Array(n);
  }

  /**
   * One row, logits[o, o + C), into out[t][at] for every τ, with one class `own` (≥ 0) whose
   * logit and log π differ from the table: its adjusted logit is ownLogit − τ·ownLogPrior. That is
   * a leave-one-out row, whose own class was fitted without it (a class mean and a count one
   * smaller). own = −1: as run().
   */
  runRow(logits: Float32Array, o: number, out: Int32Array[], at: number, own = -1, ownLogit = 0, ownLogPrior = 0): void {
    const c = this.numClasses;
    if (o + c > logits.length) throw new RangeError(`row at ${o} runs past ${logits.length} logits`);
    const { groupOf, shift, bestLogit, bestClass, groups } = this;
    bestLogit.fill(-Infinity);
    bestClass.fill(-1);
    for (let k = 0; k < c; k++) {
      if (k === own) continue;
      const a = logits[o + k];
      const g = groupOf[k];
      if (a > bestLogit[g]) {
        bestLogit[g] = a;
        bestClass[g] = k;
      }
    }
    for (let t = 0; t < this.taus.length; t++) {
      const so = t * groups;
      let best = -Infinity;
      let arg = 0;
      for (let g = 0; g < groups; g++) {
        const k = bestClass[g];
        if (k < 0) continue;
        const v = logits[o + k] - shift[so + g];
        if (v > best || (v === best && k < arg)) {
          best = v;
          arg = k;
        }
      }
      if (own >= 0) {
        const v = ownLogit - Math.fround(this.taus[t] * ownLogPrior);
        if (v > best || (v === best && own < arg)) arg = own;
      }
      out[t][at] = arg;
    }
  }

  /** out[t][offset + r] = the argmax of row r at τ number t, for rows r < count of `logits`. */
  run(logits: Float32Array, count: number, out: Int32Array[], offset = 0): void {
    const c = this.numClasses;
    if (logits.length < count * c) throw new RangeError(`${logits.length} logits for ${count} rows of ${c} classes`);
    for (let r = 0; r < count; r++) this.runRow(logits, r * c, out, offset + r);
  }
}

/** Running per-τ counts, fed chunk by chunk with base logits (all of the logit but the −τ·log π). */
export class TauSweep {
  readonly taus: Float64Array;
  readonly numClasses: number;
  private readonly argmax: TauArgmax;
  private readonly counts: ConfusionCounts[];
  private predictions: Int32Array[] = [];

  constructor(taus: ArrayLike<number>, logPrior: Float32Array) {
    this.argmax = new TauArgmax(taus, logPrior);
    this.taus = this.argmax.taus;
    this.numClasses = logPrior.length;
    this.counts = Array.from(this.taus, () => emptyConfusionCounts(this.numClasses));
  }

  /** Adds `trueLabels.length` rows whose base logits are logits[r·C, (r+1)·C). */
  add(logits: Float32Array, trueLabels: ArrayLike<number>): void {
    const n = trueLabels.length;
    if (!this.predictions.length || this.predictions[0].length < n) this.predictions = Array.from(this.taus, () => new Int32Array(n));
    this.argmax.run(logits, n, this.predictions);
    for (let t = 0; t < this.taus.length; t++) addToConfusion(this.counts[t], trueLabels, this.predictions[t].subarray(0, n));
  }

  /** The counts behind τ number t. */
  countsAt(t: number): ConfusionCounts {
    return this.counts[t];
  }

  result(classBand: Uint8Array): TauSweepResult {
    const all = this.counts.map((counts) => metricsFromCounts(counts, classBand));
    const points = all.map((m, t) => ({
      tau: this.taus[t],
      top1: m.top1,
      macroF1: m.macroF1,
      balancedAccuracy: m.balancedAccuracy,
      bandAccuracy: m.bandAccuracy,
    }));
    const bestIndex = pickTau(points);
    return { points, bestIndex, bestTau: this.taus[bestIndex], best: all[bestIndex] };
  }
}

export interface SweepOptions {
  /** [C] log π of the train counts. */
  logPrior: Float32Array;
  /** [C] the part of the logit on top of the model's own bias before adjusting: log π for NCM, none for the probe. */
  baseBias?: Float32Array;
  /** The held-out rows of `queries` (default all); their true classes are labels[row]. */
  rows?: Int32Array;
  taus?: ArrayLike<number>;
  /** Per class band code (metrics.ts), for the many/medium/few numbers. */
  classBand: Uint8Array;
  chunkRows?: number;
  kernel?: DotKernel;
}

/**
 * Sweeps τ over the held-out rows: the dot products are done once per chunk; every τ is then
 * evaluated on that chunk. Logits of τ: model(x) + baseBias − τ·log π.
 */
export async function sweepTau(queries: Float32Array, model: LinearModel, labels: Int32Array, options: SweepOptions): Promise<TauSweepResult> {
  const sweep = new TauSweep(options.taus ?? tauGrid(), options.logPrior);
  const rows = options.rows;
  let chunkLabels = new Int32Array(0);
  await forEachScoreChunk(queries, model, { rows, bias: options.baseBias, chunkRows: options.chunkRows, kernel: options.kernel }, (scores, first, count) => {
    if (chunkLabels.length !== count) chunkLabels = new Int32Array(count);
    for (let r = 0; r < count; r++) chunkLabels[r] = labels[rows ? rows[first + r] : first + r];
    sweep.add(scores, chunkLabels);
  });
  return sweep.result(options.classBand);
}
