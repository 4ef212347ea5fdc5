/// <reference lib="webworker" />
/** A thumbnail worker: decodes and shrinks images off the main thread, several in parallel. */
import { commandHandlers } from './handlers.ts';
import { serveCommands } from './serve.ts';

serveCommands(commandHandlers, self as unknown as DedicatedWorkerGlobalScope);
