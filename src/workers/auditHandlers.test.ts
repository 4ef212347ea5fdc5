/**
 * The audit command on a small in-memory run with planted cases: a near copy within train, a
 * train image copied into the test split, a train image copied into the held-out split, two
 * byte-identical files, and flipped labels. Each is found; nothing planted-clean is reported
 * above the threshold (checked against brute-force cosines over the same rows); the narrowed
 * search for wide rows finds the same pairs; "drop these from train" refits without them.
 */
import { describe, expect, it } from 'vitest';
import { slotsToDrop } from '../core/audit/auditLists.ts';
import { pairKind } from '../core/audit/pairs.ts';
import { RunPlan, RunState, SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from '../core/embed/runState.ts';
import { memoryRunFiles, RunStore } from '../core/embed/runStore.ts';
import { mulberry32 } from '../core/random.mjs';
import { decodeRecord } from '../core/audit/auditRecord.ts';
import { auditHandlers } from './auditHandlers.ts';
import { classifyHandlers } from './classifyHandlers.ts';
import { sessionWithRun } from './inMemoryRun.ts';
import type { AuditProgress } from './auditTypes.ts';
import type { JobContext } from './protocol.ts';

const C = 6;
const N_TRAIN = 300;
const N_TEST = 40;

/** Planted: slot 7 ≈ slot 3 (train–train); test slot N_TRAIN+5 = slot 10; held-out slot 25 = slot 11 (train–held-out); 40 and 41 identical files; flips at 60, 61, 62. */
const NEAR = [3, 7] as const;
const TEST_COPY = [10, N_TRAIN + 5] as const;
const HELD_COPY = [11, 25] as const;
const SAME_FILE = [40, 41] as const;
const FLIPPED = [60, 61, 62];

function makeSession(dim: number) {
  const rand = mulberry32(5);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const slots = N_TRAIN + N_TEST;
  const slotClass = new Int32Array(slots).fill(-1);
  const slotSplit = new Uint8Array(slots);
  const truth = new Int32Array(slots);
  for (let s = 0; s < N_TRAIN; s++) {
    truth[s] = s % C;
    slotClass[s] = truth[s];
    slotSplit[s] = s % 5 === 0 ? SPLIT_HELDOUT : SPLIT_TRAIN;
  }
  slotSplit[HELD_COPY[1]] = SPLIT_HELDOUT;
  for (const s of FLIPPED) slotClass[s] = (truth[s] + 1) % C;
  for (let s = N_TRAIN; s < slots; s++) {
    slotSplit[s] = SPLIT_TEST;
    truth[s] = s % C;
  }
  const state = new RunState(new RunPlan({ key: 'k', slots, nTrain: N_TRAIN, dim, numClasses: C, slotClass, slotSplit }));
  const store = new RunStore(memoryRunFiles(), dim, 'f4');
  const centres = Array.from({ length: C }, () => Array.from({ length: dim }, gauss));
  const rows: Float32Array[] = [];
  for (let s = 0; s < slots; s++) {
    let row = Float32Array.from(centres[truth[s]], (v) => v + 0.6 * gauss());
    if (s === NEAR[1]) row = Float32Array.from(rows[NEAR[0]], (v) => v + 0.01 * gauss());
    if (s === TEST_COPY[1]) row = rows[TEST_COPY[0]].slice();
    if (s === HELD_COPY[1]) row = rows[HELD_COPY[0]].slice();
    rows.push(row);
    store.writeRows([s], row);
    // File hashes: every file differs but the planted identical pair (and the exact copies, as a real copy would).
    const hash = s === SAME_FILE[1] ? 9_999 : s === TEST_COPY[1] ? 1_000 + TEST_COPY[0] : 1_000 + s;
    state.recordEmbedding(s, row, 0, hash, s === SAME_FILE[0] || s === SAME_FILE[1] ? 5_000 : s === TEST_COPY[1] ? 4_000 + TEST_COPY[0] : 4_000 + s);
  }
  // The identical pair: the same hash too.
  state.fileHash[SAME_FILE[0]] = 9_999;
  const session = sessionWithRun(state, store);

  return { session, state, rows };
}

const progress: AuditProgress[] = [];
const ctx: JobContext<AuditProgress> = { progress: (p) => progress.push(p), checkpoint: async () => {} };
const request = (slots: number) => ({ floor: 0.9, seed: 1, slotInstitution: new Int32Array(slots).fill(-1), numInstitutions: 0, correctness: null });

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = 0; j < a.length; j++) {
    ab += a[j] * b[j];
    aa += a[j] * a[j];
    bb += b[j] * b[j];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('auditRun', () => {
  it('finds the planted near copy, both leaks, the identical files and the flipped labels; nothing clean above the threshold', async () => {
    const { session, state, rows } = makeSession(16);
    const { result } = await auditHandlers(session).auditRun(request(state.plan.slots), ctx);
    const pairKey = (a: number, b: number) => `${Math.min(a, b)}-${Math.max(a, b)}`;
    const found = new Map<string, number>();
    for (let i = 0; i < result.pairs.a.length; i++) found.set(pairKey(result.pairs.a[i], result.pairs.b[i]), i);
    for (const [a, b] of [NEAR, TEST_COPY, HELD_COPY]) expect(found.has(pairKey(a, b))).toBe(true);
    expect(pairKind(state.plan.slotSplit[TEST_COPY[0]], state.plan.slotSplit[TEST_COPY[1]])).toBe('leak');
    expect(pairKind(state.plan.slotSplit[HELD_COPY[0]], state.plan.slotSplit[HELD_COPY[1]])).toBe('leak');
    // The identical files are listed and flagged though their embeddings are not close.
    const same = found.get(pairKey(...SAME_FILE));
    expect(same).toBeDefined();
    expect(result.pairs.identical[same!]).toBe(1);
    expect(result.identicalPairs).toBe(2);
    expect(result.pairs.identical[found.get(pairKey(...TEST_COPY))!]).toBe(1);
    // Every listed pair's cosine is the brute-force one; above the threshold only the planted ones.
    for (let i = 0; i < result.pairs.a.length; i++) expect(result.pairs.cosine[i]).toBeCloseTo(cosine(rows[result.pairs.a[i]], rows[result.pairs.b[i]]), 5);
    let clean = 0;
    for (let a = 0; a < rows.length; a++)
      for (let b = a + 1; b < rows.length; b++) if (cosine(rows[a], rows[b]) >= result.suggestedThreshold && !found.has(pairKey(a, b)) && pairKind(state.plan.slotSplit[a], state.plan.slotSplit[b])) clean++;
    expect(clean).toBe(0);
    const above = Array.from(result.pairs.cosine).filter((c) => c >= result.suggestedThreshold).length;
    expect(above).toBe(3);
    // Flipped labels are candidates, suggested back to their true class.
    for (const s of FLIPPED) {
      const r = Array.from(result.labelIssues.slot).indexOf(s);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(result.labelIssues.suggested[r]).toBe(s % C);
      expect(result.labelIssues.given[r]).toBe((s % C + 1) % C);
    }
    // Novelty: every embedded test image once, most novel first; the copy of a train image is the least novel by its nearest neighbour.
    expect(result.novelty.slot.length).toBe(N_TEST);
    for (let r = 1; r < N_TEST; r++) expect(result.novelty.score[r]).toBeLessThanOrEqual(result.novelty.score[r - 1]);
    const copy = Array.from(result.novelty.slot).indexOf(TEST_COPY[1]);
    expect(result.novelty.nearest[copy]).toBe(TEST_COPY[0]);
    expect(result.novelty.nearestCosine[copy]).toBeCloseTo(1, 5);
    expect(progress.some((p) => p.total > 0 && p.done === p.total)).toBe(true);
  });

  it('narrows wide rows to 128-d and still finds the planted pairs, checked on the full rows', async () => {
    const { session, state, rows } = makeSession(160);
    const { result } = await auditHandlers(session, { rowBytes: 1 }).auditRun(request(state.plan.slots), ctx);
    expect(result.search.reducedFrom).toBe(160);
    expect(result.search.dim).toBe(128);
    const keys = new Set(Array.from(result.pairs.a, (a, i) => `${a}-${result.pairs.b[i]}`));
    for (const [a, b] of [NEAR, TEST_COPY, HELD_COPY]) expect(keys.has(`${a}-${b}`)).toBe(true);
    for (let i = 0; i < result.pairs.a.length; i++) {
      expect(result.pairs.cosine[i]).toBeCloseTo(cosine(rows[result.pairs.a[i]], rows[result.pairs.b[i]]), 5);
      if (!result.pairs.identical[i]) expect(result.pairs.cosine[i]).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('"drop these from train" refits without them: the class sums equal sums over the images kept', async () => {
    const { session, state, rows } = makeSession(16);
    const { result } = await auditHandlers(session).auditRun(request(state.plan.slots), ctx);
    const dropped = slotsToDrop(result.pairs, result.suggestedThreshold, result.slotSplit, result.labelIssues.slot);
    for (const s of [...FLIPPED, NEAR[1], HELD_COPY[1]]) expect(Array.from(dropped)).toContain(s);
    const classify = classifyHandlers(session);
    const limits = { manyAbove: 40, fewBelow: 10 };
    const fit = await classify.classifyFit({ kind: 'ncm-cosine', backend: 'cpu', testPrior: 'train', validation: 'heldout', limits, dropped }, { progress: () => {}, checkpoint: async () => {} });
    expect(fit.result.dropped).toBe(dropped.length);
    const keptTrain = state.doneSlots('train').filter((s) => !dropped.includes(s));
    expect(fit.result.trainRows).toBe(keptTrain.length);
    // The fitted prototypes are the means of the kept train images.
    const model = session.fitted!.model;
    for (let c = 0; c < C; c++) {
      const mean = new Float64Array(16);
      let n = 0;
      for (const s of keptTrain)
        if (state.plan.slotClass[s] === c) {
          n++;
          for (let j = 0; j < 16; j++) mean[j] += rows[s][j];
        }
      const w = model.weights.subarray(c * 16, c * 16 + 16);
      expect(cosine(Float32Array.from(mean, (v) => v / n), w)).toBeCloseTo(1, 5);
    }
    // The held-out images kept are validated as before (minus the dropped held-out ones).
    const heldKept = state.doneSlots('heldout').filter((s) => !dropped.includes(s)).length;
    expect(fit.result.validation.images).toBe(heldKept);
  });
});

describe('auditRun, stopped and started again', () => {
  /** A context whose checkpoint throws at its n-th call: the tab closed mid-audit. */
  const stopsAt = (n: number): JobContext<AuditProgress> => {
    let calls = 0;
    return {
      progress: () => {},
      checkpoint: async () => {
        if (++calls === n) throw new Error('tab closed');
      },
    };
  };
  const same = (a: import('./auditTypes.ts').AuditResult, b: import('./auditTypes.ts').AuditResult) => {
    expect(Array.from(a.pairs.a)).toEqual(Array.from(b.pairs.a));
    expect(Array.from(a.pairs.b)).toEqual(Array.from(b.pairs.b));
    expect(Array.from(a.labelIssues.slot)).toEqual(Array.from(b.labelIssues.slot));
    expect(Array.from(a.labelIssues.score)).toEqual(Array.from(b.labelIssues.score));
    expect(Array.from(a.novelty.slot)).toEqual(Array.from(b.novelty.slot));
    expect(a.suggestedThreshold).toBe(b.suggestedThreshold);
  };

  it('goes on from where it was stored, in the join or in the label pass, to the result of an audit never stopped', async () => {
    const whole = (await auditHandlers(makeSession(16).session).auditRun(request(N_TRAIN + N_TEST), ctx)).result;
    // Count the checkpoints of a whole run to stop in each half.
    let calls = 0;
    await auditHandlers(makeSession(16).session, { labelBlock: 64 }).auditRun(request(N_TRAIN + N_TEST), { progress: () => {}, checkpoint: async () => void calls++ });
    const seen = new Set<string>();
    for (let stopAt = 1; stopAt <= calls; stopAt++) {
      const { session } = makeSession(16);
      const handlers = auditHandlers(session, { snapshotMs: 0, labelBlock: 64 });
      await expect(handlers.auditRun(request(N_TRAIN + N_TEST), stopsAt(stopAt))).rejects.toThrow('tab closed');
      const bytes = session.run!.store.loadAudit();
      const stored = bytes ? (decodeRecord(bytes) as { stage: string; labels?: { done: number } | null }) : null;
      seen.add(stored ? (stored.labels ? 'labels part-way' : stored.stage) : 'nothing');
      const again = await handlers.auditRun(request(N_TRAIN + N_TEST), ctx);
      expect(again.result.restored).toBe(false);
      same(again.result, whole);
    }
    // Stops before the cells (nothing stored yet), inside the join, and inside the label pass.
    expect([...seen].sort()).toEqual(['join', 'labels', 'labels part-way', 'nothing']);
  });

  it('keeps the finished audit with the run: auditLoad and a second run give it back without computing again', async () => {
    const { session } = makeSession(16);
    const handlers = auditHandlers(session);
    expect((await handlers.auditLoad(null, ctx as never)).result).toBeNull();
    const first = (await handlers.auditRun(request(N_TRAIN + N_TEST), ctx)).result;
    const loaded = (await handlers.auditLoad(null, ctx as never)).result!;
    expect(loaded.restored).toBe(true);
    same(loaded, first);
    let checkpoints = 0;
    const again = (await handlers.auditRun(request(N_TRAIN + N_TEST), { progress: () => {}, checkpoint: async () => void checkpoints++ })).result;
    expect(again.restored).toBe(true);
    expect(checkpoints).toBe(0);
    same(again, first);
    // fresh: computed again.
    const fresh = (await handlers.auditRun({ ...request(N_TRAIN + N_TEST), fresh: true }, ctx)).result;
    expect(fresh.restored).toBe(false);
    same(fresh, first);
  });
});
