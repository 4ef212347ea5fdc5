/**
 * The classifiers, in the embed worker next to the run they learn from: embeddings are read
 * from the run's store a block of slots at a time (never copied to the page, never all at once
 * for scoring), and the page only gets small results (metrics, per-class vectors, a CSV Blob).
 * One fitted classifier at a time; fitting again replaces it.
 */

import * as tf from '@tensorflow/tfjs';
import { activateBackend, probeBackends } from '../compute/backends.ts';
import { tfDotKernel } from '../compute/tfDotKernel.ts';
import { tfGram, tfProjectMeans, tfQuadraticForms } from '../compute/tfGram.ts';
import { computeBackend, type BackendChoice } from '../core/embed/backendChoice.ts';
import { SLOT_DONE, type RunState } from '../core/embed/runState.ts';
import { intervalsOverlap, stratifiedBootstrap } from '../core/learn/bootstrap.ts';
import { autoCandidates, DEFAULT_PROBE, type FittedKind } from '../core/learn/classifiers.ts';
import type { Taxonomy } from '../core/learn/hierarchical.ts';
import { adjustmentBias } from '../core/learn/logitAdjust.ts';
import { addWeightedToConfusion, classBandCodes, confusedPairs, metricsFromCounts, metricSummary, weightedConfusionCounts } from '../core/learn/metrics.ts';
import { forEachScoreChunk, jsDotKernel, scoreTopK, type DotKernel, type LinearModel } from '../core/learn/scoring.ts';
import { softmaxTop } from '../core/learn/softmax.ts';
import { mostLikelyClass, submissionCsv } from '../core/learn/submission.ts';
import type { ComparedCandidate, TaxonomyAccuracy } from './classifyTypes.ts';
import { BLOCK_SLOTS, labelledSet, probeSkipReason, PROBE_FOLDS, validateClassMean, validateProbe, type Labelled, type SelectionContext, type ValidatedCandidate } from './classifySelection.ts';
import type { EmbedSession } from './embedSession.ts';
import { JobError, VALIDATED_RIGHT, VALIDATED_WRONG, type ClassifyHandlers, type ClassifyImageResult, type JobContext } from './protocol.ts';

export interface FittedClassifier {
  state: RunState;
  label: string;
  kind: FittedKind;
  model: LinearModel;
  /** Class-mean classifiers: log π (their logits carry the prior); the probe: none. */
  baseBias: Float32Array | undefined;
  logPrior: Float32Array;
  trainCounts: Int32Array;
  /** The model's dot products on the fit's backend. */
  kernel: DotKernel;
  /** The winner's validation: its predictions on the grid, and a pass for any other τ. */
  validated: ValidatedCandidate;
  set: Labelled;
  taxonomy: Taxonomy | undefined;
}

function forgetFitted(session: EmbedSession): void {
  session.fitted?.kernel.dispose();
  session.fitted = null;
}

/**
 * Puts tfjs on the backend the classifiers use. While the embed worker holds a model (a run in
 * this page), that model's backend stays: switching would move its weights. Otherwise the
 * user's choice, and for `auto` a hardware GPU, else WASM (computeBackend).
 */
async function useClassifyBackend(session: EmbedSession, choice: BackendChoice): Promise<{ backend: string; reason: string }> {
  if (session.model) return { backend: tf.getBackend(), reason: `${tf.getBackend()}: the backend the embeddings were computed on in this page` };
  if (choice !== 'auto') {
    await activateBackend(choice);
    return { backend: choice, reason: `${choice}: chosen in the Embeddings section` };
  }
  const { backend, reason } = computeBackend(await probeBackends());
  await activateBackend(backend);
  return { backend, reason };
}

/** A tfjs matmul, except on the CPU backend, whose matmul is no faster than the plain JavaScript one. */
function kernelFor(model: LinearModel): DotKernel {
  return tf.getBackend() === 'cpu' ? jsDotKernel(model) : tfDotKernel(model);
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Lets a cancel message in, then throws if the job was cancelled. */
async function yieldAndCheck(ctx: JobContext<unknown>): Promise<void> {
  await macrotask();
  await ctx.checkpoint();
}

/** The winner's validated predictions at τ: from the grid when τ is on it, else one more pass. */
async function validatedPredictions(f: FittedClassifier, tau: number, ctx: JobContext<unknown>): Promise<Int32Array> {
  const { predictions, choice } = f.validated;
  const t = predictions.taus.findIndex((v) => Math.abs(v - tau) < 1e-9);
  return t >= 0 ? predictions.predictions[choice.setting][t] : await f.validated.validateAt(tau, () => yieldAndCheck(ctx));
}

function requireFitted(session: EmbedSession): FittedClassifier {
  const { fitted } = session;
  if (!fitted) throw new JobError('not-fitted', 'fit a classifier first');
  if (fitted.state !== session.requireRun().state) {
    forgetFitted(session);
    throw new JobError('fit-stale', 'the embedding run changed since the classifier was fitted: fit it again');
  }
  return fitted;
}

/** Class sizes of the whole train set (train + held-out slots), for the bands. */
function classSizes(state: RunState): Int32Array {
  const sizes = new Int32Array(state.plan.numClasses);
  for (const c of state.plan.slotClass) if (c >= 0) sizes[c]++;
  return sizes;
}

/** Genus and family accuracy, and how often a wrong answer is at least the right genus (weighted as the metrics). */
export function taxonomyAccuracy(yTrue: Int32Array, yPred: Int32Array, weights: Float64Array, taxonomy: Taxonomy): TaxonomyAccuracy {
  let total = 0;
  let genus = 0;
  let family = 0;
  let wrong = 0;
  let wrongGenus = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const w = weights[i];
    const t = yTrue[i];
    const p = yPred[i];
    total += w;
    const sameGenus = taxonomy.classGenus[t] === taxonomy.classGenus[p];
    if (sameGenus) genus += w;
    if (taxonomy.classFamily[t] === taxonomy.classFamily[p]) family += w;
    if (t !== p) {
      wrong += w;
      if (sameGenus) wrongGenus += w;
    }
  }
  return { genus: genus / total, family: family / total, wrongButRightGenus: wrong > 0 ? wrongGenus / wrong : NaN };
}

export function classifyHandlers(session: EmbedSession): ClassifyHandlers {
  return {
    async classifyFit(request, ctx) {
      const t0 = performance.now();
      const { state, store } = session.requireRun();
      const { numClasses } = state.plan;
      if (state.doneSlots('train').length === 0) throw new JobError('no-data', 'the run has no embedded train image yet');
      if (request.validation === 'heldout' && state.doneSlots('heldout').length === 0)
        throw new JobError('no-data', 'the run has no embedded held-out image to validate on (held-out fraction 0?): choose cross-validation');
      forgetFitted(session);
      const { backend, reason: backendReason } = await useClassifyBackend(session, request.backend);
      const set = labelledSet(state, store, request.validation, request.testPrior, request.dropped);
      if (set.validSlots.length === 0) throw new JobError('no-data', 'no image can be validated: every class has a single labelled image');
      const taxonomy = request.taxonomy && request.taxonomy.classGenus.length === numClasses ? request.taxonomy : undefined;
      const sel: SelectionContext = {
        state,
        store,
        set,
        classBand: classBandCodes(classSizes(state), request.limits),
        taxonomy,
        kernelFor,
        checkpoint: () => yieldAndCheck(ctx),
        progress: (stage, extra) => ctx.progress({ stage, ...extra }),
        probe: request.probe ?? DEFAULT_PROBE,
        // D² per image: 17 s in JavaScript at Herbarium's 839,772 × 96 (bench:classify), minutes at 1,280-d; a matmul per block.
        gram: tf.getBackend() !== 'cpu' ? tfGram : undefined,
        projectMeans: state.plan.dim >= 256 && tf.getBackend() !== 'cpu' ? tfProjectMeans : undefined,
        // xᵀΣ⁻¹x per validated image: 2.5 ms in JavaScript at 1,280-d (70 s over 27,707 images).
        quadraticForms: state.plan.dim >= 256 && tf.getBackend() !== 'cpu' ? tfQuadraticForms : undefined,
      };
      let kinds: FittedKind[];
      const notes: string[] = [];
      if (request.kind === 'auto') {
        kinds = autoCandidates(taxonomy, set.data.counts);
        const skip = probeSkipReason(set, state.plan.dim);
        if (skip && kinds.includes('probe')) {
          kinds = kinds.filter((k) => k !== 'probe');
          notes.push(`the probe was not tried: ${skip}`);
        }
      } else {
        if (request.kind === 'hierarchical' && !taxonomy) throw new JobError('no-data', "the taxonomy back-off needs the dataset's genus and family of each class");
        kinds = [request.kind];
      }
      const candidates: ValidatedCandidate[] = [];
      for (const kind of kinds) candidates.push(kind === 'probe' ? await validateProbe(sel) : await validateClassMean(sel, kind));
      const macro = (c: ValidatedCandidate) => c.choice.metrics.macroF1;
      const winner = candidates.reduce((a, b) => (macro(b) > macro(a) + 1e-12 ? b : a));
      ctx.progress({ stage: `${winner.label}: the final fit on ${set.fitSlots.length} images` });
      const final = await winner.refit();
      await ctx.checkpoint();
      const trainCounts = set.data.counts.slice();
      session.fitted = {
        state,
        label: winner.label,
        kind: winner.kind,
        model: final.model,
        baseBias: final.baseBias,
        logPrior: set.logPrior,
        trainCounts,
        kernel: kernelFor(final.model),
        validated: winner,
        set,
        taxonomy,
      };
      const compared: ComparedCandidate[] = candidates.map((c) => ({
        kind: c.kind,
        label: c.label,
        setting: c.setting,
        tau: c.choice.tau,
        macroF1: macro(c),
        ciLow: c.interval.low,
        ciHigh: c.interval.high,
        top1: c.choice.metrics.top1,
        balancedAccuracy: c.choice.metrics.balancedAccuracy,
        unresolved: c !== winner && intervalsOverlap(c.interval, winner.interval),
        ms: c.ms,
      }));
      const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
      const close = compared.filter((c) => c.unresolved).map((c) => c.label);
      const reason =
        candidates.length > 1
          ? `${winner.label} has the highest validated macro-F1 (${pct(macro(winner))}, 95% interval ${pct(winner.interval.low)}–${pct(winner.interval.high)}) of ${candidates.length} candidates` +
            (close.length ? `; its lead over ${close.join(', ')} is not resolved (the intervals overlap)` : "; every other candidate's interval lies below") +
            (notes.length ? `; ${notes.join('; ')}` : '') +
            '.'
          : `${winner.label} at its validated settings.`;
      const method = set.mode === 'heldout' ? 'held-out split' : winner.kind === 'probe' ? 'k-fold' : 'leave-one-out';
      let classesWithTrain = 0;
      for (const n of trainCounts) if (n > 0) classesWithTrain++;
      return {
        result: {
          label: winner.label,
          dropped: request.dropped ? new Set(request.dropped).size : 0,
          requested: request.kind,
          kind: winner.kind,
          reason,
          refit: set.mode === 'cross' ? 'all-labelled' : 'train-split',
          setting: winner.setting,
          tau: winner.choice.tau,
          scale: winner.scale,
          scaleAtBound: winner.scaleAtBound,
          trainRows: set.fitSlots.length,
          probeRows: final.probeRows,
          classesWithTrain,
          numClasses,
          validation: { ...set.summary, method, folds: set.mode === 'cross' && kinds.includes('probe') ? PROBE_FOLDS : null },
          compared,
          sweep: winner.sweep,
          shrinkage: winner.shrinkage,
          losses: final.losses,
          backend,
          backendReason,
          ms: performance.now() - t0,
        },
        transfer: [],
      };
    },

    async classifySweep(_request, ctx) {
      const t0 = performance.now();
      const f = requireFitted(session);
      await ctx.checkpoint();
      const points = f.validated.sweep;
      return { result: { points, bestTau: f.validated.choice.tau, heldoutRows: f.set.validSlots.length, ms: performance.now() - t0 }, transfer: [] };
    },

    async classifyEvaluate(request, ctx) {
      const t0 = performance.now();
      const f = requireFitted(session);
      const { predictions } = f.validated;
      const c = f.model.numClasses;
      const bands = classBandCodes(classSizes(f.state), request.limits);
      const yPred = await validatedPredictions(f, request.tau, ctx);
      const y0 = await validatedPredictions(f, 0, ctx);
      const { labels, weights } = predictions;
      const metrics = (p: Int32Array) => metricsFromCounts(addWeightedToConfusion(weightedConfusionCounts(c), labels, p, weights), bands);
      const m = metrics(yPred);
      const m0 = metrics(y0);
      const iv = stratifiedBootstrap(labels, yPred, c, undefined, { weights, replicates: 1000, seed: 11 });
      const recall = Float32Array.from(m.recall);
      const trainCount = f.trainCounts.slice();
      return {
        result: {
          label: f.label,
          at: metricSummary(request.tau, m),
          baseline: metricSummary(0, m0),
          macroF1Interval: { low: iv.low, high: iv.high },
          taxonomy: f.taxonomy ? taxonomyAccuracy(labels, yPred, weights, f.taxonomy) : null,
          recall,
          trainCount,
          // A train slot is the train image of the same index: each pair names its first image.
          pairs: confusedPairs(labels, yPred, c, request.pairs ?? 20, f.set.validSlots),
          ms: performance.now() - t0,
        },
        transfer: [recall.buffer, trainCount.buffer],
      };
    },

    async classifyCorrectness(request, ctx) {
      const f = requireFitted(session);
      const predicted = await validatedPredictions(f, request.tau, ctx);
      const { validSlots, validLabels } = f.set;
      const status = new Uint8Array(f.state.plan.slots);
      for (let i = 0; i < validSlots.length; i++) status[validSlots[i]] = predicted[i] === validLabels[i] ? VALIDATED_RIGHT : VALIDATED_WRONG;
      return { result: { label: f.label, tau: request.tau, status }, transfer: [status.buffer] };
    },

    async classifyImage(request) {
      const f = requireFitted(session);
      const { state, store } = session.requireRun();
      if (state.status[request.slot] !== SLOT_DONE) throw new JobError('bad-input', 'this image is not embedded in the run');
      const bias = adjustmentBias(f.logPrior, request.tau, f.baseBias);
      let top: ClassifyImageResult['top'] = [];
      await forEachScoreChunk(store.readRows([request.slot]), f.model, { bias, kernel: f.kernel }, (scores) => {
        top = softmaxTop(scores.subarray(0, f.model.numClasses), request.k);
      });
      return { result: { label: f.label, tau: request.tau, top }, transfer: [] };
    },

    async classifySubmission(request, ctx) {
      const t0 = performance.now();
      const f = requireFitted(session);
      const { state, store, classCategoryId, testIds } = session.requireRun();
      const { plan } = state;
      if (!testIds || testIds.length === 0) throw new JobError('no-data', 'the run has no test images (load test_metadata.json and keep "include test images" on, then embed)');
      const nTest = testIds.length;
      const embedded = new Uint8Array(nTest);
      // Test images embedded, in test-metadata order (their slots follow the train slots).
      const slots = state.doneSlots('test');
      for (const s of slots) embedded[plan.imageOf(s).index] = 1;
      const predicted = new Int32Array(nTest);
      const bias = adjustmentBias(f.logPrior, request.tau, f.baseBias);
      const previewRows = Math.min(nTest, Math.max(0, request.preview ?? 5));
      const previewTop = new Map<number, { categoryId: number; score: number }[]>();
      for (let i = 0; i < slots.length; i += BLOCK_SLOTS) {
        const block = slots.subarray(i, i + BLOCK_SLOTS);
        const rows = store.readRows(block);
        const k = plan.imageOf(block[0]).index < previewRows ? 5 : 1;
        const top = await scoreTopK(rows, f.model, k, { bias, kernel: f.kernel });
        for (let r = 0; r < block.length; r++) {
          const testIndex = plan.imageOf(block[r]).index;
          predicted[testIndex] = top.indexes[r * k];
          if (testIndex < previewRows) {
            const list: { categoryId: number; score: number }[] = [];
            for (let j = 0; j < k; j++) {
              const cls = top.indexes[r * k + j];
              if (cls >= 0) list.push({ categoryId: classCategoryId[cls], score: top.scores[r * k + j] });
            }
            previewTop.set(testIndex, list);
          }
        }
        await yieldAndCheck(ctx);
      }
      const fallbackClass = mostLikelyClass(f.trainCounts);
      const csv = submissionCsv(testIds, predicted, classCategoryId, { embedded, fallbackClass });
      const preview = Array.from({ length: previewRows }, (_, i) => ({ id: testIds.get(i), top: previewTop.get(i) ?? [], embedded: embedded[i] === 1 }));
      return {
        result: {
          label: f.label,
          tau: request.tau,
          blob: new Blob(csv.chunks, { type: 'text/csv' }),
          rows: csv.rows,
          notEmbedded: csv.fallbackRows,
          fallbackCategoryId: classCategoryId[fallbackClass],
          preview,
          ms: performance.now() - t0,
        },
        transfer: [],
      };
    },
  };
}
