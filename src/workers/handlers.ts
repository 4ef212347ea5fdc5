/** The command implementations, shared by the workers and the in-page fallback. */

import { readImageFolder } from '../core/dataset/imageFolder.ts';
import { ingestMetadataFiles } from '../core/dataset/ingest.ts';
import { batchTransferables, readBatch } from '../core/dataset/metadataBatches.ts';
import type { BatchParser } from '../core/dataset/metadataReader.ts';
import { transferablesOf } from '../core/dataset/types.ts';
import { summarizeDataset, summaryTransferables } from '../core/stats/distribution.ts';
import { modelPixels } from '../compute/modelPixels.ts';
import type { CommandHandlers, ThumbnailResult } from './protocol.ts';
import { WorkerClient } from './workerClient.ts';

/**
 * Parse workers for one ingest: JSON.parse is most of the work after the WebAssembly scan, and
 * runs on the other cores while this thread keeps scanning. None where workers cannot start
 * (then batches are parsed in this thread).
 */
function startParsePool(): { parse: BatchParser; size: number; dispose(): void } | null {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  if (typeof Worker === 'undefined' || cores < 2) return null;
  const size = Math.min(4, cores - 1);
  const clients = Array.from(
    { length: size },
    () =>
      new WorkerClient(
        () => new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module', name: 'parse' }),
        async () => commandHandlers,
      ),
  );
  return {
    parse: (request) => {
      const client = clients.reduce((a, b) => (b.load < a.load ? b : a));
      return client.run('parseBatch', request, { transfer: [request.bytes.buffer as ArrayBuffer] });
    },
    size,
    dispose: () => clients.forEach((c) => c.dispose()),
  };
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

export const commandHandlers: CommandHandlers = {
  async ingest(request, ctx) {
    const pool = startParsePool();
    try {
      const result = await ingestMetadataFiles(
        request.files.map((f) => ({ name: f.name, blob: f })),
        {
          onProgress: (p) => ctx.progress(p),
          afterChunk: () => ctx.checkpoint(),
          parseBatch: pool?.parse,
          // Two batches queued per parse worker keeps each busy; the rest parse in this thread.
          maxInFlight: pool ? 2 * pool.size : undefined,
        },
      );
      const summary = result.train ? summarizeDataset(result.train) : null;
      return {
        result: { ...result, summary },
        transfer: [...transferablesOf(result.train), ...transferablesOf(result.test), ...summaryTransferables(summary)],
      };
    } finally {
      pool?.dispose();
    }
  },

  async parseBatch(request) {
    const result = readBatch(request);
    return { result, transfer: batchTransferables(result) };
  },

  async imageFolder(request) {
    const read = readImageFolder(request.folderName, request.paths);
    if (!read) return { result: null, transfer: [] };
    const summary = summarizeDataset(read.train);
    return {
      result: { ...read, summary },
      transfer: [...transferablesOf(read.train), ...transferablesOf(read.test), ...summaryTransferables(summary)],
    };
  },

  async thumbnail(request) {
    const result = await makeThumbnail(request.file, request.size);
    return { result, transfer: result.ok ? [result.bitmap] : [] };
  },

  async modelPixels(request) {
    const result = await modelPixels(request.file);
    return { result, transfer: result.ok ? [result.pixels.buffer as ArrayBuffer] : [] };
  },
};
