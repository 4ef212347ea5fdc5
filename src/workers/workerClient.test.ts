/**
 * WorkerClient and WorkerPool against an in-memory worker: the client on one side, serveCommands
 * on the other, messages structured-cloned between them as postMessage would. Typed errors come
 * back as their classes with their code; a worker that cannot start or dies moves its jobs into
 * the page (once, told through onFallback); a pool sends each command to its least loaded worker.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { poolSize } from './clients.ts';
import { JobCancelled, JobError, type HandlersFor } from './protocol.ts';
import { serveCommands } from './serve.ts';
import { WorkerClient, WorkerPool, type PoolMember } from './workerClient.ts';

type Names = 'parseBatch' | 'embedCheckpoint' | 'embedClose';
const tick = () => new Promise<void>((r) => setTimeout(r, 0));

/** Handlers that say where they ran, and fail on request. */
function handlers(where: string, calls: string[]): HandlersFor<Names> {
  return {
    async parseBatch(request) {
      calls.push(`${where}:parseBatch`);
      return { result: { where, first: request.firstIndex } as never, transfer: [] };
    },
    async embedCheckpoint(_request, ctx) {
      calls.push(`${where}:embedCheckpoint`);
      for (let i = 0; i < 50; i++) {
        await tick();
        await ctx.checkpoint();
      }
      return { result: { sequence: 1, savedAt: 2 }, transfer: [] };
    },
    async embedClose(request) {
      calls.push(`${where}:embedClose`);
      if (request.discard) throw new JobError('no-run', 'no embedding run is open');
      throw new Error('a plain bug');
    },
  };
}

/** A Worker whose other end runs serveCommands over `served`. */
class FakeWorker {
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  terminated = false;
  private readonly scope: { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };

  constructor(served: HandlersFor<Names>) {
    this.scope = {
      onmessage: null,
      postMessage: (m: unknown) => {
        const data = structuredClone(m);
        setTimeout(() => !this.terminated && this.onmessage?.({ data } as MessageEvent));
      },
    };
    serveCommands(served, this.scope as unknown as DedicatedWorkerGlobalScope);
  }

  postMessage(m: unknown) {
    const data = structuredClone(m);
    setTimeout(() => !this.terminated && this.scope.onmessage?.({ data } as MessageEvent));
  }

  /** The worker stops as `self.close()` stops it: no error event, no answer, ever. */
  hang() {
    this.terminated = true;
  }

  /** The worker dies as a crashed one does: an error event, no answer. */
  crash(message: string) {
    this.terminated = true;
    this.onerror?.({ message, preventDefault() {} } as ErrorEvent);
  }

  terminate() {
    this.terminated = true;
  }
}

const batch = (firstIndex: number) => ({ firstIndex }) as never;

function client(calls: string[], reasons: string[], create?: () => FakeWorker) {
  let worker: FakeWorker | null = null;
  const c = new WorkerClient<Names>({
    create: () => (worker = (create ?? (() => new FakeWorker(handlers('worker', calls))))()) as unknown as Worker,
    fallback: async () => handlers('page', calls),
    onFallback: (reason) => reasons.push(reason),
  });
  return { client: c, worker: () => worker! };
}

describe('WorkerClient', () => {
  it('runs commands in the worker and brings errors back as classes with their code', async () => {
    const calls: string[] = [];
    const reasons: string[] = [];
    const { client: c } = client(calls, reasons);
    expect(await c.run('parseBatch', batch(3))).toEqual({ where: 'worker', first: 3 });
    const noRun = await c.run('embedClose', { discard: true }).catch((e: unknown) => e);
    expect(noRun).toBeInstanceOf(JobError);
    expect(noRun).toMatchObject({ code: 'no-run', message: 'no embedding run is open' });
    const bug = await c.run('embedClose', { discard: false }).catch((e: unknown) => e);
    expect(bug).toMatchObject({ code: 'failed', message: 'a plain bug' });
    expect(calls).toEqual(['worker:parseBatch', 'worker:embedClose', 'worker:embedClose']);
    expect(reasons).toEqual([]);
  });

  it('a cancel comes back as JobCancelled (code cancelled), from the worker and in the page', async () => {
    const calls: string[] = [];
    const { client: c } = client(calls, []);
    const controller = new AbortController();
    const job = c.run('embedCheckpoint', null, { signal: controller.signal }).catch((e: unknown) => e);
    await tick();
    controller.abort();
    const e = await job;
    expect(e).toBeInstanceOf(JobCancelled);
    expect(e).toMatchObject({ code: 'cancelled' });

    const inPage = new WorkerClient<Names>({ create: () => { throw new Error('no workers here'); }, fallback: async () => handlers('page', calls) });
    const pageController = new AbortController();
    const pageJob = inPage.run('embedCheckpoint', null, { signal: pageController.signal }).catch((err: unknown) => err);
    await tick();
    pageController.abort();
    expect(await pageJob).toBeInstanceOf(JobCancelled);
  });

  it('a worker that cannot start: every command runs in the page, and onFallback is told once', async () => {
    const calls: string[] = [];
    const reasons: string[] = [];
    let loads = 0;
    const c = new WorkerClient<Names>({
      create: () => {
        throw new Error('module workers are not supported');
      },
      fallback: async () => {
        loads++;
        return handlers('page', calls);
      },
      onFallback: (reason) => reasons.push(reason),
    });
    expect(await c.run('parseBatch', batch(1))).toEqual({ where: 'page', first: 1 });
    expect(await c.run('parseBatch', batch(2))).toEqual({ where: 'page', first: 2 });
    await expect(c.run('embedClose', { discard: true })).rejects.toMatchObject({ code: 'no-run' });
    expect(reasons).toEqual(['the background worker could not start (module workers are not supported)']);
    expect(loads).toBe(1);
    expect(calls).toEqual(['page:parseBatch', 'page:parseBatch', 'page:embedClose']);
  });

  it('a worker that dies: its pending jobs run again in the page, later ones too', async () => {
    const calls: string[] = [];
    const reasons: string[] = [];
    const { client: c, worker } = client(calls, reasons);
    const pending = c.run('embedCheckpoint', null);
    await tick();
    expect(c.load).toBe(1);
    worker().crash('out of memory');
    expect(await pending).toEqual({ sequence: 1, savedAt: 2 });
    expect(await c.run('parseBatch', batch(9))).toEqual({ where: 'page', first: 9 });
    expect(reasons).toEqual(['the background worker failed (out of memory)']);
    expect(calls).toEqual(['worker:embedCheckpoint', 'page:embedCheckpoint', 'page:parseBatch']);
  });

  it('dispose rejects what is pending with worker-stopped', async () => {
    const { client: c } = client([], []);
    const pending = c.run('embedCheckpoint', null).catch((e: unknown) => e);
    await tick();
    c.dispose();
    expect(await pending).toMatchObject({ code: 'worker-stopped' });
  });

  it('a command this worker does not serve is unsupported', async () => {
    const calls: string[] = [];
    const partial = { parseBatch: handlers('worker', calls).parseBatch } as unknown as HandlersFor<Names>;
    const { client: c } = client(calls, [], () => new FakeWorker(partial));
    await expect(c.run('embedClose', { discard: false })).rejects.toMatchObject({ code: 'unsupported' });
  });
});

describe('WorkerClient: a worker that stops answering', () => {
  type ImageNames = 'modelPixels' | 'thumbnail';
  const imageHandlers = (where: string, calls: string[]): HandlersFor<ImageNames> => ({
    async modelPixels() {
      calls.push(`${where}:modelPixels`);
      return { result: { ok: false, reason: where }, transfer: [] };
    },
    async thumbnail() {
      calls.push(`${where}:thumbnail`);
      return { result: { ok: false, reason: where }, transfer: [] };
    },
  });
  const file = () => ({ file: new Blob(['x']) as File });

  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  function imageClient(calls: string[], reasons: string[], stallMs?: number) {
    let worker: FakeWorker | null = null;
    const c = new WorkerClient<ImageNames>({
      create: () => (worker = new FakeWorker(imageHandlers('worker', calls) as never)) as unknown as Worker,
      fallback: async () => imageHandlers('page', calls),
      onFallback: (reason) => reasons.push(reason),
      ...(stallMs ? { stallMs } : {}),
    });
    return { client: c, worker: () => worker! };
  }

  it('a decode worker that closes itself with jobs pending: after 30 s with no answer they run in the page', async () => {
    const calls: string[] = [];
    const reasons: string[] = [];
    const { client: c, worker } = imageClient(calls, reasons);
    const first = c.run('modelPixels', file());
    await vi.advanceTimersByTimeAsync(10);
    expect(await first).toEqual({ ok: false, reason: 'worker' });
    worker().hang();
    const settled: unknown[] = [];
    const jobs = [c.run('modelPixels', file()), c.run('thumbnail', { ...file(), size: 64 })].map((j) => j.then((r) => settled.push(r)));
    await vi.advanceTimersByTimeAsync(29_000);
    expect(settled).toEqual([]);
    expect(c.load).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(jobs);
    expect(settled).toEqual([
      { ok: false, reason: 'page' },
      { ok: false, reason: 'page' },
    ]);
    expect(c.load).toBe(0);
    expect(reasons).toEqual(['the background worker failed (no answer in 30 s with 2 jobs pending)']);
    // Later commands go to the page as well (no timers there: nothing to advance).
    expect(await c.run('modelPixels', file())).toEqual({ ok: false, reason: 'page' });
    expect(calls).toEqual(['worker:modelPixels', 'page:modelPixels', 'page:thumbnail', 'page:modelPixels']);
  });

  it('a worker that answers is never taken as stopped, however long it sat idle before a job', async () => {
    const calls: string[] = [];
    const reasons: string[] = [];
    const { client: c } = imageClient(calls, reasons);
    for (let i = 0; i < 10; i++) {
      const job = c.run('modelPixels', file());
      await vi.advanceTimersByTimeAsync(10);
      expect(await job).toEqual({ ok: false, reason: 'worker' });
      await vi.advanceTimersByTimeAsync(60_000); // idle: nothing pending, nothing to wait for
    }
    expect(reasons).toEqual([]);
    expect(calls.every((x) => x === 'worker:modelPixels')).toBe(true);
  });

  it('commands with no deadline (the embed worker\'s: its state lives there) wait as long as they take', async () => {
    const calls: string[] = [];
    const reasons: string[] = [];
    const { client: c, worker } = client(calls, reasons);
    const first = c.run('parseBatch', batch(1));
    await vi.advanceTimersByTimeAsync(10);
    expect(await first).toEqual({ where: 'worker', first: 1 });
    worker().hang();
    let settled = false;
    void c.run('embedCheckpoint', null).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(settled).toBe(false);
    expect(c.load).toBe(1);
    expect(reasons).toEqual([]);
  });

  it('stallMs sets the deadline for every command of a client', async () => {
    const calls: string[] = [];
    const reasons: string[] = [];
    const { client: c, worker } = imageClient(calls, reasons, 1_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(worker()).toBeNull(); // started on the first command only
    const job = c.run('modelPixels', file());
    worker().hang();
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await job).toEqual({ ok: false, reason: 'page' });
    expect(reasons).toEqual(['the background worker failed (no answer in 1 s with 1 job pending)']);
  });
});

describe('WorkerPool', () => {
  /** Members whose jobs stay pending until released; each records its jobs. */
  function members() {
    const made: (PoolMember<'parseBatch'> & { jobs: number[]; release(): void })[] = [];
    const start = () => {
      const waiting: (() => void)[] = [];
      const m = {
        jobs: [] as number[],
        get load() {
          return waiting.length;
        },
        run: ((_c: 'parseBatch', request: { firstIndex: number }) => {
          m.jobs.push(request.firstIndex);
          return new Promise((resolve) => waiting.push(() => resolve(request.firstIndex)));
        }) as never,
        release() {
          waiting.splice(0).forEach((r) => r());
        },
        dispose() {},
      };
      made.push(m);
      return m;
    };
    return { made, start };
  }

  it('starts its workers on the first command and sends each to the least loaded', async () => {
    const { made, start } = members();
    const pool = new WorkerPool(3, start);
    expect(made.length).toBe(0);
    const jobs = [0, 1, 2, 3, 4, 5, 6].map((i) => pool.run('parseBatch', batch(i)));
    expect(made.length).toBe(3);
    expect(made.map((m) => m.jobs)).toEqual([
      [0, 3, 6],
      [1, 4],
      [2, 5],
    ]);
    made[1].release();
    void pool.run('parseBatch', batch(7));
    expect(made[1].jobs).toEqual([1, 4, 7]);
    made.forEach((m) => m.release());
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('poolSize: the cores after the reserve, at least min, at most 4', () => {
    const brute = (reserve: number, min: number, cores: number) => {
      let n = cores - reserve;
      if (n > 4) n = 4;
      if (n < min) n = min;
      return n;
    };
    for (const cores of [1, 2, 3, 4, 6, 8, 16, 64])
      for (const [reserve, min] of [
        [1, 0],
        [1, 1],
        [Math.ceil(cores / 2), 1],
      ])
        expect(poolSize(reserve, min, cores)).toBe(brute(reserve, min, cores));
    // The numbers each pool had before this module: parse min(4, cores − 1) or none, decode max(1, min(4, ⌊cores/2⌋)).
    expect([1, 2, 8].map((c) => poolSize(1, 0, c))).toEqual([0, 1, 4]);
    expect([1, 2, 3, 8, 12].map((c) => poolSize(Math.ceil(c / 2), 1, c))).toEqual([1, 1, 1, 4, 4]);
  });
});
