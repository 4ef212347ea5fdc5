import { describe, expect, it } from 'vitest';
import {
  readMetadataFile,
  LoadError,
  missingCategoryFamily,
  missingCategoryGenus,
  missingCategoryName,
  type MetadataReadResult,
} from './metadataReader.ts';
import { readBatch, type BatchRequest } from './metadataBatches.ts';
import { StringTable } from './stringTable.ts';
import type { DatasetColumns } from './types.ts';
import { SURROGATE_IDS, duplicateKeys, latin1Names, nanValues, surrogateIds, utf16NoBom } from '../../../scripts/hostile/json.mjs';

const blob = (v: unknown) => new Blob([typeof v === 'string' ? v : JSON.stringify(v, null, 4)]);

async function read(v: unknown, name = 'train_metadata.json', chunkBytes = 64): Promise<MetadataReadResult> {
  return readMetadataFile(name, blob(v), { chunkBytes, batchBytes: 100 });
}

async function readTrain(v: unknown, batchBytes = 100): Promise<{ train: DatasetColumns; issues: MetadataReadResult['issues'] }> {
  const r = await readMetadataFile('train_metadata.json', blob(v), { chunkBytes: 64, batchBytes });
  if (r.role !== 'train') throw new Error('expected train');
  return r;
}

async function loadError(v: unknown, name = 'train_metadata.json'): Promise<LoadError> {
  try {
    await read(v, name);
  } catch (e) {
    if (e instanceof LoadError) return e;
    throw e;
  }
  throw new Error('expected a LoadError');
}

/** Herbarium 2022 shape: annotations come first and in a different order from images. */
const herbarium = {
  annotations: [
    { image_id: '00007__002', category_id: 7, genus_id: 2, institution_id: 3 },
    { image_id: '00002__001', category_id: 2, genus_id: 1, institution_id: 0 },
    { image_id: '00007__001', category_id: 7, genus_id: 2, institution_id: 0 },
    { image_id: '00011__001', category_id: 11, genus_id: 2, institution_id: 3 },
  ],
  categories: [
    { category_id: 11, scientificName: 'Acer rubrum L.', family: 'Sapindaceae', genus: 'Acer', species: 'rubrum', authors: 'L.' },
    { category_id: 2, scientificName: 'Abies alba Mill.', family: 'Pinaceae', genus: 'Abies', species: 'alba', authors: 'Mill.' },
    { category_id: 7, scientificName: 'Acer saccharum Marshall', family: 'Sapindaceae', genus: 'Acer', species: 'saccharum', authors: 'Marshall' },
  ],
  distances: [{ genus_id_x: 1, genus_id_y: 2, distance: 0.5 }],
  genera: [
    { genus_id: 1, genus: 'Abies' },
    { genus_id: 2, genus: 'Acer' },
  ],
  images: [
    { image_id: '00002__001', file_name: '000/02/00002__001.jpg', license: 0 },
    { image_id: '00007__001', file_name: '000/07/00007__001.jpg', license: 0 },
    { image_id: '00007__002', file_name: '000/07/00007__002.jpg', license: 0 },
    { image_id: '00011__001', file_name: '000/11/00011__001.jpg', license: 1 },
  ],
  institutions: [
    { institution_id: 0, collectionCode: 'A' },
    { institution_id: 3, collectionCode: 'NY' },
  ],
  license: [{ id: 0, name: 'CC BY', url: 'x' }],
};

function rows(train: DatasetColumns) {
  const ids = StringTable.fromData(train.imageId);
  const files = StringTable.fromData(train.imageFile);
  return Array.from({ length: train.imageCount }, (_, i) => ({
    id: ids.get(i),
    file: files.get(i),
    category: train.classCategoryId[train.imageClass[i]],
    institution: train.imageInstitution[i] >= 0 ? train.institutionName[train.imageInstitution[i]] : null,
  }));
}

describe('Herbarium 2022 train metadata', () => {
  it('joins annotations to images by id, not by position', async () => {
    const { train, issues } = await readTrain(herbarium);
    expect(issues).toEqual([]);
    expect(train.format).toBe('herbarium2022');
    expect(rows(train)).toEqual([
      { id: '00002__001', file: '000/02/00002__001.jpg', category: 2, institution: 'A' },
      { id: '00007__001', file: '000/07/00007__001.jpg', category: 7, institution: 'A' },
      { id: '00007__002', file: '000/07/00007__002.jpg', category: 7, institution: 'NY' },
      { id: '00011__001', file: '000/11/00011__001.jpg', category: 11, institution: 'NY' },
    ]);
  });

  it('looks category ids up (gaps allowed), classes in ascending id, taxonomy from the fields', async () => {
    const { train } = await readTrain(herbarium);
    expect([...train.classCategoryId]).toEqual([2, 7, 11]);
    expect(train.className).toEqual(['Abies alba Mill.', 'Acer saccharum Marshall', 'Acer rubrum L.']);
    expect(train.classSpecies).toEqual(['alba', 'saccharum', 'rubrum']);
    expect([...train.classGenus].map((g) => train.genusName[g])).toEqual(['Abies', 'Acer', 'Acer']);
    expect([...train.classFamily].map((f) => train.familyName[f])).toEqual(['Pinaceae', 'Sapindaceae', 'Sapindaceae']);
    expect(train.skippedKeys).toEqual(['distances', 'license']);
  });

  it('gives the same result when batches are parsed elsewhere and come back out of order', async () => {
    const rand = (() => {
      let x = 7;
      return () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    })();
    const parseElsewhere = async (request: BatchRequest) => {
      await new Promise((r) => setTimeout(r, rand() * 5));
      return readBatch(structuredClone(request));
    };
    const options = { chunkBytes: 50, batchBytes: 60 };
    const inline = await readMetadataFile('t.json', blob(herbarium), options);
    const pooled = await readMetadataFile('t.json', blob(herbarium), { ...options, parseBatch: parseElsewhere, maxInFlight: 2 });
    expect(pooled).toEqual(inline);
    const broken = JSON.stringify(herbarium).replace('"000/07/00007__002.jpg"', '"000/07/00007__002.jpg",');
    const e = await readMetadataFile('t.json', blob(broken), { ...options, parseBatch: parseElsewhere }).catch((x) => x as LoadError);
    expect(e).toBeInstanceOf(LoadError);
    expect((e as LoadError).issue.where).toMatch(/key "images", item 2$/);
  });

  it('gives the same columns whatever the chunk size', async () => {
    const small = await readMetadataFile('t.json', blob(herbarium), { chunkBytes: 3, batchBytes: 1 });
    const large = await readMetadataFile('t.json', blob(herbarium), { chunkBytes: 1 << 20 });
    expect(small).toEqual(large);
  });
});

describe('COCO-style formats', () => {
  const coco = (categories: object[]) => ({
    info: { year: 2021 },
    images: [
      { id: 10, file_name: 'train/a/1.jpg', width: 5, height: 5 },
      { id: 11, file_name: 'train/a/2.jpg' },
      { id: 12, file_name: 'train/b/1.jpg' },
    ],
    annotations: [
      { id: 1, image_id: 12, category_id: 5 },
      { id: 2, image_id: 10, category_id: 3 },
      { id: 3, image_id: 11, category_id: 3 },
    ],
    categories,
  });

  it('iNaturalist 2021: numeric ids become strings, taxonomy from kingdom … specific_epithet', async () => {
    const { train, issues } = await readTrain(
      coco([
        { id: 3, name: 'Quercus alba', kingdom: 'Plantae', family: 'Fagaceae', genus: 'Quercus', specific_epithet: 'alba', image_dir_name: 'x' },
        { id: 5, name: 'Pinus nigra', kingdom: 'Plantae', family: 'Pinaceae', genus: 'Pinus', specific_epithet: 'nigra', image_dir_name: 'y' },
      ]),
    );
    expect(train.format).toBe('inat2021');
    expect(issues).toEqual([]);
    expect(rows(train).map((r) => [r.id, r.category])).toEqual([
      ['10', 3],
      ['11', 3],
      ['12', 5],
    ]);
    expect(train.genusName).toEqual(['Quercus', 'Pinus']);
    expect(train.classSpecies).toEqual(['alba', 'nigra']);
  });

  it('iNaturalist 2018 (kingdom, no specific_epithet)', async () => {
    const { train } = await readTrain(
      coco([
        { id: 3, name: 'Quercus alba', kingdom: 'Plantae', family: 'Fagaceae', genus: 'Quercus' },
        { id: 5, name: 'Pinus nigra', kingdom: 'Plantae', family: 'Pinaceae', genus: 'Pinus' },
      ]),
    );
    expect(train.format).toBe('inat2018');
    expect(train.classSpecies).toEqual(['alba', 'nigra']);
  });

  it('Herbarium 2021 (family and order; genus and species from the name, no warning)', async () => {
    const { train, issues } = await readTrain(
      coco([
        { id: 3, name: 'Aa calceata (Rchb.f.) Schltr.', family: 'Orchidaceae', order: 'Asparagales' },
        { id: 5, name: 'Abies alba Mill.', family: 'Pinaceae', order: 'Pinales' },
      ]),
    );
    expect(train.format).toBe('herbarium2021');
    expect(issues).toEqual([]);
    expect(train.genusName).toEqual(['Aa', 'Abies']);
    expect(train.classSpecies).toEqual(['calceata', 'alba']);
  });
});

describe('test metadata', () => {
  it('Herbarium 2022: a bare array of images, order kept', async () => {
    const r = await read(
      [
        { image_id: 'test-2', file_name: '000/test-2.jpg', license: 0 },
        { image_id: 'test-1', file_name: '000/test-1.jpg', license: 0 },
      ],
      'test_metadata.json',
    );
    expect(r.role).toBe('test');
    if (r.role !== 'test') return;
    expect(r.test.imageCount).toBe(2);
    expect(StringTable.fromData(r.test.imageId).get(0)).toBe('test-2');
    // The normal test format: nothing to say about it.
    expect(r.issues).toEqual([]);
  });

  it('COCO style (iNaturalist test2018.json): images and categories, no annotations: test split, with a warning', async () => {
    const r = await read(
      {
        info: { year: 2018 },
        images: [
          { id: 1, file_name: 'test2018/a.jpg', width: 5, height: 5 },
          { id: 2, file_name: 'test2018/b.jpg' },
          { id: 3, file_name: 'test2018/c.jpg' },
        ],
        categories: [{ id: 0, name: 'Quercus alba', supercategory: 'Plantae' }],
        licenses: [],
      },
      'test2018.json',
    );
    expect(r.role).toBe('test');
    if (r.role !== 'test') return;
    expect(r.test.imageCount).toBe(3);
    expect(r.issues).toEqual([
      {
        severity: 'warning',
        file: 'test2018.json',
        message:
          'no "annotations" array: read as the test split (3 images, unlabelled); ' +
          'to see the dataset, load the train metadata, the file with "annotations"',
        where: 'top level, keys found: "info", "images", "categories", "licenses"',
      },
    ]);
  });

  it('a train file that lost its "annotations" says so, counting the images kept (1 of 2: one is a duplicate)', async () => {
    const r = await read({ images: [{ image_id: 'a', file_name: 'a.jpg' }, { image_id: 'a', file_name: 'b.jpg' }] }, 'train.json');
    expect(r.role).toBe('test');
    expect(r.issues.map((i) => [i.severity, i.file, i.message, i.where])).toEqual([
      [
        'warning',
        'train.json',
        'no "annotations" array: read as the test split (1 image, unlabelled); ' +
          'to see the dataset, load the train metadata, the file with "annotations"',
        'top level, keys found: "images"',
      ],
      ['warning', 'train.json', 'duplicate image ids: only the first image of each id was kept', undefined],
    ]);
    expect(r.issues[1].examples).toEqual(['images[1].image_id "a" (first: images[0])']);
  });

  it('a bare array: duplicate ids are named by their index in the array, skipped items counted in', async () => {
    const items = [
      { image_id: 't1', file_name: '1.jpg' },
      'not an image',
      { image_id: 't2', file_name: '2.jpg' },
      { image_id: 't1', file_name: '1-again.jpg' },
    ];
    for (const batchBytes of [1, 1 << 20]) {
      const r = await readMetadataFile('test_metadata.json', blob(items), { chunkBytes: 64, batchBytes });
      if (r.role !== 'test') throw new Error('expected test');
      expect(r.test.imageCount).toBe(2);
      expect(r.issues.map((i) => [i.message, i.count, i.examples])).toEqual([
        ['items entries that are not objects were skipped', 1, ['items[1] is a string']],
        ['duplicate image ids: only the first image of each id was kept', 1, ['items[3].image_id "t1" (first: items[0])']],
      ]);
    }
  });
});

describe('bad input: fatal errors name the file, the problem and where', () => {
  it('not JSON', async () => {
    const e = await loadError('hello world');
    expect(e.issue).toMatchObject({ severity: 'error', file: 'train_metadata.json', where: expect.stringContaining('byte 0') });
    expect(e.message).toMatch(/not valid JSON/);
  });

  it('truncated JSON: the byte offset and the array it stopped in', async () => {
    const text = JSON.stringify(herbarium);
    const cut = text.slice(0, text.indexOf('00007__001.jpg'));
    const e = await loadError(cut);
    expect(e.message).toMatch(/ends early inside "images" after 1 complete element/);
    expect(e.issue.where).toContain(`byte ${cut.length.toLocaleString('en-US')}`);
  });

  it('a broken item: its index in its array', async () => {
    const text = JSON.stringify(herbarium).replace('"000/07/00007__002.jpg"', '"000/07/00007__002.jpg",');
    const e = await loadError(text);
    expect(e.issue.where).toMatch(/key "images", item 2/);
  });

  it('JSON of an unknown shape lists the keys it found', async () => {
    const e = await loadError({ foo: [], bar: 1 });
    expect(e.message).toMatch(/unknown metadata shape.*"foo", "bar"/);
    // A key given twice is listed once (issue 12).
    expect((await loadError('{"foo": [], "bar": 1, "foo": 2}')).message).toMatch(/keys found: "foo", "bar"$/);
    expect((await loadError([1, 2, 3])).message).toMatch(/none of the 3 items is a valid image/);
  });

  it('a required array of the wrong type', async () => {
    const text = '{"annotations": [], "images": "oops", "categories": []}';
    const e = await loadError(text);
    expect(e.message).toBe('"images" should be an array but is a string');
    expect(e.issue.where).toBe(`byte ${text.indexOf('"oops"')} of ${text.length}, key "images"`);
  });

  it('a missing required array', async () => {
    const { categories: _c, ...noCategories } = herbarium;
    expect((await loadError(noCategories)).message).toMatch(/"categories" array is missing/);
  });

  it('an empty dataset', async () => {
    const e = await loadError({ images: [], annotations: [], categories: [] });
    expect(e.message).toMatch(/no usable train images/);
    expect((await loadError([], 'test_metadata.json')).message).toMatch(/test image list is empty/);
  });

  it('a 0-byte file', async () => {
    expect((await loadError('')).message).toMatch(/empty \(0 bytes\)/);
  });

  it('a binary file', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const e = await readMetadataFile('photo.png', new Blob([png])).catch((x) => x as LoadError);
    expect(e).toBeInstanceOf(LoadError);
    expect((e as LoadError).message).toMatch(/PNG image, not JSON/);
  });

  it('a huge single string is refused without being held', async () => {
    const huge = `{"images": [{"image_id": "${'x'.repeat(20000)}"}]}`;
    const e = await readMetadataFile('big.json', blob(huge), { chunkBytes: 1024, maxElementBytes: 4096 }).catch(
      (x) => x as LoadError,
    );
    expect((e as LoadError).message).toMatch(/element 0 of "images" is larger than 4\.1 kB/);
  });
});

describe('bad items: loaded around, with a count and the first offenders', () => {
  it('wrong types and missing keys are skipped per item', async () => {
    const doc = structuredClone(herbarium) as typeof herbarium & { images: unknown[]; annotations: unknown[] };
    doc.images.push({ image_id: 99, file_name: 5 }, 'not an object', { file_name: 'x.jpg' });
    doc.annotations.push({ image_id: '00002__001', category_id: '2' });
    const { train, issues } = await readTrain(doc);
    expect(train.imageCount).toBe(4);
    const byMessage = Object.fromEntries(issues.map((i) => [i.message, i]));
    expect(byMessage['images without a valid "file_name" (a string) were skipped']).toMatchObject({
      count: 1,
      examples: ['images[4].file_name is a number'],
    });
    expect(byMessage['images entries that are not objects were skipped'].examples).toEqual(['images[5] is a string']);
    expect(byMessage['images without an id ("image_id" or "id") were skipped'].examples).toEqual(['images[6] has neither']);
    expect(byMessage['images without a valid "file_name" (a string) were skipped'].count).toBe(1);
    expect(byMessage['annotations without an integer "category_id" were skipped'].examples).toEqual([
      'annotations[4].category_id is "2"',
    ]);
    expect(issues.every((i) => i.severity === 'warning' && i.file === 'train_metadata.json')).toBe(true);
  });

  it('duplicate image ids keep the first', async () => {
    const doc = structuredClone(herbarium);
    doc.images.push({ image_id: '00007__001', file_name: 'dup.jpg', license: 0 });
    const { train, issues } = await readTrain(doc);
    expect(train.imageCount).toBe(4);
    expect(rows(train).find((r) => r.id === '00007__001')!.file).toBe('000/07/00007__001.jpg');
    expect(issues).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/duplicate image ids/),
        count: 1,
        examples: ['images[4].image_id "00007__001" (first: images[1])'],
      }),
    ]);
  });

  it('annotations naming unknown images or unknown categories are skipped with counts', async () => {
    const doc = structuredClone(herbarium);
    doc.annotations.push(
      { image_id: 'nope', category_id: 2, genus_id: 1, institution_id: 0 },
      { image_id: 'nope2', category_id: 2, genus_id: 1, institution_id: 0 },
    );
    doc.images.push({ image_id: 'lost', file_name: 'lost.jpg', license: 0 });
    doc.annotations.push({ image_id: 'lost', category_id: 12345, genus_id: 1, institution_id: 0 });
    const { train, issues } = await readTrain(doc);
    expect(train.imageCount).toBe(4);
    const unknownImage = issues.find((i) => /image id not in "images"/.test(i.message))!;
    expect(unknownImage.count).toBe(2);
    expect(unknownImage.examples).toEqual(['annotations[4].image_id "nope"', 'annotations[5].image_id "nope2"']);
    const unknownCategory = issues.find((i) => /category id not in "categories"/.test(i.message))!;
    expect(unknownCategory).toMatchObject({ count: 1, examples: ['annotations[6].category_id 12345'] });
    const unlabelled = issues.find((i) => /without an annotation/.test(i.message))!;
    expect(unlabelled).toMatchObject({ count: 1, examples: ['images[4].image_id "lost"'] });
  });
});

describe('categories with missing names: placeholders, reported with counts and positions', () => {
  /** One labelled image, so the file loads; the categories are what is looked at. */
  const withCategories = (categories: unknown[], extra: object = {}) => ({
    images: [{ id: 1, file_name: 'a.jpg' }],
    annotations: [{ id: 1, image_id: 1, category_id: 1 }],
    categories,
    ...extra,
  });

  it('counts each missing field, names the first offenders, and never derives a genus from a placeholder', async () => {
    const { train, issues } = await readTrain(
      withCategories(
        [
          { id: 1, name: 'Quercus alba', family: 'Fagaceae' }, // [0] genus from the real name: fine
          { id: 2, family: 'Pinaceae' }, // [1] no name, no genus
          { id: 3 }, // [2] no name, no family, no genus
          { id: 4, name: 'Pinus nigra', supercategory: 'Pinaceae' }, // [3] family from supercategory: fine
          { id: 5, name: '  ', family: '', genus: 'Abies' }, // [4] blank name and family count as missing
          { id: 6, family: 'Pinaceae', genus_id: 9 }, // [5] no name, genus from "genera"
        ],
        { genera: [{ genus_id: 9, genus: 'Larix' }] },
      ),
    );
    expect(train.className).toEqual(['Quercus alba', 'category 2', 'category 3', 'Pinus nigra', 'category 5', 'category 6']);
    expect([...train.classFamily].map((f) => train.familyName[f])).toEqual([
      'Fagaceae',
      'Pinaceae',
      '(no family)',
      'Pinaceae',
      '(no family)',
      'Pinaceae',
    ]);
    expect([...train.classGenus].map((g) => train.genusName[g])).toEqual([
      'Quercus',
      '(no genus)',
      '(no genus)',
      'Pinus',
      'Abies',
      'Larix',
    ]);
    // Before, "category 2" and "category 3" made a genus "category" and a species "2" / "3".
    expect(train.genusName).not.toContain('category');
    expect(train.classSpecies).toEqual(['alba', '', '', 'nigra', '', '']);
    const byMessage = Object.fromEntries(issues.map((i) => [i.message, i]));
    expect(Object.keys(byMessage).sort()).toEqual([missingCategoryFamily, missingCategoryGenus, missingCategoryName].sort());
    expect(byMessage[missingCategoryName]).toMatchObject({
      severity: 'warning',
      file: 'train_metadata.json',
      count: 4,
      examples: ['categories[1] (id 2)', 'categories[2] (id 3)', 'categories[4] (id 5)', 'categories[5] (id 6)'],
    });
    expect(byMessage[missingCategoryFamily]).toMatchObject({ count: 2, examples: ['categories[2] (id 3)', 'categories[4] (id 5)'] });
    expect(byMessage[missingCategoryGenus]).toMatchObject({ count: 2, examples: ['categories[1] (id 2)', 'categories[2] (id 3)'] });
  });

  it('the exact message texts', () => {
    expect(missingCategoryName).toBe('categories without a name ("scientificName" or "name") were named "category <id>"');
    expect(missingCategoryFamily).toBe('categories without a family ("family" or "supercategory") were put under "(no family)"');
    expect(missingCategoryGenus).toBe(
      'categories without a genus ("genus", a "genus_id" listed in "genera", or a name to take it from) were put under "(no genus)"',
    );
  });

  it('counts every offender across batches but keeps only the first 5', async () => {
    // 7 categories without a family: [0] … [6], ids 10 … 16; the Herbarium 2022 id key is named.
    const categories = Array.from({ length: 7 }, (_, k) => ({ category_id: 10 + k, scientificName: `Genus${k} species` }));
    const doc = {
      annotations: [{ image_id: 'x', category_id: 10 }],
      categories,
      images: [{ image_id: 'x', file_name: 'x.jpg' }],
    };
    for (const batchBytes of [1, 1 << 20]) {
      const { issues } = await readTrain(doc, batchBytes);
      expect(issues).toEqual([
        {
          severity: 'warning',
          file: 'train_metadata.json',
          message: missingCategoryFamily,
          count: 7,
          examples: [10, 11, 12, 13, 14].map((id, k) => `categories[${k}] (category_id ${id})`),
        },
      ]);
    }
  });
});

describe('warnings name the item (index in its array, and key), even after skipped items', () => {
  it('images and annotations: indexes count the skipped elements in', async () => {
    const doc = structuredClone(herbarium) as typeof herbarium & { images: unknown[]; annotations: unknown[] };
    // annotations: [0] skipped, [1] … [4] the Herbarium ones, the last of which (00011__001) names an
    // unknown institution 9; [5] an unknown image, [6] an unknown category, [7] institution 9 again.
    doc.annotations.unshift(7);
    (doc.annotations[4] as { institution_id: number }).institution_id = 9;
    doc.annotations.push(
      { image_id: 'nope', category_id: 2, genus_id: 1, institution_id: 0 },
      { image_id: 'lost', category_id: 12345, genus_id: 1, institution_id: 0 },
      { image_id: 'extra', category_id: 2, genus_id: 1, institution_id: 9 },
    );
    // images: [0] skipped, [1] … [4] the Herbarium ones, [5] a duplicate of [2], [6] lost, [7] extra.
    doc.images.unshift('not an image');
    doc.images.push(
      { image_id: '00007__001', file_name: 'dup.jpg', license: 0 },
      { image_id: 'lost', file_name: 'lost.jpg', license: 0 },
      { image_id: 'extra', file_name: 'extra.jpg', license: 0 },
    );
    // Small batches (positions per batch) and one batch (a list of the kept indexes) agree.
    for (const batchBytes of [100, 1 << 20]) {
      const { train, issues } = await readTrain(doc, batchBytes);
      expect(train.imageCount).toBe(5);
      const byMessage = Object.fromEntries(issues.map((i) => [i.message, [i.count, i.examples]]));
      expect(byMessage).toEqual({
        'images entries that are not objects were skipped': [1, ['images[0] is a string']],
        'annotations that are not objects were skipped': [1, ['annotations[0] is a number']],
        'duplicate image ids: only the first image of each id was kept': [1, ['images[5].image_id "00007__001" (first: images[2])']],
        'annotations naming an image id not in "images" were skipped': [1, ['annotations[5].image_id "nope"']],
        'annotations naming a category id not in "categories" were skipped': [1, ['annotations[6].category_id 12345']],
        'annotations naming an institution id not in "institutions" (kept, named by id)': [
          2,
          ['annotations[4].institution_id 9', 'annotations[7].institution_id 9'],
        ],
        'images without an annotation were left out of the train set': [1, ['images[6].image_id "lost"']],
      });
      expect(rows(train).find((r) => r.id === 'extra')!.institution).toBe('institution 9');
    }
  });

  it('images annotated twice: the annotation is named by its index in "annotations"', async () => {
    const doc = structuredClone(herbarium) as typeof herbarium & { annotations: unknown[] };
    doc.annotations.splice(1, 0, null); // [1] skipped
    doc.annotations.push({ image_id: '00002__001', category_id: 7, genus_id: 2, institution_id: 0 }); // [5]
    const { issues } = await readTrain(doc);
    const twice = issues.find((i) => /two different categories/.test(i.message))!;
    expect(twice).toMatchObject({ count: 1, examples: ['annotations[5] for image "00002__001"'] });
  });

  it('duplicate category ids: each later one named with the one kept', async () => {
    const doc = structuredClone(herbarium);
    doc.categories.push(
      // [3] and [4]
      { category_id: 2, scientificName: 'Abies duplicata', family: 'Pinaceae', genus: 'Abies', species: 'duplicata', authors: '' },
      { category_id: 11, scientificName: 'Acer duplicatum', family: 'Sapindaceae', genus: 'Acer', species: 'duplicatum', authors: '' },
    );
    const { train, issues } = await readTrain(doc);
    expect(train.className).toEqual(['Abies alba Mill.', 'Acer saccharum Marshall', 'Acer rubrum L.']);
    expect(issues).toEqual([
      {
        severity: 'warning',
        file: 'train_metadata.json',
        message: 'duplicate category ids: the first category of each id was kept',
        count: 2,
        examples: ['categories[3].category_id 2 (first: categories[1])', 'categories[4].category_id 11 (first: categories[0])'],
      },
    ]);
  });

  it('images without an annotation: exact count past the 5 examples, named after a dropped duplicate', async () => {
    const doc = structuredClone(herbarium);
    doc.images.push({ image_id: '00002__001', file_name: 'dup.jpg', license: 0 }); // [4] duplicate, dropped
    for (let k = 0; k < 7; k++) doc.images.push({ image_id: `u${k}`, file_name: `u${k}.jpg`, license: 0 }); // [5] … [11]
    const { train, issues } = await readTrain(doc);
    expect(train.imageCount).toBe(4);
    const unlabelled = issues.find((i) => /without an annotation/.test(i.message))!;
    expect(unlabelled).toMatchObject({
      count: 7,
      examples: [0, 1, 2, 3, 4].map((k) => `images[${5 + k}].image_id "u${k}"`),
    });
  });
});

/**
 * Issue 12, hostile JSON: the cases of scripts/hostile/json.mjs. Expected values from Python's
 * json (`json.load`, parse_constant, codecs error handler counting), noted at each test.
 */
describe('hostile JSON reads as JSON.parse and Python do, and says what was odd', () => {
  const hostile = (f: { name: string; buffer: Uint8Array }, chunkBytes = 64) =>
    readMetadataFile(f.name, new Blob([f.buffer as BlobPart]), { chunkBytes, batchBytes: 100 });
  const trainOf = (r: MetadataReadResult) => {
    if (r.role !== 'train') throw new Error('expected train');
    return r.train;
  };

  it('top-level keys given twice: the last value of each is kept, with a warning naming the key and both offsets', async () => {
    // Python: json.load(...)["images"] ids b0…b4, 5 annotations; keys at bytes 1/640, 189/828, 422/1061.
    const r = await hostile(duplicateKeys());
    const train = trainOf(r);
    expect(train.imageCount).toBe(5);
    expect(rows(train).map((x) => x.id)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    const dup = r.issues.find((i) => i.message.includes('more than once'));
    expect(dup).toMatchObject({ severity: 'warning', count: 3 });
    expect(dup!.examples).toEqual(['"annotations" at bytes 1 and 640', '"categories" at bytes 189 and 828', '"images" at bytes 422 and 1,061']);
    expect(r.issues.filter((i) => i !== dup)).toEqual([]);
  });

  it('image ids that are unpaired surrogates stay distinct and exact, with a warning', async () => {
    // Python: [ascii(i["image_id"])] == ["'plain'", "'\\ud800'", "'\\udbff'"]
    const r = await hostile(surrogateIds());
    const train = trainOf(r);
    expect(train.imageCount).toBe(3);
    expect(rows(train).map((x) => x.id)).toEqual(SURROGATE_IDS);
    expect(r.issues).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringMatching(/not valid Unicode/),
        count: 2,
        examples: ['images[1].image_id "\\ud800"', 'images[2].image_id "\\udbff"'],
      }),
    ]);
  });

  it('NaN, Infinity and -Infinity load (as Python reads them), counted, with the first byte offset', async () => {
    // Python: parse_constant sees ['NaN', 'NaN', '-Infinity', 'Infinity']; the first at byte 130.
    const r = await hostile(nanValues(), 1 << 20);
    const train = trainOf(r);
    expect(train.imageCount).toBe(4);
    expect(rows(train).map((x) => x.file)).toEqual(['train/1.jpg', 'train/NaN Infinity.jpg', 'train/3.jpg', 'train/4.jpg']);
    const nan = r.issues.find((i) => i.message.includes('NaN'));
    expect(nan).toMatchObject({ severity: 'warning', count: 4 });
    expect(nan!.examples![0]).toBe('byte 130 ("images", item 0)');
    expect(r.issues.filter((i) => i !== nan)).toEqual([]);
  });

  it.each(['le', 'be'] as const)('UTF-16%s without a byte order mark is read, and said so', async (order) => {
    const r = await hostile(utf16NoBom(order));
    const train = trainOf(r);
    expect(train.imageCount).toBe(3);
    expect(train.className).toContain('Crépis biennis 🌿');
    expect(rows(train)[0].file).toBe('u/é0.jpg');
    expect(r.issues).toEqual([
      expect.objectContaining({ severity: 'warning', message: expect.stringMatching(new RegExp(`UTF-16${order.toUpperCase()}.*no byte order mark`)) }),
    ]);
  });

  it('a UTF-16 file that fails: the offset says it counts the text as UTF-8, and the file is UTF-16', async () => {
    // The same text as UTF-8: the offsets are those of the UTF-8 bytes (Python: len(cut.encode("utf-8"))).
    const text = JSON.stringify({ info: { note: 'é🌿' }, ...herbarium });
    const cut = text.slice(0, text.indexOf('00007__001.jpg'));
    const utf16 = (t: string) => ({ name: 'u16.json', buffer: Buffer.from(t, 'utf16le') });
    const truncated = (await hostile(utf16(cut)).catch((x) => x)) as LoadError;
    expect(truncated).toBeInstanceOf(LoadError);
    expect(truncated.issue.where).toBe(
      `byte ${Buffer.byteLength(cut).toLocaleString('en-US')} counting the text as UTF-8 (the file is UTF-16LE, ${(2 * cut.length).toLocaleString('en-US')} bytes), key "images", item 1`,
    );
    const broken = text.replace('"000/07/00007__002.jpg"', '"000/07/00007__002.jpg",');
    for (const parseBatch of [undefined, async (request: BatchRequest) => readBatch(request)]) {
      const e = (await readMetadataFile('u16.json', new Blob([Buffer.from(broken, 'utf16le')]), { chunkBytes: 64, batchBytes: 100, parseBatch }).catch(
        (x) => x,
      )) as LoadError;
      expect(e).toBeInstanceOf(LoadError);
      expect(e.issue.where).toMatch(/^byte [\d,]+ counting the text as UTF-8 \(the file is UTF-16LE, [\d,]+ bytes\), key "images", item 2$/);
    }
  });

  it('invalid UTF-8 (a Latin-1 file): names load, read as Latin-1, with the count of bad sequences and the first offset', async () => {
    // Python: b.decode("utf-8", handler) calls the handler 8 times; the first bad byte (0xe9) is at 32.
    const r = await hostile(latin1Names());
    const train = trainOf(r);
    expect(train.imageCount).toBe(3);
    expect(rows(train).map((x) => x.id)).toEqual(['café', 'cafè', 'plain']);
    expect(rows(train)[0].file).toBe('l/façade.jpg');
    expect(train.className).toContain('Crépis biennis Müller');
    const bad = r.issues.find((i) => i.message.includes('not valid UTF-8'));
    expect(bad).toMatchObject({ severity: 'warning', count: 8 });
    expect(bad!.examples![0]).toBe('byte 32 ("annotations", item 0)');
    expect(r.issues.filter((i) => i !== bad)).toEqual([]);
  });
});
