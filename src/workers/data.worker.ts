/// <reference lib="webworker" />
/** The data worker: metadata parsing and dataset building, off the main thread. */
import { commandHandlers } from './handlers.ts';
import { serveCommands } from './serve.ts';

serveCommands(commandHandlers, self as unknown as DedicatedWorkerGlobalScope);
