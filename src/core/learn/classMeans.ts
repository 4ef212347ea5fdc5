/**
 * Model selection for the class-mean classifiers (nearest class mean, shrinkage LDA, taxonomy
 * back-off) by exact leave-one-out. Each is fitted from per-class sums only, so leaving an image out
 * needs no refit: its own class's mean without it is (S_c − x)/(n_c − 1). One pass of dot products
 * over the validated images scores every class; each method then corrects the few scores the image
 * itself moved (its own class, and for the back-off its own genus and family), every hyperparameter
 * setting and every τ is read off that pass, and the per-image predictions are kept for the
 * bootstrap interval.
 *
 * Images of a class with one fitting image are not validated: without them their class has no mean,
 * so no setting could get them right and they would say nothing about the choice. They still count
 * in every fit (and compete for the other images). The probe's k-fold applies the same rule (kfold.ts).
 */

import { addWeightedToConfusion, metricsFromCounts, weightedConfusionCounts, type ClassificationMetrics } from './metrics.ts';
import { maximumLikelihoodScale } from './ncm.ts';
import { forEachScoreChunk, type DotKernel, type LinearModel } from './scoring.ts';
import { pickTau, TauArgmax, type TauPoint } from './tauSweep.ts';

/** What the class-mean methods are fitted from. */
export interface ClassMeanData {
  dim: number;
  numClasses: number;
  /** [C×D] per-class sums of the fitting images (float64: see ClassSums). */
  sums: Float64Array;
  counts: Int32Array;
}

/**
 * A class-mean classifier in the form the leave-one-out pass needs: K ≥ C component scores that are
 * linear in x (one chunked scoring pass gives all of them), a correction for a fitting image's own
 * components, and a blend of components into C class scores for each hyperparameter setting. The
 * class logit is then s·blend + log π, adjusted by −τ·log π.
 */
export interface ClassMeanMethod {
  /** The components as a linear model (temperature 1, no prior). */
  components: LinearModel;
  /** Names of the hyperparameter settings the pass compares (one for NCM and LDA). */
  settings: readonly string[];
  /**
   * Replaces, in a[o, o + K), the components that image x (of class y, a fitting image) moved: they
   * become what they would be had the class sums been taken without it.
   */
  leaveOut(x: Float32Array, xo: number, y: number, a: Float32Array, o: number): void;
  /**
   * out[oo + c] for c < C: the class scores of `setting` from the components a[o, o + K);
   * `own` ≥ 0 for a leave-one-out image of that class (its class counted once less, where counts matter).
   */
  blend(setting: number, a: Float32Array, o: number, out: Float32Array, oo: number, own?: number): void;
  /** The fitted classifier of `setting` at temperature 1 (class scores, no prior), for scoring. */
  model(setting: number): LinearModel;
  /**
   * Optional: called with each block of images before their leaveOut calls (a leaveOut's xo is
   * then r·D for row r of that block), so a method can batch what it needs per image (LDA's
   * xᵀΣ⁻¹x as one matmul at 1,280-d, where D² per image in JavaScript is minutes).
   */
  prepareBlock?(x: Float32Array, rows: number): Promise<void>;
}

/** A model's logits times s (temperature), bias included; −∞ biases stay −∞. */
export function scaleModel(model: LinearModel, scale: number): LinearModel {
  return {
    ...model,
    weights: Float32Array.from(model.weights, (v) => v * scale),
    bias: Float32Array.from(model.bias, (v) => v * scale),
    normPenalty: model.normPenalty * scale,
  };
}

/** log π_y of a leave-one-out image, up to the constant all classes share: its class counted once less. */
export function leaveOneOutLogPrior(logPrior: Float32Array, counts: ArrayLike<number>, y: number): number {
  return logPrior[y] + Math.log((counts[y] - 1) / counts[y]);
}

/** One block of validated images for a pass. */
export interface ValidationBlock {
  /** [rows×D] the images. */
  x: Float32Array;
  labels: Int32Array;
  /** The images are among the fitting images (leave-one-out) or not (a held-out split). */
  inFit: boolean;
  /** The validation index of the block's first image (blocks may come in any order). */
  first: number;
}

export interface SettingSweep {
  setting: string;
  scale: number;
  scaleAtBound: boolean;
  /** Per τ of the grid: the validated metrics. */
  points: TauPoint[];
  bestIndex: number;
}

export interface ValidatedChoice {
  /** Index of the chosen setting and τ. */
  setting: number;
  tauIndex: number;
  tau: number;
  metrics: ClassificationMetrics;
}

/**
 * Predictions of every validated image for every (setting, τ), and what picks among them. The
 * probe's k-fold fills the same structure (its settings are weight decay × τ-normalisation).
 */
export class ValidationPredictions {
  readonly settings: readonly string[];
  readonly taus: Float64Array;
  readonly numClasses: number;
  readonly labels: Int32Array;
  readonly weights: Float64Array;
  /** predictions[setting][τ][i]. */
  readonly predictions: Int32Array[][];
  scales: number[];
  scaleAtBound: boolean[];

  constructor(settings: readonly string[], taus: ArrayLike<number>, numClasses: number, labels: Int32Array, weights: Float64Array) {
    if (weights.length !== labels.length) throw new RangeError(`${weights.length} weights for ${labels.length} images`);
    this.settings = settings;
    this.taus = Float64Array.from(taus);
    this.numClasses = numClasses;
    this.labels = labels;
    this.weights = weights;
    this.predictions = settings.map(() => Array.from(this.taus, () => new Int32Array(labels.length)));
    this.scales = settings.map(() => 1);
    this.scaleAtBound = settings.map(() => false);
  }

  metricsAt(setting: number, tauIndex: number, classBand: Uint8Array): ClassificationMetrics {
    const counts = addWeightedToConfusion(weightedConfusionCounts(this.numClasses), this.labels, this.predictions[setting][tauIndex], this.weights);
    return metricsFromCounts(counts, classBand);
  }

  /** Per setting, the τ curve and its best point (macro-F1; ties as pickTau). */
  sweeps(classBand: Uint8Array): SettingSweep[] {
    return this.settings.map((setting, s) => {
      const points = Array.from(this.taus, (tau, t) => {
        const m = this.metricsAt(s, t, classBand);
        return { tau, top1: m.top1, macroF1: m.macroF1, balancedAccuracy: m.balancedAccuracy, bandAccuracy: m.bandAccuracy };
      });
      return { setting, scale: this.scales[s], scaleAtBound: this.scaleAtBound[s], points, bestIndex: pickTau(points) };
    });
  }

  /** The best (setting, τ) by validated macro-F1; among settings within 1e-12 the earlier (simpler) one. */
  choose(classBand: Uint8Array): ValidatedChoice {
    const sweeps = this.sweeps(classBand);
    let best = 0;
    for (let s = 1; s < sweeps.length; s++) {
      const a = sweeps[s].points[sweeps[s].bestIndex].macroF1;
      const b = sweeps[best].points[sweeps[best].bestIndex].macroF1;
      if (a > b + 1e-12) best = s;
    }
    const tauIndex = sweeps[best].bestIndex;
    return { setting: best, tauIndex, tau: this.taus[tauIndex], metrics: this.metricsAt(best, tauIndex, classBand) };
  }
}

export interface ClassMeanPassOptions {
  /** [C] log π of the fitting counts (logitAdjust.logPrior). */
  logPrior: Float32Array;
  taus: ArrayLike<number>;
  /** Per setting, the temperature s (fitClassMeanScales). */
  scales: ArrayLike<number>;
  kernel?: DotKernel;
  chunkRows?: number;
}

/**
 * The leave-one-out pass: feeds blocks of validated images, fills `out` (whose settings must be the
 * method's) with every (setting, τ) prediction.
 */
export async function classMeanPass(
  method: ClassMeanMethod,
  data: ClassMeanData,
  blocks: AsyncIterable<ValidationBlock> | Iterable<ValidationBlock>,
  out: ValidationPredictions,
  options: ClassMeanPassOptions,
): Promise<void> {
  const { numClasses: c, counts } = data;
  const k = method.components.numClasses;
  const { logPrior } = options;
  const argmax = new TauArgmax(options.taus, logPrior);
  const settings = method.settings.length;
  const scales = Float64Array.from(options.scales);
  if (scales.length !== settings) throw new RangeError(`${scales.length} temperatures for ${settings} settings`);
  const row = new Float32Array(c);
  const comp = new Float32Array(k);
  for await (const block of blocks) {
    const { x, labels, inFit, first } = block;
    if (inFit) await method.prepareBlock?.(x, labels.length);
    await forEachScoreChunk(x, method.components, { kernel: options.kernel, chunkRows: options.chunkRows }, (scores, start, count) => {
      for (let r = 0; r < count; r++) {
        const i = start + r;
        const y = labels[i];
        comp.set(scores.subarray(r * k, (r + 1) * k));
        if (inFit) method.leaveOut(x, i * data.dim, y, comp, 0);
        const ownLogPrior = inFit ? leaveOneOutLogPrior(logPrior, counts, y) : 0;
        for (let s = 0; s < settings; s++) {
          method.blend(s, comp, 0, row, 0, inFit ? y : -1);
          const scale = scales[s];
          for (let j = 0; j < c; j++) row[j] = scale * row[j] + logPrior[j];
          const preds = out.predictions[s];
          if (inFit) argmax.runRow(row, 0, preds, first + i, y, row[y] - logPrior[y] + ownLogPrior, ownLogPrior);
          else argmax.runRow(row, 0, preds, first + i);
        }
      }
    });
  }
}

/**
 * Scores in a temperature fit's sample (2²², 16 MB: 270 images at Herbarium's 15,501 classes, all
 * 1,024 the caller samples below 4,096 classes); s is one number, and the likelihood's optimum is
 * flat, so a few hundred images place it to a few percent.
 */
export const SCALE_MAX_SCORES = 1 << 22;

/**
 * The temperature of each setting, by maximum likelihood over a sample of fitting images scored
 * leave-one-out (a fitting image inside its own mean would inflate s, and s weighs the scores
 * against the prior): `x`/`labels` are that sample, all of them fitting images of classes with ≥ 2.
 */
export async function fitClassMeanScales(
  method: ClassMeanMethod,
  data: ClassMeanData,
  x: Float32Array,
  labels: Int32Array,
  logPrior: Float32Array,
  kernel?: DotKernel,
  maxScores = SCALE_MAX_SCORES,
): Promise<{ scale: number; atBound: boolean }[]> {
  // Each likelihood evaluation is an exp per (image, class): cap images × classes.
  const m = Math.min(labels.length, Math.max(1, Math.floor(maxScores / data.numClasses)));
  x = x.subarray(0, m * data.dim);
  labels = labels.subarray(0, m);
  const c = data.numClasses;
  const k = method.components.numClasses;
  if (m === 0) return method.settings.map(() => ({ scale: 1, atBound: true }));
  const comps = new Float32Array(m * k);
  await forEachScoreChunk(x, method.components, { kernel }, (scores, start, count) => comps.set(scores.subarray(0, count * k), start * k));
  const ownLogPrior = new Float32Array(m);
  await method.prepareBlock?.(x, m);
  for (let i = 0; i < m; i++) {
    method.leaveOut(x, i * data.dim, labels[i], comps, i * k);
    ownLogPrior[i] = leaveOneOutLogPrior(logPrior, data.counts, labels[i]);
  }
  const a = new Float32Array(m * c);
  return method.settings.map((_, s) => {
    for (let i = 0; i < m; i++) method.blend(s, comps, i * k, a, i * c, labels[i]);
    const fit = maximumLikelihoodScale(a, m, c, labels, logPrior, { ownLogPrior, tolerance: 1e-2 });
    return { scale: fit.scale, atBound: fit.atBound };
  });
}
