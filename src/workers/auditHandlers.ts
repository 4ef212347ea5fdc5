/**
 * The audit over the embed worker's open run: near pairs and each test image's distance to the
 * labelled images (one IVF cell join, src/core/audit/cellJoin.ts), byte-identical files (the
 * hashes taken at decode), label-issue candidates (confident learning on leave-one-out class-mean
 * probabilities) and the class × institution concentration. Rows are read from the store a block
 * at a time; only the unit rows the join needs are held, narrowed when they would not fit.
 */

import * as tf from '@tensorflow/tfjs';
import { tfBlockDot } from '../compute/tfBlockDot.ts';
import { tfDotKernel } from '../compute/tfDotKernel.ts';
import { tfGram } from '../compute/tfGram.ts';
import { jsBlockDot, type BlockDot } from '../core/audit/blockDot.ts';
import { cellJoin } from '../core/audit/cellJoin.ts';
import { identicalFilePairs } from '../core/audit/identicalFiles.ts';
import { confidentLearning, nearestMeanProbabilities, type ProbabilityBlock } from '../core/audit/labelIssues.ts';
import { defaultThreshold } from '../core/audit/pairs.ts';
import { projectUnit, secondMomentAxes } from '../core/audit/reduce.ts';
import { accuracyByInstitution, institutionConcentration } from '../core/audit/shortcuts.ts';
import { SLOT_DONE, SPLIT_TEST, type RunState } from '../core/embed/runState.ts';
import type { RunStore } from '../core/embed/runStore.ts';
import { seededSample } from '../core/learn/evaluate.ts';
import { fitClassMeanScales, type ClassMeanData } from '../core/learn/classMeans.ts';
import { logPrior as logPriorOf } from '../core/learn/logitAdjust.ts';
import { ncmCosineMethod } from '../core/learn/ncm.ts';
import { jsDotKernel, type DotKernel, type LinearModel } from '../core/learn/scoring.ts';
import { dotAt, normalizeRows } from '../core/project/knn.ts';
import { CovarianceAccumulator } from '../core/project/pca.ts';
import { PASS_BLOCK } from '../core/project/source.ts';
import type { AuditProgress, AuditResult } from './auditTypes.ts';
import type { EmbedSession } from './embedSession.ts';
import { JobError, VALIDATED_RIGHT, VALIDATED_WRONG, type AuditHandlers } from './protocol.ts';

/** Unit rows held for the join up to this size; past it they are narrowed to REDUCED_DIM (secondMomentAxes). */
export const AUDIT_ROW_BYTES = 1024 ** 3;
export const REDUCED_DIM = 128;
/** Narrowed cosines keep pairs this far below the floor, then each is checked on the full rows. */
export const REDUCED_MARGIN = 0.03;
/** Fitting images the classifier's temperature is fitted on. */
const SCALE_SAMPLE = 1024;
/** Slots read from the store per block of the label pass (5 MB at 1,280-d). */
const LABEL_BLOCK = 1024;

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export interface AuditHandlerOptions {
  rowBytes?: number;
  /** The block kernel (default: a tfjs matmul unless tfjs is on its CPU backend). */
  dot?: BlockDot;
}

function onFastBackend(): boolean {
  const backend = tf.getBackend();
  return Boolean(backend) && backend !== 'cpu';
}

export function auditHandlers(session: EmbedSession, options: AuditHandlerOptions = {}): AuditHandlers {
  return {
    async auditRun(request, ctx) {
      const { state, store } = session.requireRun();
      if (state.done === 0) throw new JobError('no-data', 'no image of this run is embedded yet: embed some first');
      if (request.slotInstitution.length !== state.plan.slots) throw new JobError('bad-input', `${request.slotInstitution.length} institutions for ${state.plan.slots} slots`);
      const dot = options.dot ?? (onFastBackend() ? tfBlockDot : jsBlockDot);
      const stages: { stage: string; ms: number }[] = [];
      let stageStart = performance.now();
      const endStage = (stage: string) => {
        const now = performance.now();
        stages.push({ stage, ms: now - stageStart });
        stageStart = now;
      };
      let lastProgress = 0;
      const report = (p: AuditProgress, force = false) => {
        const now = performance.now();
        if (!force && now - lastProgress < 200) return;
        lastProgress = now;
        ctx.progress(p);
      };
      const checkpoint = async () => {
        await macrotask();
        await ctx.checkpoint();
      };

      // 1. Unit rows of every embedded image (narrowed when too many).
      const slots = state.doneSlots('all');
      const { rows, dim, reducedFrom } = await joinRows(state, store, slots, options.rowBytes ?? AUDIT_ROW_BYTES, dot, report, checkpoint);
      endStage('reading the embeddings');

      // 2. Near pairs and neighbours.
      const { plan } = state;
      const count = slots.length;
      const inDatabase = Uint8Array.from(slots, (s) => (plan.slotSplit[s] === SPLIT_TEST ? 0 : 1));
      const wantNeighbours = new Uint8Array(count).fill(1);
      const floor = Math.min(0.9999, Math.max(0, request.floor));
      const join = await cellJoin(
        { rows, count, dim, inDatabase, wantNeighbours },
        {
          floor: reducedFrom ? floor - REDUCED_MARGIN : floor,
          seed: request.seed,
          dot,
          progress: (stage, done, total) => report({ stage, done, total }),
          checkpoint,
        },
      );
      endStage('finding near pairs');
      let pairA = Int32Array.from(join.pairs.a, (p) => slots[p]);
      let pairB = Int32Array.from(join.pairs.b, (p) => slots[p]);
      let pairCos = join.pairs.cosine;
      if (reducedFrom) ({ a: pairA, b: pairB, cosine: pairCos } = checkOnFullRows(store, plan.dim, pairA, pairB, floor));

      // 3. Byte-identical files, added where the cosine search left them out (a decode that differs, or the list's floor).
      const identical = identicalFilePairs(slots, state.fileHash, state.fileBytes);
      const merged = mergeIdentical(store, plan.dim, { a: pairA, b: pairB, cosine: pairCos }, identical, plan.slotSplit);
      let hashedSlots = 0;
      for (const s of slots) if (state.fileBytes[s] > 0) hashedSlots++;
      endStage('matching file hashes');

      // 4. Nearest-neighbour cosines of the labelled images: the threshold's histogram.
      const nearestCosines: number[] = [];
      for (let i = 0; i < count; i++) if (inDatabase[i] && !Number.isNaN(join.nearestCosine[i])) nearestCosines.push(join.nearestCosine[i]);
      const { threshold, note } = defaultThreshold(nearestCosines);

      // 5. Novelty of the test images: distance to the k-th nearest labelled image (Sun et al. 2022).
      const testPoints: number[] = [];
      for (let i = 0; i < count; i++) if (!inDatabase[i] && !Number.isNaN(join.kthCosine[i])) testPoints.push(i);
      const noveltyOf = (i: number) => Math.sqrt(Math.max(0, 2 - 2 * join.kthCosine[i]));
      testPoints.sort((p, q) => noveltyOf(q) - noveltyOf(p) || p - q);
      const novelty = {
        slot: Int32Array.from(testPoints, (i) => slots[i]),
        score: Float32Array.from(testPoints, noveltyOf),
        nearest: Int32Array.from(testPoints, (i) => (join.nearestIndex[i] >= 0 ? slots[join.nearestIndex[i]] : -1)),
        nearestCosine: Float32Array.from(testPoints, (i) => join.nearestCosine[i]),
        k: join.k,
      };

      // 6. Label issues.
      const labelIssues = await findLabelIssues(state, store, report, checkpoint);
      endStage('scoring label issues');

      // 7. Institutions.
      const slotClass = Int32Array.from(plan.slotClass, (c, s) => (plan.slotSplit[s] === SPLIT_TEST ? -1 : c));
      const concentration = institutionConcentration(slotClass, request.slotInstitution, plan.numClasses, request.numInstitutions);
      let accuracy = null;
      if (request.correctness && request.correctness.length === plan.slots) {
        const right = Int8Array.from(request.correctness, (v) => (v === VALIDATED_RIGHT ? 1 : v === VALIDATED_WRONG ? 0 : -1));
        accuracy = accuracyByInstitution(slotClass, request.slotInstitution, right, concentration);
      }
      endStage('institutions');

      const result: AuditResult = {
        embedded: state.done,
        slotSplit: plan.slotSplit.slice(),
        pairs: merged,
        floor: Math.max(floor, join.floor + (reducedFrom ? REDUCED_MARGIN : 0)),
        suggestedThreshold: Math.max(threshold, floor),
        thresholdNote: note,
        nearestCosines: Float32Array.from(nearestCosines),
        search: { cells: join.cells, probe: join.probe, comparisons: join.comparisons, bruteForce: (count * (count - 1)) / 2, reducedFrom, dim },
        identicalPairs: identical.a.length,
        hashedSlots,
        labelIssues,
        novelty,
        institutions: { mainInstitution: concentration.mainInstitution, share: concentration.share, images: concentration.images, accuracy },
        stages,
        restored: false,
      };
      return { result, transfer: auditTransfer(result) };
    },
  };
}

export function auditTransfer(r: AuditResult): Transferable[] {
  const arrays = [
    r.slotSplit, r.pairs.a, r.pairs.b, r.pairs.cosine, r.pairs.identical, r.nearestCosines,
    r.labelIssues.slot, r.labelIssues.given, r.labelIssues.suggested, r.labelIssues.score,
    r.novelty.slot, r.novelty.score, r.novelty.nearest, r.novelty.nearestCosine,
    r.institutions.mainInstitution, r.institutions.share, r.institutions.images,
  ];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/** The unit rows of `slots` for the join: full width while they fit in `limit` bytes, else narrowed. */
async function joinRows(
  state: RunState,
  store: RunStore,
  slots: Int32Array,
  limit: number,
  dot: BlockDot,
  report: (p: AuditProgress) => void,
  checkpoint: () => Promise<void>,
): Promise<{ rows: Float32Array; dim: number; reducedFrom: number | null }> {
  const d = state.plan.dim;
  const count = slots.length;
  const narrow = count * d * 4 > limit && d > REDUCED_DIM;
  if (!narrow) {
    const rows = new Float32Array(count * d);
    for (let i = 0; i < count; i += PASS_BLOCK) {
      const part = slots.subarray(i, i + PASS_BLOCK);
      rows.set(normalizeRows(store.readRows(part), part.length, d), i * d);
      report({ stage: 'reading the embeddings', done: Math.min(count, i + PASS_BLOCK), total: count });
      await checkpoint();
    }
    return { rows, dim: d, reducedFrom: null };
  }
  // Two passes over the store: the second moment, then the narrowed rows.
  const acc = new CovarianceAccumulator(d, onFastBackend() ? tfGram : undefined);
  for (let i = 0; i < count; i += PASS_BLOCK) {
    const part = slots.subarray(i, i + PASS_BLOCK);
    await acc.add(normalizeRows(store.readRows(part), part.length, d), part.length);
    report({ stage: `narrowing ${d}-d embeddings to ${REDUCED_DIM}-d: second moment`, done: Math.min(count, i + PASS_BLOCK), total: count });
    await checkpoint();
  }
  const { axes, k } = secondMomentAxes(acc, REDUCED_DIM);
  const rows = new Float32Array(count * k);
  for (let i = 0; i < count; i += PASS_BLOCK) {
    const part = slots.subarray(i, i + PASS_BLOCK);
    rows.set(await projectUnit(axes, k, normalizeRows(store.readRows(part), part.length, d), part.length, d, dot), i * k);
    report({ stage: `narrowing ${d}-d embeddings to ${k}-d: projecting`, done: Math.min(count, i + PASS_BLOCK), total: count });
    await checkpoint();
  }
  return { rows, dim: k, reducedFrom: d };
}

/** Cosines of slot pairs on the stored rows. */
function fullCosines(store: RunStore, dim: number, a: Int32Array, b: Int32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i += PASS_BLOCK) {
    const ra = normalizeRows(store.readRows(a.subarray(i, i + PASS_BLOCK)), Math.min(PASS_BLOCK, a.length - i), dim);
    const rb = normalizeRows(store.readRows(b.subarray(i, i + PASS_BLOCK)), Math.min(PASS_BLOCK, a.length - i), dim);
    for (let r = 0; r * dim < ra.length; r++) out[i + r] = dotAt(ra, r * dim, rb, r * dim, dim);
  }
  return out;
}

/** Pairs found on narrowed rows, kept where their true cosine reaches the floor, re-sorted. */
function checkOnFullRows(store: RunStore, dim: number, a: Int32Array, b: Int32Array, floor: number) {
  const cos = fullCosines(store, dim, a, b);
  const keep = Int32Array.from(cos.keys()).filter((i) => cos[i] >= floor);
  keep.sort((p, q) => cos[q] - cos[p] || a[p] - a[q] || b[p] - b[q]);
  return { a: Int32Array.from(keep, (i) => a[i]), b: Int32Array.from(keep, (i) => b[i]), cosine: Float32Array.from(keep, (i) => cos[i]) };
}

/** The cosine list with identical-file pairs flagged (and added, with their cosine, where missing); test–test pairs are left out. */
function mergeIdentical(store: RunStore, dim: number, pairs: { a: Int32Array; b: Int32Array; cosine: Float32Array }, identical: { a: Int32Array; b: Int32Array }, slotSplit: Uint8Array): AuditResult['pairs'] {
  const key = (a: number, b: number) => a * 4294967296 + b;
  const identicalKeys = new Set<number>();
  for (let i = 0; i < identical.a.length; i++) if (!(slotSplit[identical.a[i]] === SPLIT_TEST && slotSplit[identical.b[i]] === SPLIT_TEST)) identicalKeys.add(key(identical.a[i], identical.b[i]));
  const a = Array.from(pairs.a);
  const b = Array.from(pairs.b);
  const cosine = Array.from(pairs.cosine);
  const seen = new Set<number>();
  for (let i = 0; i < a.length; i++) seen.add(key(a[i], b[i]));
  const missingA: number[] = [];
  const missingB: number[] = [];
  for (const k of identicalKeys)
    if (!seen.has(k)) {
      missingA.push(Math.floor(k / 4294967296));
      missingB.push(k % 4294967296);
    }
  if (missingA.length) {
    const cos = fullCosines(store, dim, Int32Array.from(missingA), Int32Array.from(missingB));
    a.push(...missingA);
    b.push(...missingB);
    cosine.push(...cos);
  }
  const order = Int32Array.from(a.keys()).sort((p, q) => cosine[q] - cosine[p] || a[p] - a[q] || b[p] - b[q]);
  return {
    a: Int32Array.from(order, (i) => a[i]),
    b: Int32Array.from(order, (i) => b[i]),
    cosine: Float32Array.from(order, (i) => cosine[i]),
    identical: Uint8Array.from(order, (i) => (identicalKeys.has(key(a[i], b[i])) ? 1 : 0)),
  };
}

function kernelFor(model: LinearModel): DotKernel {
  return onFastBackend() ? tfDotKernel(model) : jsDotKernel(model);
}

/** Confident learning over every embedded labelled image whose class has a leave-one-out mean. */
async function findLabelIssues(state: RunState, store: RunStore, report: (p: AuditProgress) => void, checkpoint: () => Promise<void>): Promise<AuditResult['labelIssues']> {
  const { plan } = state;
  const c = plan.numClasses;
  const { sums, counts } = state.sums;
  const data: ClassMeanData = { dim: plan.dim, numClasses: c, sums, counts };
  const logPrior = logPriorOf(counts);
  // Train images are in the sums (scored leave-one-out: their class needs a second image); held-out ones are not (their class needs one train image).
  const train = state.doneSlots('train').filter((s) => counts[plan.slotClass[s]] >= 2);
  const heldout = state.doneSlots('heldout').filter((s) => counts[plan.slotClass[s]] >= 1);
  let labelled = 0;
  for (let s = 0; s < plan.slots; s++) if (state.status[s] === SLOT_DONE && plan.slotSplit[s] !== SPLIT_TEST) labelled++;
  const assessed = train.length + heldout.length;
  const empty = { slot: new Int32Array(0), given: new Int32Array(0), suggested: new Int32Array(0), score: new Float32Array(0), assessed, notAssessed: labelled - assessed, scale: 1, unsure: 0 };
  if (assessed === 0) return empty;
  const method = ncmCosineMethod(data);
  const kernel = kernelFor(method.components);
  try {
    // The temperature, by maximum likelihood on a sample of train images scored leave-one-out.
    const sample = seededSample(train, SCALE_SAMPLE, 11).sort();
    let scale = 1;
    if (sample.length) {
      const fit = await fitClassMeanScales(method, data, store.readRows(sample), Int32Array.from(sample, (s) => plan.slotClass[s]), logPrior, kernel);
      scale = fit[0].scale;
    }
    const order = [...train, ...heldout];
    const total = order.length;
    let done = 0;
    async function* blocks(): AsyncGenerator<ProbabilityBlock> {
      for (const [list, inFit] of [[train, true], [heldout, false]] as const)
        for (let i = 0; i < list.length; i += LABEL_BLOCK) {
          const part = list.subarray(i, i + LABEL_BLOCK);
          yield { x: store.readRows(part), labels: Int32Array.from(part, (s) => plan.slotClass[s]), inFit };
          done += part.length;
          report({ stage: 'scoring every labelled image against every class (leave-one-out)', done, total });
          await checkpoint();
        }
    }
    const probabilities = await nearestMeanProbabilities(blocks(), data, scale, logPrior, { kernel });
    const issues = confidentLearning(probabilities);
    return {
      slot: Int32Array.from(issues.row, (r) => order[r]),
      given: Int32Array.from(issues.row, (r) => probabilities.labels[r]),
      suggested: issues.suggested,
      score: issues.score,
      assessed,
      notAssessed: labelled - assessed,
      scale,
      unsure: issues.unsure,
    };
  } finally {
    kernel.dispose();
  }
}
