/**
 * The page's side of the protocol: runs typed commands on a worker, streams progress, supports
 * cancel, and falls back to running the same handlers in the page if the worker cannot start
 * or dies (reported through `onFallback`, never silently retried forever). Errors come back as
 * the JobError classes of protocol.ts, with their code.
 *
 * A worker can also stop without an error event (`self.close()`, a killed thread): its jobs would
 * then wait forever. Commands that are short and keep no state in the worker (decoding an image)
 * have a deadline: a worker silent that long while such jobs wait is taken as dead, like one that
 * failed, and its jobs run in the page. Commands whose state lives in the worker (the embed
 * worker's run and model) have none: running them elsewhere would not help.
 */

import {
  errorFromWire,
  JobCancelled,
  JobError,
  type CommandName,
  type FromWorker,
  type HandlersFor,
  type ProgressOf,
  type RequestOf,
  type ResultOf,
  type ToWorker,
} from './protocol.ts';

/**
 * How long a worker may stay silent (no progress, no answer) while a job of these commands waits.
 * Generous: an image decodes in well under a second, a huge one in a few.
 */
export const STALL_MS: Partial<Record<CommandName, number>> = { modelPixels: 30_000, thumbnail: 30_000 };

/** A timer that fires this much later than asked means the page itself was blocked: look again before judging. */
const LATE_TIMER_MS = 1_000;

interface PendingJob {
  command: CommandName;
  /** The deadline of its command (see STALL_MS), or null. */
  stallMs: number | null;
  request: unknown;
  options: RunOptions<CommandName>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface RunOptions<K extends CommandName> {
  onProgress?(p: ProgressOf<K>): void;
  signal?: AbortSignal;
  /** Buffers of the request to move to the worker instead of copying. */
  transfer?: Transferable[];
}

/** What runs commands: a worker client, a pool of them, or a fake in a test. */
export interface CommandRunner<Names extends CommandName> {
  run<K extends Names>(command: K, request: RequestOf<K>, options?: RunOptions<K>): Promise<ResultOf<K>>;
}

export interface WorkerClientOptions<Names extends CommandName> {
  /** Starts the worker (on the first command). */
  create: () => Worker;
  /** The same handlers, for the page itself; loaded once, when first needed. */
  fallback: () => Promise<HandlersFor<Names>>;
  /** Told once why the worker is not used. */
  onFallback?: (reason: string) => void;
  /** The deadline of every command (ms of silence while jobs wait), in place of STALL_MS's. */
  stallMs?: number;
}

export class WorkerClient<Names extends CommandName> implements CommandRunner<Names> {
  private worker: Worker | null = null;
  private broken = false;
  private nextJobId = 1;
  private readonly pending = new Map<number, PendingJob>();
  private inPage: Promise<HandlersFor<Names>> | null = null;
  /** When the worker last sent anything, or when jobs began waiting on a quiet worker. */
  private lastHeard = 0;
  private watchdog: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: WorkerClientOptions<Names>) {}

  run<K extends Names>(command: K, request: RequestOf<K>, options: RunOptions<K> = {}): Promise<ResultOf<K>> {
    const worker = this.ensureWorker();
    if (!worker) return this.runInPage(command, request, options);
    const jobId = this.nextJobId++;
    // Silence is counted from now when nothing was waiting: an idle worker has nothing to say.
    if (this.pending.size === 0) this.lastHeard = Date.now();
    return new Promise<ResultOf<K>>((resolve, reject) => {
      const stallMs = this.options.stallMs ?? STALL_MS[command] ?? null;
      this.pending.set(jobId, { command, stallMs, request, options: options as RunOptions<CommandName>, resolve: resolve as (v: unknown) => void, reject });
      options.signal?.addEventListener('abort', () => worker.postMessage({ type: 'cancel', jobId } satisfies ToWorker));
      worker.postMessage({ type: 'run', jobId, command, request } as ToWorker, options.transfer ?? []);
      this.armWatchdog();
    });
  }

  /** Jobs sent and not yet answered. */
  get load(): number {
    return this.pending.size;
  }

  /** Stops the worker; jobs still pending are rejected (code `worker-stopped`). */
  dispose(): void {
    this.stopWatchdog();
    this.worker?.terminate();
    this.worker = null;
    this.broken = true;
    for (const job of this.pending.values()) job.reject(new JobError('worker-stopped', 'the worker was stopped'));
    this.pending.clear();
  }

  private ensureWorker(): Worker | null {
    if (this.broken) return null;
    if (this.worker) return this.worker;
    try {
      const worker = this.options.create();
      worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        this.fail(event.message || 'the worker stopped');
      };
      this.worker = worker;
      return worker;
    } catch (e) {
      this.broken = true;
      this.options.onFallback?.(`the background worker could not start (${(e as Error).message})`);
      return null;
    }
  }

  private receive(message: FromWorker) {
    this.lastHeard = Date.now();
    const job = this.pending.get(message.jobId);
    if (!job) return;
    if (message.type === 'progress') {
      job.options.onProgress?.(message.progress as never);
      return;
    }
    this.pending.delete(message.jobId);
    if (this.pending.size === 0) this.stopWatchdog();
    if (message.type === 'result') job.resolve(message.result);
    else job.reject(errorFromWire(message.code, message.message));
  }

  /** The shortest deadline among the waiting jobs, or null. */
  private stallLimit(): number | null {
    let limit: number | null = null;
    for (const job of this.pending.values()) if (job.stallMs !== null && (limit === null || job.stallMs < limit)) limit = job.stallMs;
    return limit;
  }

  /** Looks again when the shortest deadline would run out; one timer per client. */
  private armWatchdog(delay?: number) {
    this.stopWatchdog();
    const limit = this.stallLimit();
    if (limit === null) return;
    const wait = delay ?? Math.max(0, this.lastHeard + limit - Date.now());
    const due = Date.now() + wait;
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      const now = Date.now();
      const current = this.stallLimit();
      if (current === null) return;
      // Late: the page was blocked, and the worker's answers may be queued behind this timer.
      if (now - due > LATE_TIMER_MS) return this.armWatchdog(LATE_TIMER_MS);
      if (now - this.lastHeard < current) return this.armWatchdog();
      const n = this.pending.size;
      this.fail(`no answer in ${Math.round(current / 1000)} s with ${n} job${n === 1 ? '' : 's'} pending`);
    }, wait);
  }

  private stopWatchdog() {
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  /** The worker died: move its jobs into the page, once. */
  private fail(reason: string) {
    this.stopWatchdog();
    this.worker?.terminate();
    this.worker = null;
    this.broken = true;
    this.options.onFallback?.(`the background worker failed (${reason})`);
    const jobs = [...this.pending.values()];
    this.pending.clear();
    for (const job of jobs) this.runInPage(job.command as Names, job.request as never, job.options as never).then(job.resolve, job.reject);
  }

  private async runInPage<K extends Names>(command: K, request: RequestOf<K>, options: RunOptions<K>): Promise<ResultOf<K>> {
    this.inPage ??= this.options.fallback();
    const handler = (await this.inPage)[command];
    if (!handler) throw new JobError('unsupported', `no in-page fallback for ${command}`);
    const output = await handler(request, {
      progress: (p: ProgressOf<K>) => options.onProgress?.(p),
      // Yield to the page between chunks so it keeps painting.
      checkpoint: async () => {
        await new Promise((r) => setTimeout(r, 0));
        if (options.signal?.aborted) throw new JobCancelled();
      },
    });
    return output.result;
  }
}

/** What a pool dispatches to: anything that runs commands and says how many jobs it has. */
export interface PoolMember<Names extends CommandName> extends CommandRunner<Names> {
  readonly load: number;
  dispose(): void;
}

/**
 * `size` workers of one kind, started on the first command; each command goes to the one with
 * the fewest jobs in flight.
 */
export class WorkerPool<Names extends CommandName> implements CommandRunner<Names> {
  private members: PoolMember<Names>[] | null = null;

  constructor(
    readonly size: number,
    private readonly startMember: () => PoolMember<Names>,
  ) {
    if (!(size >= 1)) throw new RangeError(`a pool needs at least one worker (got ${size})`);
  }

  run<K extends Names>(command: K, request: RequestOf<K>, options?: RunOptions<K>): Promise<ResultOf<K>> {
    this.members ??= Array.from({ length: this.size }, () => this.startMember());
    const member = this.members.reduce((a, b) => (b.load < a.load ? b : a));
    return member.run(command, request, options);
  }

  /** Stops every worker; a later command starts them again. */
  dispose(): void {
    this.members?.forEach((m) => m.dispose());
    this.members = null;
  }
}
