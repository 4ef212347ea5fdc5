/** Runs inside a worker: dispatches protocol messages to command handlers; errors go back with their code. */

import { errorToWire, JobCancelled, JobError, type CommandName, type FromWorker, type HandlersFor, type ToWorker } from './protocol.ts';

export function serveCommands<Names extends CommandName>(handlers: HandlersFor<Names>, scope: DedicatedWorkerGlobalScope): void {
  const cancelled = new Set<number>();
  const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);
  const served = handlers as Partial<Record<CommandName, (r: unknown, c: unknown) => Promise<{ result: unknown; transfer: Transferable[] }>>>;

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
      const handler = served[message.command];
      if (!handler) throw new JobError('unsupported', `this worker does not serve ${message.command}`);
      const output = await handler(message.request, ctx);
      post({ type: 'result', jobId, result: output.result }, output.transfer);
    } catch (e) {
      post({ type: 'error', jobId, ...errorToWire(e) });
    } finally {
      cancelled.delete(jobId);
    }
  };
}
