/**
 * Thumbnails for the sample grid: decoded and shrunk on a few workers into ImageBitmaps
 * (transferred to the page, no copy), kept in a bounded LRU — at most 600 results and 32 MiB of
 * pixels (~330 thumbnails of 160×160, RGBA) — and closed on eviction, which frees their pixels at
 * once, so memory stays flat however far a person scrolls. No blob URLs, no <img> decoding: the
 * Thumbnail widget draws the bitmap into its own canvas. The queueing, sharing and eviction rules
 * live in thumbnailCache.ts.
 */

import { createThumbnailPool } from '../workers/clients.ts';
import { createThumbnailCache, type SettledThumbnail, type ThumbnailState } from './thumbnailCache.ts';

export type { ThumbnailState } from './thumbnailCache.ts';

export interface ThumbnailService {
  /**
   * Resolves to ready/failed. `file` undefined means the image is not in the dropped folder →
   * failed with reason "not in the dropped folder" (not cached). Same key → same cached result
   * (no second decode, also while a decode is in flight). Rejects with the signal's reason
   * (an AbortError) when `signal` aborts first; a decode that already started still finishes
   * and is cached, one that had not started is dropped. A ready result's bitmap belongs to the
   * cache and is closed when evicted: draw it in the promise's callback, do not keep it.
   */
  get(key: string, file: File | undefined, signal?: AbortSignal): Promise<Exclude<ThumbnailState, { status: 'loading' }>>;
  /** Closes every cached bitmap and stops the workers. */
  dispose(): void;
  /** Entries currently cached (for tests and the benchmark). */
  readonly size: number;
  /** Pixel bytes of the cached bitmaps. */
  readonly bytes: number;
}

export interface ThumbnailServiceOptions {
  /** The longest side of a thumbnail, px (default 160). */
  size?: number;
  /** Cached results, ready and failed (default 600). */
  maxEntries?: number;
  /** Pixel bytes of the cached bitmaps, width × height × 4 each (default 32 MiB). */
  maxBytes?: number;
  /** Decode workers (default: poolSize(1, 1), every core but the page's, 1 to 4); two decodes in flight each. */
  workers?: number;
}

export function createThumbnailService(options: ThumbnailServiceOptions = {}): ThumbnailService {
  const size = options.size ?? 160;
  // Workers start on the first decode, not when the service is made.
  const pool = createThumbnailPool(options.workers === undefined ? undefined : Math.max(1, Math.floor(options.workers)));

  const cache = createThumbnailCache<ImageBitmap>({
    maxEntries: options.maxEntries ?? 600,
    maxBytes: options.maxBytes ?? 32 * 1024 * 1024,
    maxInFlight: pool.size * 2,
    decode: (file) => pool.run('thumbnail', { file, size }),
    disposeImage: (bitmap) => bitmap.close(),
  });

  return {
    get: (key, file, signal) => cache.get(key, file, signal),
    dispose() {
      cache.dispose();
      pool.dispose();
    },
    get size() {
      return cache.size;
    },
    get bytes() {
      return cache.bytes;
    },
  };
}

let shared: ThumbnailService | null = null;

/**
 * The app-wide service, made on first use. `dispose()` drops every thumbnail and stops the
 * workers; the next `get` starts a fresh service (do this when another folder is dropped, since
 * keys from the old folder would otherwise answer with its images).
 */
export const thumbnails: ThumbnailService = {
  get: (key, file, signal): Promise<SettledThumbnail> => (shared ??= createThumbnailService()).get(key, file, signal),
  dispose() {
    shared?.dispose();
    shared = null;
  },
  get size() {
    return shared?.size ?? 0;
  },
  get bytes() {
    return shared?.bytes ?? 0;
  },
};
