import { DEFAULT_FIXTURE_DIR, FIXTURE_CLASSES, FIXTURE_MISSING, fixtureClassColor } from '../scripts/make-fixture.mjs';
import { expectedCounts } from './expected.ts';
import { expect, test } from './fixtures.ts';

const fixture = DEFAULT_FIXTURE_DIR;
const counts = expectedCounts(fixture);

/** Average colour of a ready thumbnail, read back from its canvas's pixels in the page. */
async function thumbColor(tile: import('@playwright/test').Locator): Promise<number[]> {
  return tile.locator('[data-testid="thumb"][data-state="ready"] canvas').evaluate((canvas: HTMLCanvasElement) => {
    if (!canvas.width || !canvas.height) throw new Error(`the thumbnail canvas is empty (${canvas.width}×${canvas.height})`);
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const sum = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) for (let k = 0; k < 3; k++) sum[k] += data[i + k];
    return sum.map((v) => v / (data.length / 4));
  });
}

test.describe('sample grid on the fixture folder', () => {
  test.beforeEach(async ({ lab, page }) => {
    await lab.loadFolder(fixture);
    await page.getByTestId('sample-grid').scrollIntoViewIfNeeded();
  });

  test('search finds a class as you type; its tiles are its own files, the missing one says so', async ({ page }) => {
    // Rosa canina (category 30) has two images, one of which has no file in the folder.
    const k = FIXTURE_CLASSES.findIndex((c) => c[0] === 30);
    await page.getByTestId('class-search').fill('canin');
    const hit = page.getByTestId('search-result').filter({ hasText: 'Rosa canina' });
    await expect(hit).toHaveAttribute('data-kind', 'class');
    await hit.click();
    await expect(page.getByTestId('chip')).toContainText('Rosa canina');
    const tiles = page.getByTestId('sample-grid').getByTestId('sample');
    await expect(tiles).toHaveCount(counts.byCategory.get(30)!);
    const ids = (await tiles.evaluateAll((els) => els.map((e) => e.getAttribute('data-image-id')))).sort();
    expect(ids).toEqual(['00030__001', '00030__002']);
    const ready = tiles.filter({ has: page.locator('[data-testid="thumb"][data-state="ready"]') });
    const failed = tiles.filter({ has: page.locator('[data-testid="thumb"][data-state="failed"]') });
    await expect(ready).toHaveAttribute('data-image-id', '00030__001');
    await expect(failed).toHaveAttribute('data-image-id', '00030__002');
    expect(FIXTURE_MISSING).toContain('000/30/00030__002.png');
    await expect(failed.getByTestId('thumb-failed')).toContainText('not in the dropped folder');
    for (const caption of await tiles.locator('figcaption').allInnerTexts()) expect(caption).toMatch(/^Rosaceae · Rosa · canina/);
    const color = await thumbColor(ready);
    const want = fixtureClassColor(k);
    color.forEach((v, ch) => expect(Math.abs(v - want[ch]), `channel ${ch}`).toBeLessThan(30));
  });

  test('random samples: page size, reshuffle, and every tile matches the filter', async ({ page }) => {
    const tiles = page.getByTestId('sample-grid').getByTestId('sample');
    await expect(tiles).toHaveCount(6);
    await page.getByTestId('page-size').fill('12');
    await expect(tiles).toHaveCount(12);
    await page.getByTestId('band-filter-many').click();
    // The only many-shot class of the fixture (>100 images) is Abies alba.
    for (const caption of await tiles.locator('figcaption').allInnerTexts()) expect(caption).toMatch(/^Pinaceae · Abies · alba/);
    const before = await tiles.evaluateAll((els) => els.map((e) => e.getAttribute('data-image-id')).join());
    await page.getByTestId('reshuffle').click();
    await expect.poll(() => tiles.evaluateAll((els) => els.map((e) => e.getAttribute('data-image-id')).join())).not.toBe(before);
    await page.getByRole('button', { name: /Remove filter/ }).click();
    await expect(page.getByTestId('chip')).toHaveCount(0);
  });

  test('a genus shows one row per species; each thumbnail has its class colour', async ({ page }) => {
    await page.getByTestId('class-search').fill('Acer');
    await page.getByTestId('search-result').filter({ hasText: 'Acer' }).and(page.locator('[data-kind="genus"]')).click();
    const rows = page.getByTestId('class-row');
    const acer = FIXTURE_CLASSES.filter((c) => c[2] === 'Acer');
    await expect(rows).toHaveCount(acer.length);
    for (const [categoryId] of acer) {
      const row = rows.and(page.locator(`[data-category-id="${categoryId}"]`));
      const k = FIXTURE_CLASSES.findIndex((c) => c[0] === categoryId);
      // Thumbnails load as they come near the view, as a user scrolling would see them.
      await row.scrollIntoViewIfNeeded();
      const tile = row.getByTestId('sample').filter({ has: page.locator('[data-state="ready"]') }).first();
      const id = await tile.getAttribute('data-image-id');
      expect(id!.startsWith(String(categoryId).padStart(5, '0'))).toBe(true);
      const color = await thumbColor(tile);
      fixtureClassColor(k).forEach((v, ch) => expect(Math.abs(color[ch] - v)).toBeLessThan(30));
    }
  });
});
