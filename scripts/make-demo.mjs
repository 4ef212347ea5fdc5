#!/usr/bin/env node
// Builds the bundled demo dataset ("Emoji long tail") into public/demo/, laid out like Kaggle's
// Herbarium 2022 (FGVC9) so that the app loads it with the same code as the real thing.
//
// Sources: the emoji PNGs in the devDependencies emoji-datasource-twitter (Twemoji, CC-BY 4.0)
// and emoji-datasource-google (Noto Emoji, Apache-2.0). A class is a Unicode emoji subcategory;
// its images are every rendering (both vendors, every skin tone) of every emoji in it.
// See docs/DEMO_DATA.md for the design, the taxonomy mapping and the licences.
//
// Deterministic: no clock, no Math.random, a seeded PRNG, sorted inputs. Running it twice gives
// byte-identical output (PNG bytes are copied unchanged).
//
// Usage: node scripts/make-demo.mjs [outDir]   (default: public/demo next to this script's repo)

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from '../src/core/random.mjs';

const require = createRequire(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = path.join(REPO_ROOT, 'public', 'demo');

const SEED = 20220309; // arbitrary; FGVC9 / Herbarium 2022 launch date
const KEEP_FRACTION = 0.21; // per class keep min(n, max(2, ceil(KEEP_FRACTION * n)))
const MIN_KEEP = 2;
const TEST_FRACTION = 0.13; // of the kept images of classes with >= TEST_MIN_KEPT kept images
const TEST_MIN_KEPT = 10;
const SKIPPED_CATEGORY_IDS = new Set([13, 42, 77]); // deliberate gaps, as Herbarium 2022 has
const AUTHORS = 'Unicode Consortium';

export const VENDORS = [
  {
    institution_id: 0,
    key: 'twitter',
    pkg: 'emoji-datasource-twitter',
    collectionCode: 'Twemoji',
    upstream: 'Twemoji (jdecked/twemoji, originally twitter/twemoji)',
    upstreamUrl: 'https://github.com/jdecked/twemoji',
    copyright: 'Copyright 2019 Twitter, Inc and other contributors',
    license: {
      id: 0,
      name: 'CC-BY 4.0 (Twemoji)',
      url: 'https://creativecommons.org/licenses/by/4.0/',
    },
  },
  {
    institution_id: 1,
    key: 'google',
    pkg: 'emoji-datasource-google',
    collectionCode: 'Noto Emoji',
    upstream: 'Noto Emoji (googlefonts/noto-emoji)',
    upstreamUrl: 'https://github.com/googlefonts/noto-emoji',
    copyright: 'Copyright 2013 Google Inc.',
    license: {
      id: 1,
      name: 'Apache-2.0 (Noto Emoji)',
      url: 'https://www.apache.org/licenses/LICENSE-2.0',
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Small deterministic helpers


/** 32-bit FNV-1a of a string's UTF-8 bytes: a stable per-class seed, independent of other classes. */
export function fnv1a(str) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(str, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function shuffleInPlace(arr, rand) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

const pad = (n, w) => String(n).padStart(w, '0');
const cmpStr = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** Herbarium-style train id/path: category 7, k 1 -> 00007__001, 000/07/00007__001.png */
export function trainImageId(categoryId, k) {
  return `${pad(categoryId, 5)}__${pad(k, 3)}`;
}
export function trainFileName(categoryId, k) {
  const c = pad(categoryId, 5);
  return `${c.slice(0, 3)}/${c.slice(3)}/${trainImageId(categoryId, k)}.png`;
}
/** Herbarium-style test id/path: j 1234 -> test-01234, 012/test-01234.png */
export function testImageId(j) {
  return `test-${pad(j, 5)}`;
}
export function testFileName(j) {
  return `${pad(j, 5).slice(0, 3)}/${testImageId(j)}.png`;
}

// ---------------------------------------------------------------------------------------------
// Reading the sources

function packageDir(pkg) {
  return path.dirname(require.resolve(`${pkg}/package.json`));
}

/**
 * Every rendering of every emoji, grouped by subcategory, in a canonical order:
 * emoji sort_order, then base before skin-tone variations (keys sorted), then Twemoji before Noto.
 * Byte-identical PNGs (e.g. several flags or the gendered family emoji that Twemoji draws the
 * same) are kept only at their first occurrence in the global order, so no picture appears twice
 * in the demo, under two labels or in both splits.
 */
function collectSources() {
  const dirs = VENDORS.map((v) => packageDir(v.pkg));
  // Both packages ship the same emoji.json; read each vendor's own to be safe about has_img_*.
  const data = VENDORS.map((v, i) => JSON.parse(fs.readFileSync(path.join(dirs[i], 'emoji.json'), 'utf8')));
  const byUnified = data.map((list) => new Map(list.map((e) => [e.unified, e])));

  const entries = [...data[0]].sort((a, b) => a.sort_order - b.sort_order || cmpStr(a.unified, b.unified));
  const subcats = new Map(); // subcategory -> { subcategory, category, minSort, renderings: [] }
  let renderingCount = 0;
  for (const e of entries) {
    let sc = subcats.get(e.subcategory);
    if (!sc) {
      sc = { subcategory: e.subcategory, category: e.category, minSort: e.sort_order, renderings: [] };
      subcats.set(e.subcategory, sc);
    } else if (sc.category !== e.category) {
      throw new Error(`subcategory ${e.subcategory} appears in two categories`);
    }
    const variants = [e, ...Object.keys(e.skin_variations ?? {}).sort().map((k) => e.skin_variations[k])];
    for (const v of variants) {
      VENDORS.forEach((vendor, vi) => {
        // Look the variant up in this vendor's own emoji.json.
        const own = byUnified[vi].get(e.unified);
        const ownV = v === e ? own : Object.values(own?.skin_variations ?? {}).find((x) => x.unified === v.unified);
        if (!ownV || !ownV[`has_img_${vendor.key}`]) return;
        const src = path.join(dirs[vi], 'img', vendor.key, '64', ownV.image);
        if (!fs.existsSync(src)) return; // flagged as present but missing: skip rather than fail
        renderingCount++;
        sc.renderings.push({ src, vendor, unified: v.unified, name: e.name });
      });
    }
  }

  const ordered = [...subcats.values()].sort((a, b) => a.minSort - b.minSort);
  const seen = new Set();
  let duplicates = 0;
  for (const sc of ordered) {
    sc.renderings = sc.renderings.filter((r) => {
      r.bytes = fs.readFileSync(r.src);
      const h = crypto.createHash('sha256').update(r.bytes).digest('hex');
      if (seen.has(h)) {
        duplicates++;
        return false;
      }
      seen.add(h);
      return true;
    });
  }
  return { subcats: ordered, renderingCount, duplicates };
}

// ---------------------------------------------------------------------------------------------
// Building

function writeJson(file, value) {
  // JSON.stringify(v, null, 4) matches Python's json.dumps(v, indent=4) for this ASCII data.
  fs.writeFileSync(file, JSON.stringify(value, null, 4) + '\n');
}

/**
 * Builds the demo dataset into outDir (removed and recreated). Returns the stats.
 * @param {string} [outDir]
 */
export function buildDemo(outDir = DEFAULT_OUT_DIR) {
  const { subcats, renderingCount, duplicates } = collectSources();

  // Category ids: position in the sort_order ordering of subcategories, skipping a few ids.
  let nextId = 0;
  const classes = subcats.map((sc) => {
    while (SKIPPED_CATEGORY_IDS.has(nextId)) nextId++;
    const dash = sc.subcategory.indexOf('-');
    return {
      ...sc,
      category_id: nextId++,
      genus: dash < 0 ? sc.subcategory : sc.subcategory.slice(0, dash),
      species: dash < 0 ? '' : sc.subcategory.slice(dash + 1),
    };
  });
  const genera = [...new Set(classes.map((c) => c.genus))].sort(cmpStr).map((genus, i) => ({ genus_id: i, genus }));
  const genusId = new Map(genera.map((g) => [g.genus, g.genus_id]));

  // Per-class deterministic subsample and train/test split.
  const train = []; // { cls, r, k }
  const testPool = []; // { cls, r }
  for (const cls of classes) {
    const n = cls.renderings.length;
    const keep = Math.min(n, Math.max(MIN_KEEP, Math.ceil(KEEP_FRACTION * n)));
    const rand = mulberry32((SEED ^ fnv1a(cls.subcategory)) >>> 0);
    const order = shuffleInPlace(cls.renderings.map((_, i) => i), rand).slice(0, keep);
    const nTest = keep >= TEST_MIN_KEPT ? Math.round(TEST_FRACTION * keep) : 0;
    const testIdx = order.slice(0, nTest);
    const trainIdx = order.slice(nTest).sort((a, b) => a - b); // train numbered in canonical order
    if (trainIdx.length < 2) throw new Error(`class ${cls.subcategory} has < 2 train images`);
    if (trainIdx.length > 999) throw new Error(`class ${cls.subcategory} has > 999 train images`);
    trainIdx.forEach((i, k) => train.push({ cls, r: cls.renderings[i], k: k + 1 }));
    for (const i of testIdx.sort((a, b) => a - b)) testPool.push({ cls, r: cls.renderings[i] });
  }
  // Test images are shuffled globally (like Kaggle's hidden test set), then numbered from 0.
  shuffleInPlace(testPool, mulberry32(SEED));

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const written = new Set();
  const copy = (rel, bytes) => {
    const dst = path.join(outDir, rel);
    if (!written.has(path.dirname(dst))) {
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      written.add(path.dirname(dst));
    }
    fs.writeFileSync(dst, bytes);
  };

  const images = [];
  const annotations = [];
  for (const { cls, r, k } of train) {
    const image_id = trainImageId(cls.category_id, k);
    const file_name = trainFileName(cls.category_id, k);
    copy(path.posix.join('train_images', file_name), r.bytes);
    images.push({ image_id, file_name, license: r.vendor.license.id });
    annotations.push({
      image_id,
      category_id: cls.category_id,
      genus_id: genusId.get(cls.genus),
      institution_id: r.vendor.institution_id,
    });
  }
  const testImages = [];
  const testLabels = [];
  testPool.forEach(({ cls, r }, j) => {
    const file_name = testFileName(j);
    copy(path.posix.join('test_images', file_name), r.bytes);
    testImages.push({ image_id: testImageId(j), file_name, license: r.vendor.license.id });
    testLabels.push(`${testImageId(j)},${cls.category_id}`);
  });

  writeJson(path.join(outDir, 'train_metadata.json'), {
    annotations,
    categories: classes.map((c) => ({
      category_id: c.category_id,
      scientificName: c.subcategory,
      family: c.category,
      genus: c.genus,
      species: c.species,
      authors: AUTHORS,
    })),
    distances: [],
    genera,
    images,
    institutions: VENDORS.map((v) => ({ institution_id: v.institution_id, collectionCode: v.collectionCode })),
    license: VENDORS.map((v) => v.license),
  });
  writeJson(path.join(outDir, 'test_metadata.json'), testImages);
  fs.writeFileSync(path.join(outDir, 'test_labels.csv'), ['Id,Predicted', ...testLabels].join('\n') + '\n');

  // Stats.
  const perClass = new Map(classes.map((c) => [c.category_id, 0]));
  for (const a of annotations) perClass.set(a.category_id, perClass.get(a.category_id) + 1);
  const counts = [...perClass.values()];
  const max = Math.max(...counts);
  const min = Math.min(...counts);
  const byVendor = (list) => VENDORS.map((v) => list.filter((x) => x.license === v.license.id).length);
  const stats = {
    classes: classes.length,
    genera: genera.length,
    families: new Set(classes.map((c) => c.category)).size,
    sourceRenderings: renderingCount,
    duplicateRenderingsDropped: duplicates,
    train: annotations.length,
    test: testImages.length,
    maxTrainPerClass: max,
    minTrainPerClass: min,
    imbalanceRatio: Math.round((max / min) * 100) / 100,
    trainByInstitution: byVendor(images),
    testByInstitution: byVendor(testImages),
  };

  const attribution =
    'Emoji images: Twemoji (c) Twitter, Inc and other contributors, CC-BY 4.0 ' +
    '(https://github.com/jdecked/twemoji); Noto Emoji (c) Google, Apache License 2.0 ' +
    '(https://github.com/googlefonts/noto-emoji). Via iamcal/emoji-data (emoji-datasource-*). ' +
    'Images unmodified. See ATTRIBUTION.md.';
  const files = [
    'train_metadata.json',
    'test_metadata.json',
    ...images.map((im) => `train_images/${im.file_name}`),
    ...testImages.map((im) => `test_images/${im.file_name}`),
  ];
  // One file for the app to fetch: 1,600 small requests take seconds, one 6 MB request does not.
  // `pack` lists [path, byte offset, byte length] of each file inside demo.pack.
  const pack = [];
  let offset = 0;
  const parts = files.map((f) => {
    const bytes = fs.readFileSync(path.join(outDir, f));
    pack.push([f, offset, bytes.length]);
    offset += bytes.length;
    return bytes;
  });
  fs.writeFileSync(path.join(outDir, 'demo.pack'), Buffer.concat(parts));
  writeJson(path.join(outDir, 'manifest.json'), {
    name: 'Emoji long tail (demo)',
    description:
      `${stats.classes} classes (Unicode emoji subcategories) in a family > genus > species taxonomy ` +
      `(emoji category > first word of the subcategory > subcategory), ${stats.train} train and ` +
      `${stats.test} test images (64x64 PNG), train imbalance ratio ${stats.imbalanceRatio}. ` +
      'Laid out like Kaggle Herbarium 2022 (FGVC9).',
    files,
    pack,
    attribution,
    stats,
  });
  fs.writeFileSync(path.join(outDir, 'ATTRIBUTION.md'), attributionMarkdown(stats, train, testPool));
  return stats;
}

function attributionMarkdown(stats, train, testPool) {
  const lines = [
    '# Attribution: Emoji long tail (demo)',
    '',
    'This folder is generated by `scripts/make-demo.mjs`; do not edit it by hand.',
    'Every image is a 64x64 PNG copied byte for byte, unmodified, from an npm package of',
    '[iamcal/emoji-data](https://github.com/iamcal/emoji-data) (the packages\' data files are MIT;',
    'the images keep their own licences, below). The class names come from the Unicode emoji',
    'subcategories (Unicode Consortium, Unicode License v3).',
    '',
    '| institution_id / license id | collectionCode | package | upstream project | licence | train | test |',
    '|---|---|---|---|---|---|---|',
  ];
  VENDORS.forEach((v, i) => {
    lines.push(
      `| ${v.institution_id} | ${v.collectionCode} | \`${v.pkg}\` (\`img/${v.key}/64/\`) | ` +
        `[${v.upstream}](${v.upstreamUrl}) | [${v.license.name}](${v.license.url}) | ` +
        `${stats.trainByInstitution[i]} | ${stats.testByInstitution[i]} |`,
    );
  });
  lines.push(
    '',
    '- **Twemoji** graphics: Copyright 2019 Twitter, Inc and other contributors. Licensed under',
    '  [CC-BY 4.0](https://creativecommons.org/licenses/by/4.0/). No changes were made.',
    '- **Noto Emoji** images: Copyright 2013 Google Inc. Licensed under the',
    '  [Apache License, Version 2.0](https://www.apache.org/licenses/LICENSE-2.0). No changes were made.',
    '',
    'Each image\'s source is given by `license` in `train_metadata.json` / `test_metadata.json`',
    '(and `institution_id` in the train annotations): 0 = Twemoji, 1 = Noto Emoji. The full list:',
    '',
    '| file | source package | source file | emoji |',
    '|---|---|---|---|',
  );
  const row = (file, r) =>
    `| ${file} | \`${r.vendor.pkg}\` | \`img/${r.vendor.key}/64/${path.basename(r.src)}\` | ${r.name.toLowerCase()} (${r.unified}) |`;
  for (const { cls, r, k } of train) lines.push(row(`train_images/${trainFileName(cls.category_id, k)}`, r));
  testPool.forEach(({ r }, j) => lines.push(row(`test_images/${testFileName(j)}`, r)));
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// CLI

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const outDir = path.resolve(process.argv[2] ?? DEFAULT_OUT_DIR);
  const t0 = process.hrtime.bigint();
  const s = buildDemo(outDir);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `make-demo: wrote ${path.relative(process.cwd(), outDir) || '.'} in ${ms.toFixed(0)} ms\n` +
      `  classes ${s.classes} (genera ${s.genera}, families ${s.families})\n` +
      `  source renderings ${s.sourceRenderings} (${s.duplicateRenderingsDropped} byte-identical duplicates dropped)\n` +
      `  train ${s.train} (Twemoji ${s.trainByInstitution[0]}, Noto ${s.trainByInstitution[1]})\n` +
      `  test ${s.test} (Twemoji ${s.testByInstitution[0]}, Noto ${s.testByInstitution[1]})\n` +
      `  train per class: max ${s.maxTrainPerClass}, min ${s.minTrainPerClass}, imbalance ratio ${s.imbalanceRatio}`,
  );
}
