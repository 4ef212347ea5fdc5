/// <reference lib="webworker" />
/** The embed worker: tfjs and the run's store, off the main thread; the classifiers read the run here. */
import { embedWorkerHandlers } from './embedSession.ts';
import { serveCommands } from './serve.ts';

serveCommands(embedWorkerHandlers(), self as unknown as DedicatedWorkerGlobalScope);
