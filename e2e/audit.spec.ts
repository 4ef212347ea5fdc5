import fs from 'node:fs';
import { parseCsv } from '../src/core/formats/csv.ts';
import { expect, test } from './fixtures.ts';
import { makeAuditFixture } from './folders.ts';
import { EmbeddingsPanel } from './pages/EmbeddingsPanel.ts';

async function downloadCsv(page: import('@playwright/test').Page, testId: string, name: string): Promise<string[][]> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  expect(download.suggestedFilename()).toBe(name);
  return parseCsv(fs.readFileSync(await download.path(), 'utf8'));
}

const readout = async (page: import('@playwright/test').Page, id: string) => Number(await page.getByTestId(id).getAttribute('data-value'));

test('the audit of the fixture with a planted leak and a planted flip: both in the downloads, the pairs as brute force has them, drop and refit', async ({ lab, page }) => {
  test.setTimeout(420_000);
  const { dir, leak, flip } = makeAuditFixture();
  await lab.loadFolder(dir);
  const embed = new EmbeddingsPanel(page);
  await embed.choose({ backend: 'wasm', includeTest: true });
  await embed.runToEnd();
  const { arrays } = await embed.download('download-embeddings');
  const ids = arrays.image_id.data as string[];
  const splits = arrays.split.data as string[];
  const D = arrays.embeddings.shape[1];
  const E = arrays.embeddings.data as Float32Array;
  const row = new Map(ids.map((id, r) => [id, r]));
  const unit = ids.map((_, r) => {
    const v = Array.from(E.subarray(r * D, (r + 1) * D));
    const n = Math.hypot(...v);
    return v.map((t) => t / n);
  });
  const cos = (a: string, b: string) => unit[row.get(a)!].reduce((s, t, j) => s + t * unit[row.get(b)!][j], 0);

  await page.getByTestId('audit-run').click();
  await expect(page.getByTestId('audit-status')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  const threshold = Number(await page.getByTestId('audit-threshold').inputValue());
  expect(threshold).toBeGreaterThanOrEqual(0.9);

  // duplicates.csv: the planted leak (a byte copy: cosine 1), most similar first, each cosine as brute force has it.
  const dup = await downloadCsv(page, 'download-duplicates', 'duplicates.csv');
  expect(dup[0]).toEqual(['image_id_a', 'image_id_b', 'cosine', 'split_a', 'split_b']);
  const pairs = dup.slice(1).map(([a, b, c, sa, sb]) => ({ a, b, cosine: Number(c), sa, sb }));
  const planted = pairs.find((p) => p.a === leak.trainId && p.b === leak.testId);
  expect(planted, 'the planted leak is listed').toBeDefined();
  expect(planted!.cosine).toBeGreaterThan(0.9999);
  expect(planted!.sb).toBe('test');
  for (let i = 1; i < pairs.length; i++) expect(pairs[i].cosine).toBeLessThanOrEqual(pairs[i - 1].cosine);
  for (const p of pairs) {
    expect(p.cosine).toBeGreaterThanOrEqual(threshold - 1e-6);
    expect(Math.abs(p.cosine - cos(p.a, p.b))).toBeLessThan(1e-4);
    expect(p.sa).toBe(splits[row.get(p.a)!]);
    expect(p.sb).toBe(splits[row.get(p.b)!]);
  }
  // The readouts count the file's rows by kind; brute force finds no pair of those kinds above the threshold that the file lacks.
  const isLeak = (sa: string, sb: string) => sa !== sb;
  expect(await readout(page, 'stat-leak-pairs')).toBe(pairs.filter((p) => isLeak(p.sa, p.sb)).length);
  expect(await readout(page, 'stat-duplicate-pairs')).toBe(pairs.filter((p) => !isLeak(p.sa, p.sb)).length);
  const listed = new Set(pairs.map((p) => `${p.a}|${p.b}`));
  let missed = 0;
  let exact = 0;
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) {
      if (splits[i] === 'test' && splits[j] === 'test') continue;
      if (cos(ids[i], ids[j]) < threshold) continue;
      exact++;
      if (!listed.has(`${ids[i]}|${ids[j]}`) && !listed.has(`${ids[j]}|${ids[i]}`)) missed++;
    }
  expect(exact).toBeGreaterThanOrEqual(1);
  expect(missed / exact).toBeLessThanOrEqual(0.05);

  // label-issues.csv: the planted flip, suggested back to its true class, most suspicious first.
  const issues = await downloadCsv(page, 'download-label-issues', 'label-issues.csv');
  expect(issues[0]).toEqual(['image_id', 'given_category_id', 'suggested_category_id', 'score']);
  const flipRow = issues.slice(1).find((r) => r[0] === flip.imageId);
  expect(flipRow, 'the planted flip is listed').toBeDefined();
  expect(flipRow!.slice(1, 3)).toEqual([String(flip.given), String(flip.truth)]);
  const scores = issues.slice(1).map((r) => Number(r[3]));
  for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1]);
  expect(await readout(page, 'stat-label-issues')).toBe(issues.length - 1);

  // shortcuts.csv: as counted here from the metadata (the fixture spreads classes over its institutions round-robin).
  const meta = JSON.parse(fs.readFileSync(`${dir}/train_metadata.json`, 'utf8')) as { annotations: { category_id: number; institution_id: number }[] };
  const byClass = new Map<number, Map<number, number>>();
  for (const a of meta.annotations) {
    const m = byClass.get(a.category_id) ?? new Map<number, number>();
    m.set(a.institution_id, (m.get(a.institution_id) ?? 0) + 1);
    byClass.set(a.category_id, m);
  }
  const expectedShortcuts = [...byClass.values()].filter((m) => {
    const n = [...m.values()].reduce((s, v) => s + v, 0);
    return n >= 5 && Math.max(...m.values()) / n >= 0.9;
  }).length;
  const shortcuts = await downloadCsv(page, 'download-shortcuts', 'shortcuts.csv');
  expect(shortcuts[0]).toEqual(['category_id', 'institution_id', 'share', 'images']);
  expect(shortcuts.length - 1).toBe(expectedShortcuts);
  expect(await readout(page, 'stat-shortcut-classes')).toBe(expectedShortcuts);

  // Raising the threshold only filters: above 0.9999 the byte copy stays.
  await page.getByTestId('audit-threshold').fill('0.9999');
  await expect.poll(() => readout(page, 'stat-leak-pairs')).toBe(pairs.filter((p) => isLeak(p.sa, p.sb) && p.cosine >= 0.9999).length);
  expect(await readout(page, 'stat-identical-files')).toBeGreaterThanOrEqual(1);

  // A pair's thumbnail opens the viewer on that image.
  await page.getByTestId('audit-list-leaks').click();
  const pair = page.locator(`[data-testid="audit-pair"][data-image-b="${leak.testId}"]`);
  await expect(pair).toHaveCount(1);
  await pair.getByTestId('audit-image').nth(1).click();
  await expect(page.getByTestId('image-viewer')).toBeVisible();
  await expect(page.getByTestId('image-viewer')).toContainText(leak.testId);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('image-viewer')).toHaveCount(0);

  // The flip is in the label-issue grid beside examples of both classes.
  await page.getByTestId('audit-list-labels').click();
  const candidate = page.locator(`[data-testid="label-issue"][data-image-id="${flip.imageId}"]`);
  await expect(candidate).toHaveAttribute('data-suggested', String(flip.truth));
  expect(await candidate.getByTestId('audit-image').count()).toBeGreaterThanOrEqual(3);

  // Drop these from train: a refit without them, validated macro-F1 before and after.
  await page.getByTestId('audit-drop').click();
  await expect(page.getByTestId('stat-macro-f1-after')).toBeVisible({ timeout: 180_000 });
  const before = await readout(page, 'stat-macro-f1-before');
  const after = await readout(page, 'stat-macro-f1-after');
  expect(before).toBeGreaterThan(0);
  expect(after).toBeGreaterThan(0);
  expect(await readout(page, 'stat-macro-f1-change')).toBeCloseTo(after - before, 9);
  await expect(page.getByTestId('classify-status')).toContainText('dropped by the audit');

  // The audit is kept with the run: after a reload, reopening the run shows it again.
  const shownIssues = await readout(page, 'stat-label-issues');
  await page.reload();
  await lab.loadFolder(dir);
  await embed.choose({ backend: 'wasm', includeTest: true });
  await expect(page.getByTestId('audit-status')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('audit-status')).toContainText('stored audit');
  expect(await readout(page, 'stat-label-issues')).toBe(shownIssues);
});
