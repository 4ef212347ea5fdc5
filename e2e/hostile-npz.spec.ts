/**
 * Issue 12, hostile prototypes files (scripts/hostile/npz.mjs) through the page: each refused in
 * words that name the file and what is wrong, and what was imported before stays imported.
 * The unit test (src/core/embed/importPrototypes.test.ts) takes every case; these are the ones
 * marked `fixture`, one of each kind, against the fixture's 9 declared categories and the
 * bundled model's 96 features.
 */
import path from 'node:path';
import { DEFAULT_FIXTURE_DIR } from '../scripts/make-fixture.mjs';
import { CATEGORY_IDS, FEATURES, npyFloat32, npzCases } from '../scripts/hostile/npz.mjs';
import { expect, test } from './fixtures.ts';

const asFile = (name: string, buffer: Buffer) => ({ name, mimeType: 'application/octet-stream', buffer });

test('hostile prototypes files are refused in words naming the file; the good import stays', async ({ lab, page }) => {
  await lab.loadMetadata(path.join(DEFAULT_FIXTURE_DIR, 'train_metadata.json'));
  const good = npyFloat32([CATEGORY_IDS.length, FEATURES], Array.from({ length: CATEGORY_IDS.length * FEATURES }, (_, i) => i / 100));
  const input = page.getByTestId('import-prototypes');
  await input.setInputFiles(asFile('good.npy', good));
  const imported = page.getByTestId('imported-prototypes');
  await expect(imported).toHaveAttribute('data-dim', String(FEATURES));
  await expect(imported).toHaveAttribute('data-classes', String(CATEGORY_IDS.length));
  const cases = npzCases().filter((c) => c.fixture);
  expect(cases.length).toBeGreaterThanOrEqual(5);
  for (const c of cases) {
    await input.setInputFiles(asFile(c.name, c.buffer));
    const error = page.getByTestId('import-error');
    await expect(error, c.name).toContainText(c.name);
    for (const words of c.says) await expect(error, c.name).toContainText(words);
    await expect(imported, c.name).toContainText('good.npy');
  }
});
