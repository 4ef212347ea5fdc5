/** The image workers' commands: thumbnails for the sample grid, model input for an embedding run. */

import { modelPixels } from '../compute/modelPixels.ts';
import { headerSkipReason, readImageHeader } from '../core/formats/imageHeader.ts';
import type { ImageHandlers, ThumbnailResult } from './protocol.ts';

/**
 * Why a file is not decoded at all, from its first bytes (Blob.slice, never the whole file): an
 * image over the pixel budget (MAX_IMAGE_PIXELS), a cut-short or senseless header, a file that
 * cannot be read. Null: decode it (also when the format is not one the header reader knows).
 */
export async function refusedBeforeDecode(file: Blob): Promise<string | null> {
  try {
    const header = await readImageHeader({
      size: file.size,
      read: async (start, end) => new Uint8Array(await file.slice(start, end).arrayBuffer()),
    });
    return headerSkipReason(header);
  } catch (e) {
    return `could not be read (${(e as Error)?.message ?? String(e)})`;
  }
}

/**
 * One image file → an ImageBitmap that fits inside size×size (aspect kept, never enlarged). One
 * decode: the full-size bitmap gives the natural size (after EXIF orientation) and is scaled
 * into a second bitmap, then closed. The page draws the result (over white: transparent pixels
 * show white, as the JPEG thumbnails of before did) and closes it when its cache evicts it.
 */
export async function makeThumbnail(file: Blob, size: number): Promise<ThumbnailResult> {
  if (file.size === 0) return { ok: false, reason: 'empty file (0 bytes)' };
  let full: ImageBitmap;
  try {
    full = await createImageBitmap(file);
  } catch (e) {
    return { ok: false, reason: `could not be decoded as an image (${(e as Error)?.message ?? String(e)})` };
  }
  const scale = Math.min(1, size / Math.max(full.width, full.height));
  if (scale === 1) return { ok: true, bitmap: full, width: full.width, height: full.height };
  try {
    const width = Math.max(1, Math.round(full.width * scale));
    const height = Math.max(1, Math.round(full.height * scale));
    const bitmap = await createImageBitmap(full, { resizeWidth: width, resizeHeight: height, resizeQuality: 'medium' });
    return { ok: true, bitmap, width, height };
  } catch (e) {
    return { ok: false, reason: `the thumbnail could not be drawn (${(e as Error)?.message ?? String(e)})` };
  } finally {
    full.close();
  }
}

export const imageHandlers: ImageHandlers = {
  async thumbnail(request) {
    const refused = await refusedBeforeDecode(request.file);
    const result = refused ? ({ ok: false, reason: refused } as const) : await makeThumbnail(request.file, request.size);
    return { result, transfer: result.ok ? [result.bitmap] : [] };
  },

  async modelPixels(request) {
    const refused = await refusedBeforeDecode(request.file);
    const result = refused ? ({ ok: false, reason: refused } as const) : await modelPixels(request.file);
    return { result, transfer: result.ok ? [result.pixels.buffer as ArrayBuffer] : [] };
  },
};
