/// <reference lib="webworker" />
/** A parse worker: JSON.parse of metadata batches, several in parallel during an ingest. */
import { commandHandlers } from './handlers.ts';
import { serveCommands } from './serve.ts';

serveCommands(commandHandlers, self as unknown as DedicatedWorkerGlobalScope);
