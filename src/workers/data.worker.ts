/// <reference lib="webworker" />
/** The data worker: metadata parsing and dataset building, off the main thread. */
import { dataHandlers } from './dataHandlers.ts';
import { serveCommands } from './serve.ts';

serveCommands(dataHandlers, self as unknown as DedicatedWorkerGlobalScope);
