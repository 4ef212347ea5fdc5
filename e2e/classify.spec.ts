import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_FIXTURE_DIR, FIXTURE_TEST_IMAGES } from '../scripts/make-fixture.mjs';
import { expect, test } from './fixtures.ts';
import { ClassifyPanel, METRIC_IDS } from './pages/ClassifyPanel.ts';
import { EmbeddingsPanel } from './pages/EmbeddingsPanel.ts';

/**
 * NCM cosine at τ recomputed here from the downloaded files, without the app's scorer:
 * logit_c = s·cos(x, μ_c) + (1 − τ)·log π_c over classes with train images, π from the
 * prototypes' counts (an empty class counting ½ in the total, as the app's prior does).
 */
function ncmTop1(embeddings: Awaited<ReturnType<EmbeddingsPanel['download']>>['arrays'], prototypes: typeof embeddings, scale: number, tau: number) {
  const [C, D] = prototypes.prototypes.shape;
  const P = prototypes.prototypes.data as Float32Array;
  const counts = Array.from(prototypes.count.data as BigInt64Array, Number);
  const ids = Array.from(prototypes.category_id.data as BigInt64Array, Number);
  const total = counts.reduce((s, n) => s + (n > 0 ? n : 0.5), 0);
  const norm = (a: ArrayLike<number>, o: number) => Math.sqrt(Array.from({ length: D }, (_, j) => a[o + j] ** 2).reduce((s, v) => s + v, 0));
  const E = embeddings.embeddings.data as Float32Array;
  const split = embeddings.split.data as string[];
  const cat = Array.from(embeddings.category_id.data as BigInt64Array, Number);
  let n = 0;
  let correct = 0;
  for (let r = 0; r < split.length; r++) {
    if (split[r] !== 'heldout') continue;
    n++;
    const xn = norm(E, r * D);
    let best = -Infinity;
    let arg = -1;
    for (let c = 0; c < C; c++) {
      if (counts[c] === 0) continue;
      let dot = 0;
      for (let j = 0; j < D; j++) dot += E[r * D + j] * P[c * D + j];
      const pn = norm(P, c * D);
      const cos = xn > 0 && pn > 0 ? dot / (xn * pn) : 0;
      const logit = scale * cos + (1 - tau) * Math.log(counts[c] / total);
      if (logit > best) {
        best = logit;
        arg = c;
      }
    }
    if (ids[arg] === cat[r]) correct++;
  }
  return { top1: correct / n, heldout: n };
}

test('classify the embedded fixture: NCM, τ picked on the held-out split, metrics, submission.csv', async ({ lab, page }) => {
  test.setTimeout(240_000);
  await lab.loadFolder(DEFAULT_FIXTURE_DIR);
  const embed = new EmbeddingsPanel(page);
  await embed.choose({ backend: 'wasm', batch: 8 });
  await embed.runToEnd();

  const classify = new ClassifyPanel(page);
  await classify.fit('ncm-cosine');
  const info = page.getByTestId('classifier-info');
  await expect(info).toHaveAttribute('data-kind', 'ncm-cosine');
  const scale = Number(await info.getAttribute('data-scale'));
  expect(scale).toBeGreaterThan(0);

  await classify.autoTau();
  const sweep = page.getByTestId('tau-sweep');
  const bestTau = Number(await sweep.getAttribute('data-best-tau'));
  expect(bestTau).toBeGreaterThanOrEqual(0);
  expect(bestTau).toBeLessThanOrEqual(2);
  await expect(page.getByTestId('tau-input')).toHaveValue(String(bestTau));
  await expect(page.getByTestId('metrics')).toHaveAttribute('data-tau', String(bestTau));
  await expect(page.getByTestId('chart-tau-sweep')).toBeVisible();
  await expect(page.getByTestId('chart-recall-vs-count')).toBeVisible();

  // Every readout is a fraction, at the chosen τ and at τ = 0.
  for (const id of METRIC_IDS) {
    for (const which of [id, `${id}-tau0`]) {
      const v = await classify.value(which);
      expect(v, which).toBeGreaterThanOrEqual(0);
      expect(v, which).toBeLessThanOrEqual(1);
    }
  }
  // The τ = 0 readout is the τ = 0 point of the sweep; macro-F1 at τ is the sweep's best.
  expect(await classify.value('metric-top1-tau0')).toBe(Number(await sweep.getAttribute('data-top1-at-0')));
  expect(await classify.value('metric-macro-f1')).toBe(Number(await sweep.getAttribute('data-macro-f1-best')));

  // top-1 recomputed independently from embeddings.npz + prototypes.npz with the page's s and τ.
  const embeddings = await embed.download('download-embeddings');
  const prototypes = await embed.download('download-prototypes');
  const heldoutRows = Number(await info.getAttribute('data-heldout-rows'));
  for (const tau of [bestTau, 0]) {
    const mine = ncmTop1(embeddings.arrays, prototypes.arrays, scale, tau);
    expect(mine.heldout).toBe(heldoutRows);
    const shown = await classify.value(tau === bestTau ? 'metric-top1' : 'metric-top1-tau0');
    // Float32 vs float64 arithmetic may flip an exact near-tie: allow one image.
    expect(Math.abs(mine.top1 - shown), `top-1 at τ = ${tau}`).toBeLessThanOrEqual(1 / heldoutRows + 1e-12);
  }

  // Confused pairs: the example shown is a held-out image of the true class (per embeddings.npz),
  // and both thumbnails of the row are drawn.
  const pairs = page.getByTestId('confused-pair');
  expect(await classify.value('metric-top1')).toBeLessThan(1); // the fixture's classes overlap: there are mistakes
  {
    const first = pairs.first();
    const exampleId = await first.getAttribute('data-example-id');
    const trueClass = Number(await first.getAttribute('data-true'));
    const row = (embeddings.arrays.image_id.data as string[]).indexOf(exampleId!);
    expect(row, `example ${exampleId}`).toBeGreaterThanOrEqual(0);
    expect((embeddings.arrays.split.data as string[])[row]).toBe('heldout');
    expect(Number((embeddings.arrays.category_id.data as BigInt64Array)[row])).toBe(Number((prototypes.arrays.category_id.data as BigInt64Array)[trueClass]));
    await first.scrollIntoViewIfNeeded();
    await expect(first.getByTestId('thumb')).toHaveCount(2);
    for (const thumb of await first.getByTestId('thumb').all()) await expect(thumb).toHaveAttribute('data-state', 'ready');
  }

  // A typed τ is evaluated too.
  await page.getByTestId('tau-input').fill('0');
  await expect(page.getByTestId('metrics')).toHaveAttribute('data-tau', '0');
  await classify.settled();
  expect(await classify.value('metric-top1')).toBe(await classify.value('metric-top1-tau0'));
  await expect(page.getByTestId('compared-classifier')).toHaveCount(1);

  // submission.csv: header, one row per test image in test-metadata order, known category ids.
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

  // The linear probe (few epochs): a loss per epoch, drawn, and a second row in the comparison.
  await page.getByTestId('classifier-select').selectOption('probe');
  await page.getByTestId('probe-epochs').fill('5');
  await page.getByTestId('probe-logit-adjusted').check();
  await classify.fit('probe');
  await expect(page.getByTestId('classifier-info')).toHaveAttribute('data-kind', 'probe');
  await expect(page.getByTestId('chart-probe-loss')).toBeVisible();
  await expect(page.getByTestId('compared-classifier')).toHaveCount(2);
  for (const id of METRIC_IDS) {
    const v = await classify.value(id);
    expect(v, id).toBeGreaterThanOrEqual(0);
    expect(v, id).toBeLessThanOrEqual(1);
  }
});
