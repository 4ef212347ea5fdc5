/**
 * Decodes one image file into the model's input bytes (preprocess.ts), in a decode worker. The
 * image is decoded whole (EXIF orientation applied, as cv2.imread does; no colour management, no
 * premultiplied alpha, as cv2 reads pixels), then resized on the CPU so every backend sees the
 * same bytes. The file is read once: its bytes are hashed (CRC-32, so an audit can find
 * byte-identical files) and decoded from the same copy. A file that cannot be read is a result
 * with the reason, not an error.
 */

import { MODEL_INPUT_SIZE, resizeRgbaToRgb } from '../core/embed/preprocess.ts';
import { crc32 } from '../core/formats/crc32.ts';

/**
 * The model's input bytes (width×height RGB, transferred) with the file's CRC-32 (unsigned) and
 * size in bytes, or why the file cannot be read: failures are results, not errors.
 */
export type ModelPixelsResult =
  | { ok: true; pixels: Uint8Array; width: number; height: number; fileHash: number; fileBytes: number }
  | { ok: false; reason: string };

/** What identifies a file's content cheaply: its unsigned CRC-32 and its length in bytes. */
export function fileDigest(bytes: Uint8Array): { fileHash: number; fileBytes: number } {
  return { fileHash: crc32(bytes), fileBytes: bytes.length };
}

export async function modelPixels(file: Blob): Promise<ModelPixelsResult> {
  if (file.size === 0) return { ok: false, reason: 'empty file (0 bytes)' };
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    // Moved or changed on disk since it was dropped.
    return { ok: false, reason: `could not be read (${(e as Error)?.message ?? String(e)})` };
  }
  const { fileHash, fileBytes } = fileDigest(bytes);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' });
  } catch (e) {
    return { ok: false, reason: `could not be decoded as an image (${(e as Error)?.message ?? String(e)})` };
  }
  const { width, height } = bitmap;
  try {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return { ok: false, reason: 'no 2D canvas to read the pixels with' };
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, width, height);
    return { ok: true, pixels: resizeRgbaToRgb(data, width, height, MODEL_INPUT_SIZE), width, height, fileHash, fileBytes };
  } catch (e) {
    return { ok: false, reason: `its pixels could not be read (${(e as Error)?.message ?? String(e)})` };
  } finally {
    bitmap.close();
  }
}
