// Checks the demo dataset that scripts/make-demo.mjs writes, by reading the files back.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./make-demo.mjs', import.meta.url));
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface TrainMetadata {
  annotations: { image_id: string; category_id: number; genus_id: number; institution_id: number }[];
  categories: {
    category_id: number;
    scientificName: string;
    family: string;
    genus: string;
    species: string;
    authors: string;
  }[];
  distances: unknown[];
  genera: { genus_id: number; genus: string }[];
  images: { image_id: string; file_name: string; license: number }[];
  institutions: { institution_id: number; collectionCode: string }[];
  license: { id: number; name: string; url: string }[];
}
type TestMetadata = { image_id: string; file_name: string; license: number }[];
interface Manifest {
  name: string;
  description: string;
  files: string[];
  attribution: string;
  stats: Record<string, unknown>;
}

/** Every file under dir, as sorted posix paths relative to dir. */
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

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

let tmp: string;
let outA: string;
let outB: string;
let train: TrainMetadata;
let test: TestMetadata;
let manifest: Manifest;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'make-demo-'));
  outA = path.join(tmp, 'a');
  outB = path.join(tmp, 'b');
  // A non-literal specifier: the script is plain JS without type declarations.
  const modUrl = new URL('./make-demo.mjs', import.meta.url).href;
  const { buildDemo } = (await import(modUrl)) as { buildDemo: (outDir: string) => unknown };
  fs.mkdirSync(path.join(outA, 'stale'), { recursive: true });
  fs.writeFileSync(path.join(outA, 'stale', 'old.txt'), 'left over from an earlier run');
  buildDemo(outA);
  train = readJson<TrainMetadata>(path.join(outA, 'train_metadata.json'));
  test = readJson<TestMetadata>(path.join(outA, 'test_metadata.json'));
  manifest = readJson<Manifest>(path.join(outA, 'manifest.json'));
}, 60_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('make-demo: train metadata', () => {
  it('has the Herbarium 2022 keys in order, 4-space indented', () => {
    expect(Object.keys(train)).toEqual([
      'annotations',
      'categories',
      'distances',
      'genera',
      'images',
      'institutions',
      'license',
    ]);
    const text = fs.readFileSync(path.join(outA, 'train_metadata.json'), 'utf8');
    expect(text.startsWith('{\n    "annotations": [\n        {\n            "image_id": ')).toBe(true);
    expect(train.institutions).toEqual([
      { institution_id: 0, collectionCode: 'Twemoji' },
      { institution_id: 1, collectionCode: 'Noto Emoji' },
    ]);
    expect(train.license.map((l) => l.id)).toEqual([0, 1]);
  });

  it('pairs every annotation with exactly one image and vice versa', () => {
    const imageIds = train.images.map((i) => i.image_id);
    const annIds = train.annotations.map((a) => a.image_id);
    expect(new Set(imageIds).size).toBe(imageIds.length);
    expect(new Set(annIds).size).toBe(annIds.length);
    expect([...annIds].sort()).toEqual([...imageIds].sort());
  });

  it('names train images like Herbarium 2022 and stores them as PNG at file_name', () => {
    const catOf = new Map(train.annotations.map((a) => [a.image_id, a.category_id]));
    for (const im of train.images) {
      const c = String(catOf.get(im.image_id)).padStart(5, '0');
      expect(im.image_id).toMatch(new RegExp(`^${c}__\\d{3}$`));
      expect(im.file_name).toBe(`${c.slice(0, 3)}/${c.slice(3)}/${im.image_id}.png`);
      expect([0, 1]).toContain(im.license);
      const bytes = fs.readFileSync(path.join(outA, 'train_images', im.file_name));
      expect(bytes.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    }
  });

  it('has unique category ids with at least 3 gaps, and consistent genera', () => {
    const ids = train.categories.map((c) => c.category_id);
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort((a, b) => a - b);
    const gaps = sorted[sorted.length - 1] - sorted[0] + 1 - sorted.length;
    expect(gaps).toBeGreaterThanOrEqual(3);

    const genusIds = train.genera.map((g) => g.genus_id);
    expect(genusIds).toEqual(genusIds.map((_, i) => i));
    const genusName = new Map(train.genera.map((g) => [g.genus_id, g.genus]));
    const catById = new Map(train.categories.map((c) => [c.category_id, c]));
    for (const c of train.categories) {
      const dash = c.scientificName.indexOf('-');
      expect(c.genus).toBe(dash < 0 ? c.scientificName : c.scientificName.slice(0, dash));
      expect(c.species).toBe(dash < 0 ? '' : c.scientificName.slice(dash + 1));
      expect(c.authors).toBe('Unicode Consortium');
    }
    for (const a of train.annotations) {
      expect(catById.has(a.category_id)).toBe(true);
      expect(genusName.get(a.genus_id)).toBe(catById.get(a.category_id)!.genus);
      expect([0, 1]).toContain(a.institution_id);
    }
  });

  it('is long-tailed: imbalance ratio >= 50, every class has >= 2 train images', () => {
    const counts = new Map<number, number>(train.categories.map((c) => [c.category_id, 0]));
    for (const a of train.annotations) counts.set(a.category_id, counts.get(a.category_id)! + 1);
    const values = [...counts.values()];
    expect(Math.min(...values)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...values) / Math.min(...values)).toBeGreaterThanOrEqual(50);
    expect(train.annotations.length).toBeGreaterThanOrEqual(1300);
    expect(train.annotations.length).toBeLessThanOrEqual(1700);
  });
});

describe('make-demo: test split', () => {
  it('has unique ids and PNG files at file_name', () => {
    expect(test.length).toBeGreaterThanOrEqual(150);
    expect(test.length).toBeLessThanOrEqual(250);
    const ids = test.map((t) => t.image_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of test) {
      expect(t.image_id).toMatch(/^test-\d{5}$/);
      expect(t.file_name).toBe(`${t.image_id.slice(5, 8)}/${t.image_id}.png`);
      const bytes = fs.readFileSync(path.join(outA, 'test_images', t.file_name));
      expect(bytes.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    }
  });

  it('writes test_labels.csv with one row per test image, in order, with known categories', () => {
    const lines = fs.readFileSync(path.join(outA, 'test_labels.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('Id,Predicted');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[0])).toEqual(test.map((t) => t.image_id));
    const catIds = new Set(train.categories.map((c) => c.category_id));
    for (const r of rows) expect(catIds.has(Number(r[1]))).toBe(true);
  });

  it('shares no image bytes with the train split', () => {
    const trainBytes = new Set(
      train.images.map((im) => fs.readFileSync(path.join(outA, 'train_images', im.file_name)).toString('base64')),
    );
    for (const t of test) {
      const b = fs.readFileSync(path.join(outA, 'test_images', t.file_name)).toString('base64');
      expect(trainBytes.has(b)).toBe(false);
    }
  });
});

describe('make-demo: the pack the app fetches', () => {
  it('holds every manifest file byte for byte at its listed offset', () => {
    const pack = fs.readFileSync(path.join(outA, 'demo.pack'));
    const entries = (manifest as unknown as { pack: [string, number, number][] }).pack;
    expect(entries.map((e) => e[0])).toEqual(manifest.files);
    for (const [file, offset, length] of entries)
      expect(pack.subarray(offset, offset + length).equals(fs.readFileSync(path.join(outA, file)))).toBe(true);
    expect(pack.length).toBe(entries.reduce((n, e) => n + e[2], 0));
  });
});

describe('make-demo: manifest, attribution, determinism', () => {
  it('lists exactly the files the app should load', () => {
    const written = listFiles(outA);
    expect(written).not.toContain('stale/old.txt'); // the output folder is recreated
    const expected = written.filter((f) => !['manifest.json', 'test_labels.csv', 'ATTRIBUTION.md', 'demo.pack'].includes(f));
    expect([...manifest.files].sort()).toEqual(expected);
    expect(new Set(manifest.files).size).toBe(manifest.files.length);
    expect(manifest.name).toBe('Emoji long tail (demo)');
    expect(manifest.attribution).toMatch(/Twemoji/);
    expect(manifest.attribution).toMatch(/Noto/);
    const attribution = fs.readFileSync(path.join(outA, 'ATTRIBUTION.md'), 'utf8');
    for (const s of ['CC-BY 4.0', 'Apache', 'Twemoji', 'Noto Emoji', 'emoji-datasource-twitter', 'emoji-datasource-google']) {
      expect(attribution).toContain(s);
    }
  });

  it('gives byte-identical output when run again (via the CLI, into another folder)', () => {
    const stdout = execFileSync(process.execPath, [SCRIPT, outB], { encoding: 'utf8' });
    expect(stdout).toMatch(/imbalance ratio/);
    const a = listFiles(outA);
    expect(listFiles(outB)).toEqual(a);
    for (const f of a) {
      expect(fs.readFileSync(path.join(outB, f)).equals(fs.readFileSync(path.join(outA, f))), f).toBe(true);
    }
  }, 60_000);
});
