import { describe, expect, it } from 'vitest';
import { createThumbnailCache, LifoLimiter, LruCache, NOT_IN_FOLDER, STOPPED, type DecodedThumbnail } from './thumbnailCache.ts';

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Stands in for an ImageBitmap (not in Node): remembers whether the cache closed it. */
interface FakeBitmap {
  id: number;
  closed: boolean;
}

/** A cache whose decodes wait until the test answers them, by file name. */
function harness(maxEntries = 3, maxInFlight = 2, maxBytes?: number) {
  const decodes = new Map<string, ReturnType<typeof deferred<DecodedThumbnail<FakeBitmap>>>>();
  const started: string[] = [];
  const made: FakeBitmap[] = [];
  const closed: number[] = [];
  const cache = createThumbnailCache<FakeBitmap>({
    maxEntries,
    maxBytes,
    maxInFlight,
    decode: (file) => {
      started.push(file.name);
      const d = deferred<DecodedThumbnail<FakeBitmap>>();
      decodes.set(file.name, d);
      return d.promise;
    },
    disposeImage: (bitmap) => {
      expect(bitmap.closed).toBe(false); // closed once, never twice
      bitmap.closed = true;
      closed.push(bitmap.id);
    },
  });
  /** Answers the decode of `name` with a fresh bitmap of width×height (10×20 = 800 bytes by default). */
  const ok = (name: string, width = 10, height = 20) => {
    const bitmap = { id: made.length, closed: false };
    made.push(bitmap);
    decodes.get(name)!.resolve({ ok: true, bitmap, width, height });
    return bitmap;
  };
  return { cache, decodes, started, made, closed, ok };
}

const file = (name: string) => new File([new Uint8Array([1, 2, 3])], name);

describe('LruCache', () => {
  it('evicts the least recently used beyond the bound, counting reads as uses', () => {
    const evicted: string[] = [];
    const lru = new LruCache<number>(2, (k) => evicted.push(k));
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect(lru.keys()).toEqual(['a', 'c']);
    lru.set('a', 4); // replacing evicts the old value
    expect(evicted).toEqual(['b', 'a']);
    lru.clear();
    expect(lru.size).toBe(0);
    expect(evicted.sort()).toEqual(['a', 'a', 'b', 'c']);
  });

  it('also evicts beyond a total weight, but never the entry just stored', () => {
    const evicted: string[] = [];
    const lru = new LruCache<number>(10, (k) => evicted.push(k), 100, (v) => v);
    lru.set('a', 40);
    lru.set('b', 40);
    expect(lru.totalWeight).toBe(80);
    lru.set('c', 40); // 120 > 100: a goes
    expect(evicted).toEqual(['a']);
    expect(lru.totalWeight).toBe(80);
    lru.set('b', 10); // replaced: its old weight leaves with it
    expect(evicted).toEqual(['a', 'b']);
    expect(lru.totalWeight).toBe(50);
    lru.set('huge', 500); // heavier than the bound alone: everything else goes, it stays
    expect(evicted).toEqual(['a', 'b', 'c', 'b']);
    expect(lru.keys()).toEqual(['huge']);
    lru.set('d', 1); // and goes when the next one comes
    expect(lru.keys()).toEqual(['d']);
    expect(lru.totalWeight).toBe(1);
    lru.clear();
    expect(lru.totalWeight).toBe(0);
  });
});

describe('LifoLimiter', () => {
  it('runs at most `limit` at once and starts the newest waiting task first', async () => {
    const limiter = new LifoLimiter(2);
    const order: number[] = [];
    const gates = Array.from({ length: 5 }, () => deferred<void>());
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        order.push(i);
        await g.promise;
      }),
    );
    expect(order).toEqual([0, 1]);
    expect(limiter.inFlight).toBe(2);
    expect(limiter.queued).toBe(3);
    gates[0].resolve();
    await tick();
    expect(order).toEqual([0, 1, 4]);
    gates[1].resolve();
    gates[4].resolve();
    await tick();
    expect(order).toEqual([0, 1, 4, 3, 2]);
    gates.forEach((g) => g.resolve());
    await Promise.all(runs);
    expect(limiter.inFlight).toBe(0);
  });

  it('drops a waiting task whose signal aborts, and ignores aborts once started', async () => {
    const limiter = new LifoLimiter(1);
    const gate = deferred<void>();
    const first = new AbortController();
    const running = limiter.run(() => gate.promise.then(() => 'done'), first.signal);
    const second = new AbortController();
    let ran = false;
    const dropped = limiter.run(async () => {
      ran = true;
    }, second.signal);
    second.abort();
    first.abort();
    await expect(dropped).rejects.toMatchObject({ name: 'AbortError' });
    expect(limiter.queued).toBe(0);
    gate.resolve();
    await expect(running).resolves.toBe('done');
    await tick();
    expect(ran).toBe(false);
  });
});

describe('createThumbnailCache', () => {
  it('decodes a key once, also while in flight, and caches failures', async () => {
    const h = harness();
    const a1 = h.cache.get('a', file('a'));
    const a2 = h.cache.get('a', file('a'));
    expect(h.started).toEqual(['a']);
    const bitmap = h.ok('a');
    const [r1, r2] = await Promise.all([a1, a2]);
    expect(r1).toEqual({ status: 'ready', bitmap, width: 10, height: 20 });
    expect(r2).toBe(r1);
    expect(await h.cache.get('a', file('a'))).toBe(r1);

    const b = h.cache.get('b', file('b'));
    h.decodes.get('b')!.resolve({ ok: false, reason: 'empty file (0 bytes)' });
    expect(await b).toEqual({ status: 'failed', reason: 'empty file (0 bytes)' });
    expect(await h.cache.get('b', file('b'))).toEqual({ status: 'failed', reason: 'empty file (0 bytes)' });
    expect(h.started).toEqual(['a', 'b']);
    expect(h.cache.size).toBe(2);
    expect(h.cache.bytes).toBe(10 * 20 * 4); // failures weigh nothing
    expect(h.closed).toEqual([]);
  });

  it('answers a missing file without decoding or caching', async () => {
    const h = harness();
    expect(await h.cache.get('x', undefined)).toEqual({ status: 'failed', reason: NOT_IN_FOLDER });
    expect(h.started).toEqual([]);
    expect(h.cache.size).toBe(0);
  });

  it('closes the bitmap of the least recently used entry beyond maxEntries', async () => {
    const h = harness(2, 4);
    for (const k of ['a', 'b']) {
      const p = h.cache.get(k, file(k));
      h.ok(k);
      await p;
    }
    await h.cache.get('a', file('a')); // a is now the most recent
    const c = h.cache.get('c', file('c'));
    h.ok('c');
    await c;
    expect(h.closed).toEqual([1]); // b's
    expect(h.made.map((b) => b.closed)).toEqual([false, true, false]);
    expect(h.cache.size).toBe(2);
    // b decodes again when asked again.
    const b = h.cache.get('b', file('b'));
    expect(h.started).toEqual(['a', 'b', 'c', 'b']);
    h.ok('b');
    await b;
    expect(h.closed).toEqual([1, 0]); // then a's
  });

  it('closes the least recently used bitmaps beyond maxBytes, and answers with live ones', async () => {
    const h = harness(100, 4, 3 * 160 * 160 * 4); // room for three 160×160 thumbnails
    for (const k of ['a', 'b', 'c', 'd']) {
      const p = h.cache.get(k, file(k));
      const bitmap = h.ok(k, 160, 160);
      const state = await p;
      // What a caller gets is live when its callback runs (the widget draws it there).
      expect(state.status === 'ready' ? state.bitmap : null).toBe(bitmap);
      expect(bitmap.closed).toBe(false);
    }
    expect(h.closed).toEqual([0]); // a's
    expect(h.cache.size).toBe(3);
    expect(h.cache.bytes).toBe(3 * 160 * 160 * 4);
    // Smaller ones fit more: 160×107 each.
    for (const k of ['e', 'f']) {
      const p = h.cache.get(k, file(k));
      h.ok(k, 107, 160);
      await p;
    }
    expect(h.closed).toEqual([0, 1, 2]);
    expect(h.cache.bytes).toBe(160 * 160 * 4 + 2 * 107 * 160 * 4);
    // An evicted key decodes afresh: a new bitmap, not the closed one.
    const again = h.cache.get('a', file('a'));
    expect(h.started.filter((n) => n === 'a')).toHaveLength(2);
    const fresh = h.ok('a', 160, 160);
    const state = await again;
    expect(state.status === 'ready' ? state.bitmap : null).toBe(fresh);
  });

  it('drops a queued decode once every caller aborted, keeps it while one still waits', async () => {
    const h = harness(10, 1);
    const busy = h.cache.get('busy', file('busy'));
    const c1 = new AbortController();
    const c2 = new AbortController();
    const shared1 = h.cache.get('s', file('s'), c1.signal);
    const shared2 = h.cache.get('s', file('s'), c2.signal);
    const lone = new AbortController();
    const gone = h.cache.get('gone', file('gone'), lone.signal);
    lone.abort();
    c1.abort();
    await expect(gone).rejects.toMatchObject({ name: 'AbortError' });
    await expect(shared1).rejects.toMatchObject({ name: 'AbortError' });
    h.ok('busy');
    await busy;
    await tick();
    expect(h.started).toEqual(['busy', 's']);
    h.ok('s');
    expect((await shared2).status).toBe('ready');
    // The dropped key was not cached: asking again decodes it.
    const again = h.cache.get('gone', file('gone'));
    expect(h.started).toEqual(['busy', 's', 'gone']);
    h.ok('gone');
    expect((await again).status).toBe('ready');
  });

  it('finishes and caches a decode whose caller aborted after it started', async () => {
    const h = harness();
    const c = new AbortController();
    const p = h.cache.get('a', file('a'), c.signal);
    c.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    h.ok('a');
    await tick();
    expect(h.cache.size).toBe(1);
    expect((await h.cache.get('a', file('a'))).status).toBe('ready');
    expect(h.started).toEqual(['a']);
  });

  it('does not cache a transport failure', async () => {
    const h = harness();
    const p = h.cache.get('a', file('a'));
    h.decodes.get('a')!.reject(new Error('the worker stopped'));
    expect(await p).toEqual({ status: 'failed', reason: 'the thumbnail could not be made (the worker stopped)' });
    expect(h.cache.size).toBe(0);
  });

  it('dispose closes every bitmap, answers waiting callers, and closes late results', async () => {
    const h = harness(10, 1);
    const a = h.cache.get('a', file('a'));
    h.ok('a');
    await a;
    const running = h.cache.get('b', file('b'));
    const queued = h.cache.get('c', file('c'));
    h.cache.dispose();
    expect(h.closed).toEqual([0]);
    expect(await queued).toEqual({ status: 'failed', reason: STOPPED });
    h.ok('b');
    expect(await running).toEqual({ status: 'failed', reason: STOPPED });
    expect(h.closed).toEqual([0, 1]); // b's bitmap came after the dispose: closed, not kept
    expect(h.made.every((b) => b.closed)).toBe(true);
    expect(h.cache.size).toBe(0);
    expect(h.cache.bytes).toBe(0);
    expect(await h.cache.get('a', file('a'))).toEqual({ status: 'failed', reason: STOPPED });
  });
});
