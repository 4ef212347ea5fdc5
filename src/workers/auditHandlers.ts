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
import { tfOtherClassesKernel } from '../compute/tfOtherClasses.ts';
import { tfGram } from '../compute/tfGram.ts';
import { jsBlockDot, type BlockDot } from '../core/audit/blockDot.ts';
import { cellJoin, type CellJoinSnapshot } from '../core/audit/cellJoin.ts';
import { decodeRecord, encodeRecord } from '../core/audit/auditRecord.ts';
import { identicalFilePairs } from '../core/audit/identicalFiles.ts';
import { confidentLearning, jsOtherClassesKernel, LABEL_TOP_K, nearestMeanProbabilities, type OtherClassesKernel, type ProbabilityBlock } from '../core/audit/labelIssues.ts';
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
import type { AuditProgress, AuditResult, AuditRunRequest } from './auditTypes.ts';
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
/** A running audit is stored this often (the label pass's arrays are 84 bytes an image: 70 MB at Herbarium's 839,772). */
const SNAPSHOT_MS = 30_000;

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export interface AuditHandlerOptions {
  rowBytes?: number;
  /** The block kernel (default: a tfjs matmul unless tfjs is on its CPU backend). */
  dot?: BlockDot;
  /** How often a running audit is stored to resume from (default 30 s; tests set 0). */
  snapshotMs?: number;
  /** Images per block of the label pass (default LABEL_BLOCK). */
  labelBlock?: number;
}

function onFastBackend(): boolean {
  const backend = tf.getBackend();
  return Boolean(backend) && backend !== 'cpu';
}

export function auditHandlers(session: EmbedSession, options: AuditHandlerOptions = {}): AuditHandlers {
  return {
    async auditLoad() {
      const { store } = session.requireRun();
      const result = storedAuditResult(store);
      return { result, transfer: result ? auditTransfer(result) : [] };
    },

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
      // A cancel arrives as a message, so the job yields to the event loop, but at most every 50 ms:
      // a setTimeout(0) per block costs its 4 ms clamp thousands of times at Herbarium scale.
      let lastYield = performance.now();
      const checkpoint = async () => {
        if (performance.now() - lastYield >= 50) {
          await macrotask();
          lastYield = performance.now();
        }
        await ctx.checkpoint();
      };

      const { plan } = state;
      const floor = Math.min(0.9999, Math.max(0, request.floor));
      const key = `${plan.key}|${state.done}|${floor}|${request.seed}`;
      const stored = request.fresh ? null : storedRecord(store);
      const resume = stored?.key === key ? stored : null;
      const save = (record: AuditRecord) => store.saveAudit(encodeRecord(record));
      const institutions = () => institutionsOf(state, request);
      const snapshotMs = options.snapshotMs ?? SNAPSHOT_MS;

      if (resume?.stage === 'done') {
        const restored = { ...resume.result, institutions: institutions(), restored: true };
        return { result: restored, transfer: auditTransfer(restored) };
      }

      // 1–5. Near pairs, identical files, the threshold, novelty (unless a stored audit got past them).
      let part: JoinPart;
      if (resume?.stage === 'labels') part = resume.part;
      else {
        part = await joinStage(state, store, floor, request.seed, dot, options.rowBytes ?? AUDIT_ROW_BYTES, report, checkpoint, resume?.stage === 'join' ? resume.join : null, (join) => save({ key, stage: 'join', join }), snapshotMs, session.unitRows);
        endStage('finding near pairs');
        part = { ...part, stages: [...part.stages, ...stages.splice(0)] };
        save({ key, stage: 'labels', part, labels: null });
      }

      // 6. Label issues (stored every 30 s).
      const labelIssues = await findLabelIssues(state, store, report, checkpoint, resume?.stage === 'labels' ? resume.labels : null, (labels) => save({ key, stage: 'labels', part, labels }), snapshotMs, options.labelBlock ?? LABEL_BLOCK);
      endStage('scoring label issues');

      const result: AuditResult = { ...part, labelIssues, institutions: institutions(), stages: [...part.stages, ...stages], restored: false };
      // Stored without the accuracy comparison: that depends on the fit of the moment, and is made again on restore.
      save({ key, stage: 'done', result: { ...result, institutions: { ...result.institutions, accuracy: null } } });
      return { result, transfer: auditTransfer(result) };
    },
  };
}

/** What the join stages give the result: everything but the label issues and the institutions. */
type JoinPart = Omit<AuditResult, 'labelIssues' | 'institutions' | 'restored'>;

/** Per labelled image assessed so far (in findLabelIssues' order), with the temperature they were scored at. */
interface LabelProgress {
  scale: number;
  done: number;
  given: Float32Array;
  topClass: Int32Array;
  topProb: Float32Array;
}

/** The run's stored audit: where a stopped one was, or the last result. `key`: the run, its done count, floor and seed. */
type AuditRecord =
  | { key: string; stage: 'join'; join: CellJoinSnapshot }
  | { key: string; stage: 'labels'; part: JoinPart; labels: LabelProgress | null }
  | { key: string; stage: 'done'; result: AuditResult };

function storedRecord(store: RunStore): AuditRecord | null {
  const bytes = store.loadAudit();
  const record = bytes ? (decodeRecord(bytes) as AuditRecord | null) : null;
  return record && typeof record.key === 'string' ? record : null;
}

/** The run's last finished audit, of whatever done count (the page says when more images were embedded since). */
export function storedAuditResult(store: RunStore): AuditResult | null {
  const record = storedRecord(store);
  return record?.stage === 'done' ? { ...record.result, restored: true } : null;
}

/** Concentration from the metadata, accuracy across institutions from the page's current right/wrong codes. */
function institutionsOf(state: RunState, request: AuditRunRequest): AuditResult['institutions'] {
  const { plan } = state;
  const slotClass = Int32Array.from(plan.slotClass, (c, s) => (plan.slotSplit[s] === SPLIT_TEST ? -1 : c));
  const concentration = institutionConcentration(slotClass, request.slotInstitution, plan.numClasses, request.numInstitutions);
  let accuracy = null;
  if (request.correctness && request.correctness.length === plan.slots) {
    const right = Int8Array.from(request.correctness, (v) => (v === VALIDATED_RIGHT ? 1 : v === VALIDATED_WRONG ? 0 : -1));
    accuracy = accuracyByInstitution(slotClass, request.slotInstitution, right, concentration);
  }
  return { mainInstitution: concentration.mainInstitution, share: concentration.share, images: concentration.images, accuracy };
}

/** Rows, the cell join, identical files, the threshold and novelty. */
async function joinStage(
  state: RunState,
  store: RunStore,
  floor: number,
  seed: number,
  dot: BlockDot,
  rowBytes: number,
  report: (p: AuditProgress) => void,
  checkpoint: () => Promise<void>,
  resume: CellJoinSnapshot | null,
  onSnapshot: (s: CellJoinSnapshot) => void,
  snapshotMs: number,
  cached: EmbedSession['unitRows'],
): Promise<JoinPart> {
  const { plan } = state;
  const t0 = performance.now();
  const slots = state.doneSlots('all');
  const { rows, dim, reducedFrom } = await joinRows(state, store, slots, rowBytes, dot, report, checkpoint, cached);
  const readMs = performance.now() - t0;
  const count = slots.length;
  const inDatabase = Uint8Array.from(slots, (s) => (plan.slotSplit[s] === SPLIT_TEST ? 0 : 1));
  const wantNeighbours = new Uint8Array(count).fill(1);
  const join = await cellJoin(
    { rows, count, dim, inDatabase, wantNeighbours },
    {
      floor: reducedFrom ? floor - REDUCED_MARGIN : floor,
      seed,
      dot,
      progress: (stage, done, total) => report({ stage, done, total }),
      checkpoint,
      resume,
      onSnapshot,
      snapshotMs,
    },
  );
  let pairA = Int32Array.from(join.pairs.a, (p) => slots[p]);
  let pairB = Int32Array.from(join.pairs.b, (p) => slots[p]);
  let pairCos = join.pairs.cosine;
  if (reducedFrom) ({ a: pairA, b: pairB, cosine: pairCos } = checkOnFullRows(store, plan.dim, pairA, pairB, floor));
  const joinMs = performance.now() - t0 - readMs;

  // Byte-identical files, added where the cosine search left them out (a decode that differs, or the list's floor).
  const identical = identicalFilePairs(slots, state.fileHash, state.fileBytes);
  const pairs = mergeIdentical(store, plan.dim, { a: pairA, b: pairB, cosine: pairCos }, identical, plan.slotSplit);
  let hashedSlots = 0;
  for (const s of slots) if (state.fileBytes[s] > 0) hashedSlots++;

  // The labelled images' nearest-neighbour cosines: the threshold's histogram.
  const nearest: number[] = [];
  for (let i = 0; i < count; i++) if (inDatabase[i] && !Number.isNaN(join.nearestCosine[i])) nearest.push(join.nearestCosine[i]);
  const { threshold, note } = defaultThreshold(nearest);

  // Novelty of the test images: the distance to the k-th nearest labelled image (Sun et al. 2022).
  const testPoints: number[] = [];
  for (let i = 0; i < count; i++) if (!inDatabase[i] && !Number.isNaN(join.kthCosine[i])) testPoints.push(i);
  const noveltyOf = (i: number) => Math.sqrt(Math.max(0, 2 - 2 * join.kthCosine[i]));
  testPoints.sort((p, q) => noveltyOf(q) - noveltyOf(p) || p - q);
  return {
    embedded: state.done,
    slotSplit: plan.slotSplit.slice(),
    pairs,
    floor: Math.max(floor, join.floor + (reducedFrom ? REDUCED_MARGIN : 0)),
    suggestedThreshold: Math.max(threshold, floor),
    thresholdNote: note,
    nearestCosines: Float32Array.from(nearest),
    search: { cells: join.cells, probe: join.probe, comparisons: join.comparisons, bruteForce: (count * (count - 1)) / 2, reducedFrom, dim },
    identicalPairs: identical.a.length,
    hashedSlots,
    novelty: {
      slot: Int32Array.from(testPoints, (i) => slots[i]),
      score: Float32Array.from(testPoints, noveltyOf),
      nearest: Int32Array.from(testPoints, (i) => (join.nearestIndex[i] >= 0 ? slots[join.nearestIndex[i]] : -1)),
      nearestCosine: Float32Array.from(testPoints, (i) => join.nearestCosine[i]),
      k: join.k,
    },
    stages: [
      { stage: reducedFrom ? `reading and narrowing the embeddings to ${dim}-d` : 'reading the embeddings', ms: readMs },
      { stage: 'near pairs and neighbours (k-means cells, the join)', ms: joinMs },
    ],
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
  cached: EmbedSession['unitRows'],
): Promise<{ rows: Float32Array; dim: number; reducedFrom: number | null }> {
  const d = state.plan.dim;
  const count = slots.length;
  const narrow = count * d * 4 > limit && d > REDUCED_DIM;
  // The neighbour queries' unit rows (mapHandlers.ts), when they are of this very state: not held twice.
  if (!narrow && cached && cached.state === state && cached.done === state.done && cached.slots.length === count) return { rows: cached.rows, dim: d, reducedFrom: null };
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
async function findLabelIssues(
  state: RunState,
  store: RunStore,
  report: (p: AuditProgress) => void,
  checkpoint: () => Promise<void>,
  resume: LabelProgress | null,
  save: (p: LabelProgress) => void,
  snapshotMs: number,
  block: number,
): Promise<AuditResult['labelIssues']> {
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
  const order = Int32Array.from([...train, ...heldout]);
  const total = order.length;
  const labels = Int32Array.from(order, (s) => plan.slotClass[s]);
  const empty = { slot: new Int32Array(0), given: new Int32Array(0), suggested: new Int32Array(0), score: new Float32Array(0), assessed: total, notAssessed: labelled - total, scale: 1, unsure: 0 };
  if (total === 0) return empty;
  const method = ncmCosineMethod(data);
  const kernel = kernelFor(method.components);
  const k = Math.min(c, LABEL_TOP_K);
  let others: OtherClassesKernel | null = null;
  try {
    const fits = resume && resume.given.length === total && resume.topClass.length === total * k;
    let scale: number;
    if (fits) scale = resume.scale;
    else {
      // The temperature, by maximum likelihood on a sample of train images scored leave-one-out.
      const sample = seededSample(train, SCALE_SAMPLE, 11).sort();
      scale = sample.length ? (await fitClassMeanScales(method, data, store.readRows(sample), Int32Array.from(sample, (s) => plan.slotClass[s]), logPrior, kernel))[0].scale : 1;
    }
    // The other classes' log-sum-exp and top-k on tfjs's backend where it has a fast one.
    others = onFastBackend() ? tfOtherClassesKernel(data, scale, logPrior, k) : jsOtherClassesKernel(data, scale, logPrior, k);
    const progress: LabelProgress = fits ? resume : { scale, done: 0, given: new Float32Array(total), topClass: new Int32Array(total * k), topProb: new Float32Array(total * k) };
    let lastSave = Date.now();
    for (let i = progress.done; i < total; i += block) {
      const end = Math.min(total, i + block);
      const part = order.subarray(i, end);
      const blocks = splitAtFit({ x: store.readRows(part), labels: labels.subarray(i, end), inFit: true }, i, train.length, part.length);
      const p = await nearestMeanProbabilities(blocks, data, scale, logPrior, { others, k });
      progress.given.set(p.given, i);
      progress.topClass.set(p.topClass, i * k);
      progress.topProb.set(p.topProb, i * k);
      progress.done = end;
      report({ stage: 'scoring every labelled image against every class (leave-one-out)', done: end, total });
      await checkpoint();
      if (Date.now() - lastSave >= snapshotMs && end < total) {
        save(progress);
        lastSave = Date.now();
      }
    }
    const issues = confidentLearning({ numClasses: c, k, labels, given: progress.given, topClass: progress.topClass, topProb: progress.topProb });
    return {
      slot: Int32Array.from(issues.row, (r) => order[r]),
      given: Int32Array.from(issues.row, (r) => labels[r]),
      suggested: issues.suggested,
      score: issues.score,
      assessed: total,
      notAssessed: labelled - total,
      scale,
      unsure: issues.unsure,
    };
  } finally {
    kernel.dispose();
    others?.dispose();
  }
}

/** A block of the label pass that straddles the end of the train images, as a train part (left out of its own mean) and a held-out part. */
function splitAtFit(block: ProbabilityBlock, first: number, trainCount: number, rows: number): ProbabilityBlock[] {
  const cut = trainCount - first;
  if (cut <= 0) return [{ ...block, inFit: false }];
  if (cut >= rows) return [{ ...block, inFit: true }];
  const d = block.x.length / rows;
  return [
    { x: block.x.subarray(0, cut * d), labels: block.labels.subarray(0, cut), inFit: true },
    { x: block.x.subarray(cut * d), labels: block.labels.subarray(cut), inFit: false },
  ];
}
