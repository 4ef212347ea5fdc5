#!/usr/bin/env node
/**
 * Synthetic Herbarium-sized JPEGs for the embed benchmark.
 *
 *   node bench/embed/gen-jpegs.mjs [--n 64] [--seed 20220] [--quality 90] [--force] [--out DIR]
 *
 * Writes N JPEGs of 1000 × 1500 pixels (width × height: portrait, as Herbarium 2022's specimen
 * sheets are), baseline, 4:2:0 chroma subsampling, quality 90, to bench/.data/embed-jpegs/
 * (git-ignored). Pixels are drawn here with the app's shared RNG (src/core/random.mjs): a paper
 * background with a low-frequency colour gradient, stems and leaves (rotated ellipses with a vein
 * and shading), a label with text-like bars, a colour chart, and per-pixel noise, so that the files
 * do not compress trivially (about 200–500 kB each, like real photos of that size).
 *
 * jpeg-js (the devDependency) only writes 4:4:4 (its SOF0 has sampling factors 0x11 for all three
 * components), so the encoding is done by Debian's Pillow (python3-pil) through /usr/bin/python3:
 * `Image.save(..., quality=90, subsampling=2)`, subsampling=2 being Pillow's 4:2:0. Every file's SOF0
 * is read back and asserted: Y 2×2, Cb 1×1, Cr 1×1.
 *
 * Image i depends only on (seed, i), so a cached set of M ≥ N images with the same parameters is
 * reused for N (bench/.data/embed-jpegs/manifest.json records them); --force redraws.
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../src/core/random.mjs';
import { parseBenchArgs } from '../lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
export const DEFAULT_DIR = path.join(root, 'bench', '.data', 'embed-jpegs');
export const WIDTH = 1000;
export const HEIGHT = 1500;
const GENERATOR_VERSION = 1;
const python = process.env.PYTHON || '/usr/bin/python3';

// Pillow encoder, one process for all images: reads "path\n" + W*H*3 raw RGB bytes per image on stdin.
const ENCODER = `
import sys
from PIL import Image
w, h, q = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
inp = sys.stdin.buffer
while True:
    line = inp.readline()
    if not line:
        break
    out = line.decode().rstrip("\\n")
    data = inp.read(w * h * 3)
    Image.frombytes("RGB", (w, h), data).save(out, "JPEG", quality=q, subsampling=2, optimize=False, progressive=False)
    print(out, flush=True)
`;

/** Reads the SOF marker of a JPEG: { marker: 'SOF0' | ..., width, height, components: [{ id, h, v, tq }] }. */
export function readSof(buf) {
  if (buf[0] !== 0xff || buf[1] !== 0xd8) throw new Error('not a JPEG (no SOI)');
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) throw new Error(`bad marker at ${p}`);
    const m = buf[p + 1];
    if (m === 0xff) {
      p++;
      continue;
    }
    const len = buf.readUInt16BE(p + 2);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      const s = p + 4;
      const n = buf[s + 5];
      const components = [];
      for (let k = 0; k < n; k++) {
        const c = s + 6 + 3 * k;
        components.push({ id: buf[c], h: buf[c + 1] >> 4, v: buf[c + 1] & 15, tq: buf[c + 2] });
      }
      return { marker: `SOF${m - 0xc0}`, precision: buf[s], height: buf.readUInt16BE(s + 1), width: buf.readUInt16BE(s + 3), components };
    }
    if (m === 0xda) break; // start of scan before any SOF
    p += 2 + len;
  }
  throw new Error('no SOF marker');
}

/** Throws unless the JPEG is baseline, WIDTH × HEIGHT, 3 components, 4:2:0 (Y 2×2, Cb 1×1, Cr 1×1). */
export function assert420(buf, what = 'JPEG') {
  const sof = readSof(buf);
  const f = sof.components.map((c) => `${c.h}x${c.v}`).join(',');
  if (sof.marker !== 'SOF0' || sof.width !== WIDTH || sof.height !== HEIGHT || f !== '2x2,1x1,1x1')
    throw new Error(`${what}: expected SOF0 ${WIDTH}x${HEIGHT} with sampling 2x2,1x1,1x1 (4:2:0), got ${sof.marker} ${sof.width}x${sof.height} ${f}`);
  return sof;
}

const clamp = (x) => (x < 0 ? 0 : x > 255 ? 255 : x);

/** Draws image `index` of the set seeded by `seed`: W*H*3 RGB bytes. */
export function drawSpecimen(seed, index, W = WIDTH, H = HEIGHT) {
  const rnd = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) | 0);
  const r = (a, b) => a + (b - a) * rnd();
  const img = new Float32Array(W * H * 3);

  // Paper: bilinear gradient between four off-white corners, plus a slow wave (uneven lighting).
  const corners = [0, 1, 2, 3].map(() => [r(205, 245), r(195, 235), r(165, 215)]);
  const wx = r(0.002, 0.008);
  const wy = r(0.002, 0.008);
  const wph = r(0, 6.28);
  for (let y = 0; y < H; y++) {
    const fy = y / (H - 1);
    for (let x = 0; x < W; x++) {
      const fx = x / (W - 1);
      const wave = 8 * Math.sin(x * wx + y * wy + wph);
      const o = (y * W + x) * 3;
      for (let c = 0; c < 3; c++)
        img[o + c] =
          (1 - fy) * ((1 - fx) * corners[0][c] + fx * corners[1][c]) + fy * ((1 - fx) * corners[2][c] + fx * corners[3][c]) + wave;
    }
  }

  const blend = (o, col, a) => {
    img[o] += (col[0] - img[o]) * a;
    img[o + 1] += (col[1] - img[o + 1]) * a;
    img[o + 2] += (col[2] - img[o + 2]) * a;
  };

  // Stems: thick polylines wandering upwards from the lower part of the sheet.
  const stems = 2 + Math.floor(r(0, 4));
  const leafSpots = [];
  for (let s = 0; s < stems; s++) {
    let x = r(250, 750);
    let y = r(1100, 1350);
    let ang = -Math.PI / 2 + r(-0.4, 0.4);
    const width = r(3, 9);
    const col = [r(60, 120), r(70, 110), r(30, 60)];
    const steps = 4 * Math.floor(r(60, 140)); // 2-pixel steps
    for (let k = 0; k < steps; k++) {
      if (k % 4 === 0) ang += r(-0.12, 0.12);
      x += Math.cos(ang) * 2;
      y += Math.sin(ang) * 2;
      if (k % 24 === 0) leafSpots.push([x, y]);
      const x0 = Math.max(0, Math.floor(x - width)), x1 = Math.min(W - 1, Math.ceil(x + width));
      const y0 = Math.max(0, Math.floor(y - width)), y1 = Math.min(H - 1, Math.ceil(y + width));
      for (let yy = y0; yy <= y1; yy++)
        for (let xx = x0; xx <= x1; xx++) {
          const d = Math.hypot(xx - x, yy - y);
          if (d < width) blend((yy * W + xx) * 3, col, Math.min(1, width - d));
        }
    }
  }

  // Leaves: rotated ellipses along the stems, shaded across, with a midrib.
  for (const [cx0, cy0] of leafSpots) {
    if (rnd() < 0.25) continue;
    const len = r(30, 110);
    const wid = len * r(0.2, 0.5);
    const th = r(0, Math.PI);
    const cx = cx0 + Math.cos(th) * len * 0.8;
    const cy = cy0 + Math.sin(th) * len * 0.8;
    const base = [r(40, 130), r(70, 150), r(20, 80)];
    const ct = Math.cos(th), st = Math.sin(th);
    const R = Math.ceil(len);
    for (let yy = Math.max(0, Math.floor(cy - R)); yy <= Math.min(H - 1, Math.ceil(cy + R)); yy++)
      for (let xx = Math.max(0, Math.floor(cx - R)); xx <= Math.min(W - 1, Math.ceil(cx + R)); xx++) {
        const dx = xx - cx, dy = yy - cy;
        const u = (dx * ct + dy * st) / len;
        const v = (-dx * st + dy * ct) / wid;
        const e = u * u + v * v;
        if (e >= 1) continue;
        const shade = 1 + 0.35 * v - 0.15 * u;
        const rib = Math.abs(v) < 0.06 ? 1.35 : 1;
        const col = [base[0] * shade * rib, base[1] * shade * rib, base[2] * shade * rib];
        blend((yy * W + xx) * 3, col, Math.min(1, (1 - e) * 6));
      }
  }

  // Flowers / fruits: a few small saturated discs.
  const discs = Math.floor(r(0, 12));
  for (let k = 0; k < discs && leafSpots.length; k++) {
    const [cx, cy] = leafSpots[Math.floor(r(0, leafSpots.length))];
    const rad = r(6, 22);
    const col = [r(120, 240), r(40, 200), r(30, 200)];
    for (let yy = Math.max(0, Math.floor(cy - rad)); yy <= Math.min(H - 1, Math.ceil(cy + rad)); yy++)
      for (let xx = Math.max(0, Math.floor(cx - rad)); xx <= Math.min(W - 1, Math.ceil(cx + rad)); xx++) {
        const d = Math.hypot(xx - cx, yy - cy);
        if (d < rad) blend((yy * W + xx) * 3, col, Math.min(1, rad - d) * 0.9);
      }
  }

  // Label: a white card near the bottom right with lines of "text" (dark bars of random widths).
  const lw = Math.floor(r(300, 420)), lh = Math.floor(r(160, 240));
  const lx = W - lw - Math.floor(r(30, 80)), ly = H - lh - Math.floor(r(30, 80));
  for (let yy = ly; yy < ly + lh; yy++) for (let xx = lx; xx < lx + lw; xx++) blend((yy * W + xx) * 3, [248, 246, 238], 1);
  for (let line = ly + 18; line < ly + lh - 18; line += Math.floor(r(20, 30))) {
    let xx = lx + 16;
    const th = Math.floor(r(7, 12));
    while (xx < lx + lw - 30) {
      const word = Math.floor(r(10, 60));
      for (let yy = line; yy < line + th; yy++)
        for (let x2 = xx; x2 < Math.min(xx + word, lx + lw - 16); x2++)
          if (rnd() < 0.7) blend((yy * W + x2) * 3, [25, 25, 35], 1);
      xx += word + Math.floor(r(6, 12));
    }
  }

  // Colour chart: a strip of saturated patches along the top or bottom left.
  const cy0 = rnd() < 0.5 ? 30 : H - 90;
  for (let k = 0; k < 10; k++) {
    const col = [r(0, 255), r(0, 255), r(0, 255)];
    for (let yy = cy0; yy < cy0 + 50; yy++) for (let xx = 30 + k * 52; xx < 30 + k * 52 + 48; xx++) blend((yy * W + xx) * 3, col, 1);
  }

  // Noise: luminance grain plus some per-channel noise (sensor noise, paper fibre).
  const out = new Uint8Array(W * H * 3);
  const grain = r(5, 9);
  const chroma = r(2, 4);
  for (let i = 0, o = 0; i < W * H; i++, o += 3) {
    const g = (rnd() + rnd() - 1) * grain;
    out[o] = clamp(Math.round(img[o] + g + (rnd() - 0.5) * chroma));
    out[o + 1] = clamp(Math.round(img[o + 1] + g + (rnd() - 0.5) * chroma));
    out[o + 2] = clamp(Math.round(img[o + 2] + g + (rnd() - 0.5) * chroma));
  }
  return out;
}

/**
 * Makes sure `n` JPEGs exist (cached). Returns { dir, files, bytes, width, height, quality, seed,
 * subsampling, generated }.
 */
/** How a set from ensureJpegs was made, for a benchmark's record: its folder (relative to the repo) and parameters. */
export const jpegParams = (set) => ({
  dir: path.relative(root, set.dir),
  width: set.width,
  height: set.height,
  subsampling: set.subsampling,
  quality: set.quality,
  seed: set.seed,
});

export function ensureJpegs({ n = 64, seed = 20220, quality = 90, dir = DEFAULT_DIR, force = false, log = console.error } = {}) {
  const manifestFile = path.join(dir, 'manifest.json');
  const params = { generatorVersion: GENERATOR_VERSION, width: WIDTH, height: HEIGHT, quality, seed, subsampling: '4:2:0' };
  const name = (i) => `specimen-${String(i).padStart(4, '0')}.jpg`;
  let manifest = null;
  if (!force && fs.existsSync(manifestFile)) {
    try {
      manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
      if (Object.entries(params).some(([k, v]) => manifest[k] !== v)) manifest = null;
    } catch {
      manifest = null;
    }
  }
  const have = [];
  if (manifest)
    for (const f of manifest.files) {
      const st = fs.statSync(path.join(dir, f.name), { throwIfNoEntry: false });
      if (!st || st.size !== f.bytes) break;
      have.push(f);
    }
  const todo = [];
  for (let i = have.length; i < n; i++) todo.push(i);
  if (!todo.length) {
    log(`[gen-jpegs] cached: ${n} JPEGs in ${path.relative(root, dir)}`);
  } else {
    fs.mkdirSync(dir, { recursive: true });
    log(`[gen-jpegs] drawing ${todo.length} JPEG(s) ${WIDTH}x${HEIGHT}, 4:2:0, q${quality} into ${path.relative(root, dir)} ...`);
    const t0 = performance.now();
    // Draw all, then one Pillow process encodes them (stdin: "path\n" + raw RGB per image).
    const chunks = [];
    for (const i of todo) {
      chunks.push(Buffer.from(path.join(dir, name(i)) + '\n'));
      chunks.push(Buffer.from(drawSpecimen(seed, i).buffer));
      if (chunks.length >= 32 || i === todo[todo.length - 1]) {
        const r = spawnSync(python, ['-c', ENCODER, String(WIDTH), String(HEIGHT), String(quality)], {
          input: Buffer.concat(chunks),
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        });
        if (r.status !== 0) throw new Error(`Pillow encoder (${python}) failed: ${r.error?.message ?? ''} ${(r.stderr || '').trim().slice(-1000)}`);
        chunks.length = 0;
      }
    }
    for (const i of todo) {
      const file = path.join(dir, name(i));
      const buf = fs.readFileSync(file);
      assert420(buf, file);
      have[i] = { name: name(i), bytes: buf.length };
    }
    fs.writeFileSync(manifestFile, JSON.stringify({ ...params, files: have }, null, 2) + '\n');
    log(`[gen-jpegs] done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const files = have.slice(0, n);
  // Assert 4:2:0 on what we hand out, cached or not (cheap: reads the headers only).
  for (const f of files) {
    const fd = fs.openSync(path.join(dir, f.name), 'r');
    const head = Buffer.alloc(4096);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    assert420(head, f.name);
  }
  return {
    dir,
    files: files.map((f) => path.join(dir, f.name)),
    bytes: files.map((f) => f.bytes),
    ...params,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values: opts } = parseBenchArgs({
    script: 'bench/embed/gen-jpegs.mjs',
    summary: 'Writes N synthetic Herbarium-sized JPEGs (1000×1500, 4:2:0) for the embed benchmark, reusing those already drawn.',
    options: {
      n: { type: 'number', help: 'JPEGs (default 64)' },
      images: { type: 'number', help: 'the same as --n' },
      seed: { type: 'number', default: 20220, help: 'RNG seed' },
      quality: { type: 'number', default: 90, help: 'JPEG quality' },
      out: { type: 'string', arg: 'DIR', help: 'folder (default bench/.data/embed-jpegs)' },
      force: { type: 'boolean', help: 'draw them again' },
    },
  });
  const set = ensureJpegs({
    n: opts.n ?? opts.images ?? 64,
    seed: opts.seed,
    quality: opts.quality,
    dir: path.resolve(opts.out ?? DEFAULT_DIR),
    force: opts.force,
  });
  const b = [...set.bytes].sort((x, y) => x - y);
  console.log(
    JSON.stringify({
      dir: path.relative(root, set.dir),
      images: set.files.length,
      width: set.width,
      height: set.height,
      subsampling: set.subsampling,
      quality: set.quality,
      bytes: { min: b[0], median: b[b.length >> 1], max: b[b.length - 1], total: b.reduce((s, x) => s + x, 0) },
    }),
  );
}
