import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { inputScale, resizeRgbaToRgb } from './preprocess.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomOpaque(width: number, height: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = i % 4 === 3 ? 255 : Math.floor(random() * 256);
  return rgba;
}

describe('model input: bilinear resize with half-pixel centres', () => {
  it('a 2×1 image doubled by hand', () => {
    // Output x = 0..3 samples source x = (x + 0.5)·2/4 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped
    // to 0, 0.25, 0.75, 1: values 0, 25, 75, 100 between pixels 0 and 100.
    const rgba = Uint8Array.from([0, 0, 0, 255, 100, 100, 100, 255]);
    const out = resizeRgbaToRgb(rgba, 2, 1, 4);
    expect(Array.from({ length: 4 }, (_, x) => out[x * 3])).toEqual([0, 25, 75, 100]);
    // Rows are copies (one source row).
    expect(out.slice(0, 12)).toEqual(out.slice(12, 24));
  });

  it('transparent pixels are white, half-transparent black is mid grey', () => {
    const rgba = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 128]);
    const out = resizeRgbaToRgb(rgba, 2, 1, 2);
    expect(out[0]).toBe(255);
    // 255·(255 − 128)/255 = 127
    expect(out[3]).toBe(127);
  });

  it.each([
    [1000, 1500, 1],
    [300, 200, 2],
    [97, 61, 3],
    [100, 100, 4],
    [50, 80, 5],
  ])('agrees with tf.image.resizeBilinear(halfPixelCenters) for %i×%i', (width, height, seed) => {
    const rgba = randomOpaque(width, height, seed);
    const ours = resizeRgbaToRgb(rgba, width, height, 224);
    const rgb = new Int32Array(width * height * 3);
    for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = rgba[i * 4 + c];
    const theirs = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(rgb, [height, width, 3]), [224, 224], false, true).dataSync());
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    // Ours is rounded to bytes: at most half a level apart (plus float noise).
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
  });

  it('input ranges', () => {
    const { scale, offset } = inputScale('minus1to1');
    expect(0 * scale + offset).toBe(-1);
    expect(255 * scale + offset).toBeCloseTo(1, 12);
    expect(127.5 * scale + offset).toBeCloseTo(0, 12);
  });
});
