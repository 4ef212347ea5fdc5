/**
 * The model's input, computed the same way for every backend and model (CONTRACT.md): the whole
 * image resized to size×size, bilinear with half-pixel centres and no antialiasing (what the
 * seed's cv2.resize(INTER_LINEAR) and tf.image.resizeBilinear(halfPixelCenters) do), RGB,
 * transparency composited on white. It runs on the CPU, in a decode worker, before any backend
 * sees the image, so a WebGPU and a WASM run embed identical bytes.
 */

export const MODEL_INPUT_SIZE = 224;

/** RGBA (canvas ImageData order) → size×size×3 bytes, bilinear, alpha on white. */
export function resizeRgbaToRgb(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number, size = MODEL_INPUT_SIZE): Uint8Array {
  if (rgba.length !== width * height * 4) throw new RangeError(`${rgba.length} bytes are not ${width}×${height} RGBA`);
  const out = new Uint8Array(size * size * 3);
  // Source coordinate of each output column/row, with half-pixel centres, clamped at the edges.
  const x0 = new Int32Array(size);
  const x1 = new Int32Array(size);
  const fx = new Float32Array(size);
  for (let x = 0; x < size; x++) {
    const sx = Math.min(width - 1, Math.max(0, ((x + 0.5) * width) / size - 0.5));
    x0[x] = Math.floor(sx);
    x1[x] = Math.min(width - 1, x0[x] + 1);
    fx[x] = sx - x0[x];
  }
  for (let y = 0; y < size; y++) {
    const sy = Math.min(height - 1, Math.max(0, ((y + 0.5) * height) / size - 0.5));
    const ya = Math.floor(sy);
    const yb = Math.min(height - 1, ya + 1);
    const fy = sy - ya;
    const rowA = ya * width * 4;
    const rowB = yb * width * 4;
    for (let x = 0; x < size; x++) {
      const a = rowA + x0[x] * 4;
      const b = rowA + x1[x] * 4;
      const c = rowB + x0[x] * 4;
      const d = rowB + x1[x] * 4;
      const wx = fx[x];
      const o = (y * size + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        // Composite each source pixel on white first: a transparent pixel is white, whatever
        // colour value it carries.
        const pa = onWhite(rgba[a + ch], rgba[a + 3]);
        const pb = onWhite(rgba[b + ch], rgba[b + 3]);
        const pc = onWhite(rgba[c + ch], rgba[c + 3]);
        const pd = onWhite(rgba[d + ch], rgba[d + 3]);
        const top = pa + (pb - pa) * wx;
        const bottom = pc + (pd - pc) * wx;
        out[o + ch] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return out;
}

function onWhite(value: number, alpha: number): number {
  return alpha === 255 ? value : (value * alpha + 255 * (255 - alpha)) / 255;
}

/** The input range a model expects; CONTRACT.md's default is [-1, 1]. */
export type InputRange = 'minus1to1' | 'zeroTo1' | 'zeroTo255';

/** x/127.5 − 1 and friends, as scale and offset (x·scale + offset). */
export function inputScale(range: InputRange): { scale: number; offset: number } {
  if (range === 'zeroTo1') return { scale: 1 / 255, offset: 0 };
  if (range === 'zeroTo255') return { scale: 1, offset: 0 };
  return { scale: 1 / 127.5, offset: -1 };
}
