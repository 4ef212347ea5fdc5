/**
 * Model selection in the embed worker: which images are fitted on and validated, the candidates'
 * validation passes (exact leave-one-out for the class-mean classifiers, stratified k-fold for the
 * probe), and the final refit. Reads the run's embeddings a block of slots at a time; the science
 * is in src/core/learn, this file only feeds it.
 */

import { concatInt32 } from '../core/arrays.ts';
import type { RunState } from '../core/embed/runState.ts';
import type { RunStore } from '../core/embed/runStore.ts';
import { stratifiedBootstrap } from '../core/learn/bootstrap.ts';
import {
  classMeanPass,
  fitClassMeanScales,
  scaleModel,
  ValidationPredictions,
  type ClassMeanData,
  type ClassMeanMethod,
  type ValidatedChoice,
  type ValidationBlock,
} from '../core/learn/classMeans.ts';
import { classifierInfo, classifierLabel, type FittedKind, type ProbeSettings } from '../core/learn/classifiers.ts';
import { seededSample } from '../core/learn/evaluate.ts';
import type { Taxonomy } from '../core/learn/hierarchical.ts';
import { stratifiedKFold } from '../core/learn/kfold.ts';
import { ledoitWolf, precisionOf, ResidualScatter, type GramKernel, type QuadraticForms } from '../core/learn/lda.ts';
import { logPrior as logPriorOf } from '../core/learn/logitAdjust.ts';
import { meansOf } from '../core/learn/ncm.ts';
import { probeModel, tauNormalizedProbe, trainProbe, type ProbeWeights } from '../core/learn/probe.ts';
import { ClassSums } from '../core/learn/prototypes.ts';
import { forEachScoreChunk, type DotKernel, type LinearModel } from '../core/learn/scoring.ts';
import { tauGrid, TauArgmax, type TauPoint } from '../core/learn/tauSweep.ts';
import type { TestPrior, ValidationMode, ValidationSummary } from './classifyTypes.ts';

/** Slots read from the store per block (5 MB at 1,280-d). */
export const BLOCK_SLOTS = 1024;
/**
 * At most this many validated images (a seeded uniform sample beyond): the leave-one-out pass
 * stores every (setting, τ) prediction of each, and at Herbarium scale (839,772 images × 15,501
 * classes) scoring all of them takes minutes per candidate; 2¹⁷ images still put ~8 of the
 * validation's images in an average class, and the bootstrap interval says what that costs.
 */
export const MAX_VALIDATED = 1 << 17;
/**
 * And at most this many images × classes × dims (2³⁹: a leave-one-out pass of ~1.1 TFLOP, about
 * 80 s at the 14 GFLOP/s tfjs WASM reaches on 2 cores): at Herbarium's 15,501 classes that is the
 * 2¹⁷ above at 96-d and 27,700 images at 1,280-d.
 */
export const MAX_VALIDATION_WORK = 2 ** 39;

/** How many images a validation may score at C classes and D dims. */
export function validationCap(numClasses: number, dim: number): number {
  return Math.max(1024, Math.min(MAX_VALIDATED, Math.floor(MAX_VALIDATION_WORK / (numClasses * dim))));
}

/**
 * The covariance pass reads at most this many images × D² (2³⁶: 839,772 images at 96-d, all of
 * them; 42,000 at 1,280-d, a seeded sample, plenty for a D×D estimate that is then shrunk).
 */
export const MAX_COVARIANCE_WORK = 2 ** 36;
/** The probe holds its train rows in memory (tfjs batches are cut from one array). */
export const PROBE_MEMORY_BYTES = 1 << 30;
/** The τ grid every candidate is validated on. */
export const TAUS = tauGrid(0, 2, 0.1);
/** The probe's weight decay (λ of λ/2·‖W‖² on the mean cross-entropy) and τ-normalisation γ, chosen by k-fold. */
export const PROBE_L2 = [1e-4, 1e-3, 1e-2] as const;
export const PROBE_GAMMA = [0, 0.5, 1] as const;
export const PROBE_FOLDS = 5;
/** Above this many validated images, a method with several settings chooses its setting on a sample of this many first. */
export const SETTING_SEARCH_ROWS = 1 << 15;
/** Fitting images the temperature is fitted on (leave-one-out, classes with ≥ 2). */
const SCALE_SAMPLE = 1024;

export interface Labelled {
  mode: ValidationMode;
  /** The fitting slots (cross: every embedded labelled image; heldout: the train split), ascending. */
  fitSlots: Int32Array;
  fitLabels: Int32Array;
  /** Class sums and counts over fitSlots. */
  data: ClassMeanData;
  logPrior: Float32Array;
  /** The validated slots, in validation-index order, and their classes and weights. */
  validSlots: Int32Array;
  validLabels: Int32Array;
  weights: Float64Array;
  /** The validated images are among the fitting ones (leave-one-out / k-fold). */
  validInFit: boolean;
  summary: Omit<ValidationSummary, 'method' | 'folds'>;
}

/** Validation weights: 1 each (test drawn like train) or 1/n of the image's class among the validated (a balanced test). */
export function validationWeights(labels: Int32Array, numClasses: number, prior: TestPrior): Float64Array {
  if (prior === 'train') return new Float64Array(labels.length).fill(1);
  const n = new Int32Array(numClasses);
  for (const y of labels) n[y]++;
  return Float64Array.from(labels, (y) => 1 / n[y]);
}

/** The fitting and validated images of a fit. */
/**
 * `dropped` (slots, e.g. the audit's label issues and duplicates) are neither fitted on nor
 * validated: the held-out split's other images are validated as before, so with held-out
 * validation the comparison with a fit that kept them is on the same images.
 */
export function labelledSet(state: RunState, store: RunStore, mode: ValidationMode, prior: TestPrior, dropped?: Int32Array): Labelled {
  const { plan } = state;
  const c = plan.numClasses;
  const drop = new Uint8Array(plan.slots);
  if (dropped) for (const s of dropped) if (s >= 0 && s < plan.slots) drop[s] = 1;
  const allTrain = state.doneSlots('train');
  const train = dropped ? allTrain.filter((s) => !drop[s]) : allTrain;
  const heldout = dropped ? state.doneSlots('heldout').filter((s) => !drop[s]) : state.doneSlots('heldout');
  const sums = new ClassSums(c, plan.dim);
  sums.merge(state.sums);
  if (train.length < allTrain.length) {
    const out = allTrain.filter((s) => drop[s] === 1);
    for (let i = 0; i < out.length; i += BLOCK_SLOTS) {
      const block = out.subarray(i, i + BLOCK_SLOTS);
      const rows = store.readRows(block);
      block.forEach((s, r) => sums.remove(rows, plan.slotClass[s], r * plan.dim));
    }
  }
  let fitSlots = train;
  if (mode === 'cross' && heldout.length) {
    for (let i = 0; i < heldout.length; i += BLOCK_SLOTS) {
      const block = heldout.subarray(i, i + BLOCK_SLOTS);
      sums.addRows(store.readRows(block), Int32Array.from(block, (s) => plan.slotClass[s]));
    }
    fitSlots = concatInt32([train, heldout]).sort();
  }
  const counts = sums.counts;
  let candidates: Int32Array;
  if (mode === 'cross') candidates = fitSlots.filter((s) => counts[plan.slotClass[s]] >= 2);
  else candidates = heldout;
  const cap = validationCap(c, plan.dim);
  const sampledFrom = candidates.length > cap ? candidates.length : null;
  const validSlots = sampledFrom ? seededSample(candidates, cap, 3).sort() : candidates;
  const validLabels = Int32Array.from(validSlots, (s) => plan.slotClass[s]);
  const classes = new Set(validLabels).size;
  let singletonImages = 0;
  if (mode === 'cross') for (const s of fitSlots) if (counts[plan.slotClass[s]] === 1) singletonImages++;
  return {
    mode,
    fitSlots,
    fitLabels: Int32Array.from(fitSlots, (s) => plan.slotClass[s]),
    data: { dim: plan.dim, numClasses: c, sums: sums.sums, counts },
    logPrior: logPriorOf(counts),
    validSlots,
    validLabels,
    weights: validationWeights(validLabels, c, prior),
    validInFit: mode === 'cross',
    summary: { images: validSlots.length, classes, singletonImages, sampledFrom, testPrior: prior },
  };
}

/** The validated images a block at a time (each block read from the store when it is needed). */
async function* validationBlocks(store: RunStore, set: Labelled, checkpoint: () => Promise<void>): AsyncGenerator<ValidationBlock> {
  for (let i = 0; i < set.validSlots.length; i += BLOCK_SLOTS) {
    const slots = set.validSlots.subarray(i, i + BLOCK_SLOTS);
    yield { x: store.readRows(slots), labels: set.validLabels.subarray(i, i + BLOCK_SLOTS), inFit: set.validInFit, first: i };
    await checkpoint();
  }
}

export interface SelectionContext {
  state: RunState;
  store: RunStore;
  set: Labelled;
  classBand: Uint8Array;
  taxonomy?: Taxonomy;
  kernelFor(model: LinearModel): DotKernel;
  /** Lets a cancel in (throws when cancelled). */
  checkpoint(): Promise<void>;
  progress(stage: string, extra?: { epoch: number; epochs: number; loss: number }): void;
  probe: ProbeSettings;
  /** Cached across candidates: LDA's covariance (one pass over the fitting images). */
  covariance?: { precision: Float64Array; projected?: Float32Array; shrinkage: number; rows: number };
  /** LDA's per-image xᵀΣ⁻¹x on the fit's backend (default: JavaScript in lda.ts). */
  quadraticForms?: QuadraticForms;
  /** LDA's class weights Pμ_c on the fit's backend (default: JavaScript in lda.ts). */
  projectMeans?: (means: Float32Array, c: number, d: number, precision: Float64Array) => Promise<Float32Array>;
  /** Σ rᵀr of a block of rows on the fit's backend (lda.ts GramKernel); default: plain JavaScript. */
  gram?: GramKernel;
}

/** A candidate after validation: its choice, and what evaluates it at another τ and refits it. */
export interface ValidatedCandidate {
  kind: FittedKind;
  label: string;
  predictions: ValidationPredictions;
  choice: ValidatedChoice;
  interval: { low: number; high: number };
  sweep: TauPoint[];
  setting: string;
  scale: number | null;
  scaleAtBound: boolean;
  shrinkage: number | null;
  ms: number;
  /** Predictions of the validated images at a τ off the grid (the chosen setting); `checkpoint` is the asking job's. */
  validateAt(tau: number, checkpoint: () => Promise<void>): Promise<Int32Array>;
  /** The final model on every fitting image, at the chosen setting; and for the probe its losses. */
  refit(): Promise<{ model: LinearModel; baseBias: Float32Array | undefined; losses: number[]; probeRows: number | null }>;
}

/** Pooled within-class covariance shrunk by Ledoit–Wolf: one pass over the fitting images (a sample at high D). */
async function covarianceOf(ctx: SelectionContext): Promise<NonNullable<SelectionContext['covariance']>> {
  if (ctx.covariance) return ctx.covariance;
  const { set, store } = ctx;
  const d = set.data.dim;
  const { means } = meansOf(set.data);
  const scatter = new ResidualScatter(d, means, ctx.gram);
  const cap = Math.max(4 * d, Math.floor(MAX_COVARIANCE_WORK / (d * d)));
  const slots = set.fitSlots.length > cap ? seededSample(set.fitSlots, cap, 6).sort() : set.fitSlots;
  for (let i = 0; i < slots.length; i += BLOCK_SLOTS) {
    const block = slots.subarray(i, i + BLOCK_SLOTS);
    await scatter.add(store.readRows(block), Int32Array.from(block, (s) => ctx.state.plan.slotClass[s]));
    await ctx.checkpoint();
  }
  const cov = ledoitWolf(scatter);
  const precision = precisionOf(cov);
  const projected = ctx.projectMeans ? await ctx.projectMeans(means, set.data.numClasses, d, precision) : undefined;
  ctx.covariance = { precision, projected, shrinkage: cov.shrinkage, rows: slots.length };
  return ctx.covariance;
}

function chosenSweep(predictions: ValidationPredictions, choice: ValidatedChoice, classBand: Uint8Array): TauPoint[] {
  return predictions.sweeps(classBand)[choice.setting].points;
}

function intervalOf(predictions: ValidationPredictions, choice: ValidatedChoice): { low: number; high: number } {
  const iv = stratifiedBootstrap(predictions.labels, predictions.predictions[choice.setting][choice.tauIndex], predictions.numClasses, undefined, {
    weights: predictions.weights,
    replicates: 1000,
    seed: 11,
  });
  return { low: iv.low, high: iv.high };
}

/** A method restricted to one of its settings. */
function onlySetting(method: ClassMeanMethod, s: number): ClassMeanMethod {
  return { ...method, settings: [method.settings[s]], blend: (_s, a, o, out, oo, own) => method.blend(s, a, o, out, oo, own) };
}

/** A class-mean candidate: temperature per setting, then the leave-one-out pass over every setting and τ. */
export async function validateClassMean(ctx: SelectionContext, kind: FittedKind): Promise<ValidatedCandidate> {
  const t0 = performance.now();
  const info = classifierInfo(kind);
  const { set, store, state } = ctx;
  const label = classifierLabel(kind);
  ctx.progress(`${label}: ${info.needs === 'covariance' ? 'the shared covariance, ' : ''}leave-one-out`);
  const cov = info.needs === 'covariance' ? await covarianceOf(ctx) : undefined;
  const method = info.method!({ data: set.data, precision: cov?.precision, projected: cov?.projected, quadraticForms: ctx.quadraticForms, taxonomy: ctx.taxonomy });
  const kernel = ctx.kernelFor(method.components);
  try {
    const { slotClass } = state.plan;
    const eligible = set.fitSlots.filter((s) => set.data.counts[slotClass[s]] >= 2);
    const sample = seededSample(eligible, SCALE_SAMPLE, 1).sort();
    const scales = await fitClassMeanScales(method, set.data, store.readRows(sample), Int32Array.from(sample, (s) => slotClass[s]), set.logPrior, kernel);
    await ctx.checkpoint();
    let settingIndex = Int32Array.from(method.settings, (_, i) => i);
    if (method.settings.length > 1 && set.validSlots.length > SETTING_SEARCH_ROWS) {
      // Many settings over many images: choose the setting on a seeded sample of the validated
      // images, then validate that setting (and τ) on all of them.
      const pick = seededSample(Int32Array.from({ length: set.validSlots.length }, (_, i) => i), SETTING_SEARCH_ROWS, 4).sort();
      const subset: Labelled = {
        ...set,
        validSlots: Int32Array.from(pick, (i) => set.validSlots[i]),
        validLabels: Int32Array.from(pick, (i) => set.validLabels[i]),
        weights: Float64Array.from(pick, (i) => set.weights[i]),
      };
      const trial = new ValidationPredictions(method.settings, TAUS, set.data.numClasses, subset.validLabels, subset.weights);
      await classMeanPass(method, set.data, validationBlocks(store, subset, ctx.checkpoint), trial, { logPrior: set.logPrior, taus: TAUS, scales: scales.map((v) => v.scale), kernel });
      settingIndex = Int32Array.of(trial.choose(ctx.classBand).setting);
    }
    const searched = settingIndex.length === 1 && method.settings.length > 1 ? onlySetting(method, settingIndex[0]) : method;
    const predictions = new ValidationPredictions(searched.settings, TAUS, set.data.numClasses, set.validLabels, set.weights);
    predictions.scales = Array.from(settingIndex, (i) => scales[i].scale);
    predictions.scaleAtBound = Array.from(settingIndex, (i) => scales[i].atBound);
    await classMeanPass(searched, set.data, validationBlocks(store, set, ctx.checkpoint), predictions, { logPrior: set.logPrior, taus: TAUS, scales: predictions.scales, kernel });
    const choice = predictions.choose(ctx.classBand);
    const scale = predictions.scales[choice.setting];
    const methodSetting = settingIndex[choice.setting];
    const one = onlySetting(method, methodSetting);
    return {
      kind,
      label,
      predictions,
      choice,
      interval: intervalOf(predictions, choice),
      sweep: chosenSweep(predictions, choice, ctx.classBand),
      setting: method.settings[methodSetting],
      scale,
      scaleAtBound: predictions.scaleAtBound[choice.setting],
      shrinkage: cov?.shrinkage ?? null,
      ms: performance.now() - t0,
      async validateAt(tau, checkpoint) {
        const out = new ValidationPredictions(one.settings, [tau], set.data.numClasses, set.validLabels, set.weights);
        const k = ctx.kernelFor(one.components);
        try {
          await classMeanPass(one, set.data, validationBlocks(store, set, checkpoint), out, { logPrior: set.logPrior, taus: [tau], scales: [scale], kernel: k });
        } finally {
          k.dispose();
        }
        return out.predictions[0][0];
      },
      async refit() {
        // The method was built on the fitting images' sums: its model is the refit.
        return { model: scaleModel(method.model(methodSetting), scale), baseBias: set.logPrior, losses: [], probeRows: null };
      },
    };
  } finally {
    kernel.dispose();
  }
}

/**
 * Images × classes × dims above which `auto` leaves the probe out: its validation is 15 full-batch
 * fits (5 folds × 3 weight decays) of ~100 L-BFGS iterations, each ~6·N·C·D flops, and at 2³⁴
 * that is already ~10¹³ flops (~12 min at the 14 GFLOP/s tfjs WASM reaches on 2 cores,
 * BENCHMARKS.md). Herbarium 2022 at 96-d is 1.25·10¹², 73× more: hours on a CPU, so the page says
 * so and keeps to the class-mean classifiers, which need one pass.
 */
export const PROBE_AUTO_BUDGET = 2 ** 34;

/** Why `auto` leaves the probe out here, or null when it tries it. */
export function probeSkipReason(set: Labelled, dim: number): string | null {
  if (set.fitSlots.length * dim * 4 > PROBE_MEMORY_BYTES) return `its ${(set.fitSlots.length * dim * 4 / 2 ** 30).toFixed(1)} GiB of embeddings would not fit in the memory it may hold`;
  const size = set.fitSlots.length * set.data.numClasses * dim;
  if (size > PROBE_AUTO_BUDGET)
    return `its 5-fold validation (15 full-batch fits of ${set.fitSlots.length.toLocaleString('en-US')} images × ${set.data.numClasses.toLocaleString('en-US')} classes × ${dim} dims) would take hours on this machine; choose "Linear probe" to run it anyway`;
  return null;
}

/** The probe's fitting images fit in memory. */
export function probeFits(set: Labelled, dim: number): boolean {
  return set.fitSlots.length * dim * 4 <= PROBE_MEMORY_BYTES;
}

/** The probe: per weight decay, one training per fold; per τ-normalisation, the fold's images scored at every τ. */
export async function validateProbe(ctx: SelectionContext): Promise<ValidatedCandidate> {
  const t0 = performance.now();
  const { set, store, state } = ctx;
  const { dim, numClasses: c } = state.plan;
  const label = classifierLabel('probe', ctx.probe);
  if (!probeFits(set, dim)) throw new RangeError(`the probe holds its images in memory: ${set.fitSlots.length} × ${dim} floats are more than ${PROBE_MEMORY_BYTES / 2 ** 30} GiB`);
  const x = store.readRows(set.fitSlots);
  const labels = set.fitLabels;
  // Validation index of each fitting row (−1: not validated).
  const validIndex = new Int32Array(set.fitSlots.length).fill(-1);
  {
    let j = 0;
    for (let i = 0; i < set.fitSlots.length && j < set.validSlots.length; i++) if (set.fitSlots[i] === set.validSlots[j]) validIndex[i] = j++;
  }
  // Folds: k-fold over the fitting rows (cross), or the held-out split as one fold.
  let fold: Int8Array;
  let k: number;
  let validX: Float32Array | null = null;
  if (set.validInFit) {
    const f = stratifiedKFold(labels, c, PROBE_FOLDS, 5);
    fold = f.fold;
    k = PROBE_FOLDS;
    for (let i = 0; i < fold.length; i++) if (validIndex[i] < 0) fold[i] = -1;
  } else {
    fold = new Int8Array(set.fitSlots.length).fill(-1);
    k = 1;
    validX = store.readRows(set.validSlots);
  }
  const settings = PROBE_L2.flatMap((l2) => PROBE_GAMMA.map((gamma) => ({ l2, gamma })));
  const names = settings.map((s) => `weight decay ${s.l2}, τ-normalisation γ = ${s.gamma}`);
  const predictions = new ValidationPredictions(names, TAUS, c, set.validLabels, set.weights);
  const foldModels: LinearModel[][] = settings.map(() => []);
  const train = async (rows: Int32Array, l2: number, stage: string, init?: ProbeWeights) => {
    const controller = new AbortController();
    const poll = setInterval(() => void ctx.checkpoint().catch((e) => controller.abort(e)), 50);
    try {
      return await trainProbe(x, labels, dim, {
        numClasses: c,
        rows,
        l2,
        maxIterations: ctx.probe.epochs,
        epochs: ctx.probe.epochs,
        loss: ctx.probe.loss,
        sampling: ctx.probe.sampling,
        init: init ? { weights: init.weights, bias: init.bias } : undefined,
        signal: controller.signal,
        onIteration: (iteration, loss) => ctx.progress(stage, { epoch: iteration, epochs: ctx.probe.epochs, loss }),
        onEpoch: (epoch, loss) => ctx.progress(stage, { epoch, epochs: ctx.probe.epochs, loss }),
      });
    } finally {
      clearInterval(poll);
    }
  };
  /** γ = 0: the probe as trained; γ > 0: Kang et al.'s τ-normalised weights without the bias. */
  const normalised = (probe: ProbeWeights, gamma: number) => probeModel(gamma === 0 ? probe : tauNormalizedProbe(probe, gamma));
  // Each fold once: the rows it trains on, the rows it scores (into which validation index), its prior.
  const allRows = Int32Array.from({ length: fold.length }, (_, i) => i);
  const folds = Array.from({ length: k }, (_, f) => {
    const trainRows = set.validInFit ? allRows.filter((i) => fold[i] !== f) : allRows;
    const evalRows = set.validInFit ? allRows.filter((i) => fold[i] === f) : undefined;
    const counts = new Int32Array(c);
    for (const i of trainRows) counts[labels[i]]++;
    return {
      trainRows,
      counts,
      evalRows,
      queries: evalRows ? x : validX!,
      indexOf: (r: number) => (evalRows ? validIndex[evalRows[r]] : r),
      logPrior: logPriorOf(counts),
    };
  });
  for (let f = 0; f < k; f++) {
    const { trainRows, counts, evalRows, queries, indexOf, logPrior: lp } = folds[f];
    // Ascending weight decay, each fit started from the previous one's weights (a warm start: the
    // optimum moves little between neighbouring λ).
    let previous: ProbeWeights | undefined;
    for (let li = 0; li < PROBE_L2.length; li++) {
      const probe = await train(trainRows, PROBE_L2[li], `${label}: fold ${f + 1} of ${k}, weight decay ${PROBE_L2[li]}`, previous);
      previous = probe;
      await ctx.checkpoint();
      for (let gi = 0; gi < PROBE_GAMMA.length; gi++) {
        const s = li * PROBE_GAMMA.length + gi;
        const model = normalised(probe, PROBE_GAMMA[gi]);
        for (let j = 0; j < c; j++) if (counts[j] === 0) model.bias[j] = -Infinity;
        foldModels[s].push(model);
        await scoreAtTaus(ctx, queries, model, evalRows, lp, TAUS, predictions.predictions[s], indexOf);
      }
    }
  }
  const choice = predictions.choose(ctx.classBand);
  const chosen = settings[choice.setting];
  return {
    kind: 'probe',
    label,
    predictions,
    choice,
    interval: intervalOf(predictions, choice),
    sweep: chosenSweep(predictions, choice, ctx.classBand),
    setting: names[choice.setting],
    scale: null,
    scaleAtBound: false,
    shrinkage: null,
    ms: performance.now() - t0,
    async validateAt(tau, checkpoint) {
      const out = [new Int32Array(set.validLabels.length)];
      for (let f = 0; f < k; f++) {
        const { queries, evalRows, logPrior, indexOf } = folds[f];
        await scoreAtTaus({ ...ctx, checkpoint }, queries, foldModels[choice.setting][f], evalRows, logPrior, [tau], out, indexOf);
      }
      return out[0];
    },
    async refit() {
      const probe = await train(allRows, chosen.l2, `${label}: the final fit on ${labels.length} images`);
      const model = normalised(probe, chosen.gamma);
      for (let j = 0; j < c; j++) if (set.data.counts[j] === 0) model.bias[j] = -Infinity;
      return { model, baseBias: undefined, losses: probe.losses, probeRows: labels.length };
    },
  };
}

/** Predictions at each τ (logits − τ·log π) of `rows` of `queries`, into out[t][indexOf(r)]. */
async function scoreAtTaus(
  ctx: Pick<SelectionContext, 'kernelFor' | 'checkpoint'>,
  queries: Float32Array,
  model: LinearModel,
  rows: Int32Array | undefined,
  logPrior: Float32Array,
  taus: ArrayLike<number>,
  out: Int32Array[],
  indexOf: (r: number) => number,
): Promise<void> {
  const argmax = new TauArgmax(taus, logPrior);
  const kernel = ctx.kernelFor(model);
  const scratch = Array.from(argmax.taus, () => new Int32Array(1));
  try {
    await forEachScoreChunk(queries, model, { rows, kernel }, (scores, first, count) => {
      for (let r = 0; r < count; r++) {
        argmax.runRow(scores, r * model.numClasses, scratch, 0);
        const at = indexOf(first + r);
        for (let t = 0; t < scratch.length; t++) out[t][at] = scratch[t][0];
      }
    });
  } finally {
    kernel.dispose();
  }
  await ctx.checkpoint();
}
