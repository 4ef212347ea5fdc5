#!/usr/bin/env node
// Builds the end-to-end test fixture: a tiny dataset in Kaggle's Herbarium 2022 (FGVC9) layout
// with real PNG and JPEG files, made deterministically (seeded PRNG, no clock).
//
// It is built to catch the seed notebook's mistakes: category ids have gaps (never row numbers),
// images are listed in a different order from annotations (never joined by position), one
// declared category has no images, two metadata images have no file, and the class sizes span
// all three bands (>100, 20–100, <20).
//
// Usage: node scripts/make-fixture.mjs [outDir]   (default: e2e/.fixtures/herbarium-mini)

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import jpeg from 'jpeg-js';
import { mulberry32 } from '../src/core/random.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_FIXTURE_DIR = path.join(REPO_ROOT, 'e2e', '.fixtures', 'herbarium-mini');


// category_id, family, genus, species, train images
export const FIXTURE_CLASSES = [
  [1, 'Pinaceae', 'Abies', 'alba', 130],
  [2, 'Pinaceae', 'Abies', 'grandis', 45],
  [5, 'Pinaceae', 'Pinus', 'nigra', 25],
  [9, 'Sapindaceae', 'Acer', 'rubrum', 12],
  [10, 'Sapindaceae', 'Acer', 'saccharum', 6],
  [17, 'Sapindaceae', 'Aesculus', 'hippocastanum', 3],
  [30, 'Rosaceae', 'Rosa', 'canina', 2],
  [31, 'Rosaceae', 'Rosa', 'gallica', 1],
  [40, 'Rosaceae', 'Prunus', 'avium', 0], // declared, no images
];
export const FIXTURE_INSTITUTIONS = [
  [0, 'NY'],
  [4, 'MO'],
  [7, 'K'],
];
export const FIXTURE_TEST_IMAGES = 20;
/** Metadata images whose files are not written, to exercise missing-file reporting. */
export const FIXTURE_MISSING = ['000/09/00009__003.jpg', '000/30/00030__002.png'];

const crcTable = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(bytes) {
  let c = -1;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** A minimal PNG encoder: 8-bit RGB (channels 3) or greyscale (channels 1), filter 0, zlib from Node. */
export function encodePng(width, height, pixels, channels = 3) {
  if (channels !== 1 && channels !== 3) throw new RangeError(`PNG of ${channels} channels: only 1 (grey) or 3 (RGB)`);
  if (pixels.length !== width * height * channels) throw new RangeError(`${pixels.length} bytes are not ${width}×${height}×${channels}`);
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    Buffer.from(pixels.buffer, pixels.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 3 ? 2 : 0; // RGB or greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The colour every image of class `classIndex` (in FIXTURE_CLASSES order) is made around. */
export function fixtureClassColor(classIndex) {
  return [(classIndex * 67) % 256, (classIndex * 151 + 80) % 256, (classIndex * 29 + 160) % 256];
}

/** A class-coloured image with a per-image pattern, so images differ but classes look alike. */
function pixels(rand, classIndex, size) {
  const base = fixtureClassColor(classIndex);
  const rgb = new Uint8Array(size * size * 3);
  const stripe = 2 + Math.floor(rand() * 5);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const on = ((x + y) / stripe) % 2 < 1;
      for (let ch = 0; ch < 3; ch++) {
        const v = base[ch] + (on ? 40 : -40) + Math.floor((rand() - 0.5) * 30);
        rgb[(y * size + x) * 3 + ch] = Math.max(0, Math.min(255, v));
      }
    }
  return rgb;
}

function encode(rand, classIndex, ext) {
  const size = 24 + Math.floor(rand() * 3) * 8;
  const rgb = pixels(rand, classIndex, size);
  if (ext === 'png') return encodePng(size, size, rgb);
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width: size, height: size }, 90).data;
}

const pad = (n, w) => String(n).padStart(w, '0');

export function makeFixture(outDir = DEFAULT_FIXTURE_DIR) {
  const rand = mulberry32(2022);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const annotations = [];
  const images = [];
  const genera = [...new Set(FIXTURE_CLASSES.map((c) => c[2]))].sort();
  const writes = [];
  FIXTURE_CLASSES.forEach(([categoryId, , genus, , count], classIndex) => {
    for (let k = 1; k <= count; k++) {
      const imageId = `${pad(categoryId, 5)}__${pad(k, 3)}`;
      const ext = k % 2 === 0 ? 'png' : 'jpg';
      const fileName = `${pad(categoryId, 5).slice(0, 3)}/${pad(categoryId, 5).slice(3)}/${imageId}.${ext}`;
      const institution = FIXTURE_INSTITUTIONS[(k + classIndex) % FIXTURE_INSTITUTIONS.length][0];
      annotations.push({ genus_id: genera.indexOf(genus) + 1, institution_id: institution, category_id: categoryId, image_id: imageId });
      images.push({ image_id: imageId, file_name: fileName, license: 0 });
      writes.push([path.join(outDir, 'train_images', fileName), encode(rand, classIndex, ext)]);
    }
  });
  // Images in a shuffled order: a join by position gives wrong labels.
  for (let i = images.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [images[i], images[j]] = [images[j], images[i]];
  }
  const test = [];
  for (let j = 0; j < FIXTURE_TEST_IMAGES; j++) {
    const imageId = `test-${pad(j, 6)}`;
    const fileName = `000/${imageId}.jpg`;
    test.push({ image_id: imageId, file_name: fileName, license: 0 });
    writes.push([path.join(outDir, 'test_images', fileName), encode(rand, j % 8, 'jpg')]);
  }
  const metadata = {
    annotations,
    categories: FIXTURE_CLASSES.map(([category_id, family, genus, species]) => ({
      authors: 'L.',
      category_id,
      family,
      genus,
      species,
      scientificName: `${genus} ${species} L.`,
    })),
    distances: genera.flatMap((a, i) => genera.slice(i + 1).map((_, k) => ({ genus_id_x: i + 1, genus_id_y: i + k + 2, distance: 0.5 }))),
    genera: genera.map((genus, i) => ({ genus_id: i + 1, genus })),
    images,
    institutions: FIXTURE_INSTITUTIONS.map(([institution_id, collectionCode]) => ({ institution_id, collectionCode })),
    license: [{ id: 0, name: 'CC0', url: 'https://creativecommons.org/publicdomain/zero/1.0/' }],
  };
  for (const [file, bytes] of writes) {
    if (FIXTURE_MISSING.some((m) => file.endsWith(m))) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
  }
  fs.writeFileSync(path.join(outDir, 'train_metadata.json'), JSON.stringify(metadata, null, 4));
  fs.writeFileSync(path.join(outDir, 'test_metadata.json'), JSON.stringify(test, null, 4));
  makeImageFolder(path.join(path.dirname(outDir), 'imagefolder'), rand);
  return outDir;
}

/** torchvision's ImageFolder layout: train/<class>/<image>, test/<image>, no metadata. */
export const IMAGEFOLDER_CLASSES = { 'Bellis perennis': 7, 'Rosa canina': 3, 'Rosa gallica': 1 };
export const IMAGEFOLDER_TEST_IMAGES = 2;

function makeImageFolder(dir, rand) {
  fs.rmSync(dir, { recursive: true, force: true });
  Object.entries(IMAGEFOLDER_CLASSES).forEach(([name, count], c) => {
    fs.mkdirSync(path.join(dir, 'train', name), { recursive: true });
    for (let k = 0; k < count; k++) fs.writeFileSync(path.join(dir, 'train', name, `${k}.png`), encode(rand, c, 'png'));
  });
  fs.mkdirSync(path.join(dir, 'test'), { recursive: true });
  for (let k = 0; k < IMAGEFOLDER_TEST_IMAGES; k++) fs.writeFileSync(path.join(dir, 'test', `t${k}.jpg`), encode(rand, k, 'jpg'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dir = makeFixture(path.resolve(process.argv[2] ?? DEFAULT_FIXTURE_DIR));
  console.log(`make-fixture: wrote ${path.relative(process.cwd(), dir)}`);
}
