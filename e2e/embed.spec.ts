import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_FIXTURE_DIR, FIXTURE_MISSING, FIXTURE_TEST_IMAGES } from '../scripts/make-fixture.mjs';
import { expectedCounts } from './expected.ts';
import { expect, test } from './fixtures.ts';
import { EmbeddingsPanel } from './pages/EmbeddingsPanel.ts';
import { makeTinyFolder } from './folders.ts';
import { writeNpy } from '../src/core/formats/npy.ts';

/**
 * The fixture with two more ways for an image to fail and one duplicate: a train file
 * overwritten with junk (corrupt), and a train file of Abies alba replaced by a copy of another
 * (so two images are the same file and must embed identically).
 */
function makeEmbedFolder(): { dir: string; corruptId: string; duplicateIds: [string, string] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-embed-'));
  fs.cpSync(DEFAULT_FIXTURE_DIR, dir, { recursive: true });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'train_metadata.json'), 'utf8')) as {
    images: { image_id: string; file_name: string }[];
  };
  const present = meta.images.filter((im) => !FIXTURE_MISSING.some((m) => im.file_name.endsWith(m)));
  const abies = present.filter((im) => im.file_name.includes('/01/'));
  const [a, b] = [abies[0], abies[1]];
  const corrupt = present.find((im) => im.file_name.includes('/02/'))!;
  const file = (im: { file_name: string }) => path.join(dir, 'train_images', im.file_name);
  fs.copyFileSync(file(a), file(b));
  fs.writeFileSync(file(corrupt), 'this is not an image, whatever its name says');
  return { dir, corruptId: corrupt.image_id, duplicateIds: [a.image_id, b.image_id] };
}

const counts = expectedCounts(DEFAULT_FIXTURE_DIR);
const trainImages = [...counts.byCategory.values()].reduce((a, n) => a + n, 0);

type Arrays = Awaited<ReturnType<EmbeddingsPanel['download']>>['arrays'];

/** Every prototype is the mean of its class's train-split rows; every count is that number of rows. */
function checkPrototypes(prototypes: Arrays, embeddings: Arrays) {
  const P = prototypes.prototypes.data as Float32Array;
  const [C, D] = prototypes.prototypes.shape;
  const ids = Array.from(prototypes.category_id.data as BigInt64Array, Number);
  expect(ids).toEqual([...ids].sort((x, y) => x - y));
  expect(C).toBe(counts.categories.size);
  const E = embeddings.embeddings.data as Float32Array;
  const rowCat = Array.from(embeddings.category_id.data as BigInt64Array, Number);
  const split = embeddings.split.data as string[];
  ids.forEach((id, c) => {
    const rows = rowCat.flatMap((cat, r) => (cat === id && split[r] === 'train' ? [r] : []));
    expect(Number((prototypes.count.data as BigInt64Array)[c]), `count of category ${id}`).toBe(rows.length);
    for (let j = 0; j < D; j++) {
      const mean = rows.length ? rows.reduce((s, r) => s + E[r * D + j], 0) / rows.length : 0;
      expect(Math.abs(P[c * D + j] - mean), `prototype ${id}[${j}]`).toBeLessThan(1e-4 * Math.max(1, Math.abs(mean)));
    }
  });
}

test.describe.serial('embedding the fixture with the bundled MobileNetV2 on WASM', () => {
  const folder = makeEmbedFolder();
  let uninterrupted: Float32Array | null = null;

  test('every image embedded or skipped with its reason; prototypes are the class means', async ({ lab, page }) => {
    await lab.loadFolder(folder.dir);
    const embed = new EmbeddingsPanel(page);
    await embed.choose({ backend: 'wasm', batch: 8 });
    await embed.runToEnd();
    await expect(page.getByTestId('backend')).toHaveAttribute('data-value', 'wasm');

    // Two files missing from the folder, one corrupt: skipped, counted and listed with the reason.
    expect(await embed.readout('stat-skipped-images')).toBe(3);
    await expect(page.locator(`[data-testid="skipped-image"][data-image-id="${folder.corruptId}"]`)).toContainText('could not be decoded');
    await expect(page.getByTestId('skipped-image').filter({ hasText: 'not in the dropped folder' })).toHaveCount(2);
    const total = trainImages + FIXTURE_TEST_IMAGES;
    expect(await embed.progress()).toEqual({ now: total, max: total });

    // tf.memory().numTensors was the same after every batch.
    const [lo, hi] = (await embed.status().getAttribute('data-num-tensors'))!.split('-').map(Number);
    expect(hi).toBe(lo);

    const prototypes = await embed.download('download-prototypes');
    const embeddings = await embed.download('download-embeddings');
    expect(prototypes.name).toBe('prototypes.npz');
    expect(embeddings.name).toBe('embeddings.npz');
    expect(prototypes.arrays.prototypes.dtype).toBe('<f4');
    expect(prototypes.arrays.prototypes.shape[1]).toBe(96);
    expect(embeddings.arrays.embeddings.shape).toEqual([total - 3, 96]);
    const ids = embeddings.arrays.image_id.data as string[];
    expect(ids).not.toContain(folder.corruptId);
    expect(new Set(embeddings.arrays.split.data as string[])).toEqual(new Set(['train', 'heldout', 'test']));
    expect((embeddings.arrays.category_id.data as BigInt64Array).filter((v) => v === -1n).length).toBe(FIXTURE_TEST_IMAGES);
    checkPrototypes(prototypes.arrays, embeddings.arrays);

    // The same file twice: the same embedding.
    const E = embeddings.arrays.embeddings.data as Float32Array;
    const [ra, rb] = folder.duplicateIds.map((id) => ids.indexOf(id));
    expect(ra).toBeGreaterThanOrEqual(0);
    expect(Array.from(E.subarray(rb * 96, rb * 96 + 96))).toEqual(Array.from(E.subarray(ra * 96, ra * 96 + 96)));
    uninterrupted = prototypes.arrays.prototypes.data as Float32Array;

    // The downloaded prototypes import back; a file of the wrong shape is refused with the reason.
    await page.getByTestId('import-prototypes').setInputFiles(prototypes.path);
    await expect(page.getByTestId('imported-prototypes')).toHaveAttribute('data-dim', '96');
    await expect(page.getByTestId('imported-prototypes')).toHaveAttribute('data-classes', String(counts.categories.size));
    await page.getByTestId('import-prototypes').setInputFiles({ name: 'wrong.npy', mimeType: 'application/octet-stream', buffer: Buffer.from(writeNpy({ dtype: '<f4', shape: [2, 96], data: new Float32Array(192) })) });
    await expect(page.getByTestId('import-error')).toContainText(`wrong.npy has 2 prototype rows, but the dataset declares ${counts.categories.size} categories`);
    // What was imported before stays.
    await expect(page.getByTestId('imported-prototypes')).toHaveAttribute('data-dim', '96');
  });

  test('a reload in the middle of a run resumes it; the result is the uninterrupted one', async ({ lab, page }) => {
    test.skip(!uninterrupted, 'needs the uninterrupted run');
    await lab.loadFolder(folder.dir);
    const embed = new EmbeddingsPanel(page);
    await embed.choose({ backend: 'wasm', batch: 4 });
    await page.getByTestId('embed-start').click();
    // A checkpoint at a known point: pause (it checkpoints) once a few batches are in. Waiting
    // for the periodic one raced the run's end (the fixture embeds in about as long as the
    // interval); the periodic checkpoint has its own test in embedHandlers.test.ts.
    await expect.poll(async () => (await embed.progress()).now, { timeout: 60_000 }).toBeGreaterThanOrEqual(8);
    await page.getByTestId('embed-pause').click();
    await embed.expectState('paused');
    await expect(page.getByTestId('embed-storage')).toContainText('last:');
    const checkpointed = await embed.progress();
    expect(checkpointed.now).toBeLessThan(checkpointed.max);
    // Running again, then a reload while images are still to do: what came after the checkpoint is lost.
    await page.getByTestId('embed-resume').click();
    await expect.poll(async () => (await embed.progress()).now).toBeGreaterThan(checkpointed.now);
    const before = await embed.progress();
    expect(before.now).toBeLessThan(before.max);
    await page.reload();
    await lab.loadFolder(folder.dir);
    await embed.expectState('paused');
    const stored = await embed.progress();
    expect(stored.now).toBeGreaterThanOrEqual(checkpointed.now);
    expect(stored.now).toBeLessThan(stored.max);
    await embed.choose({ backend: 'wasm' });
    await page.getByTestId('embed-resume').click();
    await embed.expectState('done', 240_000);
    expect(await embed.readout('stat-skipped-images')).toBe(3);
    const prototypes = await embed.download('download-prototypes');
    const embeddings = await embed.download('download-embeddings');
    checkPrototypes(prototypes.arrays, embeddings.arrays);
    const P = prototypes.arrays.prototypes.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < P.length; i++) worst = Math.max(worst, Math.abs(P[i] - uninterrupted![i]));
    expect(worst).toBeLessThan(1e-5);
  });
});

/** Embeds the loaded folder and returns embeddings.npz, then discards the stored run. */
async function embedOnce(page: import('@playwright/test').Page, options: { backend: string; batch: number }) {
  const embed = new EmbeddingsPanel(page);
  await embed.choose(options);
  await embed.runToEnd(240_000);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-value', options.backend);
  const { arrays } = await embed.download('download-embeddings');
  await page.getByTestId('embed-discard').click();
  await embed.expectState('idle');
  return arrays;
}

function worstRelativeDifference(a: Float32Array, b: Float32Array): number {
  expect(b.length).toBe(a.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
  return worst;
}

test('one batch on WebGPU (SwiftShader here) agrees with WASM to 1e-3', async ({ lab, page }) => {
  test.setTimeout(300_000);
  await lab.loadFolder(makeTinyFolder());
  const wasm = await embedOnce(page, { backend: 'wasm', batch: 4 });
  const webgpu = await embedOnce(page, { backend: 'webgpu', batch: 4 });
  expect(webgpu.image_id.data).toEqual(wasm.image_id.data);
  expect(wasm.embeddings.shape).toEqual([4, 96]);
  expect(worstRelativeDifference(wasm.embeddings.data as Float32Array, webgpu.embeddings.data as Float32Array)).toBeLessThan(1e-3);
});

test('a dropped TensorFlow.js model, cut at a named layer, embeds like the bundled one', async ({ lab, page }) => {
  await lab.loadFolder(makeTinyFolder());
  const bundled = await embedOnce(page, { backend: 'wasm', batch: 4 });
  const modelDir = path.join('public', 'models', 'mobilenet_v2');
  await page.getByTestId('model-select').selectOption('custom');
  await page.getByTestId('model-files').setInputFiles([path.join(modelDir, 'model.json'), path.join(modelDir, 'weights.bin')]);
  await page.getByTestId('model-node').fill('block_10_project_BN');
  const dropped = await embedOnce(page, { backend: 'wasm', batch: 4 });
  expect(dropped.embeddings.shape).toEqual([4, 96]);
  expect(worstRelativeDifference(bundled.embeddings.data as Float32Array, dropped.embeddings.data as Float32Array)).toBeLessThan(1e-6);

  // A layer the model does not have is an error in the page that names it.
  await page.getByTestId('model-node').fill('no_such_layer');
  await page.getByTestId('embed-start').click();
  await new EmbeddingsPanel(page).expectState('error');
  await expect(page.getByTestId('embed-status')).toContainText('no layer named "no_such_layer"');
});

test('ImageNet MobileNetV2 from an unreachable URL fails with a message; the bundled model still works', async ({ lab, page }) => {
  await lab.loadFolder(makeTinyFolder());
  await page.getByTestId('model-select').selectOption('mobilenet_v2-imagenet');
  await page.getByTestId('model-url').fill('http://127.0.0.1:9/mobilenet/model.json');
  await page.getByTestId('backend-select').selectOption('wasm');
  await page.getByTestId('embed-start').click();
  const embed = new EmbeddingsPanel(page);
  await embed.expectState('error');
  await expect(page.getByTestId('embed-status')).toContainText('could not be downloaded from http://127.0.0.1:9/mobilenet/model.json');
  await page.getByTestId('model-select').selectOption('mobilenet_v2-nsfwjs');
  await embed.runToEnd();
  expect(await embed.readout('stat-embedded')).toBe(4);
});
