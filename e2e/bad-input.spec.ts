import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_FIXTURE_DIR } from '../scripts/make-fixture.mjs';
import { expectedReadouts } from './expected.ts';
import { expect, test } from './fixtures.ts';
import type { InMemoryFile } from './pages/LabPage.ts';

const fixture = DEFAULT_FIXTURE_DIR;
const expected = expectedReadouts(fixture);
const trainText = fs.readFileSync(path.join(fixture, 'train_metadata.json'), 'utf8');
const train = JSON.parse(trainText);
const json = (name: string, value: unknown): InMemoryFile => ({
  name,
  mimeType: 'application/json',
  buffer: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});

/** Each bad file: what the alert must say. Fatal ones leave the loaded dataset untouched. */
const fatal: [string, InMemoryFile, RegExp][] = [
  ['not JSON', json('notes.json', 'this is not json'), /notes\.json.*not valid JSON.*top level is 't'/s],
  [
    'truncated JSON',
    json('cut.json', trainText.slice(0, Math.floor(trainText.length / 2))),
    /cut\.json.*ends early inside "(annotations|images|distances|categories)"/s,
  ],
  ['an unknown shape', json('other.json', { rows: [1, 2], meta: {} }), /other\.json.*unknown metadata shape.*"rows", "meta"/s],
  ['a missing required key', json('nocats.json', { ...train, categories: undefined }), /nocats\.json.*"categories" array is missing/s],
  ['a wrong top-level type', json('wrongtype.json', { ...train, images: 'x' }), /wrongtype\.json.*"images" should be an array but is a string/s],
  ['an empty dataset', json('empty.json', { annotations: [], images: [], categories: [] }), /empty\.json.*no usable train images/s],
  ['a 0-byte file', json('zero.json', ''), /zero\.json.*empty \(0 bytes\)/s],
  [
    'a binary file',
    { name: 'photo.json', mimeType: 'application/octet-stream', buffer: fs.readFileSync(path.join(fixture, 'train_images/000/01/00001__002.png')) },
    /photo\.json.*PNG image, not JSON/s,
  ],
];

test.describe('bad input: a clear message, and the loaded dataset stays', () => {
  test.beforeEach(async ({ lab }) => {
    await lab.loadMetadata(path.join(fixture, 'train_metadata.json'));
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', String(expected.images));
  });

  for (const [what, file, message] of fatal) {
    test(what, async ({ lab }) => {
      await lab.loadMetadata(file);
      const alert = lab.alerts().filter({ hasText: file.name });
      await expect(alert).toHaveCount(1);
      await expect(alert).toHaveAttribute('data-severity', 'error');
      expect(await alert.innerText()).toMatch(message);
      await expect(alert).toContainText(/at (byte|top level|annotations)/);
      await expect(lab.stat('stat-images')).toHaveAttribute('data-value', String(expected.images));
      await expect(lab.page.getByTestId('section-overview')).toBeVisible();
    });
  }

  test('a huge single string is refused without freezing the page', async ({ lab }, info) => {
    const file = info.outputPath('huge.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, '{"images": [{"image_id": "');
    const block = Buffer.alloc(1 << 20, 'x');
    for (let i = 0; i < 70; i++) fs.writeSync(fd, block);
    fs.writeSync(fd, '"}]}');
    fs.closeSync(fd);
    await lab.loadMetadata(file);
    const alert = lab.alerts().filter({ hasText: 'huge.json' });
    await expect(alert).toContainText('element 0 of "images" is larger than 67.1 MB');
    await expect(alert).toContainText('byte 12');
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', String(expected.images));
  });

  test('a binary file dropped on the drop zone', async ({ lab }) => {
    await lab.dropFiles([{ name: 'scan.jpg', content: [0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70] }]);
    await expect(lab.alerts().filter({ hasText: 'scan.jpg' })).toContainText('JPEG image, not JSON');
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', String(expected.images));
  });
});

test.describe('bad items: the rest loads, with a warning that counts them', () => {
  test('wrong types, duplicate ids, unknown images and categories', async ({ lab }) => {
    const doc = structuredClone(train);
    const dupAt = doc.images.length;
    doc.images.push({ image_id: doc.images[0].image_id, file_name: 'dup.jpg', license: 0 });
    doc.images.push({ image_id: 'no-file-name' });
    const ghostAt = doc.annotations.length;
    doc.annotations.push({ image_id: 'ghost-1', category_id: 1 }, { image_id: 'ghost-2', category_id: 1 });
    doc.annotations.push({ image_id: doc.images[1].image_id, category_id: 99999 });
    doc.annotations.push({ image_id: doc.images[2].image_id, category_id: 'one' });
    await lab.loadMetadata(json('messy.json', doc));
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', String(expected.images));
    const warnings = lab.alerts().filter({ hasText: 'messy.json' });
    await expect(warnings.filter({ hasText: 'duplicate image ids' })).toContainText(doc.images[0].image_id);
    await expect(warnings.filter({ hasText: 'duplicate image ids' })).toContainText(`images[${dupAt}].image_id`);
    await expect(warnings.filter({ hasText: 'duplicate image ids' })).toContainText('(first: images[0])');
    await expect(warnings.filter({ hasText: 'image id not in "images"' })).toContainText('(2 items)');
    await expect(warnings.filter({ hasText: 'image id not in "images"' })).toContainText(`annotations[${ghostAt}].image_id "ghost-1"`);
    await expect(warnings.filter({ hasText: 'category id not in "categories"' })).toContainText('99999');
    await expect(warnings.filter({ hasText: 'without an integer "category_id"' })).toContainText('"one"');
    await expect(warnings.filter({ hasText: 'without a valid "file_name"' })).toContainText(`images[${doc.images.length - 1}]`);
    for (const w of await warnings.all()) await expect(w).toHaveAttribute('data-severity', 'warning');
  });
});

test.describe('a COCO test file (images and categories, no annotations)', () => {
  test('is read as the test split, with a warning that names the file and says why', async ({ lab }) => {
    await lab.loadMetadata(path.join(fixture, 'train_metadata.json'));
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', String(expected.images));
    // The shape of iNaturalist's test2018.json: "images" and "categories", no "annotations".
    const coco = {
      info: { year: 2018 },
      images: [
        { id: 1, file_name: 'test2018/a.jpg', width: 8, height: 8 },
        { id: 2, file_name: 'test2018/b.jpg', width: 8, height: 8 },
        { id: 3, file_name: 'test2018/c.jpg', width: 8, height: 8 },
      ],
      categories: [{ id: 0, name: 'Quercus alba', supercategory: 'Plantae' }],
    };
    await lab.dropFiles([{ name: 'test2018.json', content: JSON.stringify(coco) }]);
    const alert = lab.alerts().filter({ hasText: 'test2018.json' });
    await expect(alert).toHaveCount(1);
    await expect(alert).toHaveAttribute('data-severity', 'warning');
    await expect(alert).toContainText('no "annotations" array: read as the test split (3 images, unlabelled)');
    await expect(alert).toContainText('load the train metadata, the file with "annotations"');
    await expect(alert).toContainText('at top level, keys found: "info", "images", "categories"');
    await expect(lab.stat('stat-test-images')).toHaveAttribute('data-value', '3');
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', String(expected.images));
  });

  test('a bare array of images (the Herbarium 2022 test format) loads without a message', async ({ lab }) => {
    await lab.loadMetadata(path.join(fixture, 'train_metadata.json'));
    await lab.loadMetadata(path.join(fixture, 'test_metadata.json'));
    await expect(lab.stat('stat-test-images')).toHaveAttribute('data-value', String(expected.testImages));
    await expect(lab.alerts()).toHaveCount(0);
  });
});
