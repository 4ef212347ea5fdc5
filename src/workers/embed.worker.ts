/// <reference lib="webworker" />
/** The embed worker: tfjs and the run's store, off the main thread; the classifiers read the run here. */
import { classifyHandlers } from './classifyHandlers.ts';
import { embedHandlers } from './embedHandlers.ts';
import { serveCommands } from './serve.ts';

serveCommands({ ...embedHandlers, ...classifyHandlers }, self as unknown as DedicatedWorkerGlobalScope);
