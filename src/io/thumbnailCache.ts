/**
 * The thumbnail service's logic, free of workers and the DOM so it runs under Vitest: a bounded
 * LRU of settled results (each evicted image handed to `disposeImage`, which for ImageBitmaps
 * calls close() and frees its pixels at once), one decode per key (callers of a key share it,
 * also while it is in flight), and a queue that starts newest requests first, runs a bounded
 * number at once and drops requests whose callers all gave up before they started.
 *
 * Generic over the image type `I` (the app: ImageBitmap, which Node does not have; the tests: a
 * plain object that records its close()).
 */

/** What a decode answers: an image that fits the requested box, or why there is none. */
export type DecodedThumbnail<I> = { ok: true; bitmap: I; width: number; height: number } | { ok: false; reason: string };

export type ThumbnailState<I = ImageBitmap> =
  | { status: 'loading' }
  | { status: 'ready'; bitmap: I; width: number; height: number }
  | { status: 'failed'; reason: string };

export type SettledThumbnail<I = ImageBitmap> = Exclude<ThumbnailState<I>, { status: 'loading' }>;

export const NOT_IN_FOLDER = 'not in the dropped folder';
export const STOPPED = 'the thumbnail service was stopped';

/**
 * A Map in recency order: the first key is the least recently used. Bounded by entries and,
 * optionally, by a total weight (`weigh`, e.g. bytes); beyond either bound the least recently
 * used entries are evicted, but never the one just stored (so one entry heavier than the bound
 * is still held until the next one comes).
 */
export class LruCache<V> {
  private readonly map = new Map<string, V>();
  private weight = 0;

  constructor(
    readonly maxEntries: number,
    private readonly onEvict: (key: string, value: V) => void,
    readonly maxWeight = Infinity,
    private readonly weigh: (value: V) => number = () => 0,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1 (got ${maxEntries})`);
    if (!(maxWeight >= 0)) throw new RangeError(`maxWeight must be at least 0 (got ${maxWeight})`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The summed weight of the entries held. */
  get totalWeight(): number {
    return this.weight;
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Stores (as most recently used) and evicts the least recently used beyond the bounds. */
  set(key: string, value: V): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      this.map.delete(key);
      this.weight -= this.weigh(old);
    }
    this.map.set(key, value);
    this.weight += this.weigh(value);
    if (old !== undefined && old !== value) this.onEvict(key, old);
    while (this.map.size > 1 && (this.map.size > this.maxEntries || this.weight > this.maxWeight)) {
      const [lruKey, lruValue] = this.map.entries().next().value as [string, V];
      this.map.delete(lruKey);
      this.weight -= this.weigh(lruValue);
      this.onEvict(lruKey, lruValue);
    }
  }

  /** Keys from least to most recently used. */
  keys(): string[] {
    return [...this.map.keys()];
  }

  /** Empties the cache, evicting every entry. */
  clear(): void {
    const entries = [...this.map.entries()];
    this.map.clear();
    this.weight = 0;
    for (const [key, value] of entries) this.onEvict(key, value);
  }
}

export function abortError(signal?: AbortSignal): unknown {
  return signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

interface QueuedTask {
  start(): void;
  prev: QueuedTask | null;
  next: QueuedTask | null;
}

/**
 * Runs at most `limit` tasks at once. Waiting tasks start newest first (LIFO: what was asked for
 * last is what is on screen now); a waiting task whose signal aborts is dropped without starting
 * and its promise rejects with the abort reason. A started task runs to the end.
 */
export class LifoLimiter {
  private running = 0;
  private waiting = 0;
  // A doubly linked list from its newest end: O(1) push, pop, and removal of an aborted task.
  private tail: QueuedTask | null = null;

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`limit must be at least 1 (got ${limit})`);
  }

  /** Tasks started and not finished. */
  get inFlight(): number {
    return this.running;
  }

  /** Tasks waiting to start. */
  get queued(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      const begin = () => {
        this.running++;
        let promise: Promise<T>;
        try {
          promise = task();
        } catch (e) {
          promise = Promise.reject(e);
        }
        promise.then(resolve, reject).finally(() => {
          this.running--;
          this.startNext();
        });
      };
      if (this.running < this.limit) {
        begin();
        return;
      }
      const onAbort = () => {
        this.unlink(node);
        reject(abortError(signal));
      };
      const node: QueuedTask = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          begin();
        },
        prev: this.tail,
        next: null,
      };
      if (this.tail) this.tail.next = node;
      this.tail = node;
      this.waiting++;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private startNext() {
    while (this.running < this.limit && this.tail) {
      const node = this.tail;
      this.unlink(node);
      node.start();
    }
  }

  private unlink(node: QueuedTask) {
    if (node.prev) node.prev.next = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = null;
    this.waiting--;
  }
}

export interface ThumbnailCacheOptions<I> {
  /** Settled results held, ready and failed. */
  maxEntries: number;
  /** Pixel bytes of the ready images held (width × height × 4 each); default unbounded. */
  maxBytes?: number;
  maxInFlight: number;
  /** Decodes one file (the service: on a worker). A rejection is a transport failure: not cached. */
  decode(file: File): Promise<DecodedThumbnail<I>>;
  /** Frees an image that left the cache (evicted, replaced, or never cached because the cache was disposed). */
  disposeImage(image: I): void;
}

interface PendingEntry<I> {
  promise: Promise<SettledThumbnail<I>>;
  /** Callers still waiting; Infinity once one came without a signal. */
  waiters: number;
  started: boolean;
  controller: AbortController;
}

export interface ThumbnailCache<I> {
  /**
   * A ready result's image belongs to the cache and is disposed when it is evicted: use it in
   * the promise's callback (draw it, copy it), do not keep it.
   */
  get(key: string, file: File | undefined, signal?: AbortSignal): Promise<SettledThumbnail<I>>;
  dispose(): void;
  /** Settled entries held (ready and failed). */
  readonly size: number;
  /** Pixel bytes of the ready images held. */
  readonly bytes: number;
  readonly inFlight: number;
  readonly queued: number;
}

/** Bytes of a ready thumbnail's pixels (RGBA). */
export function thumbnailBytes(state: SettledThumbnail<unknown>): number {
  return state.status === 'ready' ? state.width * state.height * 4 : 0;
}

export function createThumbnailCache<I>(options: ThumbnailCacheOptions<I>): ThumbnailCache<I> {
  const { decode, disposeImage } = options;
  const settled = new LruCache<SettledThumbnail<I>>(
    options.maxEntries,
    (_key, value) => {
      if (value.status === 'ready') disposeImage(value.bitmap);
    },
    options.maxBytes ?? Infinity,
    thumbnailBytes,
  );
  const pending = new Map<string, PendingEntry<I>>();
  const limiter = new LifoLimiter(options.maxInFlight);
  let disposed = false;
  const stopped: SettledThumbnail<I> = { status: 'failed', reason: STOPPED };

  function start(key: string, file: File): PendingEntry<I> {
    const controller = new AbortController();
    const entry: PendingEntry<I> = { promise: null!, waiters: 0, started: false, controller };
    const decoded = limiter.run(() => {
      entry.started = true;
      return decode(file);
    }, controller.signal);
    entry.promise = decoded.then(
      (result): SettledThumbnail<I> => {
        if (pending.get(key) === entry) pending.delete(key);
        if (disposed) {
          if (result.ok) disposeImage(result.bitmap);
          return stopped;
        }
        const state: SettledThumbnail<I> = result.ok
          ? { status: 'ready', bitmap: result.bitmap, width: result.width, height: result.height }
          : { status: 'failed', reason: result.reason };
        settled.set(key, state);
        return state;
      },
      (e): SettledThumbnail<I> => {
        if (pending.get(key) === entry) pending.delete(key);
        if (disposed) return stopped;
        // Dropped from the queue (every caller gave up) or the worker failed: nothing cached,
        // so the next request decodes afresh.
        return { status: 'failed', reason: `the thumbnail could not be made (${(e as Error)?.message ?? String(e)})` };
      },
    );
    pending.set(key, entry);
    return entry;
  }

  /** One caller's view of a shared entry: rejects on its own abort, releases its interest. */
  function follow(key: string, entry: PendingEntry<I>, signal: AbortSignal | undefined): Promise<SettledThumbnail<I>> {
    if (!signal) {
      entry.waiters = Infinity;
      return entry.promise;
    }
    entry.waiters++;
    return new Promise<SettledThumbnail<I>>((resolve, reject) => {
      const onAbort = () => {
        entry.waiters--;
        if (entry.waiters === 0 && !entry.started) {
          // Forget it now, so a request in this same tick starts afresh instead of sharing it.
          if (pending.get(key) === entry) pending.delete(key);
          entry.controller.abort();
        }
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise.then((state) => {
        signal.removeEventListener('abort', onAbort);
        resolve(state);
      });
    });
  }

  return {
    get(key, file, signal) {
      if (signal?.aborted) return Promise.reject(abortError(signal));
      if (disposed) return Promise.resolve(stopped);
      // Not cached: whether the file is there is the caller's knowledge, and may change.
      if (!file) return Promise.resolve({ status: 'failed', reason: NOT_IN_FOLDER });
      const hit = settled.get(key);
      if (hit) return Promise.resolve(hit);
      return follow(key, pending.get(key) ?? start(key, file), signal);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      // Queued decodes are dropped (their callers get `stopped`); running ones finish unused
      // (their images are disposed as they come).
      for (const entry of pending.values()) entry.controller.abort();
      pending.clear();
      settled.clear();
    },
    get size() {
      return settled.size;
    },
    get bytes() {
      return settled.totalWeight;
    },
    get inFlight() {
      return limiter.inFlight;
    },
    get queued() {
      return limiter.queued;
    },
  };
}
