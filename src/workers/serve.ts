/** Runs inside a worker: dispatches protocol messages to command handlers. */

import { JobCancelled, type AnyHandlers, type FromWorker, type ToWorker } from './protocol.ts';

export function serveCommands(handlers: AnyHandlers, scope: DedicatedWorkerGlobalScope): void {
  const cancelled = new Set<number>();
  const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

  scope.onmessage = async (event: MessageEvent<ToWorker>) => {
    const message = event.data;
    if (message.type === 'cancel') {
      cancelled.add(message.jobId);
      return;
    }
    const { jobId } = message;
    const ctx = {
      progress: (progress: unknown) => post({ type: 'progress', jobId, progress }),
      checkpoint: async () => {
        if (cancelled.has(jobId)) throw new JobCancelled();
      },
    };
    try {
      const handler = handlers[message.command] as ((r: unknown, c: typeof ctx) => Promise<{ result: unknown; transfer: Transferable[] }>) | undefined;
      if (!handler) throw new Error(`this worker does not serve ${message.command}`);
      const output = await handler(message.request, ctx);
      post({ type: 'result', jobId, result: output.result }, output.transfer);
    } catch (e) {
      post({ type: 'error', jobId, message: (e as Error)?.message ?? String(e), cancelled: e instanceof JobCancelled });
    } finally {
      cancelled.delete(jobId);
    }
  };
}
