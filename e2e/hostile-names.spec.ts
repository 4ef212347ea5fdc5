/**
 * Hostile names through the page: a 100 kB name stays in its box with the whole name on hover,
 * quotes and ampersands show as themselves in charts, a CSV cell a spreadsheet would run is
 * neutralised, and NFD file names (macOS) match NFC metadata and are counted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FORMULA_FAMILY, FORMULA_GENUS, FORMULA_NAME, LONG_NAME, NFD_FILES, QUOTED_INSTITUTION, writeNamesDataset } from '../scripts/hostile/names.mjs';
import { expect, test } from './fixtures.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-names-'));
const imageCount = writeNamesDataset(dir);

test('hostile names: bounded boxes, full names on hover, raw text in charts, neutral CSV cells, NFD files found', async ({ lab, page }) => {
  await lab.loadFolder(dir);
  expect(await lab.statValue('stat-images')).toBe(imageCount);
  // Every file found, two of them only once both names were NFC.
  expect(await lab.statValue('stat-missing-files')).toBe(0);
  await expect(page.getByTestId('folder-normalised-matches')).toHaveAttribute('data-value', String(NFD_FILES.length));

  // The 100 kB class name as a chip: no wider than the page, the whole name in its title.
  await page.getByTestId('class-search').fill('Longooo');
  await page.getByTestId('search-result').first().click();
  const chip = page.getByTestId('chip').filter({ hasText: 'Longooo' });
  const box = (await chip.boundingBox())!;
  expect(box.width).toBeLessThan(page.viewportSize()!.width);
  const chipName = chip.locator('.name');
  expect(await chipName.getAttribute('title')).toBe(LONG_NAME);
  // The keyboard gets there too: a cut name takes focus (app.css shows it whole on focus).
  await expect(chipName).toHaveAttribute('tabindex', '0');
  // The sample caption holds the name cut, not 100 kB of text.
  const caption = page.getByTestId('sample').first().locator('figcaption');
  expect((await caption.innerText()).length).toBeLessThan(1000);

  // A name with quotes, an apostrophe, & and <…> is shown as itself on the chart's axis.
  const ticks = await page.getByTestId('chart-institutions').locator('.xtick text').allTextContents();
  expect(ticks).toContain(QUOTED_INSTITUTION);
  expect(ticks.join('')).not.toContain('&quot;');

  // class-table.csv: the formula cells start with an apostrophe.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-class-table').click()]);
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  expect(csv).toContain(`2,"'${FORMULA_NAME.replace(/"/g, '""')}","'${FORMULA_FAMILY}",'${FORMULA_GENUS},`);
  for (const line of csv.split('\r\n')) for (const cell of line.split(',')) expect(cell).not.toMatch(/^[=+@]/);
});
