import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_FIXTURE_DIR, IMAGEFOLDER_CLASSES, IMAGEFOLDER_TEST_IMAGES } from '../scripts/make-fixture.mjs';
import { expectedReadouts } from './expected.ts';
import { expect, test } from './fixtures.ts';
import type { LabPage, StatId } from './pages/LabPage.ts';

const fixture = DEFAULT_FIXTURE_DIR;
const expected = expectedReadouts(fixture);

async function expectReadouts(lab: LabPage, want: Partial<Record<StatId, number>>) {
  for (const [id, value] of Object.entries(want)) {
    if (id === 'stat-imbalance-ratio') expect(await lab.statValue(id as StatId), id).toBeCloseTo(value, 9);
    else await expect(lab.stat(id as StatId), id).toHaveAttribute('data-value', String(value));
  }
}

const fixtureReadouts = {
  'stat-images': expected.images,
  'stat-classes': expected.classes,
  'stat-genera': expected.genera,
  'stat-families': expected.families,
  'stat-institutions': expected.institutions,
  'stat-max-class': expected.maxClass,
  'stat-min-class': expected.minClass,
  'stat-imbalance-ratio': expected.imbalanceRatio,
  'stat-many': expected.many,
  'stat-medium': expected.medium,
  'stat-few': expected.few,
};

test('the fixture spans every band, so the readouts below are meaningful', () => {
  expect(expected.many).toBeGreaterThan(0);
  expect(expected.medium).toBeGreaterThan(0);
  expect(expected.few).toBeGreaterThan(0);
  expect(expected.missingFiles).toBeGreaterThan(0);
});

test('metadata files give every readout, computed independently from the fixture', async ({ lab }) => {
  await lab.loadMetadata([path.join(fixture, 'train_metadata.json'), path.join(fixture, 'test_metadata.json')]);
  await expectReadouts(lab, { ...fixtureReadouts, 'stat-test-images': expected.testImages });
  await expect(lab.page.getByTestId('dataset-format')).toHaveAttribute('data-value', 'herbarium2022');
  await expect(lab.stat('stat-missing-files')).toHaveAttribute('data-value', '');
  await expect(lab.alerts()).toHaveCount(0);
});

test('the Herbarium folder layout: metadata found in the folder, files matched, missing ones listed', async ({ lab }) => {
  await lab.loadFolder(fixture);
  await expectReadouts(lab, {
    ...fixtureReadouts,
    'stat-test-images': expected.testImages,
    'stat-missing-files': expected.missingFiles,
  });
  const missing = lab.page.getByTestId('missing-files');
  for (const m of ['000/09/00009__003.jpg', '000/30/00030__002.png']) await expect(missing).toContainText(m);
});

test('metadata first, folder afterwards: the folder is matched to the loaded metadata', async ({ lab }) => {
  await lab.loadMetadata(path.join(fixture, 'train_metadata.json'));
  await expect(lab.stat('stat-test-images')).toHaveAttribute('data-value', '0');
  await lab.loadFolder(path.join(fixture, 'train_images'));
  await expectReadouts(lab, { 'stat-images': expected.images, 'stat-missing-files': 2 });
  await expect(lab.page.getByTestId('folder-extra-images')).toHaveAttribute('data-value', '0');
});

test('images in the folder that the metadata does not name are counted', async ({ lab }, testInfo) => {
  // The fixture's images plus two the metadata does not list (one in a folder of its own).
  const dir = testInfo.outputPath('train_images');
  fs.cpSync(path.join(fixture, 'train_images'), dir, { recursive: true });
  const someImage = fs.readFileSync(path.join(fixture, 'train_images/000/01/00001__002.png'));
  fs.writeFileSync(path.join(dir, '000/01/not_in_metadata.png'), someImage);
  fs.mkdirSync(path.join(dir, 'extra'));
  fs.writeFileSync(path.join(dir, 'extra/also_not.png'), someImage);
  await lab.loadMetadata(path.join(fixture, 'train_metadata.json'));
  await lab.loadFolder(dir);
  await expectReadouts(lab, { 'stat-images': expected.images, 'stat-missing-files': 2 });
  await expect(lab.page.getByTestId('folder-extra-images')).toHaveAttribute('data-value', '2');
});

test('band limits are editable, fixed or by quantile', async ({ lab }) => {
  await lab.loadMetadata(path.join(fixture, 'train_metadata.json'));
  await lab.page.getByTestId('band-many-above').fill('40');
  await lab.page.getByTestId('band-few-below').fill('5');
  const custom = expectedReadouts(fixture, { manyAbove: 40, fewBelow: 5 });
  await expectReadouts(lab, { 'stat-many': custom.many, 'stat-medium': custom.medium, 'stat-few': custom.few });
  await lab.page.getByTestId('band-mode-quantile').check();
  const total = (await lab.statValue('stat-many')) + (await lab.statValue('stat-medium')) + (await lab.statValue('stat-few'));
  expect(total).toBe(expected.classes);
  expect(await lab.statValue('stat-many')).toBeGreaterThan(0);
});

test('the demo loads offline from the app itself, with a long tail and attribution', async ({ lab, page }) => {
  const external: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('http://127.0.0.1')) external.push(r.url());
  });
  await lab.loadDemo();
  const demo = expectedReadouts('public/demo');
  await expectReadouts(lab, {
    'stat-images': demo.images,
    'stat-classes': demo.classes,
    'stat-genera': demo.genera,
    'stat-families': demo.families,
    'stat-test-images': demo.testImages,
    'stat-missing-files': 0,
  });
  expect(await lab.statValue('stat-imbalance-ratio')).toBeGreaterThanOrEqual(50);
  expect(await lab.statValue('stat-families')).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('demo-attribution')).toContainText('CC-BY 4.0');
  expect(external).toEqual([]);
  await expect(lab.alerts()).toHaveCount(0);
});

test("the demo's credit goes when another dataset replaces the demo", async ({ lab, page }) => {
  await lab.loadDemo();
  await expect(page.getByTestId('demo-attribution')).toContainText('CC-BY 4.0');
  await lab.loadMetadata(path.join(fixture, 'train_metadata.json'));
  await expectReadouts(lab, { 'stat-images': expected.images });
  await expect(page.getByTestId('demo-attribution')).toHaveCount(0);
});

test('a metadata file dropped on the drop zone loads like a picked one', async ({ lab }) => {
  await lab.dropFiles([{ name: 'train_metadata.json', content: fs.readFileSync(path.join(fixture, 'train_metadata.json'), 'utf8') }]);
  await expectReadouts(lab, fixtureReadouts);
});

test('an ImageFolder tree (one subfolder per class, no metadata) becomes a dataset', async ({ lab, page }) => {
  await lab.loadFolder(path.join(path.dirname(fixture), 'imagefolder'));
  const sizes = Object.values(IMAGEFOLDER_CLASSES);
  await expectReadouts(lab, {
    'stat-images': sizes.reduce((a, b) => a + b, 0),
    'stat-classes': sizes.length,
    'stat-genera': new Set(Object.keys(IMAGEFOLDER_CLASSES).map((n) => n.split(' ')[0])).size,
    'stat-max-class': Math.max(...sizes),
    'stat-min-class': Math.min(...sizes),
    'stat-test-images': IMAGEFOLDER_TEST_IMAGES,
    'stat-missing-files': 0,
  });
  await expect(page.getByTestId('dataset-format')).toHaveAttribute('data-value', 'imagefolder');
});
