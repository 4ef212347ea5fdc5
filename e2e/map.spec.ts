import fs from 'node:fs';
import { DEFAULT_FIXTURE_DIR } from '../scripts/make-fixture.mjs';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.mjs';
import { parseCsv } from '../src/core/formats/csv.ts';
import { expect, test } from './fixtures.ts';
import { EmbeddingsPanel } from './pages/EmbeddingsPanel.ts';

// Headless Chromium gives WebGL (SwiftShader) only with these: the map is drawn with WebGL.
test.use({ launchOptions: { executablePath: chromiumPath, args: [...chromiumArgs, '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] } });

async function downloadMap(page: import('@playwright/test').Page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-map').click()]);
  expect(download.suggestedFilename()).toBe('map.csv');
  const rows = parseCsv(fs.readFileSync(await download.path(), 'utf8'));
  expect(rows[0]).toEqual(['image_id', 'x', 'y', 'projection']);
  return rows.slice(1).map(([id, x, y, projection]) => ({ id, x: Number(x), y: Number(y), projection }));
}

test('the map of the embedded fixture: a point per image, map.csv, a lasso filters the grid, the viewer and its neighbours', async ({ lab, page }) => {
  test.setTimeout(300_000);
  await lab.loadFolder(DEFAULT_FIXTURE_DIR);
  const embed = new EmbeddingsPanel(page);
  await embed.choose({ backend: 'wasm', includeTest: true });
  await embed.runToEnd();
  const { arrays } = await embed.download('download-embeddings');
  const ids = arrays.image_id.data as string[];
  const N = ids.length;
  const D = arrays.embeddings.shape[1];
  const E = arrays.embeddings.data as Float32Array;
  const unit = ids.map((_, r) => {
    const v = Array.from(E.subarray(r * D, (r + 1) * D));
    const n = Math.hypot(...v);
    return v.map((t) => t / n);
  });

  // PCA draws itself when the run is done: one point per embedded image.
  const map = page.getByTestId('embedding-map');
  await expect(map).toHaveAttribute('data-points', String(N), { timeout: 60_000 });
  await expect(map).toHaveAttribute('data-projection', 'pca');
  const pca = await downloadMap(page);
  expect(pca.map((r) => r.id).sort()).toEqual([...ids].sort());
  expect(pca.every((r) => r.projection === 'pca' && Number.isFinite(r.x) && Number.isFinite(r.y))).toBe(true);

  // Recolouring twice in a row draws twice; the second waits for the first (regl-scatterplot refuses overlapping draws).
  await page.getByTestId('map-color').selectOption('split');
  await page.getByTestId('map-color').selectOption('institution');
  await expect(page.getByTestId('map-legend')).toContainText('MO');
  await page.waitForTimeout(500);
  await expect(page.getByTestId('map-failure')).toHaveCount(0);

  // Its x is the first principal axis of the unit rows, found here by power iteration (sign free).
  const mean = new Array(D).fill(0);
  for (const v of unit) v.forEach((t, j) => (mean[j] += t / N));
  const centred = unit.map((v) => v.map((t, j) => t - mean[j]));
  let axis = new Array(D).fill(0).map((_, j) => Math.sin(j + 1));
  for (let it = 0; it < 500; it++) {
    const next = new Array(D).fill(0);
    for (const v of centred) {
      const d = v.reduce((s, t, j) => s + t * axis[j], 0);
      v.forEach((t, j) => (next[j] += d * t));
    }
    const n = Math.hypot(...next);
    axis = next.map((t) => t / n);
  }
  const byId = new Map(ids.map((id, r) => [id, r]));
  const reference = pca.map((r) => centred[byId.get(r.id)!].reduce((s, t, j) => s + t * axis[j], 0));
  const drawnX = pca.map((r) => r.x);
  const corr = (a: number[], b: number[]) => {
    const ma = a.reduce((s, t) => s + t, 0) / a.length;
    const mb = b.reduce((s, t) => s + t, 0) / b.length;
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < a.length; i++) (ab += (a[i] - ma) * (b[i] - mb)), (aa += (a[i] - ma) ** 2), (bb += (b[i] - mb) ** 2);
    return ab / Math.sqrt(aa * bb);
  };
  expect(Math.abs(corr(drawnX, reference))).toBeGreaterThan(0.999);

  // A lasso (Shift + drag) around the left half of the canvas: a map chip, and the grid shows only those images.
  await page.getByTestId('page-size').fill('60');
  await page.getByTestId('page-size').press('Enter');
  const canvas = map.locator('canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  const left = box.x + 3;
  const mid = box.x + box.width / 2;
  const top = box.y + 3;
  const bottom = box.y + box.height - 3;
  await page.keyboard.down('Shift');
  await page.mouse.move(left, top);
  await page.mouse.down();
  for (const [x, y] of [[mid, top], [mid, bottom], [left, bottom], [left, top + 10]]) await page.mouse.move(x, y, { steps: 12 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  const chip = page.locator('[data-testid="chip"][data-kind="map"]');
  await expect(chip).toHaveCount(1);

  // The points left of the canvas's centre, in the renderer's normalised space (one scale, about the data box's centre).
  const xs = pca.map((r) => r.x);
  const ys = pca.map((r) => r.y);
  const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
  const nx = (x: number) => ((x - cx) * 1.9) / span;
  const isTest = new Set(ids.filter((_, r) => (arrays.split.data as string[])[r] === 'test'));
  const surelyIn = new Set(pca.filter((r) => nx(r.x) < -0.05 && !isTest.has(r.id)).map((r) => r.id));
  const maybeIn = new Set(pca.filter((r) => nx(r.x) < 0.05 && !isTest.has(r.id)).map((r) => r.id));
  expect(surelyIn.size).toBeGreaterThan(0);
  const grid = page.getByTestId('sample-grid').getByTestId('sample');
  await expect.poll(async () => (await grid.count()) >= Math.min(60, surelyIn.size) && (await grid.count()) <= Math.min(60, maybeIn.size)).toBe(true);
  const shown = await grid.evaluateAll((tiles) => tiles.map((t) => t.getAttribute('data-image-id')!));
  for (const id of shown) expect(maybeIn.has(id)).toBe(true);

  // A box (Shift + drag in box mode) over the right half: a second chip counting those points, test images too.
  await page.getByTestId('map-select-shape').selectOption('box');
  await page.keyboard.down('Shift');
  await page.mouse.move(mid, top);
  await page.mouse.down();
  // The box's first corner is the lasso's first sample (taken after a short delay): rest at the start too.
  await page.mouse.move(mid + 1, top + 1);
  await page.waitForTimeout(150);
  await page.mouse.move(mid, top);
  await page.waitForTimeout(150);
  await page.mouse.move(box.x + box.width - 3, bottom, { steps: 12 });
  // The lasso samples the pointer on a throttle: rest at the corner so its last sample is there.
  await page.waitForTimeout(150);
  await page.mouse.move(box.x + box.width - 4, bottom - 1);
  await page.waitForTimeout(150);
  await page.mouse.move(box.x + box.width - 3, bottom);
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await expect(chip).toHaveCount(2);
  const boxed = Number((await chip.nth(1).textContent())!.replace(/,/g, '').match(/(\d+) images? on the PCA map/)![1]);
  expect(boxed).toBeGreaterThanOrEqual(pca.filter((r) => nx(r.x) > 0.05).length);
  expect(boxed).toBeLessThanOrEqual(pca.filter((r) => nx(r.x) > -0.05).length);

  // Removing the box's chip gives the lasso's grid back.
  await chip.nth(1).getByRole('button').click();
  await expect(chip).toHaveCount(1);
  await expect.poll(async () => (await grid.evaluateAll((tiles) => tiles.map((t) => t.getAttribute('data-image-id')))).join()).toBe(shown.join());

  // The viewer: a tile opens it; its neighbours are the brute-force cosine nearest, nearest first.
  await grid.first().click();
  const viewer = page.getByTestId('image-viewer');
  await expect(viewer).toBeVisible();
  await expect(viewer).toHaveAttribute('data-image-id', shown[0]);
  const tiles = viewer.getByTestId('neighbour');
  const K = Math.min(12, N - 1);
  await expect(tiles).toHaveCount(K);
  const cosineTo = (a: string) => {
    const q = unit[byId.get(a)!];
    return ids.map((id, r) => ({ id, cos: id === a ? -Infinity : unit[r].reduce((s, t, j) => s + t * q[j], 0) })).sort((p, q2) => q2.cos - p.cos);
  };
  const expected = cosineTo(shown[0]).slice(0, K);
  const got = await tiles.evaluateAll((ts) => ts.map((t) => ({ id: t.getAttribute('data-image-id')!, cos: Number(t.getAttribute('data-cosine')) })));
  const exact = new Map(cosineTo(shown[0]).map((p) => [p.id, p.cos]));
  got.forEach((g, k) => {
    expect(Math.abs(g.cos - expected[k].cos)).toBeLessThan(1e-5); // the k-th nearest (ties may swap ids)
    expect(Math.abs(g.cos - exact.get(g.id)!)).toBeLessThan(1e-5); // and the tile's own cosine
  });

  // → steps to the next tile of the grid; a neighbour moves the viewer to it; ← comes back; Esc closes.
  await viewer.press('ArrowRight');
  await expect(viewer).toHaveAttribute('data-image-id', shown[1 % shown.length]);
  await expect(viewer.getByTestId('neighbours')).toHaveAttribute('data-slot', /\d/);
  const third = (await viewer.getByTestId('neighbour').nth(2).getAttribute('data-image-id'))!;
  await viewer.getByTestId('neighbour').nth(2).click();
  await expect(viewer).toHaveAttribute('data-image-id', third);
  await viewer.press('ArrowLeft');
  await expect(viewer).toHaveAttribute('data-image-id', shown[1 % shown.length]);
  await viewer.press('Escape');
  await expect(viewer).toBeHidden();

  // UMAP: every point again, map.csv says so.
  await page.getByTestId('map-projection').selectOption('umap');
  await expect(map).toHaveAttribute('data-projection', 'umap', { timeout: 120_000 });
  await expect(map).toHaveAttribute('data-points', String(N));
  const umap = await downloadMap(page);
  expect(umap.map((r) => r.id).sort()).toEqual([...ids].sort());
  expect(umap.every((r) => r.projection === 'umap')).toBe(true);
});
