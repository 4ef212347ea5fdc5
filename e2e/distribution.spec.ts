import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_FIXTURE_DIR } from '../scripts/make-fixture.mjs';
import { expectedCounts } from './expected.ts';
import { expect, test } from './fixtures.ts';

const fixture = DEFAULT_FIXTURE_DIR;
const counts = expectedCounts(fixture);
const sizesDesc = [...counts.byCategory.values()].sort((a, b) => b - a);

type PlotData = { type: string; x?: unknown[]; y?: unknown[]; values?: number[]; labels?: string[]; ids?: string[]; name?: string }[];

test.describe('distribution charts on the fixture', () => {
  test.beforeEach(async ({ lab }) => {
    await lab.loadFolder(fixture);
    await expect(lab.page.getByTestId('chart-institutions').locator('.main-svg').first()).toBeVisible();
  });

  const dataOf = (page: import('@playwright/test').Page, testId: string) =>
    page.getByTestId(testId).evaluate((el) => JSON.parse(JSON.stringify((el as unknown as { data: unknown }).data)) as PlotData);

  test('every chart is a plotly plot whose data holds the fixture counts', async ({ lab, page }) => {
    expect(await page.locator('.js-plotly-plot').count()).toBe(7);

    const rank = await dataOf(page, 'chart-rank-frequency');
    expect(rank[0].type).toBe('scatter');
    expect(rank[0].y).toEqual(sizesDesc);

    const histogram = await dataOf(page, 'chart-size-histogram');
    expect([...(histogram[0].x as number[])].sort((a, b) => b - a)).toEqual(sizesDesc);

    const cumulative = await dataOf(page, 'chart-cumulative-share');
    const total = sizesDesc.reduce((a, b) => a + b, 0);
    let running = 0;
    const expectedCurve = [0, ...sizesDesc.map((n) => (running += n) / total)];
    (cumulative[0].y as number[]).forEach((v, k) => expect(v).toBeCloseTo(expectedCurve[k], 12));

    const treemap = (await dataOf(page, 'chart-taxonomy'))[0];
    for (const [family, n] of counts.byFamily) {
      const k = treemap.labels!.indexOf(family);
      expect(treemap.ids![k]).toMatch(/^f/);
      expect(treemap.values![k], family).toBe(n);
    }

    const institutions = await dataOf(page, 'chart-institutions');
    for (const [name, n] of counts.byInstitution) {
      const k = (institutions[0].x as string[]).indexOf(name);
      const sum = institutions.reduce((s, trace) => s + (trace.y as number[])[k], 0);
      expect(sum, name).toBe(n);
    }
    expect(institutions.map((t) => t.name)).toEqual(['many', 'medium', 'few']);
    await expect(lab.alerts()).toHaveCount(0);
  });

  test('treemap tiles drill family → genus → species and filter the grid', async ({ page }) => {
    // force: plotly keeps transforming its SVG text, which never looks "stable" to Playwright.
    const clickTile = async (label: string) => {
      const tile = page.getByTestId('chart-taxonomy').locator('g.slice').filter({ hasText: label }).first();
      await tile.scrollIntoViewIfNeeded();
      await tile.click({ force: true });
    };
    await clickTile('Sapindaceae');
    const chip = page.getByTestId('chip');
    await expect(chip).toHaveAttribute('data-kind', 'family');
    await expect(chip).toContainText('Sapindaceae');
    const captions = page.getByTestId('sample-grid').getByTestId('sample').locator('figcaption');
    await expect(captions.first()).toBeVisible();
    for (const caption of await captions.allInnerTexts()) expect(caption).toMatch(/^Sapindaceae/);

    // One family's genera, each sized by its images.
    await expect(page.getByTestId('treemap-level')).toHaveAttribute('data-kind', 'family');
    const species = [...counts.byCategory].map(([id, n]) => ({ ...counts.categories.get(id)!, n }));
    const genera = await dataOf(page, 'chart-taxonomy');
    for (const genus of ['Acer', 'Aesculus']) {
      const want = species.filter((c) => c.genus === genus).reduce((a, c) => a + c.n, 0);
      expect(genera[0].values![genera[0].labels!.indexOf(genus)], genus).toBe(want);
    }
    expect(genera[0].labels).not.toContain('Abies');

    // One genus's species.
    await clickTile('Acer');
    await expect(page.getByTestId('treemap-level')).toHaveAttribute('data-kind', 'genus');
    const leaves = (await dataOf(page, 'chart-taxonomy'))[0];
    for (const c of species.filter((x) => x.genus === 'Acer')) expect(leaves.values![leaves.labels!.indexOf(c.scientificName)], c.scientificName).toBe(c.n);
    await page.getByTestId('treemap-up').click();
    await page.getByTestId('treemap-up').click();
    await expect(page.getByTestId('treemap-level')).toHaveAttribute('data-kind', 'all');
  });

  test('clicking an institution bar filters by institution and band', async ({ page }) => {
    const bar = page.getByTestId('chart-institutions').locator('g.point path').first();
    await bar.scrollIntoViewIfNeeded();
    await bar.click({ force: true });
    await expect(page.getByTestId('chip')).toHaveCount(2);
    const kinds = await page.getByTestId('chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds.sort()).toEqual(['band', 'institution']);
    const chipText = await page.locator('[data-testid="chip"][data-kind="institution"]').innerText();
    const institution = [...counts.byInstitution.keys()].find((name) => chipText.includes(name))!;
    expect(institution).toBeTruthy();
    const captions = page.getByTestId('sample').locator('figcaption');
    await expect(captions.first()).toBeVisible();
    for (const caption of await captions.allInnerTexts()) expect(caption.endsWith(` · ${institution}`)).toBe(true);
  });

  test('a box of the family spread filters the grid to that family; its numbers are the quartiles', async ({ page }) => {
    const [trace] = await dataOf(page, 'chart-family-spread');
    const box = trace as unknown as { x: string[]; median: number[]; customdata: number[] };
    // The largest family first, its median class size by NumPy's linear rule.
    const [family] = [...counts.byFamily].sort((a, b) => b[1] - a[1])[0];
    expect(box.x[0]).toBe(family);
    const sizes = [...counts.byCategory].filter(([id]) => counts.categories.get(id)!.family === family).map(([, n]) => n).sort((a, b) => a - b);
    const mid = (sizes.length - 1) / 2;
    expect(box.median[0]).toBeCloseTo((sizes[Math.floor(mid)] + sizes[Math.ceil(mid)]) / 2, 9);
    const shape = page.getByTestId('chart-family-spread').locator('g.trace.boxes path.box').first();
    await shape.scrollIntoViewIfNeeded();
    const b = (await shape.boundingBox())!;
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
    await expect(page.getByTestId('chip')).toHaveAttribute('data-kind', 'family');
    await expect(page.getByTestId('chip')).toContainText(family);
  });

  test('a point of the rank–frequency chart filters the grid to its class', async ({ page }) => {
    // A real mouse click on the first point (rank 1: the largest class).
    const point = page.getByTestId('chart-rank-frequency').locator('.scatterlayer .point').first();
    await point.scrollIntoViewIfNeeded();
    const box = (await point.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await expect(page.getByTestId('chip')).toHaveAttribute('data-kind', 'class');
    const [top] = [...counts.byCategory].sort((a, b) => b[1] - a[1]);
    const name = counts.categories.get(top[0])!.scientificName;
    await expect(page.getByTestId('chip')).toContainText(name);
  });

  test('the class table downloads as CSV with the fixture counts', async ({ page }) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-class-table').click()]);
    expect(download.suggestedFilename()).toBe('class-table.csv');
    const text = fs.readFileSync(await download.path(), 'utf8');
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('category_id,name,family,genus,species,count,band');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => Number(r[0]))).toEqual([...counts.byCategory.keys()].sort((a, b) => a - b));
    for (const r of rows) expect(Number(r[5])).toBe(counts.byCategory.get(Number(r[0])));
  });
});

test('names from the metadata are shown as text everywhere, never run as HTML', async ({ lab, page }) => {
  const evil = '<img src=x onerror="window.__xss=1">';
  const doc = {
    annotations: Array.from({ length: 30 }, (_, i) => ({ image_id: `i${i}`, category_id: i % 3, institution_id: 0 })),
    categories: [0, 1, 2].map((id) => ({
      category_id: id,
      scientificName: `${evil} sp${id}`,
      family: `<b>Fam</b>${evil}`,
      genus: `<script>window.__xss=2</script>G${id}`,
      species: `<i>s${id}</i>`,
    })),
    images: Array.from({ length: 30 }, (_, i) => ({ image_id: `i${i}`, file_name: `${i}.jpg` })),
    institutions: [{ institution_id: 0, collectionCode: evil }],
  };
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await lab.loadMetadata({ name: 'evil.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  await expect(page.getByTestId('chart-institutions').locator('.main-svg').first()).toBeVisible();
  // Hover every chart so that plotly draws its hover labels.
  for (const id of ['chart-rank-frequency', 'chart-taxonomy', 'chart-family-spread', 'chart-institutions']) {
    const box = (await page.getByTestId(id).boundingBox())!;
    for (const [fx, fy] of [[0.3, 0.5], [0.5, 0.5], [0.7, 0.4]]) await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
  }
  await page.getByTestId('class-search').fill('img');
  await expect(page.getByTestId('search-result').first()).toContainText(evil);
  await page.getByTestId('search-result').first().click();
  await expect(page.getByTestId('chip')).toContainText(evil);
  await expect(page.getByTestId('sample').first().locator('figcaption')).toContainText('<b>Fam</b>');
  // The treemap tile and axis labels show the markup as text.
  await expect(page.getByTestId('chart-taxonomy')).toContainText('<b>Fam</b>');
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(dialogs).toEqual([]);
});

test('without an image folder the charts work and the grid says which folder to drop', async ({ lab, page }) => {
  await lab.loadMetadata(path.join(fixture, 'train_metadata.json'));
  await expect(page.getByTestId('chart-rank-frequency')).toHaveClass(/js-plotly-plot/);
  await expect(page.getByTestId('grid-needs-folder')).toContainText('train_images/');
  await page.getByTestId('sample-grid').scrollIntoViewIfNeeded();
  await expect(page.getByTestId('thumb-failed').first()).toContainText('not in the dropped folder');
});
