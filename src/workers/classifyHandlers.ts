/**
 * The classifiers, in the embed worker next to the run they learn from: embeddings are read
 * from the run's store a block of slots at a time (never copied to the page, never all at once
 * for scoring), and the page only gets small results (metrics, per-class vectors, a CSV Blob).
 * One fitted classifier at a time; fitting again replaces it.
 */

import * as tf from '@tensorflow/tfjs';
import { activateBackend, probeBackends } from '../compute/backends.ts';
import { tfDotKernel } from '../compute/tfDotKernel.ts';
import { concatInt32 } from '../core/arrays.ts';
import { computeBackend, type BackendChoice } from '../core/embed/backendChoice.ts';
import type { RunState } from '../core/embed/runState.ts';
import { classifierLabel, DEFAULT_PROBE, type ClassifierKind } from '../core/learn/classifiers.ts';
import { predictAtTaus, seededSample } from '../core/learn/evaluate.ts';
import { adjustmentBias, logPrior as logPriorOf } from '../core/learn/logitAdjust.ts';
import { addToConfusion, classBandCodes, confusedPairs, emptyConfusionCounts, metricsFromCounts, metricSummary } from '../core/learn/metrics.ts';
import { fitNcmScale, ncmModel } from '../core/learn/ncm.ts';
import { probeModel, trainProbe } from '../core/learn/probe.ts';
import { forEachScoreChunk, jsDotKernel, scoreTopK, type DotKernel, type LinearModel } from '../core/learn/scoring.ts';
import { mostLikelyClass, submissionCsv } from '../core/learn/submission.ts';
import { tauGrid, TauSweep } from '../core/learn/tauSweep.ts';
import type { EmbedSession } from './embedSession.ts';
import { JobError, type ClassifyHandlers, type JobContext } from './protocol.ts';

/** Slots read from the store per block (5 MB at 1,280-d); at 15,501 classes a block is ~2.5 s of scoring, so a cancel waits at most that. */
const BLOCK_SLOTS = 1024;
/**
 * The probe holds its train rows in memory (tfjs batches are cut from one array): beyond this many
 * bytes of embeddings it trains on a uniform sample. 1,280-d at Herbarium scale would be 3.4 GB.
 */
export const PROBE_MEMORY_BYTES = 1 << 30;

/** The train slots the probe learns from: all of them, or a seeded uniform sample (in slot order) that fits `budgetBytes`. */
export function probeTrainSlots(trainSlots: Int32Array, dim: number, budgetBytes = PROBE_MEMORY_BYTES): Int32Array {
  const cap = Math.max(1, Math.floor(budgetBytes / (dim * 4)));
  return trainSlots.length <= cap ? trainSlots : seededSample(trainSlots, cap, 2).sort();
}

/** Train rows read for NCM's temperature fit (it samples ≤ 1,024 of them). */
const SCALE_SAMPLE = 8192;

export interface FittedClassifier {
  state: RunState;
  label: string;
  kind: ClassifierKind;
  model: LinearModel;
  /** NCM: log π (its logits carry the prior); the probe: none. */
  baseBias: Float32Array | undefined;
  logPrior: Float32Array;
  trainCounts: Int32Array;
  /** The model's dot products on the fit's backend. */
  kernel: DotKernel;
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

/** Runs `visit` over the held-out rows a block at a time (rows, their labels, their slots = train image indexes). */
async function forEachHeldoutBlock(
  ctx: JobContext<unknown>,
  session: EmbedSession,
  state: RunState,
  visit: (rows: Float32Array, labels: Int32Array, slots: Int32Array) => Promise<void>,
): Promise<number> {
  const { store } = session.requireRun();
  const slots = state.doneSlots('heldout');
  if (slots.length === 0) throw new JobError('no-data', 'the run has no embedded held-out image to evaluate on (held-out fraction 0, or not embedded yet)');
  for (let i = 0; i < slots.length; i += BLOCK_SLOTS) {
    const block = slots.subarray(i, i + BLOCK_SLOTS);
    const rows = store.readRows(block);
    const labels = Int32Array.from(block, (s) => state.plan.slotClass[s]);
    await visit(rows, labels, block);
    await yieldAndCheck(ctx);
  }
  return slots.length;
}

export function classifyHandlers(session: EmbedSession): ClassifyHandlers {
  return {
    async classifyFit(request, ctx) {
      const t0 = performance.now();
      const { state, store } = session.requireRun();
      const { dim, numClasses, slotClass } = state.plan;
      const trainSlots = state.doneSlots('train');
      if (trainSlots.length === 0) throw new JobError('no-data', 'the run has no embedded train image yet');
      const heldoutRows = state.doneSlots('heldout').length;
      const { prototypes, counts } = state.sums.means();
      const logPrior = logPriorOf(counts);
      const settings = request.probe ?? DEFAULT_PROBE;
      const label = classifierLabel(request.kind, settings);
      forgetFitted(session);
      const { backend, reason: backendReason } = await useClassifyBackend(session, request.backend);
      let model: LinearModel;
      let scale: number | null = null;
      let scaleAtBound = false;
      let losses: number[] = [];
      let probeRows: number | null = null;
      if (request.kind === 'probe') {
        const slots = probeTrainSlots(trainSlots, dim);
        probeRows = slots.length;
        const embeddings = store.readRows(slots);
        const labels = Int32Array.from(slots, (s) => slotClass[s]);
        const controller = new AbortController();
        // The probe yields a macrotask between batches; this notices a cancel there.
        const poll = setInterval(() => void ctx.checkpoint().catch((e) => controller.abort(e)), 50);
        try {
          const probe = await trainProbe(embeddings, labels, dim, {
            numClasses,
            epochs: settings.epochs,
            loss: settings.loss,
            sampling: settings.sampling,
            logPrior,
            signal: controller.signal,
            onEpoch: (epoch, loss) => ctx.progress({ epoch, epochs: settings.epochs, loss }),
          });
          model = probeModel(probe);
          losses = probe.losses;
        } finally {
          clearInterval(poll);
        }
        await ctx.checkpoint();
        // Classes without a train image never win (the probe would otherwise score them by the bias alone).
        for (let c = 0; c < numClasses; c++) if (counts[c] === 0) model.bias[c] = -Infinity;
        session.fitted = { state, label, kind: request.kind, model, baseBias: undefined, logPrior, trainCounts: counts, kernel: kernelFor(model) };
      } else {
        const metric = request.kind === 'ncm-euclidean' ? 'euclidean' : 'cosine';
        // The temperature fit samples ≤ 1,024 train rows of classes with ≥ 2 images: read only a sample.
        const eligible = trainSlots.filter((s) => counts[slotClass[s]] >= 2);
        const sample = seededSample(eligible.length ? eligible : trainSlots, SCALE_SAMPLE, 1);
        const rows = store.readRows(sample);
        const labels = Int32Array.from(sample, (s) => slotClass[s]);
        await yieldAndCheck(ctx);
        const fit = await fitNcmScale(rows, labels, prototypes, counts, dim, {
          metric,
          logPrior,
          rows: Int32Array.from({ length: sample.length }, (_, i) => i),
          leaveOneOut: eligible.length > 0,
        });
        scale = fit.scale;
        scaleAtBound = fit.atBound;
        model = ncmModel(prototypes, dim, metric, fit.scale, counts);
        session.fitted = { state, label, kind: request.kind, model, baseBias: logPrior, logPrior, trainCounts: counts, kernel: kernelFor(model) };
      }
      let classesWithTrain = 0;
      for (const n of counts) if (n > 0) classesWithTrain++;
      return {
        result: { label, kind: request.kind, scale, scaleAtBound, trainRows: trainSlots.length, probeRows, heldoutRows, classesWithTrain, numClasses, losses, backend, backendReason, ms: performance.now() - t0 },
        transfer: [],
      };
    },

    async classifySweep(request, ctx) {
      const t0 = performance.now();
      const f = requireFitted(session);
      const bands = classBandCodes(classSizes(f.state), request.limits);
      const sweep = new TauSweep(tauGrid(0, 2, 0.1), f.logPrior);
      const heldoutRows = await forEachHeldoutBlock(ctx, session, f.state, async (rows, labels) => {
        let chunkLabels = new Int32Array(0);
        await forEachScoreChunk(rows, f.model, { bias: f.baseBias, kernel: f.kernel }, (scores, first, count) => {
          if (chunkLabels.length !== count) chunkLabels = new Int32Array(count);
          chunkLabels.set(labels.subarray(first, first + count));
          sweep.add(scores, chunkLabels);
        });
      });
      const result = sweep.result(bands);
      return { result: { points: result.points, bestTau: result.bestTau, heldoutRows, ms: performance.now() - t0 }, transfer: [] };
    },

    async classifyEvaluate(request, ctx) {
      const t0 = performance.now();
      const f = requireFitted(session);
      const c = f.model.numClasses;
      const bands = classBandCodes(classSizes(f.state), request.limits);
      const at = emptyConfusionCounts(c);
      const base = emptyConfusionCounts(c);
      const yTrue: Int32Array[] = [];
      const yPred: Int32Array[] = [];
      const images: Int32Array[] = [];
      await forEachHeldoutBlock(ctx, session, f.state, async (rows, labels, slots) => {
        const [p, p0] = await predictAtTaus(rows, f.model, { logPrior: f.logPrior, baseBias: f.baseBias, taus: [request.tau, 0], kernel: f.kernel });
        addToConfusion(at, labels, p);
        addToConfusion(base, labels, p0);
        yTrue.push(labels);
        yPred.push(p);
        images.push(slots);
      });
      const m = metricsFromCounts(at, bands);
      const m0 = metricsFromCounts(base, bands);
      const recall = Float32Array.from(m.recall);
      const trainCount = f.trainCounts.slice();
      return {
        result: {
          label: f.label,
          at: metricSummary(request.tau, m),
          baseline: metricSummary(0, m0),
          recall,
          trainCount,
          // A train slot is the train image of the same index: each pair names its first image.
          pairs: confusedPairs(concatInt32(yTrue), concatInt32(yPred), c, request.pairs ?? 20, concatInt32(images)),
          ms: performance.now() - t0,
        },
        transfer: [recall.buffer, trainCount.buffer],
      };
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
