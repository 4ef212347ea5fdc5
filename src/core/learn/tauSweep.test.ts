import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { adjustmentBias, logPrior } from './logitAdjust.ts';
import { classificationMetrics } from './metrics.ts';
import { ncmModel } from './ncm.ts';
import { predict } from './scoring.ts';
import { pickTau, sweepTau, TauArgmax, tauGrid, TauSweep, type TauPoint } from './tauSweep.ts';

describe('tauGrid', () => {
  it('0, 0.1, …, 2 by default, with clean decimals', async () => {
    const g = tauGrid();
    expect(g.length).toBe(21);
    expect(g[3]).toBe(0.3);
    expect(g[20]).toBe(2);
    expect([...tauGrid(0.5, 1.5, 0.5)]).toEqual([0.5, 1, 1.5]);
    expect(() => tauGrid(0, 1, 0)).toThrow(RangeError);
  });
});

describe('TauSweep, by hand', () => {
  it('two classes with priors 0.8 / 0.2: τ = 1 fixes the tail row, τ = 2 over-corrects', async () => {
    // log π = (−0.2231, −1.6094). Base logits (prior included) and truth:
    //   A true 1: (0.5, 0.2)   τ=0 → 0;  τ=1: 0.723 vs 1.809 → 1;  τ=2: 0.946 vs 3.419 → 1
    //   B true 0: (1.0, −0.5)  τ=0 → 0;  τ=1: 1.223 vs 1.109 → 0;  τ=2: 1.446 vs 2.719 → 1
    //   C true 0: (2.0, 0.0)   τ=0 → 0;  τ=1: 2.223 vs 1.609 → 0;  τ=2: 2.446 vs 3.219 → 1
    // τ=0: preds 0,0,0 → F1 class 0 = 2·2/(3+2) = 0.8, class 1 = 0 → macro 0.4; top-1 2/3.
    // τ=1: all right → macro 1.  τ=2: preds 1,1,1 → class 0: 0, class 1: 2/(3+1) = 0.5 → 0.25.
    const lp = logPrior([8, 2]);
    const sweep = new TauSweep([0, 1, 2], lp);
    sweep.add(Float32Array.from([0.5, 0.2, 1.0, -0.5]), [1, 0]);
    sweep.add(Float32Array.from([2.0, 0.0]), [0]); // a second chunk
    const r = sweep.result(Uint8Array.from([0, 2]));
    expect(r.points.map((p) => p.macroF1)).toEqual([0.4, 1, 0.25]);
    expect(r.points[0].top1).toBeCloseTo(2 / 3, 12);
    expect(r.points[0].bandAccuracy.few).toBe(0);
    expect(r.points[1].bandAccuracy.few).toBe(1);
    expect(r.bestTau).toBe(1);
    expect([...r.best.truePositives]).toEqual([2, 1]);
    expect(sweep.countsAt(2).predicted[1]).toBe(3);
  });
});

describe('pickTau', () => {
  const point = (tau: number, macroF1: number): TauPoint => ({
    tau,
    macroF1,
    top1: 0,
    balancedAccuracy: 0,
    bandAccuracy: { many: 0, medium: 0, few: 0 },
  });

  it('best macro-F1; ties → nearest to 1, then the smaller τ; NaN never wins', async () => {
    expect(pickTau([point(0, 0.3), point(0.5, 0.6), point(1, 0.5)])).toBe(1);
    expect(pickTau([point(0.7, 0.6), point(1.2, 0.6), point(1.5, 0.6)])).toBe(1); // |0.2| < |0.3|
    expect(pickTau([point(0.9, 0.6), point(1.1, 0.6)])).toBe(0);
    expect(pickTau([point(0, NaN), point(2, 0.1)])).toBe(1);
  });
});

describe('sweepTau against per-τ brute force', () => {
  it('matches predicting the whole matrix once per τ, for NCM on a subset of rows', async () => {
    const rand = mulberry32(77);
    const c = 9;
    const d = 5;
    const n = 120;
    const protos = Float32Array.from({ length: c * d }, () => rand() * 2 - 1);
    const q = Float32Array.from({ length: n * d }, () => rand() * 2 - 1);
    const labels = Int32Array.from({ length: n }, () => Math.floor(c * rand() ** 2));
    const counts = Array.from({ length: c }, (_, k) => Math.round(200 / (k + 1) ** 1.5));
    const lp = logPrior(counts);
    const band = Uint8Array.from({ length: c }, (_, k) => (k < 3 ? 0 : k < 6 ? 1 : 2));
    const model = ncmModel(protos, d, 'cosine', 4);
    const rows = Int32Array.from({ length: 70 }, (_, i) => (i * 7) % n);
    const taus = tauGrid(0, 2, 0.25);
    const r = await sweepTau(q, model, labels, { logPrior: lp, baseBias: lp, rows, taus, classBand: band, chunkRows: 16 });
    const truth = Int32Array.from(rows, (i) => labels[i]);
    for (let t = 0; t < taus.length; t++) {
      const preds = await predict(q, model, { rows, bias: adjustmentBias(lp, taus[t], lp) });
      const m = classificationMetrics(truth, preds, c, band);
      expect(r.points[t].macroF1).toBeCloseTo(m.macroF1, 12);
      expect(r.points[t].top1).toBeCloseTo(m.top1, 12);
      expect(r.points[t].balancedAccuracy).toBeCloseTo(m.balancedAccuracy, 12);
      expect(r.points[t].bandAccuracy.few).toBeCloseTo(m.bandAccuracy.few, 12);
    }
    // The sweep actually moves: a long-tailed prior changes predictions across τ.
    const f1s = r.points.map((p) => p.macroF1);
    expect(Math.max(...f1s)).toBeGreaterThan(Math.min(...f1s));
    expect(r.points[r.bestIndex].macroF1).toBe(Math.max(...f1s));
  });
});

describe('TauArgmax against a full scan at every τ', () => {
  /** The definition: argmax over every class of logits − fl32(τ·log π), first index on ties, 0 for a row of −∞. */
  function fullScan(logits: Float32Array, rows: number, c: number, tau: number, lp: Float32Array): Int32Array {
    const shift = Float32Array.from(lp, (v) => tau * v);
    return Int32Array.from({ length: rows }, (_, r) => {
      let best = -Infinity;
      let arg = 0;
      for (let k = 0; k < c; k++) {
        const v = logits[r * c + k] - shift[k];
        if (v > best) {
          best = v;
          arg = k;
        }
      }
      return arg;
    });
  }

  it.each([
    ['continuous logits', 0],
    ['logits on a coarse grid (many exact ties)', 1],
  ])('%s, a long tail of priors, unreachable classes and an all −∞ row', (_name, coarse) => {
    const rand = mulberry32(123 + coarse);
    const c = 300;
    const rows = 400;
    // Counts in no particular class order, so that groups of equal priors interleave.
    const counts = Array.from({ length: c }, (_, k) => (k === 7 ? 0 : 1 + Math.floor(60 * rand() ** 3)));
    const lp = logPrior(counts);
    const logits = new Float32Array(rows * c);
    for (let i = 0; i < logits.length; i++) {
      const v = 4 * (rand() + rand() + rand()) + lp[i % c];
      logits[i] = coarse ? Math.round(v * 2) / 2 : v;
      if (i % c === 13) logits[i] = -Infinity; // a class that never wins (the probe's classes without train images)
    }
    logits.fill(-Infinity, 5 * c, 6 * c); // row 5: nothing finite
    // Unsorted, with a negative τ and a repeated one: only the list's ends bound the search.
    const taus = [1, 0, 2.5, -0.5, 0.3, 1];
    const out = taus.map(() => new Int32Array(rows));
    const argmax = new TauArgmax(taus, lp);
    argmax.run(logits, rows, out);
    // One group per distinct train count: far fewer than the classes.
    expect(argmax.groups).toBe(new Set(counts).size);
    expect(argmax.groups).toBeLessThan(c / 3);
    let changes = 0;
    taus.forEach((tau, t) => {
      const expected = fullScan(logits, rows, c, tau, lp);
      expect(Array.from(out[t])).toEqual(Array.from(expected));
      if (t > 0) for (let r = 0; r < rows; r++) if (out[t][r] !== out[0][r]) changes++;
    });
    expect(out[0][5]).toBe(0);
    // The τ values really change the winners (else any pruning would pass).
    expect(changes).toBeGreaterThan(100);
  });
});

