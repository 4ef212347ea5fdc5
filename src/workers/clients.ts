/**
 * The one place workers are made. Each kind has its entry file (serving only its own handlers),
 * its in-page fallback (the same handlers, loaded when a worker cannot start or dies), and one
 * sizing rule for the pools: the cores left after a reserve, capped at MAX_POOL workers.
 *
 *   data    1 worker   metadata ingest and folder trees (data.worker.ts)
 *   parse   pool       JSON.parse of metadata batches, inside the data worker during an ingest
 *   thumbs  pool       the sample grid's thumbnails (image.worker.ts)
 *   decode  pool       model input for an embedding run (image.worker.ts)
 *   embed   1 worker   tfjs, the run's store, the classifiers (embed.worker.ts)
 */

import type { DataCommands, EmbedWorkerCommands, ImageCommands, ParseCommands } from './protocol.ts';
import { WorkerClient, WorkerPool } from './workerClient.ts';

/** More workers than this only compete for memory bandwidth and the cache. */
export const MAX_POOL = 4;

export function coreCount(): number {
  return globalThis.navigator?.hardwareConcurrency || 1;
}

/** Workers of a pool: the cores left after `reserve` for other work, at least `min`, at most MAX_POOL. */
export function poolSize(reserve: number, min: number, cores = coreCount()): number {
  return Math.max(min, Math.min(MAX_POOL, cores - reserve));
}

export type DataClient = WorkerClient<keyof DataCommands>;
export type EmbedClient = WorkerClient<EmbedWorkerCommands>;
export type ImagePool = WorkerPool<keyof ImageCommands>;
export type ParsePool = WorkerPool<keyof ParseCommands>;

export function createDataClient(onFallback?: (reason: string) => void): DataClient {
  return new WorkerClient({
    create: () => new Worker(new URL('./data.worker.ts', import.meta.url), { type: 'module', name: 'data' }),
    fallback: () => import('./dataHandlers.ts').then((m) => m.dataHandlers),
    onFallback,
  });
}

/** The embed worker: one session (open run, model, fitted classifier) behind it, or in the page. */
export function createEmbedClient(onFallback?: (reason: string) => void): EmbedClient {
  return new WorkerClient({
    create: () => new Worker(new URL('./embed.worker.ts', import.meta.url), { type: 'module', name: 'embed' }),
    fallback: () => import('./embedSession.ts').then((m) => m.embedWorkerHandlers()),
    onFallback,
  });
}

/**
 * Parse workers for one ingest, or null on one core or where workers do not exist (then the
 * data worker parses batches itself). One core stays with the scan.
 */
export function createParsePool(): ParsePool | null {
  const size = poolSize(1, 0);
  if (typeof Worker === 'undefined' || size === 0) return null;
  return new WorkerPool(size, () => new WorkerClient({
    create: () => new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module', name: 'parse' }),
    fallback: () => import('./parseHandlers.ts').then((m) => m.parseHandlers),
  }));
}

/** Both image pools run the same handlers in the page when their workers cannot. */
const imageFallback = () => import('./imageHandlers.ts').then((m) => m.imageHandlers);

/** Thumbnail decoders for the sample grid: every core but the page's, unless `size` is given. */
export function createThumbnailPool(size = poolSize(1, 1)): ImagePool {
  return new WorkerPool(size, () => new WorkerClient({
    create: () => new Worker(new URL('./image.worker.ts', import.meta.url), { type: 'module', name: 'thumbs' }),
    fallback: imageFallback,
  }));
}

/** Decoders of an embedding run: half the cores; the model (WASM threads or the GPU driver) has the rest. */
export function createDecodePool(size = poolSize(Math.ceil(coreCount() / 2), 1)): ImagePool {
  return new WorkerPool(size, () => new WorkerClient({
    create: () => new Worker(new URL('./image.worker.ts', import.meta.url), { type: 'module', name: 'decode' }),
    fallback: imageFallback,
  }));
}
