#!/usr/bin/env node
// Builds "Fashion-MNIST-LT", a long-tailed image classification set made the CIFAR-10-LT way
// (Cao et al. 2019; Menon et al. 2021), from the real product photos of Fashion-MNIST, laid out
// like Kaggle's Herbarium 2022 (FGVC9) exactly as scripts/make-demo.mjs lays out the demo set.
//
// Source: Debian's package dataset-fashion-mnist (Zalando Research's original idx files, MIT
// licence), read from /usr/share/datasets/fashion-mnist. See docs/LT_SET.md.
//
// Protocol: class k (= Fashion-MNIST label, 0..9) gets n_k = round(n_max · (1/100)^(k/(K−1)))
// train images drawn from the official train file (200 → 2 with the default n_max 200), and the
// same number of test images per class (default 50) drawn from the official t10k file, so train
// and test are disjoint by construction. The true test labels go to test_labels.csv only.
//
// Deterministic: no clock, no Math.random, a seeded mulberry32 PRNG, inputs in file order. Running
// it twice gives byte-identical output (the fixture's PNG encoder is fixed; zlib level 9).
//
// Usage: node scripts/make-lt-set.mjs [outDir] [--source DIR] [--n-max 200] [--test-per-class 50]
//        (default outDir: bench/.data/lt-set, git-ignored)

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from '../src/core/random.mjs';
import { fnv1a, shuffleInPlace, trainImageId, trainFileName, testImageId, testFileName } from './make-demo.mjs';
import { encodePng } from './make-fixture.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = path.join(REPO_ROOT, 'bench', '.data', 'lt-set');
export const DEFAULT_SOURCE_DIR = '/usr/share/datasets/fashion-mnist';
export const APT_PACKAGE = 'dataset-fashion-mnist';
export const SOURCE_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};
export const DEFAULT_N_MAX = 200;
export const DEFAULT_TEST_PER_CLASS = 50;
export const IMBALANCE = 100;
const SEED = 20190618; // arbitrary: the LDAM paper's (Cao et al. 2019) arXiv date
const AUTHORS = 'Zalando Research';
export const NAME = 'Fashion-MNIST-LT';

/**
 * Fashion-MNIST's classes by label, with the two taxonomy levels put above them (family > genus):
 * Clothing > Upper body | Lower body | Full body, Footwear > Shoe, Accessories > Bag.
 */
export const CLASSES = [
  { label: 0, name: 'T-shirt/top', family: 'Clothing', genus: 'Upper body' },
  { label: 1, name: 'Trouser', family: 'Clothing', genus: 'Lower body' },
  { label: 2, name: 'Pullover', family: 'Clothing', genus: 'Upper body' },
  { label: 3, name: 'Dress', family: 'Clothing', genus: 'Full body' },
  { label: 4, name: 'Coat', family: 'Clothing', genus: 'Upper body' },
  { label: 5, name: 'Sandal', family: 'Footwear', genus: 'Shoe' },
  { label: 6, name: 'Shirt', family: 'Clothing', genus: 'Upper body' },
  { label: 7, name: 'Sneaker', family: 'Footwear', genus: 'Shoe' },
  { label: 8, name: 'Bag', family: 'Accessories', genus: 'Bag' },
  { label: 9, name: 'Ankle boot', family: 'Footwear', genus: 'Shoe' },
];

const LICENSE = { id: 0, name: 'MIT (Fashion-MNIST, Zalando SE)', url: 'https://opensource.org/licenses/MIT' };
const INSTITUTION = { institution_id: 0, collectionCode: 'Fashion-MNIST' };
const COPYRIGHT = 'Copyright (c) 2017 Zalando SE, https://tech.zalando.com';

// ---------------------------------------------------------------------------------------------
// Small deterministic helpers

/** Train size of class k of K: n_max · (1/imbalance)^(k/(K−1)), rounded. */
export function ltCount(k, K, nMax = DEFAULT_N_MAX, imbalance = IMBALANCE) {
  return Math.round(nMax * Math.pow(1 / imbalance, k / (K - 1)));
}

/** 32-bit FNV-1a of a string's UTF-8 bytes (a stable per-class seed). */

/** An 8-bit greyscale PNG (the fixture's encoder with one channel). */
export function encodeGrayPng(width, height, gray) {
  return encodePng(width, height, gray, 1);
}

// ---------------------------------------------------------------------------------------------
// Reading the source (idx files, gzipped, as LeCun's MNIST and Zalando's Fashion-MNIST ship them)

export class SourceMissingError extends Error {}

function readGz(file) {
  return zlib.gunzipSync(fs.readFileSync(file));
}

/** idx3 images: magic 0x00000803, count, rows, cols, then count·rows·cols bytes. */
function readIdxImages(file) {
  const b = readGz(file);
  if (b.length < 16 || b.readUInt32BE(0) !== 0x00000803) throw new Error(`${file}: not an idx3 image file`);
  const count = b.readUInt32BE(4);
  const rows = b.readUInt32BE(8);
  const cols = b.readUInt32BE(12);
  if (b.length !== 16 + count * rows * cols) throw new Error(`${file}: ${b.length} bytes, expected ${16 + count * rows * cols}`);
  return { count, rows, cols, pixels: b.subarray(16) };
}

/** idx1 labels: magic 0x00000801, count, then count bytes. */
function readIdxLabels(file) {
  const b = readGz(file);
  if (b.length < 8 || b.readUInt32BE(0) !== 0x00000801) throw new Error(`${file}: not an idx1 label file`);
  const count = b.readUInt32BE(4);
  if (b.length !== 8 + count) throw new Error(`${file}: ${b.length} bytes, expected ${8 + count}`);
  return b.subarray(8);
}

/** Both official splits; throws SourceMissingError naming the apt package when files are absent. */
export function readSource(sourceDir = DEFAULT_SOURCE_DIR) {
  const missing = Object.values(SOURCE_FILES).filter((f) => !fs.existsSync(path.join(sourceDir, f)));
  if (missing.length) {
    throw new SourceMissingError(
      `make-lt-set: Fashion-MNIST not found: ${missing.map((f) => path.join(sourceDir, f)).join(', ')} missing. ` +
        `Install the Debian package ${APT_PACKAGE} (apt-get install -y ${APT_PACKAGE}), ` +
        'or pass --source DIR holding the four idx .gz files.',
    );
  }
  const split = (imagesFile, labelsFile) => {
    const images = readIdxImages(path.join(sourceDir, imagesFile));
    const labels = readIdxLabels(path.join(sourceDir, labelsFile));
    if (labels.length !== images.count) throw new Error(`${labelsFile}: ${labels.length} labels for ${images.count} images`);
    return { ...images, labels, imagesFile };
  };
  const train = split(SOURCE_FILES.trainImages, SOURCE_FILES.trainLabels);
  const test = split(SOURCE_FILES.testImages, SOURCE_FILES.testLabels);
  if (train.rows !== test.rows || train.cols !== test.cols) throw new Error('train and test images differ in size');
  return { train, test };
}

// ---------------------------------------------------------------------------------------------
// Building

function writeJson(file, value) {
  // JSON.stringify(v, null, 4) matches Python's json.dumps(v, indent=4) for this ASCII data.
  fs.writeFileSync(file, JSON.stringify(value, null, 4) + '\n');
}

/**
 * Builds the set into outDir (removed and recreated). Returns the stats.
 * @param {{ outDir?: string, sourceDir?: string, nMax?: number, testPerClass?: number }} [options]
 */
export function buildLtSet(options = {}) {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const sourceDir = options.sourceDir ?? DEFAULT_SOURCE_DIR;
  const nMax = options.nMax ?? DEFAULT_N_MAX;
  const testPerClass = options.testPerClass ?? DEFAULT_TEST_PER_CLASS;
  const K = CLASSES.length;
  // Train images are numbered __001 … __999 per class; the smallest class needs 2 (a held-out one).
  if (!(Number.isInteger(nMax) && nMax <= 999 && ltCount(K - 1, K, nMax) >= 2))
    throw new Error(`n_max must be an integer up to 999 whose smallest class, round(n_max/${IMBALANCE}), has at least 2 images`);
  if (!(Number.isInteger(testPerClass) && testPerClass >= 1)) throw new Error('test per class must be a positive integer');

  const src = readSource(sourceDir);
  const { rows: H, cols: W } = src.train;
  const imageBytes = (s, i) => s.pixels.subarray(i * H * W, (i + 1) * H * W);
  const hashOf = (s, i) => crypto.createHash('sha256').update(imageBytes(s, i)).digest('hex');

  // Indexes of each label in file order.
  const byLabel = (s) => {
    const lists = CLASSES.map(() => []);
    for (let i = 0; i < s.labels.length; i++) if (s.labels[i] < K) lists[s.labels[i]].push(i);
    return lists;
  };
  const trainByLabel = byLabel(src.train);
  const testByLabel = byLabel(src.test);

  // Train: n_k images of class k, a seeded shuffle of its official train images, numbered in file order.
  const seen = new Set(); // pixel hashes already used, so no picture is in two places
  const train = []; // { cls, index, k }
  const trainCounts = [];
  for (const cls of CLASSES) {
    const n = ltCount(cls.label, K, nMax);
    const order = shuffleInPlace([...trainByLabel[cls.label]], mulberry32((SEED ^ fnv1a(`train:${cls.label}`)) >>> 0));
    const picked = [];
    for (const i of order) {
      if (picked.length === n) break;
      const h = hashOf(src.train, i);
      if (seen.has(h)) continue;
      seen.add(h);
      picked.push(i);
    }
    if (picked.length < n) throw new Error(`class ${cls.label} (${cls.name}): ${picked.length} distinct train images, need ${n}`);
    picked.sort((a, b) => a - b).forEach((index, j) => train.push({ cls, index, k: j + 1 }));
    trainCounts.push(n);
  }

  // Test: testPerClass images of every class from the official test file; then shuffled together.
  const testPool = []; // { cls, index }
  for (const cls of CLASSES) {
    const order = shuffleInPlace([...testByLabel[cls.label]], mulberry32((SEED ^ fnv1a(`test:${cls.label}`)) >>> 0));
    const picked = [];
    for (const i of order) {
      if (picked.length === testPerClass) break;
      const h = hashOf(src.test, i);
      if (seen.has(h)) continue;
      seen.add(h);
      picked.push(i);
    }
    if (picked.length < testPerClass)
      throw new Error(`class ${cls.label} (${cls.name}): ${picked.length} distinct test images, need ${testPerClass}`);
    for (const index of picked.sort((a, b) => a - b)) testPool.push({ cls, index });
  }
  shuffleInPlace(testPool, mulberry32(SEED));

  // Taxonomy tables.
  const genera = [...new Set(CLASSES.map((c) => c.genus))].sort().map((genus, i) => ({ genus_id: i, genus }));
  const genusId = new Map(genera.map((g) => [g.genus, g.genus_id]));

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const made = new Set();
  const put = (rel, bytes) => {
    const dst = path.join(outDir, rel);
    const dir = path.dirname(dst);
    if (!made.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    fs.writeFileSync(dst, bytes);
    return bytes.length;
  };

  let imageBytesWritten = 0;
  const images = [];
  const annotations = [];
  const sources = [];
  for (const { cls, index, k } of train) {
    const image_id = trainImageId(cls.label, k);
    const file_name = trainFileName(cls.label, k);
    imageBytesWritten += put(path.posix.join('train_images', file_name), encodeGrayPng(W, H, imageBytes(src.train, index)));
    images.push({ image_id, file_name, license: LICENSE.id });
    annotations.push({ image_id, category_id: cls.label, genus_id: genusId.get(cls.genus), institution_id: INSTITUTION.institution_id });
    sources.push(`train_images/${file_name},${src.train.imagesFile},${index}`);
  }
  const testImages = [];
  const testLabels = [];
  testPool.forEach(({ cls, index }, j) => {
    const file_name = testFileName(j);
    imageBytesWritten += put(path.posix.join('test_images', file_name), encodeGrayPng(W, H, imageBytes(src.test, index)));
    testImages.push({ image_id: testImageId(j), file_name, license: LICENSE.id });
    testLabels.push(`${testImageId(j)},${cls.label}`);
    sources.push(`test_images/${file_name},${src.test.imagesFile},${index}`);
  });

  writeJson(path.join(outDir, 'train_metadata.json'), {
    annotations,
    categories: CLASSES.map((c) => ({
      category_id: c.label,
      scientificName: c.name,
      family: c.family,
      genus: c.genus,
      species: c.name,
      authors: AUTHORS,
    })),
    distances: [],
    genera,
    images,
    institutions: [INSTITUTION],
    license: [LICENSE],
  });
  writeJson(path.join(outDir, 'test_metadata.json'), testImages);
  // The answer key: never part of what the app loads (Kaggle's test split has no labels).
  fs.writeFileSync(path.join(outDir, 'test_labels.csv'), ['image_id,category_id', ...testLabels].join('\n') + '\n');
  // Where each image came from (no labels: an index into the named official idx file).
  fs.writeFileSync(path.join(outDir, 'sources.csv'), ['file,source_file,source_index', ...sources].join('\n') + '\n');
  fs.writeFileSync(path.join(outDir, 'ATTRIBUTION.md'), attributionMarkdown());

  return {
    name: NAME,
    classes: K,
    families: new Set(CLASSES.map((c) => c.family)).size,
    genera: genera.length,
    imageSize: [W, H],
    nMax,
    trainCounts,
    train: annotations.length,
    testPerClass,
    test: testImages.length,
    imbalanceRatio: trainCounts[0] / trainCounts[K - 1],
    imageBytes: imageBytesWritten,
  };
}

function attributionMarkdown() {
  return [
    `# Attribution: ${NAME}`,
    '',
    'This folder is generated by `scripts/make-lt-set.mjs`; do not edit it by hand (see docs/LT_SET.md).',
    'Every image is one 28x28 greyscale image of [Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist)',
    `(Xiao, Rasul and Vollgraf 2017), read from the Debian package \`${APT_PACKAGE}\` and re-encoded as PNG`,
    'with its pixels unchanged. `sources.csv` gives the idx file and index of each image.',
    '',
    'Fashion-MNIST is licensed under the MIT License:',
    '',
    '```',
    'The MIT License (MIT)',
    '',
    COPYRIGHT,
    '',
    'Permission is hereby granted, free of charge, to any person obtaining a copy',
    'of this software and associated documentation files (the "Software"), to deal',
    'in the Software without restriction, including without limitation the rights',
    'to use, copy, modify, merge, publish, distribute, sublicense, and/or sell',
    'copies of the Software, and to permit persons to whom the Software is',
    'furnished to do so, subject to the following conditions:',
    '',
    'The above copyright notice and this permission notice shall be included in all',
    'copies or substantial portions of the Software.',
    '',
    'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR',
    'IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,',
    'FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE',
    'AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER',
    'LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,',
    'OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE',
    'SOFTWARE.',
    '```',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// CLI

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      source: { type: 'string' },
      'n-max': { type: 'string' },
      'test-per-class': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'Usage: node scripts/make-lt-set.mjs [outDir] [--source DIR] [--n-max 200] [--test-per-class 50]\n' +
        `Writes ${NAME} (docs/LT_SET.md) into outDir (default bench/.data/lt-set) from ${DEFAULT_SOURCE_DIR} ` +
        `(Debian package ${APT_PACKAGE}).`,
    );
    process.exit(0);
  }
  const outDir = path.resolve(positionals[0] ?? DEFAULT_OUT_DIR);
  const t0 = process.hrtime.bigint();
  let s;
  try {
    s = buildLtSet({
      outDir,
      sourceDir: values.source ?? DEFAULT_SOURCE_DIR,
      nMax: values['n-max'] === undefined ? DEFAULT_N_MAX : Number(values['n-max']),
      testPerClass: values['test-per-class'] === undefined ? DEFAULT_TEST_PER_CLASS : Number(values['test-per-class']),
    });
  } catch (e) {
    console.error(e instanceof SourceMissingError ? e.message : `make-lt-set: ${e.message}`);
    process.exit(1);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `make-lt-set: ${s.name}, ${s.classes} classes, train ${s.trainCounts.join('/')} (${s.train}, imbalance ${s.imbalanceRatio}), ` +
      `test ${s.testPerClass} per class (${s.test}), ${s.imageSize.join('x')} PNG, ` +
      `wrote ${path.relative(process.cwd(), outDir) || '.'} in ${ms.toFixed(0)} ms`,
  );
}
