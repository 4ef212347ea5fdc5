#!/usr/bin/env node
/**
 * A folder of small JPEGs for the synthetic Herbarium 2022 metadata (bench/ingest/gen-herbarium.mjs),
 * for the views benchmark: every train image of the first N classes (default 2,000) in the app's
 * class order (ascending category id, which is also the order of the "one row per class" grid),
 * at `bench/.data/herbarium2022/train_images/<file_name>`.
 *
 *   node bench/views/gen-images.mjs [--classes N] [--force]
 *
 * - 12 distinct 64×96 px JPEGs (a plant on paper, different leaves and tint each; made once with
 *   jpeg-js) in `bench/.data/herbarium2022/jpeg-variants/`, and every image path a hard link to one
 *   of them (class index mod 12): ~108k directory entries, ~20 kB of image bytes on disk.
 *   (ext4 allows at most 65,000 links per inode, hence several variants.)
 * - Cached: `bench/.data/herbarium2022/train_images.json` records the version, the class count and
 *   the file count; when it matches, nothing is written. A partial folder is removed and remade.
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { DEFAULT_OUT, buildModel } from '../ingest/gen-herbarium.mjs';
import { mulberry32 } from '../../src/core/random.mjs';
import { parseBenchArgs } from '../lib.mjs';

export const IMAGES_VERSION = 1;
export const DEFAULT_CLASSES = 2000;
const VARIANTS = 12;
const W = 64;
const H = 96;

const pad = (n, w) => String(n).padStart(w, '0');

/** Paths (relative to train_images/) of every train image of the first `classes` classes, and their class. */
export function imagePaths(model, classes) {
  const out = [];
  for (let c = 0; c < classes; c++) {
    const cat = model.categories[c];
    const cid = pad(cat.category_id, 5);
    for (let k = 1; k <= cat.size; k++) out.push({ path: `${cid.slice(0, 3)}/${cid.slice(3)}/${cid}__${pad(k, 3)}.jpg`, classIndex: c });
  }
  return out;
}

/** One herbarium-sheet-like picture: paper, a stem with leaves, a label; tint and leaves per variant. */
function sheet(variant) {
  const rnd = mulberry32(9000 + variant);
  const data = Buffer.alloc(W * H * 4);
  const paper = [236 - variant, 230 - (variant % 5) * 3, 214 + (variant % 3) * 6];
  const leaf = [40 + variant * 9, 110 + (variant % 4) * 20, 40 + (variant % 6) * 12];
  const set = (x, y, rgb) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const o = (y * W + x) * 4;
    data[o] = rgb[0];
    data[o + 1] = rgb[1];
    data[o + 2] = rgb[2];
    data[o + 3] = 255;
  };
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) set(x, y, paper);
  // Stem: a gentle curve from bottom to top.
  const bend = (rnd() - 0.5) * 16;
  const stemX = (y) => Math.round(W / 2 + bend * Math.sin((Math.PI * y) / H));
  for (let y = 10; y < H - 14; y++) for (let dx = -1; dx <= 0; dx++) set(stemX(y) + dx, y, [70, 90, 50]);
  // Leaves: ellipses along the stem.
  const leaves = 4 + Math.floor(rnd() * 5);
  for (let i = 0; i < leaves; i++) {
    const y0 = 14 + Math.floor(((H - 34) * (i + rnd() * 0.5)) / leaves);
    const side = i % 2 ? 1 : -1;
    const len = 8 + rnd() * 10;
    const wid = 2.5 + rnd() * 3;
    const cx = stemX(y0) + side * len * 0.6;
    const cy = y0 - 3;
    for (let y = Math.floor(cy - len); y <= cy + len; y++)
      for (let x = Math.floor(cx - len); x <= cx + len; x++) {
        const u = (x - cx) / len;
        const v = (y - cy) / wid;
        if (u * u + v * v <= 1) set(x, y, [leaf[0] + Math.round(rnd() * 12), leaf[1] + Math.round(rnd() * 12), leaf[2]]);
      }
  }
  // Label in the bottom-right corner, with a few "lines of text".
  for (let y = H - 16; y < H - 3; y++) for (let x = W - 30; x < W - 3; x++) set(x, y, [250, 250, 246]);
  for (let line = 0; line < 3; line++) for (let x = W - 28; x < W - 8 - line * 4; x++) set(x, H - 13 + line * 3, [60, 60, 70]);
  return jpeg.encode({ data, width: W, height: H }, 80).data;
}

/**
 * Makes (or finds cached) `outDir/train_images/...` for the first `classes` classes. Returns
 * { dir, classes, files, images (Set of paths), seconds, cached }.
 */
export async function ensureImages(outDir = DEFAULT_OUT, { classes = DEFAULT_CLASSES, force = false, log = console.error, model = null } = {}) {
  const dir = path.join(outDir, 'train_images');
  const variantsDir = path.join(outDir, 'jpeg-variants');
  const stampFile = path.join(outDir, 'train_images.json');
  model ??= buildModel();
  const paths = imagePaths(model, classes);
  if (!force && fs.existsSync(stampFile)) {
    try {
      const st = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
      if (
        st.version === IMAGES_VERSION &&
        st.classes === classes &&
        st.files === paths.length &&
        fs.existsSync(path.join(dir, paths[0].path)) &&
        fs.existsSync(path.join(dir, paths[paths.length - 1].path))
      ) {
        log(`[images] cached: ${dir} (${st.files.toLocaleString('en-US')} files, made in ${st.seconds} s)`);
        return { ...st, dir, paths, cached: true };
      }
    } catch {
      /* remake */
    }
  }
  fs.rmSync(stampFile, { force: true });
  const t0 = performance.now();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(variantsDir, { recursive: true, force: true });
  fs.mkdirSync(variantsDir, { recursive: true });
  const variants = [];
  let variantBytes = 0;
  for (let v = 0; v < VARIANTS; v++) {
    const f = path.join(variantsDir, `v${pad(v, 2)}.jpg`);
    const bytes = sheet(v);
    fs.writeFileSync(f, bytes);
    variantBytes += bytes.length;
    variants.push(f);
  }
  log(`[images] linking ${paths.length.toLocaleString('en-US')} files under ${dir} ...`);
  const made = new Set();
  for (const p of paths) {
    const target = path.join(dir, p.path);
    const parent = path.dirname(target);
    if (!made.has(parent)) {
      fs.mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    fs.linkSync(variants[p.classIndex % VARIANTS], target);
  }
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  const record = {
    version: IMAGES_VERSION,
    classes,
    files: paths.length,
    directories: made.size,
    variants: VARIANTS,
    variantBytes,
    width: W,
    height: H,
    seconds,
  };
  fs.writeFileSync(stampFile, JSON.stringify(record, null, 2) + '\n');
  log(`[images] made ${paths.length.toLocaleString('en-US')} hard links in ${made.size.toLocaleString('en-US')} folders in ${seconds} s`);
  return { ...record, dir, paths, cached: false };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseBenchArgs({
    script: 'bench/views/gen-images.mjs',
    summary: 'Writes bench/.data/herbarium2022/train_images/: every train image of the first N classes, hard links to a few small JPEGs (cached).',
    options: {
      classes: { type: 'number', default: DEFAULT_CLASSES, help: 'classes whose images are written' },
      force: { type: 'boolean', help: 'make the folder again even when cached' },
    },
  });
  const { paths, ...st } = await ensureImages(DEFAULT_OUT, { classes: values.classes, force: values.force });
  console.log(JSON.stringify(st, null, 2));
}
