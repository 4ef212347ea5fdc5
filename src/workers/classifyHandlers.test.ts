/**
 * The classifier commands on a small in-memory run (a session holding it, as the embed worker's):
 * NCM fit → sweep → evaluate → submission agree with the pure functions on the same rows, and
 * the submission is in test order with fallbacks for test images that were not embedded.
 */
import { describe, expect, it } from 'vitest';
import { StringTable } from '../core/dataset/stringTable.ts';
import { RunPlan, RunState, SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from '../core/embed/runState.ts';
import { memoryRunFiles, RunStore } from '../core/embed/runStore.ts';
import { logPrior } from '../core/learn/logitAdjust.ts';
import { classificationMetrics } from '../core/learn/metrics.ts';
import { ncmModel } from '../core/learn/ncm.ts';
import { predict } from '../core/learn/scoring.ts';
import { adjustmentBias } from '../core/learn/logitAdjust.ts';
import { mulberry32 } from '../core/random.mjs';
import { classifyHandlers } from './classifyHandlers.ts';
import { EmbedSession } from './embedSession.ts';
import { JobError, type JobContext } from './protocol.ts';

const C = 4;
const D = 3;
const N_TRAIN = 80;
const N_TEST = 10;
const classCategoryId = Int32Array.from([7, 11, 13, 29]);

function makeRun() {
  const rand = mulberry32(5);
  const slots = N_TRAIN + N_TEST;
  const slotClass = new Int32Array(slots).fill(-1);
  const slotSplit = new Uint8Array(slots);
  // Long-tailed: class 0 most, class 3 fewest.
  for (let s = 0; s < N_TRAIN; s++) {
    const u = rand();
    slotClass[s] = u < 0.5 ? 0 : u < 0.8 ? 1 : u < 0.95 ? 2 : 3;
    slotSplit[s] = s % 4 === 0 ? SPLIT_HELDOUT : SPLIT_TRAIN;
  }
  for (let s = N_TRAIN; s < slots; s++) slotSplit[s] = SPLIT_TEST;
  const state = new RunState(new RunPlan({ key: 'k', slots, nTrain: N_TRAIN, dim: D, numClasses: C, slotClass, slotSplit }));
  const store = new RunStore(memoryRunFiles(), D, 'f4');
  const centers = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [0.6, 0.6, 0],
  ];
  for (let s = 0; s < slots; s++) {
    const k = s < N_TRAIN ? slotClass[s] : s % C;
    const row = Float32Array.from(centers[k], (v) => v + (rand() - 0.5) * 0.9);
    if (s === N_TRAIN + 3) {
      state.recordSkip(s, 'could not be decoded');
      continue;
    }
    store.writeRows([s], row);
    state.recordEmbedding(s, row);
  }
  return {
    state,
    store,
    storage: 'memory' as const,
    lastCheckpoint: 0,
    classCategoryId,
    trainIds: StringTable.from(Array.from({ length: N_TRAIN }, (_, i) => `tr${i}`)),
    testIds: StringTable.from(Array.from({ length: N_TEST }, (_, i) => `te-${N_TEST - i}`)),
  };
}

const run = makeRun();
const session = new EmbedSession();
session.run = run;

const ctx: JobContext<never> & JobContext<unknown> = { progress: () => {}, checkpoint: async () => {} };
const limits = { manyAbove: 20, fewBelow: 5 };

describe('classifyHandlers on an in-memory run', () => {
  const handlers = classifyHandlers(session);

  it('NCM cosine: evaluate equals the pure pipeline on the held-out rows; the sweep agrees at every τ', async () => {
    const fit = (await handlers.classifyFit({ kind: 'ncm-cosine', backend: 'cpu' }, ctx as never)).result;
    expect(fit.scale).toBeGreaterThan(0);
    expect(fit.trainRows).toBe(60);
    expect(fit.heldoutRows).toBe(20);

    const { prototypes, counts } = run.state.sums.means();
    const lp = logPrior(counts);
    const model = ncmModel(prototypes, D, 'cosine', fit.scale!, counts);
    const heldout = Int32Array.from({ length: N_TRAIN / 4 }, (_, i) => 4 * i);
    const x = run.store.readRows(heldout);
    const yTrue = Int32Array.from(heldout, (s) => run.state.plan.slotClass[s]);

    const sweep = (await handlers.classifySweep({ limits }, ctx as never)).result;
    expect(sweep.points.length).toBe(21);
    for (const tau of [0, 0.5, 1]) {
      const pred = await predict(x, model, { bias: adjustmentBias(lp, tau, lp) });
      const expected = classificationMetrics(yTrue, pred, C, new Uint8Array(C));
      const ev = (await handlers.classifyEvaluate({ tau, limits }, ctx as never)).result;
      expect(ev.at.top1).toBe(expected.top1);
      expect(ev.at.macroF1).toBe(expected.macroF1);
      expect(ev.at.balancedAccuracy).toBe(expected.balancedAccuracy);
      const point = sweep.points.find((p) => Math.abs(p.tau - tau) < 1e-9)!;
      expect(point.top1).toBe(ev.at.top1);
      expect(point.macroF1).toBe(ev.at.macroF1);
      expect(ev.baseline.top1).toBe(sweep.points[0].top1);
      expect(ev.recall.length).toBe(C);
      expect([...ev.trainCount]).toEqual([...counts]);
      for (const p of ev.pairs) expect(p.trueClass).not.toBe(p.predictedClass);
    }
  });

  it('submission: test order, category ids, the skipped image gets the most frequent class', async () => {
    await handlers.classifyFit({ kind: 'ncm-euclidean', backend: 'cpu' }, ctx as never);
    const r = (await handlers.classifySubmission({ tau: 1, preview: 5 }, ctx as never)).result;
    expect(r.rows).toBe(N_TEST);
    expect(r.notEmbedded).toBe(1);
    expect(r.fallbackCategoryId).toBe(7);
    const text = await r.blob.text();
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('Id,Predicted');
    expect(lines.length).toBe(N_TEST + 1);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(Array.from({ length: N_TEST }, (_, i) => `te-${N_TEST - i}`));
    for (const l of lines.slice(1)) expect([7, 11, 13, 29]).toContain(Number(l.split(',')[1]));
    expect(lines[4]).toBe('te-7,7');
    expect(r.preview.length).toBe(5);
    expect(r.preview[3].embedded).toBe(false);
    expect(r.preview[0].top.length).toBe(4);
    // The CSV's prediction is the preview's best class.
    expect(Number(lines[1].split(',')[1])).toBe(r.preview[0].top[0].categoryId);
    // Well-separated clusters: most embedded test images land in their own class.
    const correct = lines.slice(1).filter((l, i) => i !== 3 && Number(l.split(',')[1]) === classCategoryId[(N_TRAIN + i) % C]).length;
    expect(correct).toBeGreaterThanOrEqual(6);
  });

  it('evaluating without a fit, or after the run changed, or with no run, says so with a code', async () => {
    const before = run.state;
    run.state = new RunState(before.plan);
    await expect(handlers.classifyEvaluate({ tau: 0, limits }, ctx as never)).rejects.toThrow(/fit it again/);
    await expect(handlers.classifyEvaluate({ tau: 0, limits }, ctx as never)).rejects.toMatchObject({ code: 'not-fitted', message: 'fit a classifier first' });
    run.state = before;
    const empty = classifyHandlers(new EmbedSession());
    const noRun = await empty.classifyFit({ kind: 'ncm-cosine', backend: 'cpu' }, ctx as never).catch((e: unknown) => e);
    expect(noRun).toBeInstanceOf(JobError);
    expect(noRun).toMatchObject({ code: 'no-run' });
  });

  it('a stale fit is reported as fit-stale, then forgotten', async () => {
    await handlers.classifyFit({ kind: 'ncm-cosine', backend: 'cpu' }, ctx as never);
    const before = run.state;
    run.state = new RunState(before.plan);
    await expect(handlers.classifySweep({ limits }, ctx as never)).rejects.toMatchObject({ code: 'fit-stale' });
    expect(session.fitted).toBeNull();
    run.state = before;
  });
});

describe('probeTrainSlots', () => {
  it('all slots within the budget; beyond it a seeded uniform sample of what fits, in slot order', async () => {
    const { probeTrainSlots } = await import('./classifyHandlers.ts');
    const slots = Int32Array.from({ length: 1000 }, (_, i) => 3 * i);
    expect(probeTrainSlots(slots, 8, 1000 * 8 * 4)).toBe(slots);
    const sample = probeTrainSlots(slots, 8, 100 * 8 * 4 + 31);
    expect(sample.length).toBe(100);
    expect(new Set(sample).size).toBe(100);
    for (let i = 1; i < sample.length; i++) expect(sample[i]).toBeGreaterThan(sample[i - 1]);
    for (const s of sample) expect(s % 3).toBe(0);
    expect(Array.from(probeTrainSlots(slots, 8, 100 * 8 * 4))).toEqual(Array.from(sample));
    // Uniform: the sample spreads over the whole range, not the first 100 slots.
    expect(sample[sample.length - 1]).toBeGreaterThan(2000);
  });
});
