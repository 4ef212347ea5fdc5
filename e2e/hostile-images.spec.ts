/**
 * Images over the pixel budget: skipped from their first bytes, before any decode, and listed
 * with the reason — in the sample grid (a placeholder with the reason) and in an embedding run
 * (the skipped list). Cases from scripts/hostile/images.mjs, added to the tiny folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { imageCases } from '../scripts/hostile/images.mjs';
import { expect, test } from './fixtures.ts';
import { makeTinyFolder } from './folders.ts';
import { EmbeddingsPanel } from './pages/EmbeddingsPanel.ts';

// Four images of the fixture, plus a valid 16000×16000 PNG (249 KB, 1 GiB once decoded) and a
// progressive JPEG whose frame header, past 40 KB of EXIF, says 60000×50000.
const hostile = imageCases().filter((c) => c.name === 'png-16000x16000.png' || c.name.startsWith('jpeg-'));
const folder = makeTinyFolder();
for (const c of hostile) fs.writeFileSync(path.join(folder, 'train', 'second class', c.name), c.buffer);

test('the sample grid shows each image over the budget as a placeholder with the reason, and the others', async ({ lab, page }) => {
  await lab.loadFolder(folder);
  await expect(lab.stat('stat-images')).toHaveAttribute('data-value', '6');
  const grid = page.getByTestId('sample-grid');
  await grid.scrollIntoViewIfNeeded();
  await expect(grid.getByTestId('sample')).toHaveCount(6);
  const failed = grid.getByTestId('thumb-failed');
  await expect(failed).toHaveCount(2);
  for (const c of hostile) await expect(failed.filter({ hasText: c.reason })).toHaveCount(1);
  await expect(grid.locator('[data-testid="thumb"][data-state="ready"]')).toHaveCount(4);
});

test('an embedding run skips them, lists each with the pixel-budget reason, and embeds the rest', async ({ lab, page }) => {
  await lab.loadFolder(folder);
  const embed = new EmbeddingsPanel(page);
  await embed.choose({ backend: 'wasm', batch: 4 });
  await embed.runToEnd();
  await expect(page.getByTestId('stat-skipped-images')).toHaveAttribute('data-value', '2');
  const skipped = page.getByTestId('skipped-image');
  await expect(skipped).toHaveCount(2);
  for (const c of hostile) await expect(skipped.filter({ hasText: c.name })).toContainText(c.reason);
  const run = await embed.download('download-embeddings');
  expect(run.arrays.embeddings.shape[0]).toBe(4);
});
