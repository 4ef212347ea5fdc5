/**
 * The one message protocol between the page and its workers. Each command names its request,
 * its progress events and its result; buffers in results are transferred, never copied.
 */

import type { ImageFolderResult } from '../core/dataset/imageFolder.ts';
import type { IngestProgress, IngestResult } from '../core/dataset/ingest.ts';
import type { BatchRequest, BatchResult } from '../core/dataset/metadataBatches.ts';

export interface WorkerCommands {
  /** Parse dropped metadata files (streaming, any size) into columns. */
  ingest: { request: { files: File[] }; progress: IngestProgress; result: IngestResult };
  /** Parse one batch of metadata array elements (the ingest worker fans these out). */
  parseBatch: { request: BatchRequest; progress: never; result: BatchResult };
  /** Build a dataset from an ImageFolder tree's paths. */
  imageFolder: { request: { folderName: string; paths: string[] }; progress: never; result: ImageFolderResult | null };
  /** Decode one image file into a JPEG thumbnail that fits inside size×size. */
  thumbnail: { request: { file: File; size: number }; progress: never; result: ThumbnailResult };
}

/** A thumbnail, or why there is none: failures are results, not errors. */
export type ThumbnailResult = { ok: true; blob: Blob; width: number; height: number } | { ok: false; reason: string };

export type CommandName = keyof WorkerCommands;
export type RequestOf<K extends CommandName> = WorkerCommands[K]['request'];
export type ProgressOf<K extends CommandName> = WorkerCommands[K]['progress'];
export type ResultOf<K extends CommandName> = WorkerCommands[K]['result'];

export type ToWorker =
  | { [K in CommandName]: { type: 'run'; jobId: number; command: K; request: RequestOf<K> } }[CommandName]
  | { type: 'cancel'; jobId: number };

export type FromWorker =
  | { type: 'progress'; jobId: number; progress: unknown }
  | { type: 'result'; jobId: number; result: unknown }
  | { type: 'error'; jobId: number; message: string; cancelled: boolean };

export class JobCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'JobCancelled';
  }
}

/** What a command handler gets besides its request. */
export interface JobContext<P> {
  progress(p: P): void;
  /** Throws JobCancelled once the job was cancelled; awaited between chunks of work. */
  checkpoint(): Promise<void>;
}

export interface HandlerOutput<R> {
  result: R;
  transfer: Transferable[];
}

export type CommandHandlers = {
  [K in CommandName]: (request: RequestOf<K>, ctx: JobContext<ProgressOf<K>>) => Promise<HandlerOutput<ResultOf<K>>>;
};
