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

const base = { backend: 'cpu' as const, testPrior: 'train' as const, validation: 'cross' as const, limits };

/** Brute-force leave-one-out NCM cosine over every labelled slot: means without the slot, counts one less. */
function bruteLoo(scale: number, tau: number): { yTrue: number[]; yPred: number[] } {
  const labelled = Array.from({ length: N_TRAIN }, (_, s) => s);
  const x = run.store.readRows(labelled);
  const y = labelled.map((s) => run.state.plan.slotClass[s]);
  const yTrue: number[] = [];
  const yPred: number[] = [];
  for (const i of labelled) {
    const sum = Array.from({ length: C }, () => [0, 0, 0]);
    const n = new Array(C).fill(0);
    for (const j of labelled) {
      if (j === i) continue;
      n[y[j]]++;
      for (let d = 0; d < D; d++) sum[y[j]][d] += x[j * D + d];
    }
    if (n[y[i]] === 0) continue; // a one-image class: not validated
    const total = n.reduce((p, q) => p + q, 0);
    const xi = Array.from(x.subarray(i * D, (i + 1) * D));
    const nx = Math.hypot(...xi);
    let best = -Infinity;
    let arg = -1;
    for (let k = 0; k < C; k++) {
      if (n[k] === 0) continue;
      const cos = sum[k].reduce((t, v, d) => t + v * xi[d], 0) / (Math.hypot(...sum[k]) * nx);
      const lp = Math.log(n[k] / total);
      const v = scale * cos + (1 - tau) * lp;
      if (v > best) {
        best = v;
        arg = k;
      }
    }
    yTrue.push(y[i]);
    yPred.push(arg);
  }
  return { yTrue, yPred };
}

describe('classifyHandlers on an in-memory run', () => {
  const handlers = classifyHandlers(session);

  it('NCM cosine: exact leave-one-out over every labelled image, on the grid and off it; refit on all', async () => {
    const fit = (await handlers.classifyFit({ ...base, kind: 'ncm-cosine' }, ctx as never)).result;
    expect(fit.scale).toBeGreaterThan(0);
    expect(fit.trainRows).toBe(N_TRAIN);
    expect(fit.refit).toBe('all-labelled');
    expect(fit.validation.method).toBe('leave-one-out');
    expect(fit.compared.map((c) => c.kind)).toEqual(['ncm-cosine']);
    expect(fit.sweep.length).toBe(21);
    for (const tau of [0, 0.5, 1, 0.35]) {
      const { yTrue, yPred } = bruteLoo(fit.scale!, tau);
      const expected = classificationMetrics(yTrue, yPred, C, new Uint8Array(C));
      const ev = (await handlers.classifyEvaluate({ tau, limits }, ctx as never)).result;
      expect(ev.at.images).toBe(yTrue.length);
      // Float32 scores against float64 brute force may flip an exact near-tie: at most one image.
      expect(Math.abs(ev.at.top1 - expected.top1)).toBeLessThanOrEqual(1 / yTrue.length + 1e-12);
      expect(ev.macroF1Interval.low).toBeLessThanOrEqual(ev.at.macroF1);
      expect(ev.macroF1Interval.high).toBeGreaterThanOrEqual(ev.at.macroF1);
      const point = fit.sweep.find((p) => Math.abs(p.tau - tau) < 1e-9);
      if (point) expect(point.macroF1).toBe(ev.at.macroF1);
      for (const p of ev.pairs) expect(p.trueClass).not.toBe(p.predictedClass);
    }
    // The chosen τ is the sweep's best.
    const best = Math.max(...fit.sweep.map((p) => p.macroF1));
    expect(fit.sweep.find((p) => p.tau === fit.tau)!.macroF1).toBe(best);
  });

  it('the held-out split as a fixed report: fitted on the train split, evaluated on the held-out rows as before', async () => {
    const fit = (await handlers.classifyFit({ ...base, kind: 'ncm-cosine', validation: 'heldout' }, ctx as never)).result;
    expect(fit.trainRows).toBe(60);
    expect(fit.refit).toBe('train-split');
    expect(fit.validation.images).toBe(20);
    const { prototypes, counts } = run.state.sums.means();
    const lp = logPrior(counts);
    const model = ncmModel(prototypes, D, 'cosine', fit.scale!, counts);
    const heldout = Int32Array.from({ length: N_TRAIN / 4 }, (_, i) => 4 * i);
    const x = run.store.readRows(heldout);
    const yTrue = Int32Array.from(heldout, (s) => run.state.plan.slotClass[s]);
    for (const tau of [0, 0.5, 1]) {
      const pred = await predict(x, model, { bias: adjustmentBias(lp, tau, lp) });
      const expected = classificationMetrics(yTrue, pred, C, new Uint8Array(C));
      const ev = (await handlers.classifyEvaluate({ tau, limits }, ctx as never)).result;
      expect(ev.at.top1).toBe(expected.top1);
      expect(ev.at.macroF1).toBe(expected.macroF1);
    }
  });

  it('a balanced test prior weighs each validated image by 1/n of its class', async () => {
    const fit = (await handlers.classifyFit({ ...base, kind: 'ncm-cosine', testPrior: 'balanced' }, ctx as never)).result;
    expect(fit.validation.testPrior).toBe('balanced');
    const ev = (await handlers.classifyEvaluate({ tau: 1, limits }, ctx as never)).result;
    const { yTrue, yPred } = bruteLoo(fit.scale!, 1);
    // Weighted top-1 with weights 1/n_c is the mean per-class recall: the balanced accuracy.
    const m = classificationMetrics(yTrue, yPred, C, new Uint8Array(C));
    expect(ev.at.top1).toBeCloseTo(m.balancedAccuracy, 6);
  });

  it('auto: every candidate validated on the same images, the best kept and refitted, intervals around each estimate', async () => {
    const taxonomy = { classGenus: Int32Array.from([0, 0, 1, 2]), classFamily: Int32Array.from([0, 0, 0, 1]) };
    const fit = (await handlers.classifyFit({ ...base, kind: 'auto', probe: { epochs: 30, loss: 'crossEntropy', sampling: 'instance' }, taxonomy }, ctx as never)).result;
    expect(fit.requested).toBe('auto');
    expect(fit.compared.map((c) => c.kind)).toEqual(['ncm-cosine', 'lda', 'hierarchical', 'probe']);
    const best = Math.max(...fit.compared.map((c) => c.macroF1));
    expect(fit.compared.find((c) => c.kind === fit.kind)!.macroF1).toBe(best);
    for (const c of fit.compared) {
      expect(c.ciLow).toBeLessThanOrEqual(c.macroF1);
      expect(c.ciHigh).toBeGreaterThanOrEqual(c.macroF1);
      expect(c.unresolved).toBe(c.kind !== fit.kind && c.ciLow <= fit.compared.find((w) => w.kind === fit.kind)!.ciHigh && c.ciHigh >= fit.compared.find((w) => w.kind === fit.kind)!.ciLow);
    }
    expect(fit.refit).toBe('all-labelled');
    const ev = (await handlers.classifyEvaluate({ tau: fit.tau, limits }, ctx as never)).result;
    expect(ev.at.macroF1).toBe(best);
    expect(ev.taxonomy!.genus).toBeGreaterThanOrEqual(ev.at.top1);
    expect(ev.taxonomy!.family).toBeGreaterThanOrEqual(ev.taxonomy!.genus);
  });

  it('submission: test order, category ids, the skipped image gets the most frequent class', async () => {
    await handlers.classifyFit({ ...base, kind: 'ncm-euclidean' }, ctx as never);
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
    const noRun = await empty.classifyFit({ ...base, kind: 'ncm-cosine' }, ctx as never).catch((e: unknown) => e);
    expect(noRun).toBeInstanceOf(JobError);
    expect(noRun).toMatchObject({ code: 'no-run' });
  });

  it('a stale fit is reported as fit-stale, then forgotten', async () => {
    await handlers.classifyFit({ ...base, kind: 'ncm-cosine' }, ctx as never);
    const before = run.state;
    run.state = new RunState(before.plan);
    await expect(handlers.classifySweep({ limits }, ctx as never)).rejects.toMatchObject({ code: 'fit-stale' });
    expect(session.fitted).toBeNull();
    run.state = before;
  });
});
