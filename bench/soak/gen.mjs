#!/usr/bin/env node
/**
 * The soak benchmark's dataset: N small PNGs (64×64, varied content) in a long-tailed class mix,
 * laid out as Kaggle Herbarium 2022 (`train_metadata.json` + `train_images/<ccc>/<cc>/<id>.png`),
 * in a folder outside the repo (default `$TMPDIR/long-tail-lab-soak-<N>`).
 *
 *   node bench/soak/gen.mjs [--images N] [--out DIR] [--force]
 *
 * - Class sizes: bench/ingest/gen-herbarium.mjs's classSizes (Zipf-like, clipped, exact total),
 *   about 33 images per class on average, clipped to [2, 4 × the average].
 * - Every image differs: a class tint, then per image a background gradient, 3–6 discs and
 *   rectangles at random places and colours, and noise (seeded mulberry32: the same bytes every run).
 * - PNGs by scripts/make-fixture.mjs's encodePng; ids and paths by scripts/make-demo.mjs's
 *   trainImageId / trainFileName.
 * - Cached: `soak-dataset.txt` in the folder (not .json: the app loads JSON files found in a folder) records the version and the image count.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { classSizes } from '../ingest/gen-herbarium.mjs';
import { encodePng, fixtureClassColor } from '../../scripts/make-fixture.mjs';
import { shuffleInPlace, trainFileName, trainImageId } from '../../scripts/make-demo.mjs';
import { mulberry32 } from '../../src/core/random.mjs';
import { parseBenchArgs } from '../lib.mjs';

export const SOAK_DATA_VERSION = 1;
const SIZE = 64;
const INSTITUTIONS = 5;

export const defaultSoakDir = (images) => path.join(os.tmpdir(), `long-tail-lab-soak-${images}`);

/** The class mix for `images` images: { categoryIds, sizes } (ids ascending, with gaps). */
export function soakClasses(images) {
  const classes = Math.max(3, Math.round(images / 33));
  const minClass = 2;
  const maxClass = Math.max(minClass + 2, Math.ceil((4 * images) / classes));
  const { sizes } = classSizes({ classes, images, minClass, maxClass });
  // Ids with gaps every 7th, as the real dataset's are not contiguous.
  const categoryIds = Array.from({ length: classes }, (_, c) => c + Math.floor(c / 7));
  return { categoryIds, sizes: Array.from(sizes) };
}

function picture(rand, classIndex) {
  const tint = fixtureClassColor(classIndex);
  const rgb = new Uint8Array(SIZE * SIZE * 3);
  const g0 = [rand() * 255, rand() * 255, rand() * 255];
  const g1 = tint;
  const angle = rand() * Math.PI * 2;
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const t = Math.min(1, Math.max(0, 0.5 + ((x - SIZE / 2) * dx + (y - SIZE / 2) * dy) / SIZE));
      for (let ch = 0; ch < 3; ch++) rgb[(y * SIZE + x) * 3 + ch] = g0[ch] * (1 - t) + g1[ch] * t;
    }
  const shapes = 3 + Math.floor(rand() * 4);
  for (let s = 0; s < shapes; s++) {
    const colour = [rand() * 255, rand() * 255, rand() * 255].map((v, ch) => (v + tint[ch]) / 2);
    const cx = rand() * SIZE;
    const cy = rand() * SIZE;
    const r = 4 + rand() * 16;
    const disc = rand() < 0.5;
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(SIZE, Math.ceil(cy + r)); y++)
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(SIZE, Math.ceil(cx + r)); x++) {
        if (disc && (x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        for (let ch = 0; ch < 3; ch++) rgb[(y * SIZE + x) * 3 + ch] = colour[ch];
      }
  }
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.max(0, Math.min(255, rgb[i] + Math.floor((rand() - 0.5) * 24)));
  return rgb;
}

/**
 * Writes the dataset into `dir` unless it is there already (same version and count).
 * Returns { dir, images, classes, sizes, categoryIds, cached }.
 */
export function ensureSoakDataset({ images, dir = defaultSoakDir(images), force = false, log = () => {} }) {
  const recordFile = path.join(dir, 'soak-dataset.txt');
  const { categoryIds, sizes } = soakClasses(images);
  try {
    const r = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
    if (!force && r.version === SOAK_DATA_VERSION && r.images === images) return { dir, images, classes: sizes.length, sizes, categoryIds, cached: true };
  } catch {
    /* not there yet */
  }
  log(`writing ${images} PNGs (${SIZE}×${SIZE}) in ${sizes.length} classes (largest ${Math.max(...sizes)}, smallest ${Math.min(...sizes)}) under ${dir}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const rand = mulberry32(12_2026);
  const annotations = [];
  const metaImages = [];
  sizes.forEach((n, c) => {
    const categoryId = categoryIds[c];
    for (let k = 1; k <= n; k++) {
      const imageId = trainImageId(categoryId, k);
      const fileName = trainFileName(categoryId, k);
      annotations.push({ genus_id: 1 + (c % 40), institution_id: (c + k) % INSTITUTIONS, category_id: categoryId, image_id: imageId });
      metaImages.push({ image_id: imageId, file_name: fileName, license: 0 });
      const file = path.join(dir, 'train_images', fileName);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, encodePng(SIZE, SIZE, picture(rand, c)));
    }
  });
  // Images listed in a shuffled order, as the real file's are not grouped by class.
  shuffleInPlace(metaImages, rand);
  const genera = Array.from({ length: Math.min(40, sizes.length) }, (_, g) => ({ genus_id: g + 1, genus: `Soakgenus${g + 1}` }));
  const metadata = {
    annotations,
    categories: categoryIds.map((category_id, c) => ({
      authors: 'L.',
      category_id,
      family: `Soakaceae${(c % 40) % 9}`,
      genus: `Soakgenus${1 + (c % 40)}`,
      species: `species${c}`,
      scientificName: `Soakgenus${1 + (c % 40)} species${c} L.`,
    })),
    distances: [],
    genera,
    images: metaImages,
    institutions: Array.from({ length: INSTITUTIONS }, (_, i) => ({ institution_id: i, collectionCode: `SOAK${i}` })),
    license: [{ id: 0, name: 'CC0', url: 'https://creativecommons.org/publicdomain/zero/1.0/' }],
  };
  fs.writeFileSync(path.join(dir, 'train_metadata.json'), JSON.stringify(metadata, null, 4));
  fs.writeFileSync(recordFile, JSON.stringify({ version: SOAK_DATA_VERSION, images, classes: sizes.length }) + '\n');
  return { dir, images, classes: sizes.length, sizes, categoryIds, cached: false };
}

/**
 * A second dataset of every `step`-th image of `full` (the same PNG files, hard-linked; every
 * class kept in the categories): the uninterrupted control run embeds it.
 */
export function ensureSubset(full, { step, dir = `${full.dir}-every-${step}` }) {
  const recordFile = path.join(dir, 'soak-dataset.txt');
  try {
    const r = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
    if (r.version === SOAK_DATA_VERSION && r.of === full.images && r.step === step) return { dir, images: r.images, cached: true };
  } catch {
    /* not there yet */
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const meta = JSON.parse(fs.readFileSync(path.join(full.dir, 'train_metadata.json'), 'utf8'));
  const images = meta.images.filter((_, i) => i % step === 0);
  const keep = new Set(images.map((im) => im.image_id));
  for (const im of images) {
    const to = path.join(dir, 'train_images', im.file_name);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.linkSync(path.join(full.dir, 'train_images', im.file_name), to);
  }
  fs.writeFileSync(path.join(dir, 'train_metadata.json'), JSON.stringify({ ...meta, images, annotations: meta.annotations.filter((a) => keep.has(a.image_id)) }, null, 4));
  fs.writeFileSync(recordFile, JSON.stringify({ version: SOAK_DATA_VERSION, of: full.images, step, images: images.length }) + '\n');
  return { dir, images: images.length, cached: false };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseBenchArgs({
    script: 'bench/soak/gen.mjs',
    summary: "Writes the soak benchmark's Herbarium-2022-shaped dataset of small PNGs, unless cached.",
    options: {
      images: { type: 'number', default: 10_000, help: 'images' },
      out: { type: 'string', arg: 'DIR', help: 'folder (default $TMPDIR/long-tail-lab-soak-N)' },
      force: { type: 'boolean', help: 'write again even when cached' },
    },
  });
  const r = ensureSoakDataset({ images: values.images, dir: values.out ?? defaultSoakDir(values.images), force: values.force, log: console.error });
  console.log(JSON.stringify({ dir: r.dir, images: r.images, classes: r.classes, largest: Math.max(...r.sizes), smallest: Math.min(...r.sizes), cached: r.cached }));
}
