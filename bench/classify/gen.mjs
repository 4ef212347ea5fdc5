/**
 * Synthetic embeddings at Herbarium 2022 scale for bench:classify, written once as raw files under
 * bench/.data/classify-data/ (and reused while the generator's version is the same): 839,772 train
 * rows × 96 (each the class centre plus noise), 15,501 long-tailed classes of 1..80 images, the
 * app's held-out split (round(0.2·n) per class, never the last image), 210,407 test rows of random
 * classes. Deterministic (mulberry32 seeded 2022): the same generator the Node benchmark used.
 *
 * Files: train.f32 [N×D], labels.i32 [N], heldout.u8 [N], test.f32 [T×D], test-labels.i32 [T],
 * meta.json.
 */

import fs from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../src/core/random.mjs';

export const N_TRAIN_ALL = 839_772;
export const N_TEST = 210_407;
export const C = 15_501;
export const D = 96;
const VERSION = 1;

export const FILES = ['train.f32', 'labels.i32', 'heldout.u8', 'test.f32', 'test-labels.i32'];

function writeRaw(file, arr) {
  fs.writeFileSync(file, Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
}

/** The data directory, generated first when missing or from another generator version. */
export function ensureData(dir, { log = () => {} } = {}) {
  const metaFile = path.join(dir, 'meta.json');
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    if (meta.version === VERSION && FILES.every((f) => fs.existsSync(path.join(dir, f)))) {
      log(`synthetic embeddings: reusing ${dir}`);
      return meta;
    }
  } catch {
    /* generate */
  }
  fs.mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const rand = mulberry32(2022);
  const sizes = new Int32Array(C);
  let sum = 0;
  for (let c = 0; c < C; c++) {
    sizes[c] = Math.max(1, Math.min(80, Math.round(80 * Math.pow((c + 1) / 40, -0.55))));
    sum += sizes[c];
  }
  // Top up (or trim) the middle classes until the total is exact.
  for (let c = C >> 1; sum !== N_TRAIN_ALL; c = (c + 1) % C) {
    if (sum < N_TRAIN_ALL && sizes[c] < 80) (sizes[c]++, sum++);
    else if (sum > N_TRAIN_ALL && sizes[c] > 1) (sizes[c]--, sum--);
  }
  const centres = Float32Array.from({ length: C * D }, () => rand() * 2 - 1);
  // Noise (sd ≈ 1.6 per dimension) large enough that classes overlap: accuracy well below 1.
  const gauss = () => (rand() + rand() + rand() - 1.5) * 3.2;
  const labels = new Int32Array(N_TRAIN_ALL);
  const X = new Float32Array(N_TRAIN_ALL * D);
  const isHeldout = new Uint8Array(N_TRAIN_ALL);
  for (let c = 0, i = 0; c < C; c++) {
    const hold = Math.round(0.2 * sizes[c]);
    for (let k = 0; k < sizes[c]; k++, i++) {
      labels[i] = c;
      // round(0.2·n) held out per class, never the last image (as the app's split).
      isHeldout[i] = k < hold && k < sizes[c] - 1 ? 1 : 0;
      for (let j = 0; j < D; j++) X[i * D + j] = centres[c * D + j] + gauss();
    }
  }
  const testX = new Float32Array(N_TEST * D);
  const testLabels = new Int32Array(N_TEST);
  for (let i = 0; i < N_TEST; i++) {
    const c = Math.floor(rand() * C);
    testLabels[i] = c;
    for (let j = 0; j < D; j++) testX[i * D + j] = centres[c * D + j] + gauss();
  }
  writeRaw(path.join(dir, 'train.f32'), X);
  writeRaw(path.join(dir, 'labels.i32'), labels);
  writeRaw(path.join(dir, 'heldout.u8'), isHeldout);
  writeRaw(path.join(dir, 'test.f32'), testX);
  writeRaw(path.join(dir, 'test-labels.i32'), testLabels);
  let held = 0;
  for (const h of isHeldout) held += h;
  const meta = { version: VERSION, trainAll: N_TRAIN_ALL, train: N_TRAIN_ALL - held, heldout: held, test: N_TEST, classes: C, dim: D, maxClassSize: 80, seed: 2022 };
  fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2));
  log(`synthetic embeddings generated in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${meta.train} train, ${meta.heldout} held-out, ${N_TEST} test rows → ${dir}`);
  return meta;
}
