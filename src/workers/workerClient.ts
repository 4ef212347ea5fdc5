/**
 * The page's side of the protocol: runs typed commands on a worker, streams progress, supports
 * cancel, and falls back to running the same handlers in the page if the worker cannot start
 * or dies (reported through `onFallback`, never silently retried forever).
 */

import {
  JobCancelled,
  type AnyHandlers,
  type CommandName,
  type FromWorker,
  type ProgressOf,
  type RequestOf,
  type ResultOf,
  type ToWorker,
} from './protocol.ts';

interface PendingJob {
  command: CommandName;
  request: unknown;
  onProgress?: (p: unknown) => void;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface RunOptions<K extends CommandName> {
  onProgress?(p: ProgressOf<K>): void;
  signal?: AbortSignal;
  /** Buffers of the request to move to the worker instead of copying. */
  transfer?: Transferable[];
}

export class WorkerClient {
  private worker: Worker | null = null;
  private broken = false;
  private nextJobId = 1;
  private readonly pending = new Map<number, PendingJob>();

  constructor(
    private readonly createWorker: () => Worker,
    private readonly loadFallback: () => Promise<AnyHandlers>,
    private readonly onFallback: (reason: string) => void = () => {},
  ) {}

  run<K extends CommandName>(command: K, request: RequestOf<K>, options: RunOptions<K> = {}): Promise<ResultOf<K>> {
    const worker = this.ensureWorker();
    if (!worker) return this.runInPage(command, request, options);
    const jobId = this.nextJobId++;
    return new Promise<ResultOf<K>>((resolve, reject) => {
      this.pending.set(jobId, {
        command,
        request,
        onProgress: options.onProgress as (p: unknown) => void,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      options.signal?.addEventListener('abort', () => worker.postMessage({ type: 'cancel', jobId } satisfies ToWorker));
      worker.postMessage({ type: 'run', jobId, command, request } as ToWorker, options.transfer ?? []);
    });
  }

  /** Jobs sent and not yet answered. */
  get load(): number {
    return this.pending.size;
  }

  /** Stops the worker; jobs still pending are rejected. */
  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    this.broken = true;
    for (const job of this.pending.values()) job.reject(new Error('the worker was stopped'));
    this.pending.clear();
  }

  private ensureWorker(): Worker | null {
    if (this.broken) return null;
    if (this.worker) return this.worker;
    try {
      const worker = this.createWorker();
      worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        this.fail(event.message || 'the worker stopped');
      };
      this.worker = worker;
      return worker;
    } catch (e) {
      this.broken = true;
      this.onFallback(`the background worker could not start (${(e as Error).message})`);
      return null;
    }
  }

  private receive(message: FromWorker) {
    const job = this.pending.get(message.jobId);
    if (!job) return;
    if (message.type === 'progress') {
      job.onProgress?.(message.progress);
      return;
    }
    this.pending.delete(message.jobId);
    if (message.type === 'result') job.resolve(message.result);
    else job.reject(message.cancelled ? new JobCancelled() : new Error(message.message));
  }

  /** The worker died: move its jobs into the page, once. */
  private fail(reason: string) {
    this.worker?.terminate();
    this.worker = null;
    this.broken = true;
    this.onFallback(`the background worker failed (${reason})`);
    const jobs = [...this.pending.values()];
    this.pending.clear();
    for (const job of jobs) {
      this.runInPage(job.command, job.request as never, { onProgress: job.onProgress as never }).then(job.resolve, job.reject);
    }
  }

  private async runInPage<K extends CommandName>(command: K, request: RequestOf<K>, options: RunOptions<K>): Promise<ResultOf<K>> {
    const handlers = await this.loadFallback();
    const handler = handlers[command];
    if (!handler) throw new Error(`no in-page fallback for ${command}`);
    const output = await (handler as (r: RequestOf<K>, c: unknown) => Promise<{ result: ResultOf<K> }>)(request, {
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
