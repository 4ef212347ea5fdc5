// Checks the long-tailed set that scripts/make-lt-set.mjs writes, by reading the files back: on a
// small synthetic source in the same idx format (always), and on the real Fashion-MNIST from the
// Debian package dataset-fashion-mnist (when installed; skipped with a note otherwise).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/core/random.mjs';
import { readMetadataFile } from '../src/core/dataset/metadataReader.ts';
import { StringTable } from '../src/core/dataset/stringTable.ts';

const SCRIPT = fileURLToPath(new URL('./make-lt-set.mjs', import.meta.url));
const REAL_SOURCE = '/usr/share/datasets/fashion-mnist';
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const hasRealSource = fs.existsSync(path.join(REAL_SOURCE, 'train-images-idx3-ubyte.gz'));
if (!hasRealSource)
  console.warn(`make-lt-set.test: ${REAL_SOURCE} missing (apt-get install -y dataset-fashion-mnist); real-data checks skipped`);

// pngjs (a devDependency) decodes the PNGs independently of the script's encoder; it has no types.
interface DecodedPng {
  width: number;
  height: number;
  data: Buffer; // RGBA
}
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: { read(b: Buffer): DecodedPng } } };

interface BuildStats {
  classes: number;
  trainCounts: number[];
  train: number;
  test: number;
  testPerClass: number;
  imbalanceRatio: number;
}
interface LtModule {
  buildLtSet(o: { outDir: string; sourceDir?: string; nMax?: number; testPerClass?: number }): BuildStats;
}
interface TrainMetadata {
  annotations: { image_id: string; category_id: number; genus_id: number; institution_id: number }[];
  categories: { category_id: number; scientificName: string; family: string; genus: string; species: string; authors: string }[];
  distances: unknown[];
  genera: { genus_id: number; genus: string }[];
  images: { image_id: string; file_name: string; license: number }[];
  institutions: { institution_id: number; collectionCode: string }[];
  license: { id: number; name: string; url: string }[];
}
type TestMetadata = { image_id: string; file_name: string; license: number }[];

const K = 10;
const N_MAX = 200;
const TEST_PER_CLASS = 50;
/** The CIFAR-10-LT sizes, worked out here independently of the script: 200 · 0.01^(k/9). */
const EXPECTED_COUNTS = [200, 120, 72, 43, 26, 15, 9, 6, 3, 2];

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** The grey pixels of an idx3 image file (gzipped), read here without the script's reader. */
function idxImages(file: string): { rows: number; cols: number; pixels: Buffer } {
  const b = zlib.gunzipSync(fs.readFileSync(file));
  return { rows: b.readUInt32BE(8), cols: b.readUInt32BE(12), pixels: b.subarray(16) };
}

function gzIdx(magic: number, dims: number[], body: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return zlib.gzipSync(Buffer.concat([head, body]));
}

/**
 * A tiny stand-in for Fashion-MNIST in the same four files: random 28×28 images, 205 train images
 * per class (class 9 has exactly 2, the number it needs) and 50 test images per class, labels
 * interleaved. Class 9's test images also include copies of its 2 train images, which the script
 * must skip (no picture in both splits), and one extra test image so that it has a choice.
 */
function writeSyntheticSource(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const rand = mulberry32(7);
  const image = () => Uint8Array.from({ length: 784 }, () => Math.floor(rand() * 256));
  const trainImgs: Uint8Array[] = [];
  const trainLabels: number[] = [];
  for (let i = 0; i < 205; i++)
    for (let c = 0; c < K; c++) {
      if (c === 9 && i >= 2) continue;
      trainImgs.push(image());
      trainLabels.push(c);
    }
  const class9Train = trainImgs.filter((_, i) => trainLabels[i] === 9);
  const testImgs: Uint8Array[] = [];
  const testLabels: number[] = [];
  for (let i = 0; i < TEST_PER_CLASS + 1; i++)
    for (let c = 0; c < K; c++) {
      if (i === TEST_PER_CLASS && c !== 9) continue;
      testImgs.push(image());
      testLabels.push(c);
    }
  for (const im of class9Train) {
    testImgs.push(im);
    testLabels.push(9);
  }
  const write = (name: string, magic: number, dims: number[], parts: Uint8Array[]) =>
    fs.writeFileSync(path.join(dir, name), gzIdx(magic, dims, Buffer.concat(parts)));
  write('train-images-idx3-ubyte.gz', 0x803, [trainImgs.length, 28, 28], trainImgs);
  write('train-labels-idx1-ubyte.gz', 0x801, [trainLabels.length], [Uint8Array.from(trainLabels)]);
  write('t10k-images-idx3-ubyte.gz', 0x803, [testImgs.length, 28, 28], testImgs);
  write('t10k-labels-idx1-ubyte.gz', 0x801, [testLabels.length], [Uint8Array.from(testLabels)]);
}

let tmp: string;
let mod: LtModule;
const synthSource = () => path.join(tmp, 'synthetic-source');

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'make-lt-set-'));
  writeSyntheticSource(synthSource());
  // A non-literal specifier: the script is plain JS without type declarations.
  mod = (await import(new URL('./make-lt-set.mjs', import.meta.url).href)) as LtModule;
}, 60_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const sources = [
  { name: 'synthetic idx source', dir: () => synthSource(), skip: false },
  { name: 'Fashion-MNIST (dataset-fashion-mnist)', dir: () => REAL_SOURCE, skip: !hasRealSource },
];

for (const source of sources) {
  describe.skipIf(source.skip)(`make-lt-set on the ${source.name}`, () => {
    let out: string;
    let stats: BuildStats;
    let train: TrainMetadata;
    let test: TestMetadata;
    let labels: string[][];

    beforeAll(() => {
      out = path.join(tmp, `${source.skip ? 'x' : source.name.split(' ')[0]}-a`);
      fs.mkdirSync(path.join(out, 'stale'), { recursive: true });
      fs.writeFileSync(path.join(out, 'stale', 'old.txt'), 'left over from an earlier run');
      stats = mod.buildLtSet({ outDir: out, sourceDir: source.dir() });
      train = readJson<TrainMetadata>(path.join(out, 'train_metadata.json'));
      test = readJson<TestMetadata>(path.join(out, 'test_metadata.json'));
      const lines = fs.readFileSync(path.join(out, 'test_labels.csv'), 'utf8').trimEnd().split('\n');
      expect(lines[0]).toBe('image_id,category_id');
      labels = lines.slice(1).map((l) => l.split(','));
    }, 60_000);

    it('has train sizes that decay 100× from the head class to the tail: round(200 · 0.01^(k/9))', () => {
      const formula = Array.from({ length: K }, (_, k) => Math.round(N_MAX * 0.01 ** (k / (K - 1))));
      expect(formula).toEqual(EXPECTED_COUNTS);
      const counts = new Array<number>(K).fill(0);
      for (const a of train.annotations) counts[a.category_id]++;
      expect(counts).toEqual(EXPECTED_COUNTS);
      expect(stats.trainCounts).toEqual(EXPECTED_COUNTS);
      expect(stats.train).toBe(496);
      expect(counts[0] / counts[K - 1]).toBe(100);
    });

    it('has a balanced test split: 50 images of every class, labels only in test_labels.csv', () => {
      expect(test.length).toBe(K * TEST_PER_CLASS);
      expect(labels.map((r) => r[0])).toEqual(test.map((t) => t.image_id));
      const counts = new Array<number>(K).fill(0);
      for (const [, c] of labels) counts[Number(c)]++;
      expect(counts).toEqual(new Array(K).fill(TEST_PER_CLASS));
      for (const t of test) expect(Object.keys(t).sort()).toEqual(['file_name', 'image_id', 'license']);
      // Shuffled across classes, not class after class.
      expect(new Set(labels.slice(0, 20).map((r) => r[1])).size).toBeGreaterThan(3);
    });

    it('has the Herbarium 2022 layout, names and keys', () => {
      expect(Object.keys(train)).toEqual(['annotations', 'categories', 'distances', 'genera', 'images', 'institutions', 'license']);
      const text = fs.readFileSync(path.join(out, 'train_metadata.json'), 'utf8');
      expect(text.startsWith('{\n    "annotations": [\n        {\n            "image_id": ')).toBe(true);
      expect(train.categories.map((c) => c.category_id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(train.categories.map((c) => c.scientificName)).toEqual([
        'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
      ]);
      expect(new Set(train.categories.map((c) => c.family))).toEqual(new Set(['Clothing', 'Footwear', 'Accessories']));
      const genus = new Map(train.genera.map((g) => [g.genus_id, g.genus]));
      const cat = new Map(train.categories.map((c) => [c.category_id, c]));
      const imageIds = train.images.map((i) => i.image_id);
      expect(train.annotations.map((a) => a.image_id)).toEqual(imageIds);
      expect(new Set(imageIds).size).toBe(imageIds.length);
      train.annotations.forEach((a, i) => {
        const c = String(a.category_id).padStart(5, '0');
        expect(a.image_id).toMatch(new RegExp(`^${c}__\\d{3}$`));
        expect(train.images[i].file_name).toBe(`${c.slice(0, 3)}/${c.slice(3)}/${a.image_id}.png`);
        expect(genus.get(a.genus_id)).toBe(cat.get(a.category_id)!.genus);
        expect(a.institution_id).toBe(0);
      });
      for (const t of test) expect(t.file_name).toBe(`${t.image_id.slice(5, 8)}/${t.image_id}.png`);
      const written = listFiles(out);
      expect(written).not.toContain('stale/old.txt');
      expect(written).toEqual(
        [
          'ATTRIBUTION.md',
          'sources.csv',
          'test_labels.csv',
          'test_metadata.json',
          'train_metadata.json',
          ...train.images.map((im) => `train_images/${im.file_name}`),
          ...test.map((t) => `test_images/${t.file_name}`),
        ].sort(),
      );
      expect(fs.readFileSync(path.join(out, 'ATTRIBUTION.md'), 'utf8')).toMatch(/MIT License[\s\S]*Zalando SE/);
    });

    it('stores the source pixels unchanged as 28×28 PNGs, train from the train file, test from t10k, no picture twice', () => {
      const srcTrain = idxImages(path.join(source.dir(), 'train-images-idx3-ubyte.gz'));
      const srcTest = idxImages(path.join(source.dir(), 't10k-images-idx3-ubyte.gz'));
      const rows = fs.readFileSync(path.join(out, 'sources.csv'), 'utf8').trimEnd().split('\n');
      expect(rows[0]).toBe('file,source_file,source_index');
      const seen = new Set<string>();
      const seenIndex = new Set<string>();
      for (const row of rows.slice(1)) {
        const [file, sourceFile, index] = row.split(',');
        const isTrain = file.startsWith('train_images/');
        expect(sourceFile).toBe(isTrain ? 'train-images-idx3-ubyte.gz' : 't10k-images-idx3-ubyte.gz');
        expect(seenIndex.has(`${sourceFile}:${index}`)).toBe(false);
        seenIndex.add(`${sourceFile}:${index}`);
        const bytes = fs.readFileSync(path.join(out, file));
        expect(bytes.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
        const png = PNG.sync.read(bytes);
        expect([png.width, png.height]).toEqual([28, 28]);
        const grey = Buffer.alloc(784);
        let opaqueGrey = true;
        for (let p = 0; p < 784; p++) {
          const [r, g, b, a] = png.data.subarray(p * 4, p * 4 + 4);
          opaqueGrey &&= r === g && g === b && a === 255;
          grey[p] = r;
        }
        expect(opaqueGrey, file).toBe(true);
        const src = isTrain ? srcTrain : srcTest;
        const i = Number(index);
        expect(grey.equals(src.pixels.subarray(i * 784, (i + 1) * 784))).toBe(true);
        const h = crypto.createHash('sha256').update(grey).digest('hex');
        expect(seen.has(h), `${file} repeats a picture`).toBe(false);
        seen.add(h);
      }
      expect(rows.length - 1).toBe(496 + 500);
    });

    it("loads in the app's metadata reader: 496 train images in 10 classes, 500 unlabelled test images", async () => {
      const blob = (f: string) => new Blob([fs.readFileSync(path.join(out, f))]);
      const r = await readMetadataFile('train_metadata.json', blob('train_metadata.json'));
      if (r.role !== 'train') throw new Error('expected train');
      expect(r.issues).toEqual([]);
      expect(r.train.format).toBe('herbarium2022');
      expect(r.train.imageCount).toBe(496);
      expect(Array.from(r.train.classCategoryId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(r.train.className[0]).toBe('T-shirt/top');
      expect([...r.train.familyName].sort()).toEqual(['Accessories', 'Clothing', 'Footwear']);
      expect(r.train.genusName.length).toBe(5);
      const perClass = new Array<number>(K).fill(0);
      for (const c of r.train.imageClass) perClass[c]++;
      expect(perClass).toEqual(EXPECTED_COUNTS);
      expect(r.train.institutionName).toEqual(['Fashion-MNIST']);

      const t = await readMetadataFile('test_metadata.json', blob('test_metadata.json'));
      if (t.role !== 'test') throw new Error('expected test');
      expect(t.issues).toEqual([]);
      expect(t.test.imageCount).toBe(500);
      const ids = StringTable.fromData(t.test.imageId);
      expect(Array.from({ length: ids.length }, (_, i) => ids.get(i))).toEqual(labels.map((l) => l[0]));
    });

    it('gives byte-identical output when run again (via the CLI, into another folder)', () => {
      const outB = `${out}-b`;
      const stdout = execFileSync(process.execPath, [SCRIPT, outB, '--source', source.dir()], { encoding: 'utf8' });
      expect(stdout).toMatch(/10 classes, train 200\/120\/72\/43\/26\/15\/9\/6\/3\/2 \(496, imbalance 100\), test 50 per class \(500\)/);
      const a = listFiles(out);
      expect(listFiles(outB)).toEqual(a);
      for (const f of a) expect(fs.readFileSync(path.join(outB, f)).equals(fs.readFileSync(path.join(out, f))), f).toBe(true);
    }, 60_000);
  });
}

describe('make-lt-set: a missing source', () => {
  it('names the Debian package to install, from the function and from the CLI', () => {
    const empty = path.join(tmp, 'no-source');
    fs.mkdirSync(empty, { recursive: true });
    expect(() => mod.buildLtSet({ outDir: path.join(tmp, 'never'), sourceDir: empty })).toThrow(
      /apt-get install -y dataset-fashion-mnist/,
    );
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
    const r = spawnSync(process.execPath, [SCRIPT, path.join(tmp, 'never'), '--source', empty], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Fashion-MNIST not found.*dataset-fashion-mnist/);
  });

  it('refuses an n_max whose smallest class would get fewer than 2 images', () => {
    expect(() => mod.buildLtSet({ outDir: path.join(tmp, 'never'), sourceDir: synthSource(), nMax: 120 })).toThrow(/at least 2/);
  });
});
