/// <reference lib="webworker" />
/** An image worker: decodes images off the main thread, into thumbnails or model input, several in parallel. */
import { imageHandlers } from './imageHandlers.ts';
import { serveCommands } from './serve.ts';

serveCommands(imageHandlers, self as unknown as DedicatedWorkerGlobalScope);
