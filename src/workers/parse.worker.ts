/// <reference lib="webworker" />
/** A parse worker: JSON.parse of metadata batches, several in parallel during an ingest. */
import { parseHandlers } from './parseHandlers.ts';
import { serveCommands } from './serve.ts';

serveCommands(parseHandlers, self as unknown as DedicatedWorkerGlobalScope);
