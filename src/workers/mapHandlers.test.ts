/**
 * The map's worker commands on a small in-memory run: mapProject gives one point per embedded
 * slot (PCA's x is the first principal axis, found here by power iteration), mapNeighbours is the
 * brute-force cosine nearest in each scope, and the viewer's classifyImage agrees with the map's
 * right/wrong codes (classifyCorrectness) and with classifyEvaluate's top-1.
 */
import { describe, expect, it } from 'vitest';
import { RunPlan, RunState, SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from '../core/embed/runState.ts';
import { memoryRunFiles, RunStore } from '../core/embed/runStore.ts';
import { mulberry32 } from '../core/random.mjs';
import { classifyHandlers } from './classifyHandlers.ts';
import { sessionWithRun } from './inMemoryRun.ts';
import { mapHandlers } from './mapHandlers.ts';
import { JobError, VALIDATED_RIGHT, VALIDATED_WRONG, type JobContext } from './protocol.ts';

const C = 5;
const D = 8;
const N_TRAIN = 120;
const N_TEST = 15;
const SKIPPED = 7;

function makeSession() {
  const rand = mulberry32(21);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const slots = N_TRAIN + N_TEST;
  const slotClass = new Int32Array(slots).fill(-1);
  const slotSplit = new Uint8Array(slots);
  for (let s = 0; s < N_TRAIN; s++) {
    slotClass[s] = Math.min(C - 1, Math.floor(-Math.log(1 - rand()) * 1.5)); // long-tailed
    slotSplit[s] = s % 5 === 0 ? SPLIT_HELDOUT : SPLIT_TRAIN;
  }
  for (let s = N_TRAIN; s < slots; s++) slotSplit[s] = SPLIT_TEST;
  const state = new RunState(new RunPlan({ key: 'k', slots, nTrain: N_TRAIN, dim: D, numClasses: C, slotClass, slotSplit }));
  const store = new RunStore(memoryRunFiles(), D, 'f4');
  const centres = Array.from({ length: C }, () => Array.from({ length: D }, gauss));
  for (let s = 0; s < slots; s++) {
    if (s === SKIPPED) {
      state.recordSkip(s, 'could not be decoded');
      continue;
    }
    const k = s < N_TRAIN ? slotClass[s] : s % C;
    const row = Float32Array.from(centres[k], (v) => v + 0.8 * gauss());
    store.writeRows([s], row);
    state.recordEmbedding(s, row);
  }
  const session = sessionWithRun(state, store);

  return { session, state, store };
}

const ctx: JobContext<never> & JobContext<string> = { progress: () => {}, checkpoint: async () => {} };
const { session, state, store } = makeSession();
const done = Array.from({ length: N_TRAIN + N_TEST }, (_, s) => s).filter((s) => s !== SKIPPED);
const unit = new Map(
  done.map((s) => {
    const v = Array.from(store.readRows([s]));
    const n = Math.hypot(...v);
    return [s, v.map((t) => t / n)];
  }),
);
const dot = (a: number[], b: number[]) => a.reduce((t, v, j) => t + v * b[j], 0);

describe('mapProject', () => {
  it('PCA: one point per embedded slot with its split and class; x is the first principal axis of the unit rows', async () => {
    const map = mapHandlers(session);
    const r = (await map.mapProject({ projection: 'pca', seed: 1 }, ctx as never)).result;
    expect(Array.from(r.slots)).toEqual(done);
    expect(Array.from(r.split)).toEqual(done.map((s) => state.plan.slotSplit[s]));
    expect(Array.from(r.classOf)).toEqual(done.map((s) => (s >= N_TRAIN ? -1 : state.plan.slotClass[s])));
    expect(r.fitted).toBe(done.length);
    // Power iteration on the covariance of the unit rows.
    const rows = done.map((s) => unit.get(s)!);
    const mean = new Array(D).fill(0);
    for (const v of rows) v.forEach((t, j) => (mean[j] += t / rows.length));
    const centred = rows.map((v) => v.map((t, j) => t - mean[j]));
    let axis = Array.from({ length: D }, (_, j) => 1 + j);
    for (let it = 0; it < 2000; it++) {
      const next = new Array(D).fill(0);
      for (const v of centred) {
        const d = dot(v, axis);
        v.forEach((t, j) => (next[j] += d * t));
      }
      const n = Math.hypot(...next);
      axis = next.map((t) => t / n);
    }
    const ref = centred.map((v) => dot(v, axis));
    const sign = Math.sign(dot(ref, Array.from(r.x)));
    ref.forEach((v, i) => expect(r.x[i]).toBeCloseTo(sign * v, 4));
    // Prototypes: one per class with train images, with their counts.
    const counts = new Array(C).fill(0);
    for (const s of done) if (s < N_TRAIN && state.plan.slotSplit[s] === SPLIT_TRAIN) counts[state.plan.slotClass[s]]++;
    expect(Array.from(r.prototypes.classIndex)).toEqual(counts.map((n, c) => (n > 0 ? c : -1)).filter((c) => c >= 0));
    expect(Array.from(r.prototypes.count)).toEqual(counts.filter((n) => n > 0));
  });

  it('UMAP: one point per embedded slot, seeded (the same seed, the same map)', async () => {
    const map = mapHandlers(session);
    const a = (await map.mapProject({ projection: 'umap', seed: 3 }, ctx as never)).result;
    const b = (await map.mapProject({ projection: 'umap', seed: 3 }, ctx as never)).result;
    expect(a.slots.length).toBe(done.length);
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(a.x.every(Number.isFinite) && a.y.every(Number.isFinite)).toBe(true);
  });
});

describe('mapNeighbours', () => {
  const brute = (slot: number, scope: 'all' | 'same' | 'other', k: number) => {
    const own = slot >= N_TRAIN ? -1 : state.plan.slotClass[slot];
    const cls = (s: number) => (s >= N_TRAIN ? -1 : state.plan.slotClass[s]);
    return done
      .filter((s) => s !== slot && (scope === 'all' || own < 0 || (scope === 'same' ? cls(s) === own : cls(s) !== own)))
      .map((s) => ({ s, cos: dot(unit.get(s)!, unit.get(slot)!) }))
      .sort((p, q) => q.cos - p.cos)
      .slice(0, k);
  };
  for (const scope of ['all', 'same', 'other'] as const) {
    it(`the brute-force cosine nearest, nearest first (scope ${scope}), from memory and from the store`, async () => {
      for (const cacheBytes of [undefined, 0]) {
        session.unitRows = null;
        const map = mapHandlers(session, cacheBytes === 0 ? { unitRowCacheBytes: 0 } : undefined);
        for (const slot of [0, 3, 50, N_TRAIN + 2]) {
          const r = (await map.mapNeighbours({ slot, k: 6, scope }, ctx as never)).result;
          const want = brute(slot, scope, 6);
          expect(Array.from(r.slots)).toEqual(want.map((w) => w.s));
          want.forEach((w, k) => expect(r.cosines[k]).toBeCloseTo(w.cos, 5));
          expect(Array.from(r.splits)).toEqual(want.map((w) => state.plan.slotSplit[w.s]));
          expect(r.split).toBe(state.plan.slotSplit[slot]);
        }
      }
    });
  }
  it('refuses an image that is not embedded', async () => {
    const map = mapHandlers(session);
    await expect(map.mapNeighbours({ slot: SKIPPED, k: 5, scope: 'all' }, ctx as never)).rejects.toBeInstanceOf(JobError);
  });
});

describe('the viewer’s prediction and the map’s right/wrong', () => {
  it('classifyImage’s top-1 is right exactly where classifyCorrectness says so; their share is classifyEvaluate’s top-1', async () => {
    const handlers = classifyHandlers(session);
    const limits = { manyAbove: 30, fewBelow: 5 };
    await handlers.classifyFit({ kind: 'ncm-cosine', backend: 'cpu', testPrior: 'train', validation: 'heldout', limits }, ctx as never);
    const tau = 1;
    const status = (await handlers.classifyCorrectness({ tau }, ctx as never)).result.status;
    const ev = (await handlers.classifyEvaluate({ tau, limits }, ctx as never)).result;
    let right = 0;
    let validated = 0;
    for (const s of done) {
      if (status[s] === 0) continue;
      validated++;
      const top = (await handlers.classifyImage({ slot: s, tau, k: 5 }, ctx as never)).result.top;
      expect(top.length).toBe(5);
      for (let k = 1; k < top.length; k++) expect(top[k].probability).toBeLessThanOrEqual(top[k - 1].probability);
      expect(top.reduce((t, p) => t + p.probability, 0)).toBeLessThanOrEqual(1 + 1e-6);
      const isRight = top[0].classIndex === state.plan.slotClass[s];
      expect(status[s]).toBe(isRight ? VALIDATED_RIGHT : VALIDATED_WRONG);
      if (isRight) right++;
    }
    expect(validated).toBe(ev.at.images);
    expect(right / validated).toBeCloseTo(ev.at.top1, 10);
    for (const s of done) if (state.plan.slotSplit[s] !== SPLIT_HELDOUT) expect(status[s]).toBe(0);
  });
});
