/**
 * The run's store under faults a person or a browser makes: the embeddings file cut short while
 * the tab was away, and a second tab opening the same run.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { makeTinyFolder } from './folders.ts';
import { EmbeddingsPanel } from './pages/EmbeddingsPanel.ts';
import { LabPage } from './pages/LabPage.ts';

const folder = makeTinyFolder();

async function embedTinyRun(lab: LabPage): Promise<EmbeddingsPanel> {
  await lab.loadFolder(folder);
  const embed = new EmbeddingsPanel(lab.page);
  await embed.choose({ backend: 'wasm', batch: 4 });
  await embed.runToEnd();
  return embed;
}

/** Cuts the one stored run's embeddings file to `keep` of its bytes, from the page (the run must be closed). */
function truncateStore(page: Page, keep: number): Promise<{ before: number; after: number }> {
  return page.evaluate(async (fraction) => {
    const runs = await (await navigator.storage.getDirectory()).getDirectoryHandle('runs');
    const names: string[] = [];
    for await (const name of (runs as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    if (names.length !== 1) throw new Error(`expected one stored run, found ${names.length}`);
    const handle = await (await runs.getDirectoryHandle(names[0])).getFileHandle('embeddings.bin');
    const before = (await handle.getFile()).size;
    const writable = await handle.createWritable({ keepExistingData: true });
    await writable.truncate(Math.floor(before * fraction));
    await writable.close();
    return { before, after: (await handle.getFile()).size };
  }, keep);
}

test('a store cut short while the tab was closed: the lost rows are embedded again, and the page says so', async ({ lab, page, context }) => {
  const embed = await embedTinyRun(lab);
  const first = await embed.download('download-embeddings');
  await page.close();

  const second = new LabPage(await context.newPage());
  await second.open();
  const cut = await truncateStore(second.page, 0.5);
  expect(cut.after).toBeLessThan(cut.before);
  await second.loadFolder(folder);
  const again = new EmbeddingsPanel(second.page);
  await again.expectState('paused');
  await expect(second.alerts().filter({ hasText: 'Stored embedding run' })).toContainText(/shorter than the checkpoint says .* will be embedded again/);
  await again.choose({ backend: 'wasm' });
  await second.page.getByTestId('embed-resume').click();
  await again.expectState('done', 120_000);
  const after = await again.download('download-embeddings');
  // Every image once, no row of zeros, and the same rows as before the damage.
  expect(after.arrays.image_id.data).toEqual(first.arrays.image_id.data);
  const E = after.arrays.embeddings.data as Float32Array;
  const D = after.arrays.embeddings.shape[1];
  for (let r = 0; r < after.arrays.embeddings.shape[0]; r++) expect(E.subarray(r * D, (r + 1) * D).some((v) => v !== 0), `row ${r}`).toBe(true);
  const before = first.arrays.embeddings.data as Float32Array;
  for (let i = 0; i < E.length; i++) expect(Math.abs(E[i] - before[i])).toBeLessThan(1e-5);
});

test('two tabs on one run: the second says so in words, and can take the run over', async ({ lab, page, context }) => {
  await embedTinyRun(lab);
  await expect(page.getByTestId('embed-storage')).toContainText('Checkpointed');

  const other = new LabPage(await context.newPage());
  await other.open();
  await other.loadFolder(folder);
  const storage = other.page.getByTestId('embed-storage');
  await expect(storage).toHaveAttribute('data-held-elsewhere', 'true');
  await expect(storage).toContainText('open in another tab of this browser');
  await expect(storage).not.toContainText(/DOMException|Error/);
  await expect(other.page.getByTestId('embed-status')).toHaveAttribute('data-state', 'idle');

  await other.page.getByTestId('embed-take-over').click();
  await expect(other.page.getByTestId('embed-status')).toHaveAttribute('data-state', 'done');
  await expect(storage).toContainText('Checkpointed');
  await expect(page.getByTestId('embed-storage')).toHaveAttribute('data-held-elsewhere', 'true');
  await expect(page.getByTestId('embed-storage')).toContainText('handed over to another tab');
  await other.page.close();
});
