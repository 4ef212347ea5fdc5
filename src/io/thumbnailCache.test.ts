import { describe, expect, it } from 'vitest';
import type { ThumbnailResult } from '../workers/protocol.ts';
import { createThumbnailCache, LifoLimiter, LruCache, NOT_IN_FOLDER, STOPPED } from './thumbnailCache.ts';

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

/** A cache whose decodes wait until the test answers them, by file name. */
function harness(maxEntries = 3, maxInFlight = 2) {
  const decodes = new Map<string, ReturnType<typeof deferred<ThumbnailResult>>>();
  const started: string[] = [];
  const created: string[] = [];
  const revoked: string[] = [];
  let nextUrl = 0;
  const cache = createThumbnailCache({
    maxEntries,
    maxInFlight,
    decode: (file) => {
      started.push(file.name);
      const d = deferred<ThumbnailResult>();
      decodes.set(file.name, d);
      return d.promise;
    },
    createUrl: () => {
      const url = `blob:test/${nextUrl++}`;
      created.push(url);
      return url;
    },
    revokeUrl: (url) => revoked.push(url),
  });
  const ok = (name: string) => decodes.get(name)!.resolve({ ok: true, blob: new Blob(['x']), width: 10, height: 20 });
  return { cache, decodes, started, created, revoked, ok };
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
    h.ok('a');
    const [r1, r2] = await Promise.all([a1, a2]);
    expect(r1).toEqual({ status: 'ready', url: 'blob:test/0', width: 10, height: 20 });
    expect(r2).toBe(r1);
    expect(await h.cache.get('a', file('a'))).toBe(r1);

    const b = h.cache.get('b', file('b'));
    h.decodes.get('b')!.resolve({ ok: false, reason: 'empty file (0 bytes)' });
    expect(await b).toEqual({ status: 'failed', reason: 'empty file (0 bytes)' });
    expect(await h.cache.get('b', file('b'))).toEqual({ status: 'failed', reason: 'empty file (0 bytes)' });
    expect(h.started).toEqual(['a', 'b']);
    expect(h.cache.size).toBe(2);
  });

  it('answers a missing file without decoding or caching', async () => {
    const h = harness();
    expect(await h.cache.get('x', undefined)).toEqual({ status: 'failed', reason: NOT_IN_FOLDER });
    expect(h.started).toEqual([]);
    expect(h.cache.size).toBe(0);
  });

  it('revokes the URL of the least recently used entry beyond maxEntries', async () => {
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
    expect(h.revoked).toEqual(['blob:test/1']); // b's
    expect(h.cache.size).toBe(2);
    // b decodes again when asked again.
    const b = h.cache.get('b', file('b'));
    expect(h.started).toEqual(['a', 'b', 'c', 'b']);
    h.ok('b');
    await b;
    expect(h.revoked).toEqual(['blob:test/1', 'blob:test/0']); // then a's
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

  it('dispose revokes every URL, answers waiting callers, and makes no URL for late results', async () => {
    const h = harness(10, 1);
    const a = h.cache.get('a', file('a'));
    h.ok('a');
    await a;
    const running = h.cache.get('b', file('b'));
    const queued = h.cache.get('c', file('c'));
    h.cache.dispose();
    expect(h.revoked).toEqual(['blob:test/0']);
    expect(await queued).toEqual({ status: 'failed', reason: STOPPED });
    h.ok('b');
    expect(await running).toEqual({ status: 'failed', reason: STOPPED });
    expect(h.created).toEqual(['blob:test/0']);
    expect(h.cache.size).toBe(0);
    expect(await h.cache.get('a', file('a'))).toEqual({ status: 'failed', reason: STOPPED });
  });
});
