import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import {
  addToConfusion,
  BAND_FEW,
  BAND_MANY,
  BAND_MEDIUM,
  classBandCodes,
  classificationMetrics,
  confusedPairs,
  emptyConfusionCounts,
} from './metrics.ts';

describe('classificationMetrics, by hand', () => {
  // 6 classes; class 3 is never predicted, class 4 is predicted but absent from y_true,
  // class 5 is neither. Bands: 0, 1 many; 2 medium; 3, 4, 5 few.
  const yTrue = [0, 0, 0, 1, 1, 2, 3, 3, 3];
  const yPred = [0, 0, 1, 1, 0, 2, 4, 1, 1];
  const band = Uint8Array.from([0, 0, 1, 2, 2, 2]);
  const m = classificationMetrics(yTrue, yPred, 6, band);
  // Confusion matrix (rows true, columns predicted):
  //        0  1  2  3  4
  //   0  [ 2  1  0  0  0 ]
  //   1  [ 1  1  0  0  0 ]
  //   2  [ 0  0  1  0  0 ]
  //   3  [ 0  2  0  0  1 ]
  // tp = 2, 1, 1, 0, 0, 0; support = 3, 2, 1, 3, 0, 0; predicted = 3, 4, 1, 0, 1, 0.

  it('counts', () => {
    expect([...m.truePositives]).toEqual([2, 1, 1, 0, 0, 0]);
    expect([...m.support]).toEqual([3, 2, 1, 3, 0, 0]);
    expect([...m.predicted]).toEqual([3, 4, 1, 0, 1, 0]);
  });

  it('top-1 = 4 / 9', () => {
    expect(m.top1).toBeCloseTo(4 / 9, 12);
  });

  it('macro-F1 over the union of true and predicted classes (0..4), class 5 left out', () => {
    // F1 = 2tp/(2tp+fp+fn): class 0 4/6, class 1 2/6, class 2 1, class 3 0 (never predicted),
    // class 4 0 (predicted, never true). (2/3 + 1/3 + 1 + 0 + 0) / 5 = 0.4.
    // sklearn 1.9.1 f1_score(yTrue, yPred, average='macro', zero_division=0) gives 0.4 too.
    expect(m.f1Classes).toBe(5);
    expect(m.macroF1).toBeCloseTo(0.4, 12);
    expect(m.f1[3]).toBe(0);
    expect(m.f1[4]).toBe(0);
    expect(m.f1[5]).toBeNaN();
  });

  it('balanced accuracy over classes present in y_true (0..3)', () => {
    // Recall 2/3, 1/2, 1, 0 → 2.1667 / 4 = 0.541667 (sklearn's balanced_accuracy_score: 0.5416666).
    expect(m.presentClasses).toBe(4);
    expect(m.balancedAccuracy).toBeCloseTo(13 / 24, 12);
    expect([...m.recall].slice(0, 4)).toEqual([2 / 3, 1 / 2, 1, 0]);
    expect(m.recall[4]).toBeNaN();
  });

  it('band accuracy is the mean recall of the band classes present', () => {
    // many: (2/3 + 1/2) / 2 = 7/12; medium: class 2 → 1; few: only class 3 is present → 0.
    expect(m.bandAccuracy.many).toBeCloseTo(7 / 12, 12);
    expect(m.bandAccuracy.medium).toBe(1);
    expect(m.bandAccuracy.few).toBe(0);
    expect(m.bandClasses).toEqual({ many: 2, medium: 1, few: 1 });
  });

  it('precision is NaN for a class never predicted', () => {
    expect(m.precision[0]).toBeCloseTo(2 / 3, 12);
    expect(m.precision[1]).toBeCloseTo(1 / 4, 12);
    expect(m.precision[3]).toBeNaN();
  });

  it('a band with no class in the held-out set reads NaN, and so does an empty set', () => {
    const r = classificationMetrics([0, 0], [0, 1], 2, Uint8Array.from([BAND_MANY, BAND_FEW]));
    expect(r.bandAccuracy.medium).toBeNaN();
    expect(r.bandAccuracy.few).toBeNaN(); // class 1 is only predicted, never true
    expect(r.bandAccuracy.many).toBe(0.5);
    const empty = classificationMetrics([], [], 3, new Uint8Array(3));
    expect(empty.top1).toBeNaN();
    expect(empty.macroF1).toBeNaN();
  });

  it('rejects labels outside the class table and mismatched lengths', () => {
    expect(() => classificationMetrics([0, 3], [0, 0], 3, new Uint8Array(3))).toThrow(RangeError);
    expect(() => classificationMetrics([0], [-1], 3, new Uint8Array(3))).toThrow(RangeError);
    expect(() => classificationMetrics([0], [0, 1], 3, new Uint8Array(3))).toThrow(RangeError);
    expect(() => classificationMetrics([0], [0], 3, new Uint8Array(2))).toThrow(RangeError);
  });
});

describe('classificationMetrics against a full confusion matrix', () => {
  it('agrees on random labels, also when counted in chunks', () => {
    const rand = mulberry32(17);
    const c = 12;
    const n = 500;
    // Skewed truth (class k with weight 1/(k+1)), classes 10 and 11 never true; noisy predictions.
    const yTrue = Int32Array.from({ length: n }, () => Math.floor(10 * rand() ** 2));
    const yPred = Int32Array.from(yTrue, (t) => (rand() < 0.6 ? t : Math.floor(rand() * 11)));
    const band = Uint8Array.from({ length: c }, (_, k) => k % 3);
    const m = classificationMetrics(yTrue, yPred, c, band);

    const cm = Array.from({ length: c }, () => new Array(c).fill(0));
    for (let i = 0; i < n; i++) cm[yTrue[i]][yPred[i]]++;
    const rowSum = (k: number) => cm[k].reduce((a, b) => a + b, 0);
    const colSum = (k: number) => cm.reduce((a, row) => a + row[k], 0);
    let f1 = 0;
    let f1n = 0;
    let rec = 0;
    let recN = 0;
    const band3 = [0, 0, 0];
    const bandN = [0, 0, 0];
    for (let k = 0; k < c; k++) {
      const tp = cm[k][k];
      const fp = colSum(k) - tp;
      const fn = rowSum(k) - tp;
      if (rowSum(k) + colSum(k) > 0) {
        const p = tp + fp > 0 ? tp / (tp + fp) : 0;
        const r = tp + fn > 0 ? tp / (tp + fn) : 0;
        f1 += p + r > 0 ? (2 * p * r) / (p + r) : 0; // the textbook harmonic mean
        f1n++;
      }
      if (rowSum(k) > 0) {
        rec += tp / rowSum(k);
        recN++;
        band3[k % 3] += tp / rowSum(k);
        bandN[k % 3]++;
      }
    }
    expect(m.macroF1).toBeCloseTo(f1 / f1n, 12);
    expect(m.balancedAccuracy).toBeCloseTo(rec / recN, 12);
    expect(m.bandAccuracy.many).toBeCloseTo(band3[0] / bandN[0], 12);
    expect(m.bandAccuracy.medium).toBeCloseTo(band3[1] / bandN[1], 12);
    expect(m.bandAccuracy.few).toBeCloseTo(band3[2] / bandN[2], 12);
    expect(m.top1).toBeCloseTo(cm.reduce((a, row, k) => a + row[k], 0) / n, 12);

    const chunked = emptyConfusionCounts(c);
    for (let s = 0; s < n; s += 77) addToConfusion(chunked, yTrue.subarray(s, s + 77), yPred.subarray(s, s + 77));
    expect(chunked.total).toBe(n);
    expect([...chunked.truePositives]).toEqual([...m.truePositives]);
    expect([...chunked.predicted]).toEqual([...m.predicted]);

    // The most confused pairs are the largest off-diagonal cells.
    const cells: [number, number, number][] = [];
    for (let t = 0; t < c; t++) for (let p = 0; p < c; p++) if (t !== p && cm[t][p] > 0) cells.push([cm[t][p], t, p]);
    cells.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
    expect(confusedPairs(yTrue, yPred, c, 8).map((e) => [e.count, e.trueClass, e.predictedClass])).toEqual(cells.slice(0, 8));
  });
});

describe('confusedPairs, by hand', () => {
  it('counts mistakes only, most first, ties by (true, predicted)', () => {
    // Mistakes: 0→1, 1→0, 3→4, 3→1, 3→1.
    const pairs = confusedPairs([0, 0, 0, 1, 1, 2, 3, 3, 3], [0, 0, 1, 1, 0, 2, 4, 1, 1], 6, 3);
    expect(pairs).toEqual([
      { trueClass: 3, predictedClass: 1, count: 2 },
      { trueClass: 0, predictedClass: 1, count: 1 },
      { trueClass: 1, predictedClass: 0, count: 1 },
    ]);
    expect(confusedPairs([1, 2], [1, 2], 3)).toEqual([]);
  });

  it('with row ids, names the first row of each mistake', () => {
    // Rows 106 and 107 are both 3→1: the first one is the example.
    const ids = [100, 101, 102, 103, 104, 105, 106, 107, 108];
    const pairs = confusedPairs([0, 0, 0, 1, 1, 2, 3, 3, 3], [0, 0, 1, 1, 0, 2, 4, 1, 1], 6, 3, ids);
    expect(pairs.map((p) => [p.trueClass, p.predictedClass, p.example])).toEqual([
      [3, 1, 107],
      [0, 1, 102],
      [1, 0, 104],
    ]);
    expect(() => confusedPairs([0], [1], 2, 1, [])).toThrow(RangeError);
  });

  it('keys stay exact at Herbarium size', () => {
    const c = 15501;
    expect(confusedPairs([c - 1, c - 1], [c - 2, c - 2], c)).toEqual([{ trueClass: c - 1, predictedClass: c - 2, count: 2 }]);
  });
});

describe('classBandCodes', () => {
  it('codes sizes with the Overview limits (>100 many, <20 few)', () => {
    expect([...classBandCodes([150, 100, 20, 19, 0], { manyAbove: 100, fewBelow: 20 })]).toEqual([
      BAND_MANY,
      BAND_MEDIUM,
      BAND_MEDIUM,
      BAND_FEW,
      BAND_FEW,
    ]);
  });
});
