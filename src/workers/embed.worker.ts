/// <reference lib="webworker" />
/** The embed worker: tfjs and the run's store, off the main thread. */
import { embedHandlers } from './embedHandlers.ts';
import { serveCommands } from './serve.ts';

serveCommands(embedHandlers, self as unknown as DedicatedWorkerGlobalScope);
