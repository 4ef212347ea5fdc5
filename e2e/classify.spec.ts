import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_FIXTURE_DIR, FIXTURE_TEST_IMAGES } from '../scripts/make-fixture.mjs';
import { expect, test } from './fixtures.ts';
import { ClassifyPanel, METRIC_IDS } from './pages/ClassifyPanel.ts';
import { EmbeddingsPanel } from './pages/EmbeddingsPanel.ts';

type Arrays = Awaited<ReturnType<EmbeddingsPanel['download']>>['arrays'];

/** The labelled rows of embeddings.npz (train and held-out) and the test rows, with category ids. */
function rowsOf(e: Arrays) {
  const D = e.embeddings.shape[1];
  const E = e.embeddings.data as Float32Array;
  const split = e.split.data as string[];
  const cat = Array.from(e.category_id.data as BigInt64Array, Number);
  const ids = e.image_id.data as string[];
  const row = (r: number) => Array.from(E.subarray(r * D, (r + 1) * D));
  const labelled = split.map((s, r) => (s === 'test' ? -1 : r)).filter((r) => r >= 0);
  const test = split.map((s, r) => (s === 'test' ? r : -1)).filter((r) => r >= 0);
  return { D, row, cat, ids, labelled, test };
}

const norm = (v: number[]) => Math.hypot(...v);
const cos = (a: number[], b: number[]) => {
  const na = norm(a);
  const nb = norm(b);
  return na > 0 && nb > 0 ? a.reduce((t, x, j) => t + x * b[j], 0) / (na * nb) : 0;
};

/**
 * Cosine NCM recomputed here from embeddings.npz alone, without the app's code: class sums over
 * every labelled image (minus `skip` for a leave-one-out row), logit s·cos + (1 − τ)·log(n/N).
 */
function ncmPredict(e: Arrays, x: number[], scale: number, tau: number, skip = -1): number {
  const { D, row, cat, labelled } = rowsOf(e);
  const sums = new Map<number, { s: number[]; n: number }>();
  for (const r of labelled) {
    if (r === skip) continue;
    const g = sums.get(cat[r]) ?? { s: new Array(D).fill(0), n: 0 };
    row(r).forEach((v, j) => (g.s[j] += v));
    g.n++;
    sums.set(cat[r], g);
  }
  const total = [...sums.values()].reduce((t, g) => t + g.n, 0);
  let best = -Infinity;
  let arg = -1;
  for (const [id, g] of [...sums.entries()].sort((a, b) => a[0] - b[0])) {
    const v = scale * cos(x, g.s) + (1 - tau) * Math.log(g.n / total);
    if (v > best) {
      best = v;
      arg = id;
    }
  }
  return arg;
}

/** Gauss–Jordan inverse of a small dense matrix (plain arrays). */
function invert(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      if (f !== 0) for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row.slice(n));
}

/**
 * Shrinkage LDA recomputed from embeddings.npz alone: class means over every labelled image, the
 * pooled within-class covariance S (÷ N), the Ledoit–Wolf λ on standardised residuals,
 * Σ = (1 − λ)S + λ·diag(S) (+ the app's 10⁻⁶ ridge), logit s·(−½ Mahalanobis) + (1 − τ)·log(n/N).
 */
function ldaRule(e: Arrays, scale: number, tau: number): (x: number[]) => number {
  const { D, row, cat, labelled } = rowsOf(e);
  const ids = [...new Set(labelled.map((r) => cat[r]))].sort((a, b) => a - b);
  const mean = new Map(ids.map((id) => [id, new Array(D).fill(0)]));
  const n = new Map(ids.map((id) => [id, 0]));
  for (const r of labelled) {
    row(r).forEach((v, j) => (mean.get(cat[r])![j] += v));
    n.set(cat[r], n.get(cat[r])! + 1);
  }
  for (const id of ids) mean.set(id, mean.get(id)!.map((v) => v / n.get(id)!));
  const N = labelled.length;
  const res = labelled.map((r) => row(r).map((v, j) => v - mean.get(cat[r])![j]));
  const S = Array.from({ length: D }, (_, a) => Array.from({ length: D }, (_, b) => res.reduce((t, v) => t + v[a] * v[b], 0) / N));
  const R = S.map((rw, a) => rw.map((v, b) => v / Math.sqrt(S[a][a] * S[b][b])));
  let delta2 = 0;
  let r2 = 0;
  for (let a = 0; a < D; a++)
    for (let b = 0; b < D; b++) {
      delta2 += (R[a][b] - (a === b ? 1 : 0)) ** 2;
      r2 += R[a][b] ** 2;
    }
  let z4 = 0;
  for (const v of res) z4 += v.reduce((t, x, j) => t + (x * x) / S[j][j], 0) ** 2;
  const lambda = delta2 > 0 ? Math.min(Math.max(0, (z4 / N - r2) / N), delta2) / delta2 : 1;
  const meanVar = S.reduce((t, rw, j) => t + rw[j], 0) / D;
  const P = invert(S.map((rw, a) => rw.map((v, b) => (a === b ? v + 1e-6 * meanVar : (1 - lambda) * v))));
  return (x) => {
    let best = -Infinity;
    let arg = -1;
    for (const id of ids) {
      const d = x.map((v, j) => v - mean.get(id)![j]);
      let q = 0;
      for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) q += d[a] * P[a][b] * d[b];
      const v = (-scale * q) / 2 + (1 - tau) * Math.log(n.get(id)! / N);
      if (v > best) {
        best = v;
        arg = id;
      }
    }
    return arg;
  };
}

test('classify the embedded fixture: auto picks among validated candidates, refits on every labelled image, submission.csv', async ({ lab, page }) => {
  test.setTimeout(300_000);
  await lab.loadFolder(DEFAULT_FIXTURE_DIR);
  const embed = new EmbeddingsPanel(page);
  await embed.choose({ backend: 'wasm', batch: 8 });
  await embed.runToEnd();

  const classify = new ClassifyPanel(page);
  await expect(page.getByTestId('classifier-select')).toHaveValue('auto');
  await expect(page.getByTestId('test-prior')).toHaveValue('train');
  await classify.fit('auto', 240_000);
  const info = page.getByTestId('classifier-info');
  await expect(info).toHaveAttribute('data-requested', 'auto');
  await expect(info).toHaveAttribute('data-refit', 'all-labelled');

  // One row per candidate, each estimate inside its interval; the winner has the best estimate.
  const rows = page.getByTestId('compared-classifier');
  const kinds = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-kind')));
  expect(kinds).toEqual(expect.arrayContaining(['ncm-cosine', 'lda', 'probe']));
  const estimates: Record<string, number> = {};
  for (const r of await rows.all()) {
    const [f1, lo, hi] = await Promise.all(['data-macro-f1', 'data-ci-low', 'data-ci-high'].map(async (a) => Number(await r.getAttribute(a))));
    expect(lo).toBeLessThanOrEqual(f1);
    expect(hi).toBeGreaterThanOrEqual(f1);
    expect(f1).toBeGreaterThanOrEqual(0);
    expect(f1).toBeLessThanOrEqual(1);
    estimates[(await r.getAttribute('data-kind'))!] = f1;
  }
  const winner = (await info.getAttribute('data-kind'))!;
  expect(estimates[winner]).toBe(Math.max(...Object.values(estimates)));
  await expect(page.locator('[data-testid="compared-classifier"][data-winner="true"]')).toHaveAttribute('data-kind', winner);

  // The readouts are the winner's validated metrics at its τ; macro-F1 carries its interval.
  const tau = Number(await info.getAttribute('data-tau'));
  await expect(page.getByTestId('tau-input')).toHaveValue(String(tau));
  await expect(page.getByTestId('metrics')).toHaveAttribute('data-tau', String(tau));
  expect(await classify.value('metric-macro-f1')).toBe(estimates[winner]);
  const macro = page.getByTestId('metric-macro-f1');
  expect(Number(await macro.getAttribute('data-ci-low'))).toBeLessThanOrEqual(estimates[winner]);
  expect(Number(await macro.getAttribute('data-ci-high'))).toBeGreaterThanOrEqual(estimates[winner]);
  for (const id of METRIC_IDS) {
    for (const which of [id, `${id}-tau0`]) {
      const v = await classify.value(which);
      expect(v, which).toBeGreaterThanOrEqual(0);
      expect(v, which).toBeLessThanOrEqual(1);
    }
  }
  await expect(page.getByTestId('chart-tau-sweep')).toBeVisible();
  await expect(page.getByTestId('chart-recall-vs-count')).toBeVisible();
  // tau-auto keeps the validated τ.
  await page.getByTestId('tau-input').fill('0');
  await expect(page.getByTestId('metrics')).toHaveAttribute('data-tau', '0');
  await classify.settled();
  expect(await classify.value('metric-top1')).toBe(await classify.value('metric-top1-tau0'));
  await classify.autoTau();
  await expect(page.getByTestId('tau-input')).toHaveValue(String(tau));

  // The winner's submission: one row per test image, in test-metadata order, known category ids.
  const sub = await classify.downloadSubmission();
  expect(sub.name).toBe('submission.csv');
  const lines = sub.text.split(/\r?\n/).filter((l) => l.length > 0);
  expect(lines[0]).toBe('Id,Predicted');
  expect(lines.length - 1).toBe(FIXTURE_TEST_IMAGES);
  const testMeta = JSON.parse(fs.readFileSync(path.join(DEFAULT_FIXTURE_DIR, 'test_metadata.json'), 'utf8')) as { image_id: string | number }[];
  const trainMeta = JSON.parse(fs.readFileSync(path.join(DEFAULT_FIXTURE_DIR, 'train_metadata.json'), 'utf8')) as { categories: { category_id: number }[] };
  const categoryIds = new Set(trainMeta.categories.map((c) => c.category_id));
  expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(testMeta.map((t) => String(t.image_id)));
  for (const l of lines.slice(1)) expect(categoryIds.has(Number(l.split(',')[1])), l).toBe(true);
  await expect(page.getByTestId('submission-info')).toHaveAttribute('data-rows', String(FIXTURE_TEST_IMAGES));
  await expect(page.getByTestId('stat-test-not-embedded')).toHaveAttribute('data-value', '0');
  const embeddings = (await embed.download('download-embeddings')).arrays;
  const { row, cat, ids, labelled, test: testRows } = rowsOf(embeddings);
  // The winner's rule recomputed from embeddings.npz: on the fixture, whose classes LDA separates, LDA wins.
  expect(winner).toBe('lda');
  {
    const rule = ldaRule(embeddings, Number(await info.getAttribute('data-scale')), tau);
    const predicted = new Map(lines.slice(1).map((l) => l.split(',') as [string, string]));
    let same = 0;
    for (const r of testRows) if (Number(predicted.get(ids[r])) === rule(row(r))) same++;
    expect(same).toBeGreaterThanOrEqual(testRows.length - 1);
  }

  // Cosine NCM alone, recomputed from embeddings.npz: the leave-one-out top-1 and the submission
  // (means over every labelled image: the refit).
  await classify.fit('ncm-cosine');
  await expect(info).toHaveAttribute('data-kind', 'ncm-cosine');
  await expect(info).toHaveAttribute('data-validation', 'leave-one-out');
  await expect(rows).toHaveCount(1);
  const scale = Number(await info.getAttribute('data-scale'));
  const ncmTau = Number(await info.getAttribute('data-tau'));
  const classSize = new Map<number, number>();
  for (const r of labelled) classSize.set(cat[r], (classSize.get(cat[r]) ?? 0) + 1);
  const validated = labelled.filter((r) => classSize.get(cat[r])! >= 2);
  let correct = 0;
  for (const r of validated) if (ncmPredict(embeddings, row(r), scale, ncmTau, r) === cat[r]) correct++;
  await expect(page.getByTestId('classifier-info')).toHaveAttribute('data-heldout-rows', String(validated.length));
  // Float32 in the app against float64 here may flip an exact near-tie: allow one image.
  expect(Math.abs(correct / validated.length - (await classify.value('metric-top1')))).toBeLessThanOrEqual(1 / validated.length + 1e-12);
  const ncmSub = (await classify.downloadSubmission()).text.split(/\r?\n/).filter((l) => l.length > 0).slice(1);
  const predicted = new Map(ncmSub.map((l) => l.split(',') as [string, string]));
  let same = 0;
  for (const r of testRows) if (Number(predicted.get(ids[r])) === ncmPredict(embeddings, row(r), scale, ncmTau)) same++;
  expect(same).toBeGreaterThanOrEqual(testRows.length - 1);

  // The held-out split as a fixed report: fitted on the train split only.
  await page.getByTestId('validation-mode').selectOption('heldout');
  await classify.fit('ncm-cosine');
  await expect(info).toHaveAttribute('data-refit', 'train-split');
  await expect(info).toHaveAttribute('data-validation', 'held-out split');
});
