#!/usr/bin/env node
/**
 * Writes a synthetic Kaggle Herbarium 2022 (FGVC9) `train_metadata.json` and `test_metadata.json`
 * at the real dataset's scale and layout, for the ingest benchmark.
 *
 *   node bench/ingest/gen-herbarium.mjs [--force] [outDir]   (default outDir: bench/.data/herbarium2022)
 *
 * - 839,772 train images in 15,501 categories (ids 0..15504 minus 4), 2,564 genera with every
 *   `distances` pair (3,285,766), 272 families, 60 institutions; class sizes follow a Zipf-like
 *   curve clipped to [7, 80] that sums to exactly 839,772.
 * - Key order and shapes as in the real file; written like Python's `json.dump(obj, f, indent=4)`
 *   (ensure_ascii, ", " / ": " separators, no trailing newline). About 640 MB.
 * - Streamed in ~8 MB string chunks with backpressure; memory stays small.
 * - Deterministic: a seeded mulberry32 PRNG, no Math.random, no clock. Same bytes every run.
 * - Cached: if `stats.json` next to the files names this generator version and the files have the
 *   recorded sizes, nothing is written. Files are written to `*.tmp` and renamed, so a crash never
 *   leaves a half file that looks cached and there is never more than one full copy.
 */

import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../src/core/random.mjs';
import { parseBenchArgs } from '../lib.mjs';

export const GENERATOR_VERSION = 2;
const SEED = 2022;

export const SPEC = {
  images: 839_772,
  classes: 15_501,
  categoryIdSpan: 15_505, // ids 0..15504, 4 of them unused
  genera: 2_564,
  families: 272,
  institutions: 60,
  minClass: 7,
  maxClass: 80,
  testImages: 210_407,
};

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUT = path.resolve(here, '..', '.data', 'herbarium2022');

// ---------------------------------------------------------------------------------------------
// PRNG and small helpers


const pad = (n, w) => String(n).padStart(w, '0');

function shuffle(arr, rnd) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

/** Splits `total` into `parts` integers >= 1 with Zipf-like weights (rank^-s), exact sum. */
function zipfSplit(total, parts, s, rnd) {
  const counts = new Array(parts).fill(1);
  let left = total - parts;
  const w = Array.from({ length: parts }, (_, r) => Math.pow(r + 1, -s));
  const wsum = w.reduce((a, b) => a + b, 0);
  for (let r = 0; r < parts; r++) {
    const add = Math.floor((left * w[r]) / wsum);
    counts[r] += add;
  }
  left = total - counts.reduce((a, b) => a + b, 0);
  for (let r = 0; left > 0; r = (r + 1) % parts, left--) counts[r]++;
  return shuffle(counts, rnd);
}

// Pseudo-Latin names from syllables.
const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'ch', 'ph', 'th', 'tr', 'cr', 'pl', 'st', 'gl', 'br'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ae', 'y', 'ia', 'io'];
const CODAS = ['', '', '', 'n', 'r', 's', 'l', 'x', 'm'];
function word(rnd, syllables) {
  let w = '';
  for (let i = 0; i < syllables; i++) {
    w += ONSETS[Math.floor(rnd() * ONSETS.length)] + VOWELS[Math.floor(rnd() * VOWELS.length)];
    if (i === syllables - 1 || rnd() < 0.2) w += CODAS[Math.floor(rnd() * CODAS.length)];
  }
  return w;
}
const capital = (w) => w[0].toUpperCase() + w.slice(1);
function uniqueNames(n, rnd, make) {
  const seen = new Set();
  const out = [];
  while (out.length < n) {
    const name = make();
    if (!seen.has(name)) {
      seen.add(name);
      out.push(name);
    }
  }
  return out;
}
const AUTHOR_NAMES = ['L.', 'Nutt.', 'A.Gray', 'Torr.', 'Greene', 'Michx.', 'Benth.', 'Hook.', 'DC.', 'Raf.', 'Willd.', 'Pursh', 'Eastw.', 'S.Watson', 'Rydb.', 'Engelm.', 'Britton', 'Small', 'Kunth', 'Lam.'];
function authorsOf(rnd) {
  const a = AUTHOR_NAMES[Math.floor(rnd() * AUTHOR_NAMES.length)];
  if (rnd() < 0.4) return `(${AUTHOR_NAMES[Math.floor(rnd() * AUTHOR_NAMES.length)]}) ${a}`;
  if (rnd() < 0.2) return `${a} ex ${AUTHOR_NAMES[Math.floor(rnd() * AUTHOR_NAMES.length)]}`;
  return a;
}

// ---------------------------------------------------------------------------------------------
// The dataset model (small: everything but the per-image rows and the distance pairs)

/** Class sizes: s(r) = 7 * ((N-1+r0)/(r+r0))^alpha, clipped to [7, 80], alpha solved for the total. */
export function classSizes(spec = SPEC) {
  const N = spec.classes;
  const r0 = 50;
  const sizesFor = (alpha) => {
    const out = new Int32Array(N);
    for (let r = 0; r < N; r++) {
      const v = Math.round(spec.minClass * Math.pow((N - 1 + r0) / (r + r0), alpha));
      out[r] = Math.min(spec.maxClass, Math.max(spec.minClass, v));
    }
    return out;
  };
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  let lo = 0;
  let hi = 5;
  for (let it = 0; it < 100; it++) {
    const mid = (lo + hi) / 2;
    if (sum(sizesFor(mid)) < spec.images) lo = mid;
    else hi = mid;
  }
  const sizes = sizesFor(lo);
  // Exact total: nudge classes strictly inside (min, max) by one, walking from the tail up.
  let diff = spec.images - sum(sizes);
  for (let r = N - 1; diff !== 0; r = r === 0 ? N - 1 : r - 1) {
    if (diff > 0 && sizes[r] > spec.minClass && sizes[r] < spec.maxClass) {
      sizes[r]++;
      diff--;
    } else if (diff < 0 && sizes[r] > spec.minClass + 1 && sizes[r] < spec.maxClass) {
      sizes[r]--;
      diff++;
    }
  }
  return { sizes, alpha: lo, r0 };
}

export function buildModel(spec = SPEC) {
  const rnd = mulberry32(SEED);

  const familyNames = uniqueNames(spec.families, rnd, () => capital(word(rnd, 2 + Math.floor(rnd() * 2))) + 'aceae');
  const genusNamesRaw = uniqueNames(spec.genera, rnd, () => capital(word(rnd, 2 + Math.floor(rnd() * 3))));

  // Genera per family and categories per genus: long-tailed, each at least one.
  const generaPerFamily = zipfSplit(spec.genera, spec.families, 1.0, rnd);
  const categoriesPerGenus = zipfSplit(spec.classes, spec.genera, 0.9, rnd);

  // genus k (in genusNamesRaw order) belongs to family familyOfGenus[k]
  const familyOfGenus = [];
  generaPerFamily.forEach((n, f) => {
    for (let i = 0; i < n; i++) familyOfGenus.push(f);
  });

  // Genus ids 1..2564 in alphabetical order of genus name (as in the real file).
  const genusOrder = genusNamesRaw.map((name, k) => ({ name, family: familyNames[familyOfGenus[k]], nCat: categoriesPerGenus[k] }));
  genusOrder.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  genusOrder.forEach((g, i) => (g.id = i + 1));

  // Category ids: 0..15504 minus 4, assigned in (family, genus, species) order.
  const gaps = new Set();
  while (gaps.size < spec.categoryIdSpan - spec.classes) gaps.add(1 + Math.floor(rnd() * (spec.categoryIdSpan - 2)));
  const categoryIds = [];
  for (let id = 0; id < spec.categoryIdSpan; id++) if (!gaps.has(id)) categoryIds.push(id);

  const byFamily = [...genusOrder].sort((a, b) =>
    a.family < b.family ? -1 : a.family > b.family ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const categories = [];
  for (const g of byFamily) {
    const species = uniqueNames(g.nCat, rnd, () => word(rnd, 2 + Math.floor(rnd() * 3))).sort();
    for (const sp of species) {
      const authors = authorsOf(rnd);
      categories.push({
        authors,
        category_id: categoryIds[categories.length],
        family: g.family,
        genus: g.name,
        genus_id: g.id,
        species: sp,
        scientificName: `${g.name} ${sp} ${authors}`,
      });
    }
  }

  // Class sizes: the sorted long-tail curve, dealt out to categories in a seeded random order.
  const { sizes, alpha, r0 } = classSizes(spec);
  const order = shuffle(Array.from({ length: spec.classes }, (_, i) => i), rnd);
  categories.forEach((c, i) => (c.size = sizes[order[i]]));

  // Institutions: unique 2-5 letter codes; images drawn with Zipf weights.
  const institutions = uniqueNames(spec.institutions, rnd, () => {
    const n = 2 + Math.floor(rnd() * 4);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(65 + Math.floor(rnd() * 26));
    return s;
  });
  const instWeights = Array.from({ length: spec.institutions }, (_, r) => Math.pow(r + 1, -1.1));
  const instCdf = [];
  let acc = 0;
  const wsum = instWeights.reduce((a, b) => a + b, 0);
  for (const w of instWeights) instCdf.push((acc += w / wsum));

  const genusFamilyIndex = new Int32Array(spec.genera + 1);
  const famIndex = new Map(familyNames.map((f, i) => [f, i]));
  for (const g of genusOrder) genusFamilyIndex[g.id] = famIndex.get(g.family);

  return { categories, genera: genusOrder, familyNames, institutions, instCdf, genusFamilyIndex, gaps: [...gaps].sort((a, b) => a - b), alpha, r0 };
}

// ---------------------------------------------------------------------------------------------
// Streaming writer

class ChunkWriter {
  constructor(file) {
    this.stream = fs.createWriteStream(file, { highWaterMark: 1 << 20 });
    this.parts = [];
    this.len = 0;
    this.bytes = 0;
    this.error = null;
    /** Byte offset of each top-level key (for per-array timings). */
    this.keyOffsets = {};
    this.stream.on('error', (e) => (this.error = e));
  }
  /** Appends ASCII text; flushes an ~8 MB chunk when full (await it for backpressure). */
  push(s) {
    this.parts.push(s);
    this.len += s.length;
    return this.len >= 8 << 20 ? this.flush() : null;
  }
  async flush() {
    if (this.error) throw this.error;
    if (this.len === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.bytes += chunk.length; // ASCII only
    this.len = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain'); // rejects on 'error'
  }
  async close() {
    await this.flush();
    await new Promise((res, rej) => this.stream.end((e) => (e ? rej(e) : res())));
    if (this.error) throw this.error;
    return this.bytes;
  }
}

// Python json.dump(indent=4) layout: newline + 4 spaces per nesting level.
const IND = ['\n', '\n    ', '\n        ', '\n            '];
/** JSON string as Python writes it with ensure_ascii=True (our names are plain ASCII). */
const q = (s) => JSON.stringify(s);
/** A float as Python's repr: shortest round-trip, always with a '.' or exponent. */
function pyFloat(x) {
  const s = String(x);
  return /[.e]/.test(s) ? s : s + '.0';
}

/**
 * Writes one array of flat objects. key !== null: a member of the top-level object (array at
 * level 1, elements at level 2); key === null: the bare top-level array (elements at level 1).
 * element(i) returns the object's fields as already formatted `"key": value` strings.
 */
async function writeArray(w, key, count, element) {
  const lvl = key === null ? 1 : 2;
  if (key !== null) w.keyOffsets[key] = w.bytes + w.len + IND[1].length; // the key's opening quote
  const open = IND[lvl], field = IND[lvl + 1], close = IND[lvl];
  w.push(key === null ? '[' : `${IND[1]}${q(key)}: [`);
  for (let i = 0; i < count; i++) {
    const fields = element(i);
    let s = (i ? ',' : '') + open + '{';
    for (let f = 0; f < fields.length; f++) s += (f ? ',' : '') + field + fields[f];
    const p = w.push(s + close + '}');
    if (p) await p;
  }
  w.push(count ? IND[lvl - 1] + ']' : ']');
}

export async function writeTrain(file, model, spec = SPEC) {
  const rnd = mulberry32(SEED + 1);
  const w = new ChunkWriter(file);
  const cats = model.categories;

  // Per-image rows, in image_id order (category id, then index within the class).
  const rowCat = new Int32Array(spec.images);
  const rowIdx = new Int32Array(spec.images);
  const rowInst = new Int32Array(spec.images);
  let r = 0;
  for (let c = 0; c < cats.length; c++)
    for (let k = 1; k <= cats[c].size; k++, r++) {
      rowCat[r] = c;
      rowIdx[r] = k;
      const u = rnd();
      let inst = 0;
      while (model.instCdf[inst] < u && inst < model.instCdf.length - 1) inst++;
      rowInst[r] = inst;
    }
  if (r !== spec.images) throw new Error(`internal: ${r} rows, expected ${spec.images}`);
  const imageIdOf = (i) => {
    const c = cats[rowCat[i]];
    return `${pad(c.category_id, 5)}__${pad(rowIdx[i], 3)}`;
  };

  w.push('{');
  await writeArray(w, 'annotations', spec.images, (i) => {
    const c = cats[rowCat[i]];
    return ([`"genus_id": ${c.genus_id}`, `"institution_id": ${rowInst[i]}`, `"category_id": ${c.category_id}`, `"image_id": "${imageIdOf(i)}"`]);
  });
  w.push(',');
  await writeArray(w, 'categories', cats.length, (i) => {
    const c = cats[i];
    return ([
      `"authors": ${q(c.authors)}`,
      `"category_id": ${c.category_id}`,
      `"family": ${q(c.family)}`,
      `"genus": ${q(c.genus)}`,
      `"species": ${q(c.species)}`,
      `"scientificName": ${q(c.scientificName)}`,
    ]);
  });
  w.push(',');
  // Every pair genus_id_x < genus_id_y, x-major. Distance: smaller within a family, with noise.
  const G = spec.genera;
  const nPairs = (G * (G - 1)) / 2;
  let x = 1;
  let y = 2;
  const drnd = mulberry32(SEED + 2);
  await writeArray(w, 'distances', nPairs, () => {
    const same = model.genusFamilyIndex[x] === model.genusFamilyIndex[y];
    const d = (same ? 0.05 + 0.35 * drnd() : 0.4 + 0.59 * drnd());
    const s = ([`"genus_id_x": ${x}`, `"genus_id_y": ${y}`, `"distance": ${pyFloat(d)}`]);
    if (++y > G) {
      x++;
      y = x + 1;
    }
    return s;
  });
  w.push(',');
  await writeArray(w, 'genera', G, (i) => ([`"genus_id": ${model.genera[i].id}`, `"genus": ${q(model.genera[i].name)}`]));
  w.push(',');
  await writeArray(w, 'images', spec.images, (i) => {
    const c = cats[rowCat[i]];
    const id = imageIdOf(i);
    const cid = pad(c.category_id, 5);
    return ([`"image_id": "${id}"`, `"file_name": "${cid.slice(0, 3)}/${cid.slice(3)}/${id}.jpg"`, `"license": 0`]);
  });
  w.push(',');
  await writeArray(w, 'institutions', spec.institutions, (i) => ([`"institution_id": ${i}`, `"collectionCode": ${q(model.institutions[i])}`]));
  w.push(',');
  await writeArray(w, 'license', 1, () =>
    ([`"id": 0`, `"name": "Attribution-NonCommercial-ShareAlike 4.0 International"`, `"url": "https://creativecommons.org/licenses/by-nc-sa/4.0/"`]),
  );
  w.push('\n}');
  const bytes = await w.close();
  return { bytes, keyOffsets: w.keyOffsets };
}

export async function writeTest(file, spec = SPEC) {
  const w = new ChunkWriter(file);
  await writeArray(w, null, spec.testImages, (i) => {
    const id = `test-${pad(i, 6)}`;
    return ([`"image_id": "${id}"`, `"file_name": "${pad(Math.floor(i / 1000), 3)}/${id}.jpg"`, `"license": 0`]);
  });
  return w.close();
}

export function statsFor(model, spec = SPEC) {
  const sizes = model.categories.map((c) => c.size);
  const sorted = [...sizes].sort((a, b) => a - b);
  return {
    images: sizes.reduce((a, b) => a + b, 0),
    classes: model.categories.length,
    genera: model.genera.length,
    families: new Set(model.categories.map((c) => c.family)).size,
    institutions: spec.institutions,
    distances: (spec.genera * (spec.genera - 1)) / 2,
    maxClassSize: sorted[sorted.length - 1],
    minClassSize: sorted[0],
    medianClassSize: sorted[Math.floor(sorted.length / 2)],
    classesAtMax: sizes.filter((s) => s === spec.maxClass).length,
    classesAtMin: sizes.filter((s) => s === spec.minClass).length,
    categoryIdGaps: model.gaps,
    maxCategoryId: Math.max(...model.categories.map((c) => c.category_id)),
    curve: `size(rank) = clip(round(7 * ((N-1+${model.r0})/(rank+${model.r0}))^${model.alpha.toFixed(6)}), 7, 80), then +-1 to hit the total`,
  };
}

/** Generates the files unless a valid cache is there; returns the stats record. */
export async function ensureData(outDir = DEFAULT_OUT, { force = false, log = console.error } = {}) {
  const trainFile = path.join(outDir, 'train_metadata.json');
  const testFile = path.join(outDir, 'test_metadata.json');
  const statsFile = path.join(outDir, 'stats.json');
  if (!force && fs.existsSync(statsFile)) {
    try {
      const st = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
      if (
        st.generatorVersion === GENERATOR_VERSION &&
        fs.statSync(trainFile).size === st.train.bytes &&
        fs.statSync(testFile).size === st.test.bytes
      ) {
        log(`[gen] cached: ${trainFile} (${st.train.bytes.toLocaleString('en-US')} bytes)`);
        return { ...st, trainFile, testFile, statsFile };
      }
    } catch {
      /* regenerate */
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  fs.rmSync(statsFile, { force: true });
  const t0 = performance.now();
  const model = buildModel();
  const stats = statsFor(model);
  for (const [k, v] of [['images', SPEC.images], ['classes', SPEC.classes], ['genera', SPEC.genera], ['families', SPEC.families]])
    if (stats[k] !== v) throw new Error(`internal: ${k} = ${stats[k]}, expected ${v}`);
  log(`[gen] writing ${trainFile} ...`);
  for (const f of [trainFile, testFile]) fs.rmSync(f, { force: true }); // never two copies on disk
  const { bytes: trainBytes, keyOffsets } = await writeTrain(trainFile + '.tmp', model);
  fs.renameSync(trainFile + '.tmp', trainFile);
  const testBytes = await writeTest(testFile + '.tmp');
  fs.renameSync(testFile + '.tmp', testFile);
  const seconds = (performance.now() - t0) / 1000;
  const record = {
    generatorVersion: GENERATOR_VERSION,
    seed: SEED,
    train: { file: 'train_metadata.json', bytes: fs.statSync(trainFile).size, ...stats, keyOffsets },
    test: { file: 'test_metadata.json', bytes: fs.statSync(testFile).size, images: SPEC.testImages },
    generateSeconds: Math.round(seconds * 10) / 10,
  };
  if (record.train.bytes !== trainBytes || record.test.bytes !== testBytes) throw new Error('internal: byte count mismatch');
  fs.writeFileSync(statsFile, JSON.stringify(record, null, 2) + '\n');
  log(`[gen] wrote ${record.train.bytes.toLocaleString('en-US')} + ${record.test.bytes.toLocaleString('en-US')} bytes in ${record.generateSeconds} s`);
  return { ...record, trainFile, testFile, statsFile };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseBenchArgs({
    script: 'bench/ingest/gen-herbarium.mjs',
    summary: 'Writes the synthetic Herbarium 2022 train_metadata.json and test_metadata.json into a folder (default bench/.data/herbarium2022), unless cached there.',
    options: { force: { type: 'boolean', help: 'generate again even when cached' } },
    positionals: '[folder]',
  });
  const out = positionals[0] ?? DEFAULT_OUT;
  const st = await ensureData(path.resolve(out), { force: values.force });
  const { trainFile, testFile, statsFile, ...rest } = st;
  console.log(JSON.stringify({ trainFile, testFile, statsFile, ...rest }, null, 2));
}
